// What the peer manager is asked to run: the speaker's own settings and one PeerConfig per
// neighbour. The daemon derives both from the datastore (desired_peers.hpp: the node-to-node
// mesh from Node resources, BGPPeer resources, BGPConfiguration) and from its own config file;
// the peer manager reconciles sessions against them, touching only peers whose config changed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bgp/route_filter.hpp"
#include "rib/prefix.hpp"

namespace podnet::bgp {

enum class NextHopMode : uint8_t {
  automatic,  // BGP's usual rule: self towards eBGP, unchanged towards iBGP
  self,       // always our own address
  keep,       // never rewrite
};

enum class PeerOrigin : uint8_t {
  mesh,    // Calico node-to-node mesh, from Node resources
  global,  // BGPPeer without node / nodeSelector
  node,    // BGPPeer scoped to this node
  config,  // podnetd's own config file (tests, static setups)
};

struct PeerConfig {
  // BIRD/Calico protocol name: Mesh_198_19_0_2, Global_10_0_0_1, Node_10_0_0_1_port_1179.
  std::string name;
  PeerOrigin origin = PeerOrigin::config;
  rib::Address address;  // the neighbour's IP
  uint16_t port = 179;   // its BGP port
  uint32_t peer_as = 0;
  uint32_t local_as = 0;                       // our AS towards it (localASNumber or global AS)
  std::optional<rib::Address> source_address;  // bind the session to this local address
  bool passive = false;                        // never connect out; wait for the peer
  std::string password;                        // TCP-MD5 key (RFC 2385); empty: none
  uint8_t ttl_security_hops = 0;  // GTSM (RFC 5082): 0 off, N: send TTL 255, accept >= 256-N
  uint16_t hold_time = 240;       // BIRD's default, which Calico nodes run with
  uint16_t keepalive_time = 0;    // 0: hold_time / 3
  uint16_t connect_retry_time = 5;     // Calico's bgp_template: connect retry time 5
  std::optional<uint16_t> graceful_restart_time;  // advertise GR with this restart time
  NextHopMode next_hop_mode = NextHopMode::automatic;
  bool route_reflector_client = false;  // we reflect to it (we are its RR)
  std::optional<uint32_t> cluster_id;   // our RR cluster id when reflecting to it
  bool ipv4_unicast = true;
  bool ipv6_unicast = false;
  uint8_t allow_local_as = 0;  // numAllowedLocalASNumbers
  // ADD-PATH (RFC 7911) for each family of the session. Calico's bgp_template has `add paths on`
  // (receive and send) on every peer; podnetd receives several paths per prefix, as BIRD does.
  // Sending is off by default: the Adj-RIB-Out holds one path per prefix, so "send" only puts a
  // path id on the best path.
  bool add_path_receive = true;
  bool add_path_send = false;
  // BGPFilters and prefixAdvertisement communities: changed live, without a reset.
  RoutePolicy route_policy;

  // Same neighbour? (identity: address + port). Anything else that differs means a reset,
  // except route_policy (same_session()).
  bool same_peer(const PeerConfig& o) const { return address == o.address && port == o.port; }
  bool same_session(const PeerConfig& o) const {
    PeerConfig a = *this;
    a.route_policy = o.route_policy;
    return a == o;
  }
  friend bool operator==(const PeerConfig&, const PeerConfig&) = default;
};

struct SpeakerConfig {
  uint32_t router_id = 0;  // host order; Calico uses the node's IPv4 address
  uint32_t local_as = 64512;
  uint16_t listen_port = 179;
  // Empty: listen on the wildcard address of each enabled family (bindMode None);
  // otherwise only on these (bindMode NodeIP).
  std::vector<rib::Address> listen_addresses;
  std::optional<uint32_t> cluster_id;  // set when this node is a route reflector
  friend bool operator==(const SpeakerConfig&, const SpeakerConfig&) = default;
};

}  // namespace podnet::bgp
