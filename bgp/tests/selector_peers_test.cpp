// BGPPeer nodeSelector / peerSelector and reverse peerings, as confd's updatePeersV1 expands
// them: the route-reflector deployments Calico documents, label changes moving nodes in and
// out of a selector, reversePeering: Manual, and a bad selector affecting only its BGPPeer.
#include <gtest/gtest.h>

#include <algorithm>

#include "bgp/desired_peers.hpp"
#include "bgp/tests/desired_peers_fixture.hpp"

namespace podnet::bgp {
namespace {

using test::find;
using test::inputs;
using test::kPeerWithReflectors;

// A Node with labels (a YAML flow map such as "{route-reflector: 'true'}") and a BGP address;
// `bgp_extra` continues spec.bgp.
std::string lnode(const std::string& name, const std::string& v4, const std::string& labels,
                  const std::string& bgp_extra = "") {
  return "---\napiVersion: projectcalico.org/v3\nkind: Node\nmetadata:\n  name: " + name +
         "\n  labels: " + labels + "\nspec:\n  bgp:\n    ipv4Address: " + v4 + "\n" + bgp_extra;
}

constexpr const char* kMeshOff = R"(---
apiVersion: projectcalico.org/v3
kind: BGPConfiguration
metadata:
  name: default
spec:
  nodeToNodeMeshEnabled: false
  asNumber: 64512
)";

const std::string kRrCluster = std::string(kMeshOff) + kPeerWithReflectors +
                               lnode("rr1", "198.19.0.10/20", "{route-reflector: 'true'}",
                                     "    routeReflectorClusterID: 224.0.0.1\n") +
                               lnode("rr2", "198.19.0.11/20", "{route-reflector: 'true'}",
                                     "    routeReflectorClusterID: 224.0.0.1\n") +
                               lnode("node1", "198.19.0.2/20", "{zone: a}") +
                               lnode("node2", "198.19.0.3/20", "{zone: b}");

std::vector<std::string> names(const DesiredBgp& d) {
  std::vector<std::string> out;
  for (const auto& p : d.peers) out.push_back(p.name);
  std::sort(out.begin(), out.end());
  return out;
}

using Names = std::vector<std::string>;

TEST(SelectorPeers, ClientsPeerWithBothReflectorsAndNothingElse) {
  auto d = desired_bgp(inputs("node1", kRrCluster));
  ASSERT_TRUE(d.enabled) << d.disabled_reason;
  EXPECT_TRUE(d.warnings.empty()) << d.warnings.front();
  EXPECT_EQ(names(d), (Names{"Node_198_19_0_10", "Node_198_19_0_11"}));
  for (const auto& p : d.peers) {
    EXPECT_EQ(p.origin, PeerOrigin::node);
    EXPECT_EQ(p.peer_as, 64512u);
    EXPECT_FALSE(p.route_reflector_client);  // a client does not reflect
    EXPECT_EQ(p.source_address->to_string(), "198.19.0.2");
    EXPECT_TRUE(p.ipv4_unicast);
  }
}

TEST(SelectorPeers, ReflectorsReflectToEveryClientAndPeerPlainlyWithTheirCluster) {
  auto d = desired_bgp(inputs("rr1", kRrCluster));
  ASSERT_TRUE(d.enabled);
  EXPECT_TRUE(d.warnings.empty()) << d.warnings.front();
  EXPECT_EQ(d.speaker.cluster_id, 0xE0000001u);
  // The clients come from the reverse peering; rr2 from the forward one; never rr1 itself.
  EXPECT_EQ(names(d), (Names{"Node_198_19_0_11", "Node_198_19_0_2", "Node_198_19_0_3"}));
  for (const char* client : {"Node_198_19_0_2", "Node_198_19_0_3"}) {
    const auto* p = find(d, client);
    ASSERT_NE(p, nullptr);
    EXPECT_TRUE(p->route_reflector_client) << client;
    EXPECT_EQ(p->cluster_id, 0xE0000001u);
  }
  // Same cluster ID: the two reflectors are ordinary iBGP peers of each other.
  EXPECT_FALSE(find(d, "Node_198_19_0_11")->route_reflector_client);
  // Exactly one side of each session connects (the mesh's address rule).
  auto n1 = desired_bgp(inputs("node1", kRrCluster));
  EXPECT_NE(find(d, "Node_198_19_0_2")->passive, find(n1, "Node_198_19_0_10")->passive);
  auto rr2 = desired_bgp(inputs("rr2", kRrCluster));
  EXPECT_NE(find(d, "Node_198_19_0_11")->passive, find(rr2, "Node_198_19_0_10")->passive);
}

TEST(SelectorPeers, ReflectorThatIsAlsoARegularNodeWithTheMeshOn) {
  // Mesh on (default); rr1 is labelled, runs workloads like any node, reflects for the others.
  // rr2 has another cluster ID: reflectors of different clusters are each other's clients.
  const std::string yaml = std::string(kPeerWithReflectors) +
                           lnode("rr1", "198.19.0.10/20", "{route-reflector: 'true'}",
                                 "    routeReflectorClusterID: 224.0.0.1\n") +
                           lnode("rr2", "198.19.0.11/20", "{route-reflector: 'true'}",
                                 "    routeReflectorClusterID: 224.0.0.2\n") +
                           lnode("node1", "198.19.0.2/20", "{}") +
                           lnode("node2", "198.19.0.3/20", "{}");
  auto n1 = desired_bgp(inputs("node1", yaml));
  EXPECT_TRUE(n1.warnings.empty()) << n1.warnings.front();
  // Mesh with the other non-reflector, explicit sessions to the reflectors.
  EXPECT_EQ(names(n1), (Names{"Mesh_198_19_0_3", "Node_198_19_0_10", "Node_198_19_0_11"}));
  auto rr = desired_bgp(inputs("rr1", yaml));
  EXPECT_TRUE(rr.warnings.empty()) << rr.warnings.front();
  EXPECT_EQ(names(rr), (Names{"Node_198_19_0_11", "Node_198_19_0_2", "Node_198_19_0_3"}));
  for (const auto& p : rr.peers) EXPECT_TRUE(p.route_reflector_client) << p.name;
  EXPECT_EQ(find(rr, "Node_198_19_0_11")->cluster_id, 0xE0000001u);
}

TEST(SelectorPeers, LabelChangesMoveNodesInAndOutOfSelectors) {
  auto in = inputs("node1", kRrCluster);
  EXPECT_EQ(names(desired_bgp(in)), (Names{"Node_198_19_0_10", "Node_198_19_0_11"}));
  auto node_named = [&](const std::string& n) -> conf::types::Node& {
    return *std::find_if(in.nodes.begin(), in.nodes.end(),
                         [&](const auto& x) { return x.metadata.name == n; });
  };
  // node2 becomes a (cluster-less) reflector target: node1 peers with it too.
  node_named("node2").metadata.labels["route-reflector"] = "true";
  EXPECT_EQ(names(desired_bgp(in)),
            (Names{"Node_198_19_0_10", "Node_198_19_0_11", "Node_198_19_0_3"}));
  // rr2 loses its label: node1 drops it.
  node_named("rr2").metadata.labels.erase("route-reflector");
  EXPECT_EQ(names(desired_bgp(in)), (Names{"Node_198_19_0_10", "Node_198_19_0_3"}));
  // And on a nodeSelector: only nodes in zone a peer with the reflectors.
  in.peers.front().spec.node_selector = "zone == 'a'";
  EXPECT_EQ(names(desired_bgp(in)), (Names{"Node_198_19_0_10", "Node_198_19_0_3"}));
  node_named("node1").metadata.labels["zone"] = "c";
  EXPECT_TRUE(desired_bgp(in).peers.empty());
  // The reflector's reverse side follows the same labels: node1 left zone a, node2 is not in it.
  in.node_name = "rr1";
  EXPECT_TRUE(desired_bgp(in).peers.empty());
  node_named("node1").metadata.labels["zone"] = "a";
  EXPECT_EQ(names(desired_bgp(in)), (Names{"Node_198_19_0_2"}));
}

TEST(SelectorPeers, ReversePeeringManualLeavesTheFarSideAlone) {
  const std::string nodes = std::string(kMeshOff) + lnode("tor-a", "198.19.0.20/20", "{role: rr}") +
                            lnode("node1", "198.19.0.2/20", "{rack: a}") +
                            lnode("node2", "198.19.0.3/20", "{rack: b}");
  const std::string peer = R"(---
apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata:
  name: rack-a
spec:
  nodeSelector: rack == 'a'
  peerSelector: role == 'rr'
)";
  // Auto: tor-a peers back with the rack-a nodes only.
  EXPECT_EQ(names(desired_bgp(inputs("node1", nodes + peer))), (Names{"Node_198_19_0_20"}));
  EXPECT_TRUE(desired_bgp(inputs("node2", nodes + peer)).peers.empty());
  EXPECT_EQ(names(desired_bgp(inputs("tor-a", nodes + peer))), (Names{"Node_198_19_0_2"}));
  // Manual: the forward side is unchanged, the far side gets nothing.
  const std::string manual = peer + "  reversePeering: Manual\n";
  EXPECT_EQ(names(desired_bgp(inputs("node1", nodes + manual))), (Names{"Node_198_19_0_20"}));
  EXPECT_TRUE(desired_bgp(inputs("tor-a", nodes + manual)).peers.empty());
}

