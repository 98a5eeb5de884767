#include "dataplane/route_message.hpp"

#include "dataplane/netlink_builder.hpp"

#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cstring>

namespace podnet::dataplane {

namespace {

int af(rib::Family f) {
  return f == rib::Family::v4 ? AF_INET : AF_INET6;
}

// Appends bytes at the end of buf, padded to the netlink alignment; returns the offset.
std::size_t put(std::vector<uint8_t>& buf, const void* data, std::size_t len) {
  std::size_t off = buf.size();
  buf.resize(off + NLMSG_ALIGN(len));
  if (len) std::memcpy(buf.data() + off, data, len);
  return off;
}

std::size_t put_attr(std::vector<uint8_t>& buf, uint16_t type, const void* data, std::size_t len) {
  return nl::append_attr(buf, type, data, len);
}

void put_u32(std::vector<uint8_t>& buf, uint16_t type, uint32_t v) {
  put_attr(buf, type, &v, sizeof v);
}

// A gateway in the route's own family is RTA_GATEWAY; an IPv6 gateway of an IPv4 route
// (RFC 8950) is RTA_VIA.
void put_gateway(std::vector<uint8_t>& buf, rib::Family route_family, const rib::Address& gw) {
  if (gw.family() == route_family) {
    put_attr(buf, RTA_GATEWAY, gw.bytes().data(), gw.bytes().size());
    return;
  }
  uint8_t via[2 + 16] = {};
  uint16_t fam = static_cast<uint16_t>(af(gw.family()));
  std::memcpy(via, &fam, 2);
  std::memcpy(via + 2, gw.bytes().data(), gw.bytes().size());
  put_attr(buf, RTA_VIA, via, 2 + gw.bytes().size());
}

std::size_t begin_route(std::vector<uint8_t>& buf, uint16_t type, uint16_t flags, uint32_t seq,
                        const rib::Prefix& prefix, const RouteKey& key, uint8_t rtype,
                        uint8_t scope) {
  nlmsghdr h{};
  h.nlmsg_type = type;
  h.nlmsg_flags = static_cast<uint16_t>(NLM_F_REQUEST | flags);
  h.nlmsg_seq = seq;
  std::size_t start = put(buf, &h, sizeof h);
  rtmsg r{};
  r.rtm_family = static_cast<uint8_t>(af(prefix.family()));
  r.rtm_dst_len = prefix.length();
  r.rtm_table =
      key.table < 256 ? static_cast<uint8_t>(key.table) : static_cast<uint8_t>(RT_TABLE_UNSPEC);
  r.rtm_protocol = key.protocol;
  r.rtm_scope = scope;
  r.rtm_type = rtype;
  put(buf, &r, sizeof r);
  put_attr(buf, RTA_DST, prefix.bytes().data(), prefix.bytes().size());
  put_u32(buf, RTA_TABLE, key.table);
  put_u32(buf, RTA_PRIORITY, key.metric);
  return start;
}

void finish(std::vector<uint8_t>& buf, std::size_t start) {
  auto len = static_cast<uint32_t>(buf.size() - start);
  std::memcpy(buf.data() + start + offsetof(nlmsghdr, nlmsg_len), &len, sizeof len);
}

}  // namespace

void append_new_route(std::vector<uint8_t>& buf, uint32_t seq, bool ack, bool replace,
                      const rib::Prefix& prefix, const RouteSpec& spec, const RouteKey& key) {
  bool bh = spec.kind == RouteSpec::Kind::blackhole;
  uint16_t flags = NLM_F_CREATE | (replace ? NLM_F_REPLACE : NLM_F_EXCL) | (ack ? NLM_F_ACK : 0);
  std::size_t start = begin_route(buf, RTM_NEWROUTE, flags, seq, prefix, key,
                                  bh ? RTN_BLACKHOLE : RTN_UNICAST, RT_SCOPE_UNIVERSE);
  if (!bh) {
    if (spec.nexthops.size() == 1) {
      const auto& h = spec.nexthops.front();
      if (h.onlink) {
        auto* r = reinterpret_cast<rtmsg*>(buf.data() + start + NLMSG_HDRLEN);
        r->rtm_flags |= RTNH_F_ONLINK;
      }
      put_gateway(buf, prefix.family(), h.gateway);
      if (h.ifindex) put_u32(buf, RTA_OIF, static_cast<uint32_t>(h.ifindex));
    } else if (!spec.nexthops.empty()) {
      std::size_t mp = put_attr(buf, RTA_MULTIPATH, nullptr, 0);
      for (const auto& h : spec.nexthops) {
        rtnexthop nh{};
        nh.rtnh_ifindex = h.ifindex;
        if (h.onlink) nh.rtnh_flags = RTNH_F_ONLINK;
        std::size_t nh_off = put(buf, &nh, sizeof nh);
        put_gateway(buf, prefix.family(), h.gateway);
        auto nlen = static_cast<unsigned short>(buf.size() - nh_off);
        std::memcpy(buf.data() + nh_off + offsetof(rtnexthop, rtnh_len), &nlen, sizeof nlen);
      }
      auto alen = static_cast<unsigned short>(buf.size() - mp);
      std::memcpy(buf.data() + mp + offsetof(rtattr, rta_len), &alen, sizeof alen);
    }
  }
  finish(buf, start);
}

void append_del_route(std::vector<uint8_t>& buf, uint32_t seq, bool ack, const rib::Prefix& prefix,
                      const RouteKey& key) {
  // RTN_UNSPEC and RT_SCOPE_NOWHERE are wildcards: blackhole or unicast, whatever is there.
  std::size_t start = begin_route(buf, RTM_DELROUTE, ack ? NLM_F_ACK : 0, seq, prefix, key,
                                  RTN_UNSPEC, RT_SCOPE_NOWHERE);
  finish(buf, start);
}

void append_dump_request(std::vector<uint8_t>& buf, uint32_t seq) {
  nlmsghdr h{};
  h.nlmsg_type = RTM_GETROUTE;
  h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  h.nlmsg_seq = seq;
  std::size_t start = put(buf, &h, sizeof h);
  rtmsg r{};
  r.rtm_family = AF_UNSPEC;
  put(buf, &r, sizeof r);
  finish(buf, start);
}

namespace {

std::optional<rib::Address> address_of(int family, const rtattr* a) {
  std::size_t len = RTA_PAYLOAD(a);
  if (family == AF_INET && len >= 4) {
    return rib::Address::from_bytes(rib::Family::v4, {static_cast<const uint8_t*>(RTA_DATA(a)), 4});
  }
  if (family == AF_INET6 && len >= 16) {
    return rib::Address::from_bytes(rib::Family::v6,
                                    {static_cast<const uint8_t*>(RTA_DATA(a)), 16});
  }
  return std::nullopt;
}

std::optional<rib::Address> via_of(const rtattr* a) {
  if (RTA_PAYLOAD(a) < 2) return std::nullopt;
  uint16_t fam = 0;
  std::memcpy(&fam, RTA_DATA(a), 2);
  std::size_t need = fam == AF_INET ? 4 : 16;
  if (RTA_PAYLOAD(a) < 2 + need) return std::nullopt;
  auto f = fam == AF_INET ? rib::Family::v4 : rib::Family::v6;
  return rib::Address::from_bytes(f, {static_cast<const uint8_t*>(RTA_DATA(a)) + 2, need});
}

}  // namespace

std::optional<ParsedRoute> parse_route(const nlmsghdr& h) {
  if (h.nlmsg_len < NLMSG_LENGTH(sizeof(rtmsg))) return std::nullopt;
  const auto* r = static_cast<const rtmsg*>(NLMSG_DATA(&h));
  if (r->rtm_family != AF_INET && r->rtm_family != AF_INET6) return std::nullopt;
  auto fam = r->rtm_family == AF_INET ? rib::Family::v4 : rib::Family::v6;
  ParsedRoute out;
  out.table = r->rtm_table;
  out.protocol = r->rtm_protocol;
  out.type = r->rtm_type;
  std::optional<rib::Address> dst;
  std::vector<NextHop> hops;
  NextHop single;
  bool have_gw = false;
  int len = static_cast<int>(RTM_PAYLOAD(&h));
  for (auto* a = RTM_RTA(r); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
    switch (a->rta_type) {
      case RTA_DST:
        dst = address_of(r->rtm_family, a);
        break;
      case RTA_TABLE:
        if (RTA_PAYLOAD(a) >= 4) std::memcpy(&out.table, RTA_DATA(a), 4);
        break;
      case RTA_PRIORITY:
        if (RTA_PAYLOAD(a) >= 4) std::memcpy(&out.route.metric, RTA_DATA(a), 4);
        break;
      case RTA_OIF:
        if (RTA_PAYLOAD(a) >= 4) std::memcpy(&single.ifindex, RTA_DATA(a), 4);
        break;
      case RTA_GATEWAY:
        if (auto g = address_of(r->rtm_family, a)) single.gateway = *g, have_gw = true;
        break;
      case RTA_VIA:
        if (auto g = via_of(a)) single.gateway = *g, have_gw = true;
        break;
      case RTA_MULTIPATH: {
        auto* nh = static_cast<const rtnexthop*>(RTA_DATA(a));
        int left = static_cast<int>(RTA_PAYLOAD(a));
        while (left >= static_cast<int>(sizeof(rtnexthop)) && nh->rtnh_len >= sizeof(rtnexthop) &&
               nh->rtnh_len <= left) {
          NextHop hop;
          hop.ifindex = nh->rtnh_ifindex;
          hop.onlink = (nh->rtnh_flags & RTNH_F_ONLINK) != 0;
          int alen = nh->rtnh_len - static_cast<int>(RTNH_LENGTH(0));
          for (auto* na = RTNH_DATA(nh); RTA_OK(na, alen); na = RTA_NEXT(na, alen)) {
            if (na->rta_type == RTA_GATEWAY) {
              if (auto g = address_of(r->rtm_family, na)) hop.gateway = *g;
            } else if (na->rta_type == RTA_VIA) {
              if (auto g = via_of(na)) hop.gateway = *g;
            }
          }
          hops.push_back(hop);
          left -= RTNH_ALIGN(nh->rtnh_len);
          nh = RTNH_NEXT(nh);
        }
        break;
      }
      default:
        break;
    }
  }
  std::vector<uint8_t> zero(16, 0);
  auto p =
      dst ? rib::Prefix::make(*dst, r->rtm_dst_len) : rib::Prefix::make(fam, zero, r->rtm_dst_len);
  if (!p) return std::nullopt;
  out.route.prefix = *p;
  single.onlink = (r->rtm_flags & RTNH_F_ONLINK) != 0;
  if (r->rtm_type == RTN_BLACKHOLE) {
    out.route.spec = RouteSpec::blackhole();
  } else {
    if (have_gw) hops.push_back(single);
    out.route.spec = RouteSpec::unicast(std::move(hops));
  }
  return out;
}

}  // namespace podnet::dataplane
