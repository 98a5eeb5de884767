#include "dataplane/wireguard_genl.hpp"

#include <arpa/inet.h>
#include <linux/genetlink.h>
#include <linux/rtnetlink.h>
#include <linux/wireguard.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>

#include "dataplane/netlink_builder.hpp"

namespace podnet::dataplane::wg {

namespace {

genlmsghdr genl(uint8_t cmd, uint8_t version) {
  genlmsghdr g{};
  g.cmd = cmd;
  g.version = version;
  return g;
}

void put_endpoint(nl::Builder& b, const Endpoint& e) {
  if (e.ip.family() == rib::Family::v4) {
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(e.port);
    std::memcpy(&sa.sin_addr, e.ip.bytes().data(), 4);
    b.attr(WGPEER_A_ENDPOINT, &sa, sizeof sa);
  } else {
    sockaddr_in6 sa{};
    sa.sin6_family = AF_INET6;
    sa.sin6_port = htons(e.port);
    std::memcpy(&sa.sin6_addr, e.ip.bytes().data(), 16);
    b.attr(WGPEER_A_ENDPOINT, &sa, sizeof sa);
  }
}

std::optional<Endpoint> endpoint_of(std::span<const uint8_t> raw) {
  if (raw.size() >= sizeof(sockaddr_in)) {
    sockaddr_in sa{};
    std::memcpy(&sa, raw.data(), sizeof sa);
    if (sa.sin_family == AF_INET) {
      return Endpoint{rib::Address::v4(ntohl(sa.sin_addr.s_addr)), ntohs(sa.sin_port)};
    }
  }
  if (raw.size() >= sizeof(sockaddr_in6)) {
    sockaddr_in6 sa{};
    std::memcpy(&sa, raw.data(), sizeof sa);
    if (sa.sin6_family == AF_INET6) {
      return Endpoint{rib::Address::from_bytes(rib::Family::v6, {sa.sin6_addr.s6_addr, 16}),
                      ntohs(sa.sin6_port)};
    }
  }
  return std::nullopt;
}

std::optional<Key> key_of(std::span<const uint8_t> raw) {
  if (raw.size() != 32) return std::nullopt;
  Key k{};
  std::memcpy(k.data(), raw.data(), 32);
  return k;
}

// Walks the attributes of a nested list (whose children's types are indices), in order.
template <class F>
void each_nested(std::span<const uint8_t> list, F f) {
  std::size_t off = 0;
  while (off + NLA_HDRLEN <= list.size()) {
    nlattr a{};
    std::memcpy(&a, list.data() + off, sizeof a);
    if (a.nla_len < NLA_HDRLEN || off + a.nla_len > list.size()) break;
    f(nl::Attrs(list.data() + off + NLA_HDRLEN, a.nla_len - NLA_HDRLEN));
    off += NLA_ALIGN(a.nla_len);
  }
}

}  // namespace

void append_family_request(std::vector<uint8_t>& buf, uint32_t seq) {
  nl::Builder b(buf);
  b.begin(GENL_ID_CTRL, 0, seq, genl(CTRL_CMD_GETFAMILY, 1));
  b.attr_str(CTRL_ATTR_FAMILY_NAME, WG_GENL_NAME);
  b.end();
}

std::optional<uint16_t> parse_family_id(const nlmsghdr& h) {
  if (h.nlmsg_type != GENL_ID_CTRL) return std::nullopt;
  return nl::Attrs::of(h, GENL_HDRLEN).u16(CTRL_ATTR_FAMILY_ID);
}

void append_get_device(std::vector<uint8_t>& buf, uint32_t seq, uint16_t family,
                       const std::string& ifname) {
  nl::Builder b(buf);
  b.begin(family, NLM_F_DUMP, seq, genl(WG_CMD_GET_DEVICE, WG_GENL_VERSION));
  b.attr_str(WGDEVICE_A_IFNAME, ifname);
  b.end();
}

Status merge_device_part(const nlmsghdr& h, DeviceState& s) {
  if (h.nlmsg_len < NLMSG_LENGTH(GENL_HDRLEN)) {
    return make_error(Errc::invalid, "wireguard genl: short message");
  }
  auto a = nl::Attrs::of(h, GENL_HDRLEN);
  if (auto k = key_of(a.get(WGDEVICE_A_PRIVATE_KEY))) s.private_key = *k;
  if (auto p = a.u16(WGDEVICE_A_LISTEN_PORT)) s.listen_port = *p;
  if (auto m = a.u32(WGDEVICE_A_FWMARK)) s.fwmark = *m;
  Status st = ok_status();
  each_nested(a.get(WGDEVICE_A_PEERS), [&](const nl::Attrs& pa) {
    auto key = key_of(pa.get(WGPEER_A_PUBLIC_KEY));
    if (!key) {
      st = make_error(Errc::invalid, "wireguard genl: peer without key");
      return;
    }
    PeerState* p = nullptr;
    if (!s.peers.empty() && s.peers.back().public_key == *key) {
      p = &s.peers.back();  // continued from the previous part
    } else {
      s.peers.push_back(PeerState{});
      p = &s.peers.back();
      p->public_key = *key;
    }
    if (auto e = endpoint_of(pa.get(WGPEER_A_ENDPOINT))) p->endpoint = *e;
    if (auto ka = pa.u16(WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL)) p->persistent_keepalive = *ka;
    each_nested(pa.get(WGPEER_A_ALLOWEDIPS), [&](const nl::Attrs& ia) {
      auto fam = ia.u16(WGALLOWEDIP_A_FAMILY);
      auto len = ia.u8(WGALLOWEDIP_A_CIDR_MASK);
      auto ip = ia.get(WGALLOWEDIP_A_IPADDR);
      if (!fam || !len) return;
      auto f = *fam == AF_INET ? rib::Family::v4 : rib::Family::v6;
      if (ip.size() < rib::address_bytes(f)) return;
      if (auto pfx = rib::Prefix::make(f, ip, *len)) p->allowed_ips.push_back(*pfx);
    });
  });
  return st;
}

void append_set_device(std::vector<uint8_t>& buf, uint32_t seq, uint16_t family,
                       const std::string& ifname, const DeviceUpdate& u) {
  nl::Builder b(buf);
  b.begin(family, 0, seq, genl(WG_CMD_SET_DEVICE, WG_GENL_VERSION));
  b.attr_str(WGDEVICE_A_IFNAME, ifname);
  if (u.private_key) b.attr(WGDEVICE_A_PRIVATE_KEY, u.private_key->data(), 32);
  if (u.listen_port) b.attr_u16(WGDEVICE_A_LISTEN_PORT, *u.listen_port);
  if (u.fwmark) b.attr_u32(WGDEVICE_A_FWMARK, *u.fwmark);
  if (!u.upsert.empty() || !u.remove.empty()) {
    auto peers = b.nest_begin(WGDEVICE_A_PEERS);
    uint16_t index = 0;
    for (const auto& p : u.upsert) {
      auto n = b.nest_begin(index++);
      b.attr(WGPEER_A_PUBLIC_KEY, p.public_key.data(), 32);
      b.attr_u32(WGPEER_A_FLAGS, WGPEER_F_REPLACE_ALLOWEDIPS);
      if (p.endpoint) put_endpoint(b, *p.endpoint);
      b.attr_u16(WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL, p.persistent_keepalive);
      auto ips = b.nest_begin(WGPEER_A_ALLOWEDIPS);
      uint16_t ipi = 0;
      for (const auto& pfx : p.allowed_ips) {
        auto in = b.nest_begin(ipi++);
        b.attr_u16(WGALLOWEDIP_A_FAMILY, pfx.family() == rib::Family::v4 ? AF_INET : AF_INET6);
        b.attr_bytes(WGALLOWEDIP_A_IPADDR, pfx.bytes());
        b.attr_u8(WGALLOWEDIP_A_CIDR_MASK, pfx.length());
        b.nest_end(in);
      }
      b.nest_end(ips);
      b.nest_end(n);
    }
    for (const auto& k : u.remove) {
      auto n = b.nest_begin(index++);
      b.attr(WGPEER_A_PUBLIC_KEY, k.data(), 32);
      b.attr_u32(WGPEER_A_FLAGS, WGPEER_F_REMOVE_ME);
      b.nest_end(n);
    }
    b.nest_end(peers);
  }
  b.end();
}

void append_new_wireguard_link(std::vector<uint8_t>& buf, uint32_t seq, const std::string& ifname) {
  nl::Builder b(buf);
  ifinfomsg ifi{};
  b.begin(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, seq, ifi);
  b.attr_str(IFLA_IFNAME, ifname);
  auto li = b.nest_begin(IFLA_LINKINFO);
  b.attr_str(IFLA_INFO_KIND, "wireguard");
  b.nest_end(li);
  b.end();
}

}  // namespace podnet::dataplane::wg
