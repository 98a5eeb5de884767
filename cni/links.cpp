#include "cni/links.hpp"

#include <arpa/inet.h>
#include <linux/if.h>
#include <linux/rtnetlink.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>

#include <memory>

#include <fmt/format.h>

namespace podnet::cni {

namespace {

Error nl_error(int err, const std::string& what) {
  const int e = err < 0 ? -err : err;
  Errc code = Errc::io;
  if (e == NLE_EXIST) code = Errc::already_exists;
  if (e == NLE_OBJ_NOTFOUND || e == NLE_NODEV) code = Errc::not_found;
  return make_error(code, fmt::format("{}: {}", what, nl_geterror(e)));
}

struct AddrDel {
  void operator()(nl_addr* a) const { nl_addr_put(a); }
};
using AddrPtr = std::unique_ptr<nl_addr, AddrDel>;

Result<AddrPtr> parse(const std::string& text, int family) {
  nl_addr* a = nullptr;
  int err = nl_addr_parse(text.c_str(), family, &a);
  if (err < 0) return nl_error(err, fmt::format("address '{}'", text));
  return AddrPtr(a);
}

int family_of(const std::string& s) {
  return s.find(':') == std::string::npos ? AF_INET : AF_INET6;
}

std::string addr_text(nl_addr* a, bool with_prefix) {
  if (!a) return "";
  char buf[INET6_ADDRSTRLEN] = {};
  const int fam = nl_addr_get_family(a);
  if (nl_addr_get_len(a) == 0) {
    std::string zero = fam == AF_INET6 ? "::" : "0.0.0.0";
    return with_prefix ? zero + "/0" : zero;
  }
  ::inet_ntop(fam, nl_addr_get_binary_addr(a), buf, sizeof buf);
  std::string s = buf;
  if (with_prefix) s += "/" + std::to_string(nl_addr_get_prefixlen(a));
  return s;
}

struct CacheDel {
  void operator()(nl_cache* c) const { nl_cache_free(c); }
};

}  // namespace

Rtnl::~Rtnl() {
  if (sock_) nl_socket_free(sock_);
}

Status Rtnl::open() {
  sock_ = nl_socket_alloc();
  if (!sock_) return make_error(Errc::io, "nl_socket_alloc failed");
  int err = nl_connect(sock_, NETLINK_ROUTE);
  if (err < 0) return nl_error(err, "netlink connect");
  return ok_status();
}

Result<std::optional<LinkState>> Rtnl::link(const std::string& name) {
  rtnl_link* l = nullptr;
  int err = rtnl_link_get_kernel(sock_, 0, name.c_str(), &l);
  if (err < 0) {
    if (-err == NLE_OBJ_NOTFOUND || -err == NLE_NODEV) return std::optional<LinkState>{};
    return nl_error(err, fmt::format("link {}", name));
  }
  LinkState s;
  s.ifindex = rtnl_link_get_ifindex(l);
  s.name = rtnl_link_get_name(l);
  if (const char* t = rtnl_link_get_type(l)) s.kind = t;
  if (nl_addr* a = rtnl_link_get_addr(l)) {
    char buf[64] = {};
    nl_addr2str(a, buf, sizeof buf);
    s.mac = buf;
  }
  s.mtu = rtnl_link_get_mtu(l);
  s.up = (rtnl_link_get_flags(l) & IFF_UP) != 0;
  rtnl_link_put(l);
  return std::optional<LinkState>(s);
}

Status Rtnl::create_veth(const std::string& name, const std::string& mac, const std::string& peer,
                         int peer_netns_fd, uint32_t mtu) {
  auto hw = parse(mac, AF_LLC);
  if (!hw) return hw.error();
  rtnl_link* l = rtnl_link_veth_alloc();
  if (!l) return make_error(Errc::io, "rtnl_link_veth_alloc failed");
  rtnl_link_set_name(l, name.c_str());
  rtnl_link_set_mtu(l, mtu);
  rtnl_link_set_addr(l, hw->get());
  rtnl_link* p = rtnl_link_veth_get_peer(l);
  rtnl_link_set_name(p, peer.c_str());
  rtnl_link_set_mtu(p, mtu);
  rtnl_link_set_ns_fd(p, peer_netns_fd);
  rtnl_link_put(p);
  int err = rtnl_link_add(sock_, l, NLM_F_CREATE | NLM_F_EXCL);
  rtnl_link_veth_release(l);
  if (err < 0) return nl_error(err, fmt::format("creating veth {} (peer {})", name, peer));
  return ok_status();
}

Status Rtnl::set_up(const std::string& name) {
  rtnl_link* orig = nullptr;
  int err = rtnl_link_get_kernel(sock_, 0, name.c_str(), &orig);
  if (err < 0) return nl_error(err, fmt::format("link {}", name));
  rtnl_link* change = rtnl_link_alloc();
  rtnl_link_set_flags(change, IFF_UP);
  err = rtnl_link_change(sock_, orig, change, 0);
  rtnl_link_put(change);
  rtnl_link_put(orig);
  if (err < 0) return nl_error(err, fmt::format("setting {} up", name));
  return ok_status();
}

Status Rtnl::delete_link(const std::string& name) {
  rtnl_link* l = rtnl_link_alloc();
  rtnl_link_set_name(l, name.c_str());
  int err = rtnl_link_delete(sock_, l);
  rtnl_link_put(l);
  if (err < 0) return nl_error(err, fmt::format("deleting link {}", name));
  return ok_status();
}

Status Rtnl::add_address(int ifindex, const std::string& cidr) {
  const int fam = family_of(cidr);
  auto local = parse(cidr, fam);
  if (!local) return local.error();
  rtnl_addr* a = rtnl_addr_alloc();
  rtnl_addr_set_ifindex(a, ifindex);
  rtnl_addr_set_family(a, fam);
  rtnl_addr_set_local(a, local->get());
  rtnl_addr_set_prefixlen(a, nl_addr_get_prefixlen(local->get()));
  // An IPv6 /128 on a point-to-point veth cannot clash; DAD would only delay the pod's traffic.
  if (fam == AF_INET6) rtnl_addr_set_flags(a, IFA_F_NODAD);
  int err = rtnl_addr_add(sock_, a, 0);
  rtnl_addr_put(a);
  if (err < 0) return nl_error(err, fmt::format("adding address {}", cidr));
  return ok_status();
}

Status Rtnl::add_route(int ifindex, const std::string& dst, const std::string& gw,
                       bool scope_link) {
  const int fam = family_of(dst);
  auto d = parse(dst, fam);
  if (!d) return d.error();
  rtnl_route* r = rtnl_route_alloc();
  rtnl_route_set_family(r, static_cast<uint8_t>(fam));
  rtnl_route_set_table(r, RT_TABLE_MAIN);
  rtnl_route_set_protocol(r, RTPROT_BOOT);
  rtnl_route_set_type(r, RTN_UNICAST);
  rtnl_route_set_scope(r, scope_link ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE);
  rtnl_route_set_dst(r, d->get());
  rtnl_nexthop* nh = rtnl_route_nh_alloc();
  rtnl_route_nh_set_ifindex(nh, ifindex);
  if (!gw.empty()) {
    auto g = parse(gw, fam);
    if (!g) {
      rtnl_route_nh_free(nh);
      rtnl_route_put(r);
      return g.error();
    }
    rtnl_route_nh_set_gateway(nh, g->get());
  }
  rtnl_route_add_nexthop(r, nh);  // the route owns nh now
  int err = rtnl_route_add(sock_, r, NLM_F_EXCL);
  rtnl_route_put(r);
  if (err < 0)
    return nl_error(err, fmt::format("adding route {}{}", dst, gw.empty() ? "" : " via " + gw));
  return ok_status();
}

Result<std::vector<std::string>> Rtnl::addresses(int ifindex, int family) {
  nl_cache* raw = nullptr;
  int err = rtnl_addr_alloc_cache(sock_, &raw);
  if (err < 0) return nl_error(err, "listing addresses");
  std::unique_ptr<nl_cache, CacheDel> cache(raw);
  std::vector<std::string> out;
  for (nl_object* o = nl_cache_get_first(raw); o; o = nl_cache_get_next(o)) {
    auto* a = reinterpret_cast<rtnl_addr*>(o);
    if (rtnl_addr_get_ifindex(a) != ifindex || rtnl_addr_get_family(a) != family) continue;
    std::string s = addr_text(rtnl_addr_get_local(a), false);
    out.push_back(s + "/" + std::to_string(rtnl_addr_get_prefixlen(a)));
  }
  return out;
}

Result<std::vector<RouteState>> Rtnl::routes(int family) {
  nl_cache* raw = nullptr;
  int err = rtnl_route_alloc_cache(sock_, family, 0, &raw);
  if (err < 0) return nl_error(err, "listing routes");
  std::unique_ptr<nl_cache, CacheDel> cache(raw);
  std::vector<RouteState> out;
  for (nl_object* o = nl_cache_get_first(raw); o; o = nl_cache_get_next(o)) {
    auto* r = reinterpret_cast<rtnl_route*>(o);
    if (rtnl_route_get_table(r) != RT_TABLE_MAIN) continue;
    RouteState s;
    s.dst = addr_text(rtnl_route_get_dst(r), true);
    s.scope = rtnl_route_get_scope(r);
    if (rtnl_route_get_nnexthops(r) > 0) {
      rtnl_nexthop* nh = rtnl_route_nexthop_n(r, 0);
      s.oif = rtnl_route_nh_get_ifindex(nh);
      s.gw = addr_text(rtnl_route_nh_get_gateway(nh), false);
    }
    out.push_back(s);
  }
  return out;
}

}  // namespace podnet::cni
