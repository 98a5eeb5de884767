#include "dataplane/encap.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "conf/types/ipam.hpp"
#include "conf/types/routing.hpp"

namespace podnet::dataplane {

Result<Mac> parse_mac(std::string_view text) {
  Mac m{};
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  // Six pairs of hex digits with one separator between them: 17 characters.
  if (text.size() != 17)
    return make_error(Errc::invalid, "bad MAC address \"" + std::string(text) + "\"");
  for (std::size_t i = 0; i < 6; ++i) {
    int hi = hex(text[i * 3]);
    int lo = hex(text[i * 3 + 1]);
    bool sep_ok = i == 5 || text[i * 3 + 2] == ':' || text[i * 3 + 2] == '-';
    if (hi < 0 || lo < 0 || !sep_ok) {
      return make_error(Errc::invalid, "bad MAC address \"" + std::string(text) + "\"");
    }
    m[i] = static_cast<uint8_t>(hi * 16 + lo);
  }
  return m;
}

std::string to_string(const Mac& m) {
  char buf[18];
  std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4],
                m[5]);
  return buf;
}

Mac mac_for_node(std::string_view node_name) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  Mac m{};
  m[0] = 'f';
  if (EVP_Digest(node_name.data(), node_name.size(), digest, &len, EVP_sha1(), nullptr) != 1 ||
      len < 5) {
    return m;  // cannot happen with a working libcrypto; still a valid local MAC
  }
  for (int i = 0; i < 5; ++i) m[static_cast<std::size_t>(i) + 1] = digest[i];
  return m;
}

