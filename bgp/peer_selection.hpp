// Which BGPPeer resources make this node peer with what, as confd's updatePeersV1 decides it
// (confd/pkg/backends/calico/client.go): a BGPPeer applies to the nodes named by `node` or
// matched by `nodeSelector` (every node when neither is set: a global peering), and peers with
// `peerIP` or with every node matched by `peerSelector`. Unless `reversePeering: Manual`, the
// nodes on the far side (peerSelector matches, or the Calico node that owns peerIP) get the
// reverse peering back to the nodes the BGPPeer applies to. desired_peers turns the result
// into PeerConfigs; this part only decides who peers with whom.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "conf/types/routing.hpp"
#include "rib/prefix.hpp"

namespace podnet::bgp {

struct PeeringTarget {
  const conf::types::BGPPeer* resource = nullptr;
  bool global = false;   // from the global pass: Global_ names, emitted before node-scoped ones
  bool reverse = false;  // generated reverse peering: an explicit one to the same peer wins
  // The far side: a Calico node (peerSelector, reverse peerings) or resource->spec.peerIP.
  const conf::types::Node* node = nullptr;
  bool v4 = true, v6 = true;  // node targets: the families to peer over
};

struct PeerSelection {
  std::vector<PeeringTarget> targets;  // global first, then node-scoped, then reverse
  std::vector<std::string> warnings;   // BGPPeers left out (bad selectors), and why
};

// What desired_peers knows about nodes, for the reverse rule's "is peerIP (with asNumber and
// port) a Calico node?" test (confd's nodesWithIPPortAndAS).
struct NodeFacts {
  uint32_t global_as = 64512;
  std::function<uint32_t(const conf::types::Node&)> as_of;    // its AS, else the global AS
  std::function<uint16_t(const conf::types::Node&)> port_of;  // its BGP listen port
  std::function<bool(const conf::types::Node&, const rib::Address&)> has_address;
};

PeerSelection select_peerings(const std::string& self_name,
                              const std::vector<conf::types::Node>& nodes,
                              const std::vector<conf::types::BGPPeer>& peers,
                              const NodeFacts& facts);

}  // namespace podnet::bgp