TEST(SelectorPeers, PeerIpOfACalicoNodeImpliesTheReverseToo) {
  // confd's nodesWithIPPortAndAS: peerIP (and asNumber) naming a Calico node.
  const std::string nodes = std::string(kMeshOff) + lnode("node1", "198.19.0.2/20", "{}") +
                            lnode("node2", "198.19.0.3/20", "{}") +
                            lnode("node3", "198.19.0.4/20", "{}");
  const std::string peer = R"(---
apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata:
  name: node1-to-node2
spec:
  node: node1
  peerIP: 198.19.0.3
)";
  EXPECT_EQ(names(desired_bgp(inputs("node1", nodes + peer))), (Names{"Node_198_19_0_3"}));
  EXPECT_EQ(names(desired_bgp(inputs("node2", nodes + peer))), (Names{"Node_198_19_0_2"}));
  EXPECT_TRUE(desired_bgp(inputs("node3", nodes + peer)).peers.empty());
  // Another AS than node2's: peerIP is not that Calico node, so no reverse.
  EXPECT_TRUE(desired_bgp(inputs("node2", nodes + peer + "  asNumber: 65001\n")).peers.empty());
}

TEST(SelectorPeers, GlobalPeerSelectorAndBothFamilies) {
  const std::string yaml = std::string(kMeshOff) +
                           lnode("rr1", "198.19.0.10/20", "{route-reflector: 'true'}",
                                 "    ipv6Address: fd00::10/64\n    asNumber: 65010\n") +
                           lnode("node1", "198.19.0.2/20", "{}", "    ipv6Address: fd00::2/64\n") +
                           lnode("node2", "198.19.0.3/20", "{}") + R"(---
apiVersion: projectcalico.org/v3
kind: BGPConfiguration
metadata:
  name: node.rr1
spec:
  listenPort: 1790
---
apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata:
  name: everyone-to-rr
spec:
  peerSelector: has(route-reflector)
  keepaliveTime: 10s
)";
  auto d = desired_bgp(inputs("node1", yaml));
  EXPECT_EQ(names(d), (Names{"Global_198_19_0_10_port_1790", "Global_fd00__10_port_1790"}));
  const auto* v6 = find(d, "Global_fd00__10_port_1790");
  ASSERT_NE(v6, nullptr);
  EXPECT_EQ(v6->origin, PeerOrigin::global);
  EXPECT_EQ(v6->peer_as, 65010u);  // the selected node's own AS
  EXPECT_EQ(v6->local_as, 64512u);
  EXPECT_EQ(v6->keepalive_time, 10);
  EXPECT_TRUE(v6->ipv6_unicast);
  EXPECT_EQ(v6->source_address->to_string(), "fd00::2");
  // node2 has no IPv6 address: only the IPv4 session.
  EXPECT_EQ(names(desired_bgp(inputs("node2", yaml))), (Names{"Global_198_19_0_10_port_1790"}));
  // The reflector peers back with every node (the BGPPeer is global), over each common family.
  EXPECT_EQ(names(desired_bgp(inputs("rr1", yaml))),
            (Names{"Node_198_19_0_2", "Node_198_19_0_3", "Node_fd00__2"}));
}

TEST(SelectorPeers, ABadSelectorLeavesOnlyItsBGPPeerOut) {
  const std::string yaml = kRrCluster + R"(---
apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata:
  name: broken
spec:
  nodeSelector: all()
  peerSelector: zone = 'b'
)";
  auto d = desired_bgp(inputs("node1", yaml));
  EXPECT_EQ(names(d), (Names{"Node_198_19_0_10", "Node_198_19_0_11"}));
  ASSERT_EQ(d.warnings.size(), 1u);
  EXPECT_NE(d.warnings[0].find("BGPPeer broken: peerSelector 'zone = 'b'': column 6: expected"),
            std::string::npos)
      << d.warnings[0];
}

}  // namespace
}  // namespace podnet::bgp
