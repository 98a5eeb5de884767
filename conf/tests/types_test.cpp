// The typed structs read what the documents hold, with Calico's defaults where the document is
// silent.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "conf/decode.hpp"

namespace podnet::conf {
namespace {

Resource one(const std::string& yaml, size_t i = 0) {
  auto docs = parse_documents(yaml, "t.yaml");
  EXPECT_EQ(docs.size(), 1u);
  if (docs.empty()) return {};
  for (const auto& e : docs[0].errors) ADD_FAILURE() << e.str();
  if (docs[0].resources.size() <= i) return {};
  return docs[0].resources[i];
}

std::string seed(const char* file) {
  const char* dir = std::getenv("PODNET_SOURCE_DIR");
  std::ifstream f(std::filesystem::path(dir ? dir : ".") / "conf/tests/data/seed" / file);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

TEST(Types, IPPoolFromTheInstallation) {
  Resource r = one(seed("16-default.yaml"), 1);
  auto pool = decode<types::IPPool>(r);
  ASSERT_TRUE(pool.ok()) << pool.error().message;
  EXPECT_EQ(pool->metadata.name, "default-ipv4-ippool");
  EXPECT_EQ(pool->spec.cidr, "198.19.16.0/21");
  EXPECT_EQ(pool->spec.block_size, 26);
  EXPECT_TRUE(pool->spec.nat_outgoing);
  EXPECT_EQ(pool->spec.ipip_mode, "Never");
  auto inst = decode<types::Installation>(one(seed("16-default.yaml"), 0));
  ASSERT_TRUE(inst.ok());
  ASSERT_EQ(inst->ip_pools.size(), 1u);
  EXPECT_EQ(inst->ip_pools[0].encapsulation, "None");
  // The wrong type is refused.
  auto wrong = decode<types::BGPPeer>(r);
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().message, "ippools/default-ipv4-ippool is not a bgppeers");
}

TEST(Types, NodeFromCalicoctlOutput) {
  auto n = decode<types::Node>(one(seed("14-node1.yaml")));
  ASSERT_TRUE(n.ok());
  ASSERT_TRUE(n->spec.bgp.has_value());
  EXPECT_EQ(n->spec.bgp->ipv4_address, "198.19.0.2/20");
  EXPECT_EQ(n->spec.bgp->ipv4_ipip_tunnel_addr, "198.19.22.128");
  EXPECT_FALSE(n->spec.bgp->as_number.has_value());
  ASSERT_TRUE(n->spec.wireguard.has_value());
  EXPECT_EQ(n->spec.wireguard->interface_ipv4_address, "198.19.22.131");
  EXPECT_EQ(n->status.wireguard_public_key, "An4UT4PR9XzGgJ5df452Dw034q1SfXZOI1Dp2ebUUWQ=");
  EXPECT_EQ(n->metadata.labels.at("kubernetes.io/hostname"), "node1");
  EXPECT_EQ(n->metadata.resource_version, "8760");
}

TEST(Types, BgpConfigurationAndPeer) {
  auto c = decode<types::BGPConfiguration>(
      one("apiVersion: projectcalico.org/v3\nkind: BGPConfiguration\nmetadata:\n  name: "
          "default\nspec:\n"
          "  serviceClusterIPs:\n  - cidr: 10.96.0.0/12\n  nodeMeshPassword:\n    secretKeyRef: "
          "{name: bgp, key: pw}\n"));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->spec.as_number, 64512);
  EXPECT_EQ(c->spec.node_to_node_mesh_enabled, true);
  EXPECT_EQ(c->spec.listen_port, 179);
  EXPECT_EQ(c->spec.service_cluster_ips, std::vector<std::string>{"10.96.0.0/12"});
  ASSERT_TRUE(c->spec.node_mesh_password && c->spec.node_mesh_password->secret_key_ref);
  EXPECT_EQ(c->spec.node_mesh_password->secret_key_ref->key, "pw");

  auto p = decode<types::BGPPeer>(
      one("apiVersion: projectcalico.org/v3\nkind: BGPPeer\nmetadata:\n  name: tor\n"
          "spec:\n  peerIP: 10.0.0.1:1179\n  asNumber: '1.10'\n  ttlSecurity: 1\n"));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->spec.peer_ip, "10.0.0.1:1179");
  EXPECT_EQ(p->spec.as_number, 65546);
  EXPECT_EQ(p->spec.ttl_security, 1);
  EXPECT_EQ(p->spec.source_address, "UseNodeIP");
}

