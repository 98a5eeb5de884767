// Calico's peering rules, from resources written as users write them.
#include <gtest/gtest.h>

#include "bgp/desired_peers.hpp"
#include "bgp/tests/desired_peers_fixture.hpp"

namespace podnet::bgp {
namespace {

using test::find;
using test::inputs;
using test::node;

const std::string kCluster = node("control", "198.19.0.1/20") + node("node1", "198.19.0.2/20") +
                             node("node2", "198.19.0.3/20");

TEST(DesiredPeers, FullMeshWithCalicoDefaults) {
  auto d = desired_bgp(inputs("node1", kCluster));
  ASSERT_TRUE(d.enabled) << d.disabled_reason;
  EXPECT_EQ(d.speaker.local_as, 64512u);
  EXPECT_EQ(d.speaker.listen_port, 179);
  EXPECT_EQ(d.speaker.router_id, (198u << 24) | (19u << 16) | 2u);
  EXPECT_TRUE(d.speaker.listen_addresses.empty());
  ASSERT_EQ(d.peers.size(), 2u);
  const auto* control = find(d, "Mesh_198_19_0_1");
  const auto* node2 = find(d, "Mesh_198_19_0_3");
  ASSERT_TRUE(control && node2);
  // The node with the lower address connects; the peer with the higher one waits for it.
  EXPECT_FALSE(control->passive);
  EXPECT_TRUE(node2->passive);
  EXPECT_EQ(control->peer_as, 64512u);
  EXPECT_EQ(control->origin, PeerOrigin::mesh);
  EXPECT_EQ(control->source_address->to_string(), "198.19.0.2");
  EXPECT_EQ(d.ipv4_subnet->to_string(), "198.19.0.0/20");
  // The other side computes the mirror image.
  auto d2 = desired_bgp(inputs("node2", kCluster));
  EXPECT_FALSE(find(d2, "Mesh_198_19_0_2")->passive);
}

TEST(DesiredPeers, DisabledWithoutNodeOrAddress) {
  auto d = desired_bgp(inputs("node9", kCluster));
  EXPECT_FALSE(d.enabled);
  EXPECT_NE(d.disabled_reason.find("node9"), std::string::npos);
  auto e = desired_bgp(inputs("x",
                              "apiVersion: projectcalico.org/v3\nkind: Node\nmetadata:\n"
                              "  name: x\nspec: {}\n"));
  EXPECT_FALSE(e.enabled);
}

TEST(DesiredPeers, TorPeeringGlobalAndNodeScoped) {
  auto d = desired_bgp(inputs("node1", kCluster + R"(---
apiVersion: projectcalico.org/v3
kind: BGPConfiguration
metadata:
  name: default
spec:
  nodeToNodeMeshEnabled: false
  asNumber: 64513
---
apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata:
  name: tor
spec:
  peerIP: 198.19.15.254
  asNumber: 65000
---
apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata:
  name: node1-extra
spec:
  node: node1
  peerIP: 198.19.15.253:1179
  asNumber: 65001
  nextHopMode: Self
  keepaliveTime: 20s
  ttlSecurity: 1
---
apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata:
  name: node2-only
spec:
  node: node2
  peerIP: 198.19.15.252
  asNumber: 65002
)"));
  ASSERT_TRUE(d.enabled);
  EXPECT_EQ(d.speaker.local_as, 64513u);
  ASSERT_EQ(d.peers.size(), 2u) << d.peers.size();
  EXPECT_EQ(d.peers[0].name, "Global_198_19_15_254");
  EXPECT_EQ(d.peers[0].peer_as, 65000u);
  EXPECT_EQ(d.peers[0].local_as, 64513u);
  EXPECT_FALSE(d.peers[0].passive);
  EXPECT_EQ(d.peers[1].name, "Node_198_19_15_253_port_1179");
  EXPECT_EQ(d.peers[1].port, 1179);
  EXPECT_EQ(d.peers[1].next_hop_mode, NextHopMode::self);
  EXPECT_EQ(d.peers[1].keepalive_time, 20);
  EXPECT_EQ(d.peers[1].ttl_security_hops, 1);
}

TEST(DesiredPeers, PasswordsFromSecrets) {
  auto d = desired_bgp(inputs("node1", kCluster + R"(---
apiVersion: v1
kind: Secret
metadata:
  name: bgp-secrets
  namespace: calico-system
data:
  mesh: c2VjcmV0LW1lc2g=
stringData:
  tor: plain-tor
---
apiVersion: projectcalico.org/v3
kind: BGPConfiguration
metadata:
  name: default
spec:
  nodeMeshPassword:
    secretKeyRef:
      name: bgp-secrets
      key: mesh
---
apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata:
  name: tor
spec:
  peerIP: 198.19.15.254
  asNumber: 65000
  password:
    secretKeyRef:
      name: bgp-secrets
      key: tor
---
apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata:
  name: missing
spec:
  peerIP: 198.19.15.250
  asNumber: 65000
  password:
    secretKeyRef:
      name: nope
      key: x
)"));
  EXPECT_EQ(find(d, "Mesh_198_19_0_1")->password, "secret-mesh");
  EXPECT_EQ(find(d, "Global_198_19_15_254")->password, "plain-tor");
  // A peer whose secret is missing is not configured rather than run without a password.
  EXPECT_EQ(find(d, "Global_198_19_15_250"), nullptr);
  ASSERT_FALSE(d.warnings.empty());
  EXPECT_NE(d.warnings.back().find("nope"), std::string::npos);
}

TEST(DesiredPeers, RouteReflectorSkipsMeshAndMarksClients) {
  const std::string yaml =
      node("rr1", "198.19.0.10/20", "    routeReflectorClusterID: 224.0.0.1\n") + kCluster + R"(---
apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata:
  name: rr-to-node1
spec:
  node: rr1
  peerIP: 198.19.0.2
)";
  auto rr = desired_bgp(inputs("rr1", yaml));
  ASSERT_TRUE(rr.enabled);
  EXPECT_EQ(rr.speaker.cluster_id, 0xE0000001u);
  ASSERT_EQ(rr.peers.size(), 1u);  // no mesh on a reflector
  EXPECT_TRUE(rr.peers[0].route_reflector_client);
  EXPECT_EQ(rr.peers[0].cluster_id, 0xE0000001u);
  // Ordinary nodes leave the reflector out of their mesh.
  auto n1 = desired_bgp(inputs("node1", yaml));
  EXPECT_EQ(find(n1, "Mesh_198_19_0_10"), nullptr);
  EXPECT_NE(find(n1, "Mesh_198_19_0_3"), nullptr);
}

TEST(DesiredPeers, PerNodeListenPortAndBindModeAndIpv6) {
  auto d =
      desired_bgp(inputs("node1", node("node1", "198.19.0.2/20", "    ipv6Address: fd00::2/64\n") +
                                      node("node2", "198.19.0.3/20",
                                           "    ipv6Address: fd00::3/64\n    asNumber: 65010\n") +
                                      R"(---
apiVersion: projectcalico.org/v3
kind: BGPConfiguration
metadata:
  name: default
spec:
  bindMode: NodeIP
---
apiVersion: projectcalico.org/v3
kind: BGPConfiguration
metadata:
  name: node.node2
spec:
  listenPort: 1790
)"));
  ASSERT_EQ(d.peers.size(), 2u);
  EXPECT_EQ(d.speaker.listen_addresses.size(), 2u);
  const auto* v4 = find(d, "Mesh_198_19_0_3");
  const auto* v6 = find(d, "Mesh_fd00__3");
  ASSERT_TRUE(v4 && v6);
  EXPECT_EQ(v4->port, 1790);
  EXPECT_EQ(v4->peer_as, 65010u);
  EXPECT_TRUE(v4->ipv4_unicast);
  EXPECT_FALSE(v4->ipv6_unicast);
  EXPECT_TRUE(v6->ipv6_unicast);
  EXPECT_EQ(v6->source_address->to_string(), "fd00::2");
}

TEST(DesiredPeers, Parsers) {
  auto a = parse_peer_ip("10.0.0.1", 179);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->second, 179);
  auto b = parse_peer_ip("10.0.0.1:1179", 179);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->second, 1179);
  auto c = parse_peer_ip("[fd00::1]:1179", 179);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->first.to_string(), "fd00::1");
  auto v6 = parse_peer_ip("fd00::1", 179);
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->second, 179);
  EXPECT_FALSE(parse_peer_ip("10.0.0.1:0", 179));
  EXPECT_FALSE(parse_peer_ip("nonsense", 179));
  EXPECT_EQ(*parse_go_duration_seconds("90s"), 90u);
  EXPECT_EQ(*parse_go_duration_seconds("1h30m"), 5400u);
  EXPECT_EQ(*parse_go_duration_seconds("1.5m"), 90u);
  EXPECT_FALSE(parse_go_duration_seconds("5 parsecs"));
  EXPECT_FALSE(parse_go_duration_seconds(""));
}

}  // namespace
}  // namespace podnet::bgp
