#include "bgp/desired_peers.hpp"

#include "bgp/peer_selection.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>

namespace podnet::bgp {

namespace {

using conf::types::BGPConfiguration;
using conf::types::BGPPeer;
using conf::types::Node;

struct NodeAddrs {
  std::optional<rib::Address> v4, v6;
  std::optional<rib::Prefix> net4, net6;
};

// Node.spec.bgp.ipv4Address is "198.19.0.2/20": the address and, by its length, the subnet.
void parse_cidr_address(const std::string& s, std::optional<rib::Address>& addr,
                        std::optional<rib::Prefix>& net) {
  if (s.empty()) return;
  auto slash = s.find('/');
  auto a = rib::Address::parse(s.substr(0, slash));
  if (!a) return;
  addr = *a;
  uint8_t len = rib::max_length(a->family());
  if (slash != std::string::npos) len = static_cast<uint8_t>(std::stoi(s.substr(slash + 1)));
  auto p = rib::Prefix::make(*a, len);
  if (p) net = *p;
}

NodeAddrs addrs_of(const Node& n) {
  NodeAddrs out;
  if (!n.spec.bgp) return out;
  parse_cidr_address(n.spec.bgp->ipv4_address, out.v4, out.net4);
  parse_cidr_address(n.spec.bgp->ipv6_address, out.v6, out.net6);
  return out;
}

std::optional<uint32_t> parse_cluster_id(const std::string& s) {
  if (s.empty()) return std::nullopt;
  auto a = rib::Address::parse(s);
  if (!a || a->family() != rib::Family::v4) return std::nullopt;
  auto b = a->bytes();
  return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | b[3];
}

uint32_t to_u32(const rib::Address& a) {
  auto b = a.bytes();
  return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | b[3];
}

const BGPConfiguration* find_config(const BgpInputs& in, const std::string& name) {
  for (const auto& c : in.configs)
    if (c.metadata.name == name) return &c;
  return nullptr;
}

std::string base64_decode(const std::string& in) {
  static const std::string chars =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  uint32_t buf = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '=') break;
    auto pos = chars.find(c);
    if (pos == std::string::npos) continue;  // whitespace / newlines in the encoded form
    buf = (buf << 6) | static_cast<uint32_t>(pos);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buf >> bits) & 0xff));
    }
  }
  return out;
}

// Calico reads BGP password secrets from its own namespace; we look there first, then anywhere.
std::optional<std::string> resolve_secret(const BgpInputs& in,
                                          const std::optional<conf::types::SecretSource>& src,
                                          std::vector<std::string>& warnings,
                                          const std::string& who) {
  if (!src || !src->secret_key_ref) return std::string();
  const auto& ref = *src->secret_key_ref;
  const conf::types::Secret* found = nullptr;
  for (const char* ns : {"calico-system", "kube-system", ""}) {
    for (const auto& s : in.secrets) {
      if (s.metadata.name == ref.name && (*ns == '\0' || s.metadata.namespace_ == ns)) {
        found = &s;
        break;
      }
    }
    if (found) break;
  }
  if (found) {
    if (auto it = found->string_data.find(ref.key); it != found->string_data.end())
      return it->second;
    if (auto it = found->data.find(ref.key); it != found->data.end())
      return base64_decode(it->second);
  }
  warnings.push_back(fmt::format("{}: password secret {}/{} not found; peer not configured", who,
                                 ref.name, ref.key));
  return std::nullopt;
}

// Calico's BIRD runs with BIRD's default `graceful restart aware`: every session advertises the
// graceful restart capability with a 120 s restart time, so peers keep a node's routes while its
// routing daemon restarts. maxRestartTime / nodeMeshMaxRestartTime change the time.
constexpr uint16_t kDefaultRestartTime = 120;