TEST(Types, FelixDefaults) {
  auto f = decode<types::FelixConfiguration>(one(
      "apiVersion: projectcalico.org/v3\nkind: FelixConfiguration\nmetadata:\n  name: "
      "default\nspec:\n"
      "  wireguardEnabled: true\n  failsafeInboundHostPorts:\n  - protocol: tcp\n    port: 22\n"));
  ASSERT_TRUE(f.ok());
  EXPECT_TRUE(f->spec.wireguard_enabled);
  EXPECT_EQ(f->spec.wireguard_listening_port, 51820);
  EXPECT_EQ(f->spec.wireguard_interface_name, "wireguard.cali");
  EXPECT_EQ(f->spec.vxlan_vni, 4096);
  EXPECT_EQ(f->spec.vxlan_port, 4789);
  ASSERT_EQ(f->spec.route_table_ranges.size(), 1u);
  EXPECT_EQ(f->spec.route_table_ranges[0].max, 250);
  ASSERT_TRUE(f->spec.failsafe_inbound_host_ports.has_value());
  EXPECT_EQ(f->spec.failsafe_inbound_host_ports->at(0).port, 22);
}

TEST(Types, PoliciesRulesAndPorts) {
  auto g = decode<types::GlobalNetworkPolicy>(one(seed("13-nodeport-policy.yaml")));
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->spec.order, 100.0);
  EXPECT_TRUE(g->spec.pre_dnat);
  EXPECT_TRUE(g->spec.apply_on_forward);
  ASSERT_EQ(g->spec.ingress.size(), 3u);
  EXPECT_EQ(g->spec.ingress[0].action, "Allow");
  EXPECT_EQ(g->spec.ingress[0].protocol->text(), "TCP");
  EXPECT_EQ(g->spec.ingress[0].destination.ports, (std::vector<types::Port>{{30180, 30180, ""}}));
  EXPECT_EQ(g->spec.ingress[0].source.nets, std::vector<std::string>{"198.19.15.254/32"});
  EXPECT_EQ(g->spec.ingress[1].destination.ports, (std::vector<types::Port>{{30000, 32767, ""}}));
  EXPECT_EQ(g->spec.types, std::vector<std::string>{"Ingress"});

  auto lock = decode<types::GlobalNetworkPolicy>(one(seed("10-egress-lockdown.yaml")));
  ASSERT_TRUE(lock.ok());
  EXPECT_EQ(lock->spec.service_account_selector, "internet-egress not in {\"allowed\"}");
  EXPECT_EQ(lock->spec.egress.at(0).destination.not_nets.size(), 4u);

  auto k = decode<types::KubernetesNetworkPolicy>(one(seed("06-database-policy.yaml")));
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(k->metadata.namespace_, "yaobank");
  EXPECT_EQ(k->spec.pod_selector.match_labels.at("app"), "database");
  ASSERT_EQ(k->spec.ingress.size(), 1u);
  EXPECT_EQ(k->spec.ingress[0].peers.at(0).pod_selector->match_labels.at("app"), "summary");
  EXPECT_EQ(k->spec.ingress[0].ports.at(0).port->num, 2379);
  EXPECT_EQ(k->spec.ingress[0].ports.at(0).protocol, "TCP");
  ASSERT_EQ(k->spec.egress.size(), 1u);
  EXPECT_TRUE(k->spec.egress[0].peers.empty());
  EXPECT_EQ(k->spec.policy_types, (std::vector<std::string>{"Ingress", "Egress"}));
}

TEST(Types, IpamAndK8sKinds) {
  auto b =
      decode<types::IPAMBlock>(one("apiVersion: projectcalico.org/v3\nkind: IPAMBlock\nmetadata:\n "
                                   " name: 10-0-0-0-31\nspec:\n  cidr: 10.0.0.0/31\n"
                                   "  affinity: host:node1\n  allocations: [null, 0]\n  "
                                   "unallocated: [0]\n  attributes:\n  - handle_id: h\n"
                                   "    secondary: {node: node2}\n"));
  ASSERT_TRUE(b.ok());
  ASSERT_EQ(b->spec.allocations.size(), 2u);
  EXPECT_FALSE(b->spec.allocations[0].has_value());
  EXPECT_EQ(b->spec.allocations[1], 0);
  EXPECT_EQ(b->spec.attributes.at(0).secondary.at("node"), "node2");
  EXPECT_EQ(b->spec.affinity, "host:node1");

  auto pod = decode<types::Pod>(
      one("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: yaobank\n"
          "spec:\n  nodeName: node1\nstatus:\n  podIP: 198.19.22.132\n  podIPs:\n"
          "  - ip: 198.19.22.132\n  - ip: fd00::5\n"));
  ASSERT_TRUE(pod.ok());
  EXPECT_EQ(pod->spec.node_name, "node1");
  EXPECT_EQ(pod->spec.service_account_name, "default");
  EXPECT_EQ(pod->status.pod_ips, (std::vector<std::string>{"198.19.22.132", "fd00::5"}));

  auto tier = decode<types::Tier>(
      one("apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata:\n  name: kube-admin\n"));
  ASSERT_TRUE(tier.ok());
  EXPECT_EQ(tier->spec.order, 1000.0);
  EXPECT_EQ(tier->spec.default_action, "Deny");
}

}  // namespace
}  // namespace podnet::conf
