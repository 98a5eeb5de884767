#include "dataplane/wireguard_netlink.hpp"

#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include "dataplane/netlink_builder.hpp"
#include "dataplane/route_message.hpp"

namespace podnet::dataplane::wg {

void append_rule(std::vector<uint8_t>& buf, uint32_t seq, bool add, const Rule& r) {
  nl::Builder b(buf);
  fib_rule_hdr h{};
  h.family = r.family;
  h.action = FR_ACT_TO_TBL;
  h.table = r.table < 256 ? static_cast<uint8_t>(r.table) : static_cast<uint8_t>(RT_TABLE_UNSPEC);
  if (r.invert) h.flags |= FIB_RULE_INVERT;
  b.begin(add ? RTM_NEWRULE : RTM_DELRULE,
          static_cast<uint16_t>(add ? NLM_F_CREATE | NLM_F_EXCL : 0), seq, h);
  b.attr_u32(FRA_PRIORITY, r.priority);
  b.attr_u32(FRA_TABLE, r.table);
  if (r.fwmark || r.fwmask) {
    b.attr_u32(FRA_FWMARK, r.fwmark);
    b.attr_u32(FRA_FWMASK, r.fwmask);
  }
  if (r.protocol) b.attr_u8(FRA_PROTOCOL, r.protocol);
  b.end();
}

void append_rule_dump(std::vector<uint8_t>& buf, uint32_t seq, uint8_t family) {
  nl::Builder b(buf);
  fib_rule_hdr h{};
  h.family = family;
  b.begin(RTM_GETRULE, NLM_F_DUMP, seq, h);
  b.end();
}

std::optional<Rule> parse_rule(const nlmsghdr& h) {
  if (h.nlmsg_len < NLMSG_LENGTH(sizeof(fib_rule_hdr))) return std::nullopt;
  const auto* f = static_cast<const fib_rule_hdr*>(NLMSG_DATA(&h));
  if (f->action != FR_ACT_TO_TBL) return std::nullopt;
  auto a = nl::Attrs::of(h, sizeof(fib_rule_hdr));
  Rule r;
  r.family = f->family;
  r.invert = (f->flags & FIB_RULE_INVERT) != 0;
  r.table = a.u32(FRA_TABLE).value_or(f->table);
  r.priority = a.u32(FRA_PRIORITY).value_or(0);
  r.fwmark = a.u32(FRA_FWMARK).value_or(0);
  r.fwmask = a.u32(FRA_FWMASK).value_or(0);
  r.protocol = a.u8(FRA_PROTOCOL).value_or(0);
  return r;
}

void append_device_route(std::vector<uint8_t>& buf, uint32_t seq, const rib::Prefix& prefix,
                         int ifindex, uint32_t table, uint8_t protocol) {
  nl::Builder b(buf);
  rtmsg r{};
  r.rtm_family = prefix.family() == rib::Family::v4 ? AF_INET : AF_INET6;
  r.rtm_dst_len = prefix.length();
  r.rtm_table = table < 256 ? static_cast<uint8_t>(table) : static_cast<uint8_t>(RT_TABLE_UNSPEC);
  r.rtm_protocol = protocol;
  r.rtm_scope = ifindex ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE;
  r.rtm_type = ifindex ? RTN_UNICAST : RTN_THROW;
  b.begin(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, seq, r);
  b.attr_bytes(RTA_DST, prefix.bytes());
  b.attr_u32(RTA_TABLE, table);
  if (ifindex) b.attr_u32(RTA_OIF, static_cast<uint32_t>(ifindex));
  b.end();
}

void append_table_route_dump(std::vector<uint8_t>& buf, uint32_t seq, uint8_t family,
                             uint32_t table, uint8_t protocol) {
  nl::Builder b(buf);
  rtmsg r{};
  r.rtm_family = family;
  r.rtm_table = table < 256 ? static_cast<uint8_t>(table) : static_cast<uint8_t>(RT_TABLE_UNSPEC);
  r.rtm_protocol = protocol;
  b.begin(RTM_GETROUTE, NLM_F_DUMP, seq, r);
  b.attr_u32(RTA_TABLE, table);
  b.end();
}

std::optional<DeviceRoute> parse_device_route(const nlmsghdr& h) {
  auto p = parse_route(h);
  if (!p) return std::nullopt;
  auto a = nl::Attrs::of(h, sizeof(rtmsg));
  DeviceRoute d;
  d.prefix = p->route.prefix;
  d.table = p->table;
  d.protocol = p->protocol;
  d.metric = p->route.metric;
  d.type = p->type;
  d.ifindex = static_cast<int>(a.u32(RTA_OIF).value_or(0));
  d.gateway = a.has(RTA_GATEWAY) || a.has(RTA_VIA) || a.has(RTA_MULTIPATH);
  return d;
}

}  // namespace podnet::dataplane::wg
