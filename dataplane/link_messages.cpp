#include "dataplane/link_messages.hpp"

#include <arpa/inet.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/if_tunnel.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include "dataplane/netlink_builder.hpp"

namespace podnet::dataplane {

namespace {

uint8_t af(const rib::Address& a) {
  return a.family() == rib::Family::v4 ? AF_INET : AF_INET6;
}

std::optional<rib::Address> address_from(std::span<const uint8_t> d) {
  if (d.size() == 4) return rib::Address::from_bytes(rib::Family::v4, d);
  if (d.size() == 16) return rib::Address::from_bytes(rib::Family::v6, d);
  return std::nullopt;
}

std::optional<Mac> mac_from(std::span<const uint8_t> d) {
  if (d.size() != 6) return std::nullopt;
  Mac m;
  std::copy(d.begin(), d.end(), m.begin());
  return m;
}

ifinfomsg link_body(int ifindex) {
  ifinfomsg i{};
  i.ifi_family = AF_UNSPEC;
  i.ifi_index = ifindex;
  return i;
}

}  // namespace

void append_new_vxlan_link(std::vector<uint8_t>& buf, uint32_t seq, const VxlanLinkParams& p) {
  nl::Builder b(buf);
  b.begin(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, seq, link_body(0));
  b.attr_str(IFLA_IFNAME, p.name);
  b.attr_u32(IFLA_MTU, p.mtu);
  b.attr_bytes(IFLA_ADDRESS, p.mac);
  auto info = b.nest_begin(IFLA_LINKINFO);
  b.attr_str(IFLA_INFO_KIND, "vxlan");
  auto data = b.nest_begin(IFLA_INFO_DATA);
  b.attr_u32(IFLA_VXLAN_ID, p.vni);
  if (p.parent_ifindex) b.attr_u32(IFLA_VXLAN_LINK, static_cast<uint32_t>(p.parent_ifindex));
  if (!p.local.is_unspecified()) {
    b.attr_bytes(p.local.family() == rib::Family::v4 ? IFLA_VXLAN_LOCAL : IFLA_VXLAN_LOCAL6,
                 p.local.bytes());
  }
  b.attr_u16(IFLA_VXLAN_PORT, htons(p.port));
  b.attr_u8(IFLA_VXLAN_LEARNING, 0);
  b.nest_end(data);
  b.nest_end(info);
  b.end();
}

void append_new_ipip_link(std::vector<uint8_t>& buf, uint32_t seq, const std::string& name,
                          uint32_t mtu) {
  nl::Builder b(buf);
  b.begin(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, seq, link_body(0));
  b.attr_str(IFLA_IFNAME, name);
  if (mtu) b.attr_u32(IFLA_MTU, mtu);
  auto info = b.nest_begin(IFLA_LINKINFO);
  b.attr_str(IFLA_INFO_KIND, "ipip");
  auto data = b.nest_begin(IFLA_INFO_DATA);
  b.attr_u8(IFLA_IPTUN_PMTUDISC, 1);
  b.nest_end(data);
  b.nest_end(info);
  b.end();
}

void append_set_link(std::vector<uint8_t>& buf, uint32_t seq, int ifindex,
                     std::optional<uint32_t> mtu, std::optional<Mac> mac, bool set_up) {
  nl::Builder b(buf);
  ifinfomsg i = link_body(ifindex);
  if (set_up) {
    i.ifi_flags = IFF_UP;
    i.ifi_change = IFF_UP;
  }
  b.begin(RTM_NEWLINK, 0, seq, i);
  if (mtu) b.attr_u32(IFLA_MTU, *mtu);
  if (mac) b.attr_bytes(IFLA_ADDRESS, *mac);
  b.end();
}

void append_del_link(std::vector<uint8_t>& buf, uint32_t seq, int ifindex) {
  nl::Builder b(buf);
  b.begin(RTM_DELLINK, 0, seq, link_body(ifindex));
  b.end();
}

void append_addr(std::vector<uint8_t>& buf, uint32_t seq, bool add, int ifindex,
                 const rib::Address& a, uint8_t prefix_length) {
  nl::Builder b(buf);
  ifaddrmsg m{};
  m.ifa_family = af(a);
  m.ifa_prefixlen = prefix_length;
  m.ifa_scope = RT_SCOPE_UNIVERSE;
  m.ifa_index = static_cast<uint32_t>(ifindex);
  b.begin(add ? RTM_NEWADDR : RTM_DELADDR, add ? NLM_F_CREATE | NLM_F_REPLACE : 0, seq, m);
  b.attr_bytes(IFA_LOCAL, a.bytes());
  b.attr_bytes(IFA_ADDRESS, a.bytes());
  b.end();
}

void append_neigh(std::vector<uint8_t>& buf, uint32_t seq, bool add, int ifindex,
                  const rib::Address& ip, const Mac& mac) {
  nl::Builder b(buf);
  ndmsg n{};
  n.ndm_family = af(ip);
  n.ndm_ifindex = ifindex;
  n.ndm_state = NUD_PERMANENT;
  b.begin(add ? RTM_NEWNEIGH : RTM_DELNEIGH, add ? NLM_F_CREATE | NLM_F_REPLACE : 0, seq, n);
  b.attr_bytes(NDA_DST, ip.bytes());
  if (add) b.attr_bytes(NDA_LLADDR, mac);
  b.end();
}

void append_fdb(std::vector<uint8_t>& buf, uint32_t seq, bool add, int ifindex, const Mac& mac,
                const rib::Address& dst) {
  nl::Builder b(buf);
  ndmsg n{};
  n.ndm_family = AF_BRIDGE;
  n.ndm_ifindex = ifindex;
  n.ndm_state = NUD_PERMANENT;
  n.ndm_flags = NTF_SELF;
  // Create-or-replace: with NLM_F_APPEND the vxlan driver would add a second remote instead.
  b.begin(add ? RTM_NEWNEIGH : RTM_DELNEIGH, add ? NLM_F_CREATE | NLM_F_REPLACE : 0, seq, n);
  b.attr_bytes(NDA_LLADDR, mac);
  b.attr_bytes(NDA_DST, dst.bytes());
  b.end();
}

namespace {

template <class Body>
void append_dump(std::vector<uint8_t>& buf, uint16_t type, uint32_t seq, const Body& body) {
  nl::Builder b(buf);
  b.begin(type, NLM_F_DUMP, seq, body);
  b.end();
}

}  // namespace

void append_link_dump(std::vector<uint8_t>& buf, uint32_t seq) {
  append_dump(buf, RTM_GETLINK, seq, link_body(0));
}

void append_addr_dump(std::vector<uint8_t>& buf, uint32_t seq, uint8_t family) {
  ifaddrmsg m{};
  m.ifa_family = family;
  append_dump(buf, RTM_GETADDR, seq, m);
}

void append_neigh_dump(std::vector<uint8_t>& buf, uint32_t seq, uint8_t family) {
  ndmsg n{};
  n.ndm_family = family;
  append_dump(buf, RTM_GETNEIGH, seq, n);
}

std::optional<LinkInfo> parse_link(const nlmsghdr& h) {
  if (h.nlmsg_len < NLMSG_LENGTH(sizeof(ifinfomsg))) return std::nullopt;
  const auto* i = static_cast<const ifinfomsg*>(NLMSG_DATA(&h));
  auto a = nl::Attrs::of(h, sizeof(ifinfomsg));
  LinkInfo out;
  out.ifindex = i->ifi_index;
  out.flags = i->ifi_flags;
  out.name = a.str(IFLA_IFNAME).value_or("");
  out.mtu = a.u32(IFLA_MTU).value_or(0);
  out.mac = mac_from(a.get(IFLA_ADDRESS));
  auto info = a.nested(IFLA_LINKINFO);
  out.kind = info.str(IFLA_INFO_KIND).value_or("");
  if (out.kind == "vxlan") {
    auto d = info.nested(IFLA_INFO_DATA);
    out.vni = d.u32(IFLA_VXLAN_ID);
    if (auto p = d.u16(IFLA_VXLAN_PORT)) out.port = ntohs(*p);
    out.vxlan_link = d.u32(IFLA_VXLAN_LINK);
    out.vxlan_local = address_from(d.get(IFLA_VXLAN_LOCAL));
    out.learning = d.u8(IFLA_VXLAN_LEARNING);
  }
  return out;
}

std::optional<AddrInfo> parse_addr(const nlmsghdr& h) {
  if (h.nlmsg_len < NLMSG_LENGTH(sizeof(ifaddrmsg))) return std::nullopt;
  const auto* m = static_cast<const ifaddrmsg*>(NLMSG_DATA(&h));
  auto a = nl::Attrs::of(h, sizeof(ifaddrmsg));
  auto addr = address_from(a.has(IFA_LOCAL) ? a.get(IFA_LOCAL) : a.get(IFA_ADDRESS));
  if (!addr) return std::nullopt;
  return AddrInfo{static_cast<int>(m->ifa_index), *addr, m->ifa_prefixlen};
}

std::optional<NeighInfo> parse_neigh(const nlmsghdr& h) {
  if (h.nlmsg_len < NLMSG_LENGTH(sizeof(ndmsg))) return std::nullopt;
  const auto* n = static_cast<const ndmsg*>(NLMSG_DATA(&h));
  auto a = nl::Attrs::of(h, sizeof(ndmsg));
  NeighInfo out;
  out.family = n->ndm_family;
  out.ifindex = n->ndm_ifindex;
  out.state = n->ndm_state;
  out.flags = n->ndm_flags;
  out.dst = address_from(a.get(NDA_DST));
  out.lladdr = mac_from(a.get(NDA_LLADDR));
  return out;
}

}  // namespace podnet::dataplane
