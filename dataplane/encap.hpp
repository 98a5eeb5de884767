// Which way a route to another node's block (or borrowed /32) goes: straight to the node, or
// through an overlay, decided per IP pool and per destination as Calico decides it
// (felix/calc/l3_route_resolver.go, the BIRD template's krt_tunnel):
//
//   pool vxlanMode / ipipMode   remote node in our subnet   remote node elsewhere
//   Never (both)                direct                      direct
//   Always                      overlay                     overlay
//   CrossSubnet                 direct                      overlay
//
// "Our subnet" is the prefix of the Node's spec.bgp.ipv4Address ("10.0.1.5/24" -> 10.0.1.0/24).
// The routes:
//   direct  <dst> via <node IP> dev <our interface> onlink     (same subnet; otherwise plain
//           `via <node IP>`, which the kernel resolves like any gateway)
//   vxlan   <dst> via <remote VXLAN tunnel IP> dev vxlan.calico onlink
//   ipip    <dst> via <node IP> dev tunl0 onlink
// Pure: no kernel, no I/O. The daemon rebuilds the inputs from the datastore and calls
// route_for() per destination; a pool's mode changed live simply gives a different RouteSpec,
// which the route programmer then replaces in the kernel.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "conf/result.hpp"
#include "dataplane/route_spec.hpp"
#include "rib/prefix.hpp"

namespace podnet::conf::types {
struct IPPool;
struct Node;
}  // namespace podnet::conf::types

namespace podnet::dataplane {

inline constexpr const char* kVxlanDevice = "vxlan.calico";
inline constexpr const char* kIpipDevice = "tunl0";

using Mac = std::array<uint8_t, 6>;
// "66:0a:1b:2c:3d:4e" (case-insensitive, ':' or '-').
Result<Mac> parse_mac(std::string_view text);
std::string to_string(const Mac& m);
// Calico's VXLAN MAC for a node without vxlanTunnelMACAddr: 'f' (0x66, a locally administered
// unicast address) followed by the first five bytes of SHA-1(node name)
// (felix/dataplane/linux/vxlan_mgr.go), so every node derives the same MAC for a given peer.
Mac mac_for_node(std::string_view node_name);

namespace encap {

enum class Mode : uint8_t { never, always, cross_subnet };
// "Never" | "Always" | "CrossSubnet"; "" is Never (Calico's default).
Result<Mode> parse_mode(std::string_view text);
const char* mode_name(Mode m);

struct Pool {
  rib::Prefix cidr;
  Mode ipip = Mode::never;
  Mode vxlan = Mode::never;
};

struct LocalNode {
  rib::Address ip;             // spec.bgp.ipv4Address's address
  uint8_t prefix_length = 32;  // ... and its prefix: this node's subnet
  std::string interface;       // the interface holding `ip` ("" = unknown: no dev on routes)
  rib::Prefix subnet() const;
};

struct RemoteNode {
  std::string name;
  rib::Address ip;                              // the node's address (spec.bgp.ipv4Address)
  std::optional<rib::Address> vxlan_tunnel_ip;  // spec.ipv4VXLANTunnelAddr
  std::optional<Mac> vxlan_mac;                 // spec.vxlanTunnelMACAddr, or derived
  std::optional<rib::Address> ipip_tunnel_ip;   // spec.bgp.ipv4IPIPTunnelAddr
};

enum class Kind : uint8_t { direct, vxlan, ipip };
const char* kind_name(Kind k);

// The pool a destination belongs to: the longest pool CIDR containing it (nullptr: none).
const Pool* pool_of(const std::vector<Pool>& pools, const rib::Prefix& dst);

// Which encapsulation a destination in `pool` (nullptr: outside every pool) towards `remote`
// takes. A pool with both modes set (Calico's validation forbids it) prefers VXLAN.
Kind choose(const Pool* pool, const LocalNode& local, const RemoteNode& remote);

// The kernel route for `dst` through `remote`. Errors: VXLAN chosen but the remote node has no
// VXLAN tunnel address yet (Felix programs no route to a node without a VTEP either).
Result<RouteSpec> route_for(const std::vector<Pool>& pools, const LocalNode& local,
                            const RemoteNode& remote, const rib::Prefix& dst);

// The daemon's view for the route programmer: pools, this node, the other nodes by IP. BGP gives
// a block's next hop as the owning node's IP; apply() turns every next hop that is a known
// node's IP into the route the encapsulation choice wants, and leaves others (a ToR, an
// external peer) as they are. Wiring (see RouteProgrammer's ProgrammerOptions::rewrite):
//   opts.rewrite = [&planner](const rib::Prefix& p, RouteSpec s) { return planner.apply(p, s); };
//   ... on a pool, Node or address change: planner.set_*(...); programmer.load(rib);
class Planner {
 public:
  void set_pools(std::vector<Pool> pools) { pools_ = std::move(pools); }
  void set_local(std::optional<LocalNode> local) { local_ = std::move(local); }
  void set_remote_nodes(std::vector<RemoteNode> nodes);
  const std::vector<Pool>& pools() const { return pools_; }
  const std::vector<RemoteNode>& remote_nodes() const { return remotes_; }

  // `spec` with its node next hops re-routed. Blackholes pass through. Without a local node
  // (its address not known yet) nothing is rewritten. Errors: every next hop is a node that
  // cannot be reached as chosen (VXLAN without a VTEP yet); the first reason.
  Result<RouteSpec> apply(const rib::Prefix& dst, const RouteSpec& spec) const;

 private:
  std::vector<Pool> pools_;
  std::optional<LocalNode> local_;
  std::vector<RemoteNode> remotes_;  // sorted by ip
};

// ---- from the datastore's types ----
Result<Pool> pool_from(const conf::types::IPPool& p);
// Pools that fail to parse are left out, their errors appended to `errors` (if given).
std::vector<Pool> pools_from(const std::vector<conf::types::IPPool>& pools,
                             std::vector<Error>* errors = nullptr);
// This node: spec.bgp.ipv4Address (must be there, in CIDR form or bare = /32) and the interface
// holding it (found by the caller, e.g. with find_interface_of()).
Result<LocalNode> local_from(const conf::types::Node& n, std::string interface);
// Another node: errors if it has no IPv4 address. The VXLAN MAC is vxlanTunnelMACAddr, or
// derived from the name when that is empty.
Result<RemoteNode> remote_from(const conf::types::Node& n);

}  // namespace encap
}  // namespace podnet::dataplane
