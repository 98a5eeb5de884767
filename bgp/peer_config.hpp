// What the peer manager is asked to run: the speaker's own settings and one PeerConfig per
// neighbour. The daemon derives both from the datastore (desired_peers.hpp: the node-to-node
// mesh from Node resources, BGPPeer resources, BGPConfiguration) and from its own config file;
// the peer manager reconciles sessions against them, touching only peers whose config changed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
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
  uint8_t ttl_security_hops = 0;    // GTSM (RFC 5082): 0 off, N: send TTL 255, accept >= 256-N
  uint16_t hold_time = 240;         // BIRD's default, which Calico nodes run with
  uint16_t keepalive_time = 0;      // 0: hold_time / 3
  uint16_t connect_retry_time = 5;  // Calico's bgp_template: connect retry time 5
  std::optional<uint16_t> graceful_restart_time;  // advertise GR with this restart time
  NextHopMode next_hop_mode = NextHopMode::automatic;
  bool route_reflector_client = false;  // we reflect to it (we are its RR)
  std::optional<uint32_t> cluster_id;   // our RR cluster id when reflecting to it
  bool ipv4_unicast = true;
  bool ipv6_unicast = false;
  uint8_t allow_local_as = 0;  // numAllowedLocalASNumbers
  // ADD-PATH (RFC 7911) for each family of the session. Calico's bgp_template has `add paths on`
  // (receive and send) on every peer; podnetd receives several paths per prefix, as BIRD does.
  // Send is offered on every iBGP session whatever this says (the session decides from the AS
  // numbers); `add_path_send` asks for it on eBGP too. A sending group advertises the best path
  // and its ECMP set, each with its own path id.
  bool add_path_receive = true;
  bool add_path_send = false;
  // BGPFilters and prefixAdvertisement communities: changed live, without a reset.
  RoutePolicy route_policy;

  // Same neighbour? (identity: address + port). The peer manager matches wanted and running
  // peers by it, never by name: the mesh's Mesh_<ip> becoming a BGPPeer's Node_<ip> during a
  // mesh -> reflector migration is the same neighbour.
  bool same_peer(const PeerConfig& o) const { return address == o.address && port == o.port; }
  // Same TCP connection and OPEN exchange: everything the transport (bind address, TCP-MD5,
  // GTSM, who connects) and the OPEN (ASNs, hold time, capabilities: families, graceful
  // restart, ADD-PATH) are made of, and the timers the session runs. A difference here needs a
  // new session (Cease / Other Configuration Change). The rest (name, origin, next-hop mode,
  // route reflection, allowas-in, filters, communities) only shapes the routes sent and
  // accepted: the peer manager applies it to the running session. A new field the session
  // depends on belongs in session_differences().
  std::vector<std::string_view> session_differences(const PeerConfig& o) const {
    std::vector<std::string_view> d;
    auto check = [&](bool same, std::string_view what) {
      if (!same) d.push_back(what);
    };
    check(address == o.address && port == o.port, "neighbour");
    check(peer_as == o.peer_as, "peer AS");
    check(local_as == o.local_as, "local AS");
    check(source_address == o.source_address, "source address");
    check(passive == o.passive, "passive");
    check(password == o.password, "password");
    check(ttl_security_hops == o.ttl_security_hops, "TTL security");
    check(hold_time == o.hold_time, "hold time");
    check(keepalive_time == o.keepalive_time, "keepalive time");
    check(connect_retry_time == o.connect_retry_time, "connect retry time");
    check(graceful_restart_time == o.graceful_restart_time, "graceful restart");
    check(ipv4_unicast == o.ipv4_unicast && ipv6_unicast == o.ipv6_unicast, "address families");
    check(add_path_receive == o.add_path_receive && add_path_send == o.add_path_send, "ADD-PATH");
    return d;
  }
  bool same_session(const PeerConfig& o) const { return session_differences(o).empty(); }
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
