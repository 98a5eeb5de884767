// Calico's peering model as a pure function: from the Node, BGPConfiguration, BGPPeer and
// Secret resources, which sessions should this node run? This is what confd computes for
// BIRD (reference/calico-routing.md, "Peers"): the node-to-node mesh, global and node-scoped
// BGPPeers, ports, passive sides, passwords, TTL security, next-hop modes. The daemon calls it
// on every relevant datastore change and hands the result to the peer manager, which touches
// only the sessions whose PeerConfig changed.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "bgp/peer_config.hpp"
#include "conf/types/k8s.hpp"
#include "conf/types/routing.hpp"
#include "rib/prefix.hpp"

namespace podnet::bgp {

struct BgpInputs {
  std::string node_name;
  std::vector<conf::types::Node> nodes;
  std::vector<conf::types::BGPConfiguration> configs;  // "default" and "node.<name>"
  std::vector<conf::types::BGPPeer> peers;
  std::vector<conf::types::Secret> secrets;
  std::vector<conf::types::BGPFilter> filters;  // BGPPeer.filters name these
  // Settings of podnetd's own config file that override the datastore (tests, static setups).
  std::optional<uint32_t> router_id_override;
  std::optional<uint16_t> hold_time_override;
};

struct DesiredBgp {
  bool enabled = false;  // false: this node has no Node resource or no BGP address
  std::string disabled_reason;
  SpeakerConfig speaker;
  std::vector<PeerConfig> peers;           // in Calico's order: mesh, global, node-scoped
  std::vector<std::string> warnings;       // resources (partly) ignored, and why
  std::optional<rib::Address> ipv4, ipv6;  // this node's BGP addresses
  std::optional<rib::Prefix> ipv4_subnet, ipv6_subnet;  // their networks (for CrossSubnet)
};

DesiredBgp desired_bgp(const BgpInputs& in);

// "ip", "ip:port", "[v6]:port" as BGPPeer.spec.peerIP takes them.
Result<std::pair<rib::Address, uint16_t>> parse_peer_ip(const std::string& s,
                                                        uint16_t default_port);
// Go's time.ParseDuration subset Calico uses ("90s", "2m", "1h30m", "1.5h"); seconds, rounded.
Result<uint32_t> parse_go_duration_seconds(const std::string& s);
// BIRD protocol-name form of an address: dots and colons become underscores.
std::string name_part(const rib::Address& a);

}  // namespace podnet::bgp