// The BGPPeer options every kind of target shares (confd's setPeerConfigFieldsFromV3Resource
// and getNextHopMode). Needs p.peer_as and p.local_as set: legacy keepOriginalNextHop applies to
// eBGP peers only.
void apply_peer_options(const BGPPeer& bp, PeerConfig& p) {
  const auto& s = bp.spec;
  p.graceful_restart_time = kDefaultRestartTime;
  if (s.ttl_security) p.ttl_security_hops = static_cast<uint8_t>(*s.ttl_security);
  if (!s.keepalive_time.empty()) {
    if (auto d = parse_go_duration_seconds(s.keepalive_time))
      p.keepalive_time = static_cast<uint16_t>(std::min<uint32_t>(*d, 65535));
  }
  if (!s.max_restart_time.empty()) {
    if (auto d = parse_go_duration_seconds(s.max_restart_time))
      p.graceful_restart_time = static_cast<uint16_t>(std::min<uint32_t>(*d, 4095));
  }
  if (s.next_hop_mode == "Self")
    p.next_hop_mode = NextHopMode::self;
  else if (s.next_hop_mode == "Keep")
    p.next_hop_mode = NextHopMode::keep;
  else if (s.keep_original_next_hop && p.peer_as != p.local_as)
    p.next_hop_mode = NextHopMode::keep;
}

// BIRD compares the textual addresses (confd's template does `if ge $peer_ip $node_ip`).
bool mesh_passive(const rib::Address& peer, const rib::Address& self) {
  return peer.to_string() > self.to_string();
}

}  // namespace

std::string name_part(const rib::Address& a) {
  std::string s = a.to_string();
  std::replace(s.begin(), s.end(), '.', '_');
  std::replace(s.begin(), s.end(), ':', '_');
  return s;
}

Result<std::pair<rib::Address, uint16_t>> parse_peer_ip(const std::string& s,
                                                        uint16_t default_port) {
  std::string host = s;
  std::optional<std::string> port;
  if (!s.empty() && s.front() == '[') {
    auto close = s.find(']');
    if (close == std::string::npos)
      return make_error(Errc::invalid, fmt::format("peerIP '{}': missing ']'", s));
    host = s.substr(1, close - 1);
    if (close + 1 < s.size()) {
      if (s[close + 1] != ':')
        return make_error(Errc::invalid, fmt::format("peerIP '{}': expected ':' after ']'", s));
      port = s.substr(close + 2);
    }
  } else if (std::count(s.begin(), s.end(), ':') == 1) {
    auto colon = s.find(':');
    host = s.substr(0, colon);
    port = s.substr(colon + 1);
  }
  auto addr = rib::Address::parse(host);
  if (!addr) return make_error(Errc::invalid, fmt::format("peerIP '{}': bad address", s));
  uint16_t p = default_port;
  if (port) {
    char* end = nullptr;
    long v = std::strtol(port->c_str(), &end, 10);
    if (port->empty() || *end || v < 1 || v > 65535)
      return make_error(Errc::invalid, fmt::format("peerIP '{}': bad port", s));
    p = static_cast<uint16_t>(v);
  }
  return std::pair{*addr, p};
}

Result<uint32_t> parse_go_duration_seconds(const std::string& s) {
  if (s.empty()) return make_error(Errc::invalid, "empty duration");
  double total = 0;
  std::size_t i = 0;
  while (i < s.size()) {
    std::size_t start = i;
    while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
    if (start == i)
      return make_error(Errc::invalid, fmt::format("duration '{}': expected a number", s));
    double v = std::stod(s.substr(start, i - start));
    std::size_t ustart = i;
    while (i < s.size() && std::isalpha(static_cast<unsigned char>(s[i]))) ++i;
    std::string unit = s.substr(ustart, i - ustart);
    if (unit == "h")
      total += v * 3600;
    else if (unit == "m")
      total += v * 60;
    else if (unit == "s")
      total += v;
    else if (unit == "ms")
      total += v / 1000;
    else
      return make_error(Errc::invalid, fmt::format("duration '{}': unknown unit '{}'", s, unit));
  }
  return static_cast<uint32_t>(std::lround(total));
}