namespace encap {

Result<Mode> parse_mode(std::string_view text) {
  if (text.empty() || text == "Never") return Mode::never;
  if (text == "Always") return Mode::always;
  if (text == "CrossSubnet") return Mode::cross_subnet;
  return make_error(Errc::invalid, "unknown encapsulation mode \"" + std::string(text) +
                                       "\" (Never, Always or CrossSubnet)");
}

const char* mode_name(Mode m) {
  switch (m) {
    case Mode::never:
      return "Never";
    case Mode::always:
      return "Always";
    case Mode::cross_subnet:
      return "CrossSubnet";
  }
  return "?";
}

const char* kind_name(Kind k) {
  switch (k) {
    case Kind::direct:
      return "direct";
    case Kind::vxlan:
      return "vxlan";
    case Kind::ipip:
      return "ipip";
  }
  return "?";
}

rib::Prefix LocalNode::subnet() const {
  auto p = rib::Prefix::make(ip, prefix_length);
  return p ? *p : rib::Prefix();
}

const Pool* pool_of(const std::vector<Pool>& pools, const rib::Prefix& dst) {
  const Pool* best = nullptr;
  for (const auto& p : pools) {
    if (p.cidr.family() != dst.family() || !p.cidr.contains(dst)) continue;
    if (!best || p.cidr.length() > best->cidr.length()) best = &p;
  }
  return best;
}

namespace {

bool applies(Mode m, bool same_subnet) {
  return m == Mode::always || (m == Mode::cross_subnet && !same_subnet);
}

bool in_subnet(const LocalNode& local, const rib::Address& a) {
  return local.ip.family() == a.family() && local.subnet().contains(a);
}

}  // namespace

Kind choose(const Pool* pool, const LocalNode& local, const RemoteNode& remote) {
  if (!pool) return Kind::direct;
  bool same = in_subnet(local, remote.ip);
  if (applies(pool->vxlan, same)) return Kind::vxlan;
  if (applies(pool->ipip, same)) return Kind::ipip;
  return Kind::direct;
}

Result<RouteSpec> route_for(const std::vector<Pool>& pools, const LocalNode& local,
                            const RemoteNode& remote, const rib::Prefix& dst) {
  NextHop h;
  switch (choose(pool_of(pools, dst), local, remote)) {
    case Kind::vxlan:
      if (!remote.vxlan_tunnel_ip) {
        return make_error(Errc::unavailable,
                          "node " + remote.name + " has no VXLAN tunnel address yet");
      }
      h.gateway = *remote.vxlan_tunnel_ip;
      h.dev = kVxlanDevice;
      h.onlink = true;
      break;
    case Kind::ipip:
      h.gateway = remote.ip;
      h.dev = kIpipDevice;
      h.onlink = true;
      break;
    case Kind::direct:
      h.gateway = remote.ip;
      // On our own segment the node is a neighbour: say so, on the interface that holds our
      // address. Elsewhere the kernel resolves the gateway through its own routes.
      if (in_subnet(local, remote.ip) && !local.interface.empty()) {
        h.dev = local.interface;
        h.onlink = true;
      }
      break;
  }
  return RouteSpec::unicast({h});
}

void Planner::set_remote_nodes(std::vector<RemoteNode> nodes) {
  std::sort(nodes.begin(), nodes.end(),
            [](const RemoteNode& a, const RemoteNode& b) { return a.ip < b.ip; });
  remotes_ = std::move(nodes);
}

Result<RouteSpec> Planner::apply(const rib::Prefix& dst, const RouteSpec& spec) const {
  if (spec.kind != RouteSpec::Kind::unicast || !local_) return spec;
  std::vector<NextHop> hops;
  std::string first_error;
  for (const auto& h : spec.nexthops) {
    auto it = std::lower_bound(remotes_.begin(), remotes_.end(), h.gateway,
                               [](const RemoteNode& n, const rib::Address& a) { return n.ip < a; });
    if (it == remotes_.end() || it->ip != h.gateway) {
      hops.push_back(h);
      continue;
    }
    auto r = route_for(pools_, *local_, *it, dst);
    if (!r) {
      if (first_error.empty()) first_error = r.error().message;
      continue;
    }
    hops.insert(hops.end(), r->nexthops.begin(), r->nexthops.end());
  }
  if (hops.empty()) return make_error(Errc::unavailable, first_error);
  return RouteSpec::unicast(std::move(hops));
}

Result<Pool> pool_from(const conf::types::IPPool& p) {
  auto cidr = rib::Prefix::parse(p.spec.cidr);
  if (!cidr)
    return make_error(Errc::invalid, "pool " + p.metadata.name + ": " + cidr.error().message);
  auto ipip = parse_mode(p.spec.ipip_mode);
  if (!ipip)
    return make_error(Errc::invalid,
                      "pool " + p.metadata.name + ": ipipMode: " + ipip.error().message);
  auto vxlan = parse_mode(p.spec.vxlan_mode);
  if (!vxlan)
    return make_error(Errc::invalid,
                      "pool " + p.metadata.name + ": vxlanMode: " + vxlan.error().message);
  return Pool{*cidr, *ipip, *vxlan};
}

std::vector<Pool> pools_from(const std::vector<conf::types::IPPool>& pools,
                             std::vector<Error>* errors) {
  std::vector<Pool> out;
  for (const auto& p : pools) {
    auto r = pool_from(p);
    if (r) {
      out.push_back(*r);
    } else if (errors) {
      errors->push_back(r.error());
    }
  }
  return out;
}

namespace {

// "10.0.1.5/24" -> (10.0.1.5, 24); "10.0.1.5" -> (10.0.1.5, 32).
Result<std::pair<rib::Address, uint8_t>> address_and_length(const std::string& text) {
  auto slash = text.find('/');
  auto a = rib::Address::parse(std::string_view(text).substr(0, slash));
  if (!a) return a.error();
  uint8_t len = rib::max_length(a->family());
  if (slash != std::string::npos) {
    auto p = rib::Prefix::parse(text);
    if (!p) return p.error();
    len = p->length();
  }
  return std::make_pair(*a, len);
}

std::optional<rib::Address> optional_address(const std::string& text) {
  if (text.empty()) return std::nullopt;
  auto a = address_and_length(text);
  if (!a) return std::nullopt;
  return a->first;
}

}  // namespace

Result<LocalNode> local_from(const conf::types::Node& n, std::string interface) {
  if (!n.spec.bgp || n.spec.bgp->ipv4_address.empty()) {
    return make_error(Errc::invalid, "node " + n.metadata.name + " has no spec.bgp.ipv4Address");
  }
  auto a = address_and_length(n.spec.bgp->ipv4_address);
  if (!a) return make_error(Errc::invalid, "node " + n.metadata.name + ": " + a.error().message);
  return LocalNode{a->first, a->second, std::move(interface)};
}

Result<RemoteNode> remote_from(const conf::types::Node& n) {
  if (!n.spec.bgp || n.spec.bgp->ipv4_address.empty()) {
    return make_error(Errc::invalid, "node " + n.metadata.name + " has no spec.bgp.ipv4Address");
  }
  auto a = address_and_length(n.spec.bgp->ipv4_address);
  if (!a) return make_error(Errc::invalid, "node " + n.metadata.name + ": " + a.error().message);
  RemoteNode r;
  r.name = n.metadata.name;
  r.ip = a->first;
  r.vxlan_tunnel_ip = optional_address(n.spec.ipv4_vxlan_tunnel_addr);
  if (!n.spec.vxlan_tunnel_mac_addr.empty()) {
    auto m = parse_mac(n.spec.vxlan_tunnel_mac_addr);
    if (!m) return make_error(Errc::invalid, "node " + n.metadata.name + ": " + m.error().message);
    r.vxlan_mac = *m;
  } else {
    r.vxlan_mac = mac_for_node(n.metadata.name);
  }
  r.ipip_tunnel_ip = optional_address(n.spec.bgp->ipv4_ipip_tunnel_addr);
  return r;
}

}  // namespace encap
}  // namespace podnet::dataplane