DesiredBgp desired_bgp(const BgpInputs& in) {
  DesiredBgp out;
  const Node* self = nullptr;
  for (const auto& n : in.nodes)
    if (n.metadata.name == in.node_name) self = &n;
  if (!self) {
    out.disabled_reason = fmt::format("no Node resource named '{}'", in.node_name);
    return out;
  }
  const NodeAddrs me = addrs_of(*self);
  if (!me.v4 && !me.v6) {
    out.disabled_reason =
        fmt::format("Node '{}' has no spec.bgp.ipv4Address or ipv6Address", in.node_name);
    return out;
  }
  out.enabled = true;
  out.ipv4 = me.v4;
  out.ipv6 = me.v6;
  out.ipv4_subnet = me.net4;
  out.ipv6_subnet = me.net6;

  const BGPConfiguration* global = find_config(in, "default");
  const BGPConfiguration* local = find_config(in, "node." + in.node_name);
  auto port_of = [&](const std::string& node) -> uint16_t {
    const BGPConfiguration* nc = find_config(in, "node." + node);
    if (nc && nc->spec.listen_port) return static_cast<uint16_t>(*nc->spec.listen_port);
    if (global && global->spec.listen_port) return static_cast<uint16_t>(*global->spec.listen_port);
    return 179;
  };
  const uint32_t global_as =
      global && global->spec.as_number ? static_cast<uint32_t>(*global->spec.as_number) : 64512;
  auto as_of = [&](const Node& n) {
    return n.spec.bgp && n.spec.bgp->as_number ? static_cast<uint32_t>(*n.spec.bgp->as_number)
                                               : global_as;
  };

  auto& sp = out.speaker;
  sp.local_as = as_of(*self);
  sp.listen_port = port_of(in.node_name);
  // Calico's router id is the node's IPv4 address (CALICO_ROUTER_ID overrides it).
  if (in.router_id_override) {
    sp.router_id = *in.router_id_override;
  } else if (me.v4) {
    sp.router_id = to_u32(*me.v4);
  } else {
    out.warnings.push_back("IPv6-only node without a router id: using 0.0.0.1 (set bgp.routerId)");
    sp.router_id = 1;
  }
  const std::string bind_mode = (local && !local->spec.bind_mode.empty()) ? local->spec.bind_mode
                                : (global && !global->spec.bind_mode.empty())
                                    ? global->spec.bind_mode
                                    : "None";
  if (bind_mode == "NodeIP") {
    if (me.v4) sp.listen_addresses.push_back(*me.v4);
    if (me.v6) sp.listen_addresses.push_back(*me.v6);
  }
  sp.cluster_id =
      self->spec.bgp ? parse_cluster_id(self->spec.bgp->route_reflector_cluster_id) : std::nullopt;

  // Route policy: prefixAdvertisements (the node's own config replaces the default's) add
  // communities on export to every peer; BGPFilters go to the BGPPeers that name them.
  std::vector<PrefixCommunities> prefix_communities;
  {
    const BGPConfiguration* pa =
        local && !local->spec.prefix_advertisements.empty() ? local : global;
    if (pa) {
      std::vector<conf::types::Community> named;
      if (local) named = local->spec.communities;
      if (global)
        named.insert(named.end(), global->spec.communities.begin(), global->spec.communities.end());
      auto pcs = compile_prefix_advertisements(pa->spec.prefix_advertisements, named);
      if (pcs) {
        prefix_communities = std::move(*pcs);
      } else {
        out.warnings.push_back(fmt::format("BGPConfiguration {}: {}; no communities added",
                                           pa->metadata.name, pcs.error().message));
      }
    }
  }
  std::map<std::string, RouteFilter> compiled_filters;
  for (const auto& f : in.filters) {
    auto c = compile_filter(f);
    if (c) {
      compiled_filters.emplace(f.metadata.name, std::move(*c));
    } else {
      out.warnings.push_back(c.error().message + "; filter ignored");
    }
  }
  auto filters_of = [&](const BGPPeer& bp) {
    std::vector<RouteFilter> fs;
    for (const auto& name : bp.spec.filters) {
      auto it = compiled_filters.find(name);
      if (it == compiled_filters.end()) {
        out.warnings.push_back(fmt::format("BGPPeer {}: BGPFilter {} not found or invalid; skipped",
                                           bp.metadata.name, name));
        continue;
      }
      fs.push_back(it->second);
    }
    return fs;
  };

  // `implied`: a generated reverse peering, which an explicit one to the same peer replaces
  // without a warning (confd: the first peering emitted for a node/IP/port wins).
  auto add_peer = [&](PeerConfig p, bool implied = false) {
    if ((me.v4 && p.address == *me.v4) || (me.v6 && p.address == *me.v6)) return;  // ourselves
    for (const auto& existing : out.peers) {
      if (existing.same_peer(p)) {
        if (!implied) {
          out.warnings.push_back(
              fmt::format("{}: same neighbour as {}; ignored", p.name, existing.name));
        }
        return;
      }
    }
    if (in.hold_time_override) p.hold_time = *in.hold_time_override;
    p.route_policy.prefix_communities = prefix_communities;
    out.peers.push_back(std::move(p));
  };
  auto rr_client_for = [&](uint32_t peer_as, const std::optional<uint32_t>& peer_cluster) {
    return sp.cluster_id && peer_as == sp.local_as && peer_cluster != sp.cluster_id;
  };

  // The node-to-node mesh (skipped when this node is a route reflector: it peers explicitly).
  const bool mesh =
      !global || !global->spec.node_to_node_mesh_enabled || *global->spec.node_to_node_mesh_enabled;
  if (mesh && !sp.cluster_id) {
    std::string mesh_password;
    bool password_ok = true;
    if (global) {
      auto pw = resolve_secret(in, global->spec.node_mesh_password, out.warnings, "node mesh");
      if (pw)
        mesh_password = *pw;
      else
        password_ok = false;
    }
    std::optional<uint16_t> gr = kDefaultRestartTime;
    if (global && !global->spec.node_mesh_max_restart_time.empty()) {
      auto d = parse_go_duration_seconds(global->spec.node_mesh_max_restart_time);
      if (d) gr = static_cast<uint16_t>(std::min<uint32_t>(*d, 4095));
    }
    std::vector<const Node*> others;
    for (const auto& n : in.nodes)
      if (&n != self) others.push_back(&n);
    std::sort(others.begin(), others.end(),
              [](const Node* a, const Node* b) { return a->metadata.name < b->metadata.name; });
    for (const Node* n : others) {
      if (!password_ok) break;
      const NodeAddrs them = addrs_of(*n);
      // Route reflectors are peered explicitly, never through the mesh.
      if (n->spec.bgp && !n->spec.bgp->route_reflector_cluster_id.empty()) continue;
      for (int fam = 0; fam < 2; ++fam) {
        const auto& mine = fam == 0 ? me.v4 : me.v6;
        const auto& theirs = fam == 0 ? them.v4 : them.v6;
        if (!mine || !theirs) continue;
        PeerConfig p;
        p.name = "Mesh_" + name_part(*theirs);
        p.origin = PeerOrigin::mesh;
        p.address = *theirs;
        p.port = port_of(n->metadata.name);
        p.peer_as = as_of(*n);
        p.local_as = sp.local_as;
        p.source_address = *mine;
        p.passive = mesh_passive(*theirs, *mine);
        p.password = mesh_password;
        p.graceful_restart_time = gr;
        p.ipv4_unicast = fam == 0;
        p.ipv6_unicast = fam == 1;
        add_peer(std::move(p));
      }
    }
  }

  // BGPPeer resources (bgp/peer_selection): global ones first, then those that apply to this
  // node, then the reverse peerings other nodes' BGPPeers imply.
  NodeFacts facts;
  facts.global_as = global_as;
  facts.as_of = as_of;
  facts.port_of = [&](const Node& n) { return port_of(n.metadata.name); };
  facts.has_address = [](const Node& n, const rib::Address& a) {
    const NodeAddrs them = addrs_of(n);
    return (them.v4 && *them.v4 == a) || (them.v6 && *them.v6 == a);
  };
  PeerSelection selection = select_peerings(in.node_name, in.nodes, in.peers, facts);
  for (auto& w : selection.warnings) out.warnings.push_back(std::move(w));
  for (const PeeringTarget& t : selection.targets) {
    const BGPPeer& bp = *t.resource;
    const std::string who = "BGPPeer " + bp.metadata.name;
    const char* prefix = t.global ? "Global" : "Node";
    const PeerOrigin origin = t.global ? PeerOrigin::global : PeerOrigin::node;
    if (t.node) {
      // A Calico node: its BGP address(es), AS, port and cluster id (confd's nodeAsBGPPeers).
      if (t.node == self) continue;  // a node never peers with itself
      const NodeAddrs them = addrs_of(*t.node);
      const auto cluster = t.node->spec.bgp
                               ? parse_cluster_id(t.node->spec.bgp->route_reflector_cluster_id)
                               : std::nullopt;
      for (int fam = 0; fam < 2; ++fam) {
        if (!(fam == 0 ? t.v4 : t.v6)) continue;
        const auto& mine = fam == 0 ? me.v4 : me.v6;
        const auto& theirs = fam == 0 ? them.v4 : them.v6;
        if (!mine || !theirs) continue;  // no common family: nothing to peer over
        auto pw = resolve_secret(in, bp.spec.password, out.warnings, who);
        if (!pw) break;
        PeerConfig p;
        p.origin = origin;
        p.address = *theirs;
        p.port = port_of(t.node->metadata.name);
        p.name = fmt::format("{}_{}{}", prefix, name_part(p.address),
                             p.port == 179 ? "" : fmt::format("_port_{}", p.port));
        p.peer_as = as_of(*t.node);
        p.local_as = sp.local_as;
        p.password = *pw;
        apply_peer_options(bp, p);
        p.route_policy.filters = filters_of(bp);
        if (bp.spec.source_address != "None") p.source_address = *mine;
        p.passive = mesh_passive(*theirs, *mine);
        p.route_reflector_client = rr_client_for(p.peer_as, cluster);
        if (p.route_reflector_client) p.cluster_id = sp.cluster_id;
        p.ipv4_unicast = fam == 0;
        p.ipv6_unicast = fam == 1;
        add_peer(std::move(p), t.reverse);
      }
      continue;
    }
    auto ip = parse_peer_ip(bp.spec.peer_ip, 179);
    if (!ip) {
      out.warnings.push_back(who + ": " + ip.error().message);
      continue;
    }
    const auto& [addr, port] = *ip;
    const auto& mine = addr.family() == rib::Family::v4 ? me.v4 : me.v6;
    if (!mine) {
      out.warnings.push_back(fmt::format("{}: this node has no {} BGP address", who,
                                         addr.family() == rib::Family::v4 ? "IPv4" : "IPv6"));
      continue;
    }
    auto pw = resolve_secret(in, bp.spec.password, out.warnings, who);
    if (!pw) continue;
    const auto& s = bp.spec;
    PeerConfig p;
    p.origin = origin;
    p.name = fmt::format("{}_{}{}", prefix, name_part(addr),
                         port == 179 ? "" : fmt::format("_port_{}", port));
    p.address = addr;
    p.port = port;
    p.peer_as = s.as_number ? static_cast<uint32_t>(*s.as_number) : sp.local_as;
    p.local_as = s.local_as_number ? static_cast<uint32_t>(*s.local_as_number) : sp.local_as;
    if (s.source_address != "None") p.source_address = *mine;
    p.password = *pw;
    apply_peer_options(bp, p);
    p.route_policy.filters = filters_of(bp);
    if (s.num_allowed_local_as_numbers)
      p.allow_local_as = static_cast<uint8_t>(*s.num_allowed_local_as_numbers);
    // A Calico node on the other side compares addresses like the mesh does.
    std::optional<uint32_t> peer_cluster;
    for (const auto& n : in.nodes) {
      auto them = addrs_of(n);
      if ((them.v4 && *them.v4 == addr) || (them.v6 && *them.v6 == addr)) {
        p.passive = mesh_passive(addr, *mine);
        if (n.spec.bgp) peer_cluster = parse_cluster_id(n.spec.bgp->route_reflector_cluster_id);
      }
    }
    p.route_reflector_client = rr_client_for(p.peer_as, peer_cluster);
    if (p.route_reflector_client) p.cluster_id = sp.cluster_id;
    p.ipv4_unicast = addr.family() == rib::Family::v4;
    p.ipv6_unicast = addr.family() == rib::Family::v6;
    add_peer(std::move(p), false);
  }
  return out;
}

}  // namespace podnet::bgp
