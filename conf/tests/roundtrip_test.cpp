// Every kind: a minimal valid document parses, gets Calico's defaults, and survives
// to_yaml -> decode_stored unchanged (apart from the resourceVersion the store assigns).
#include <gtest/gtest.h>

#include <regex>

#include "conf/resource.hpp"

namespace podnet::conf {
namespace {

using Json = nlohmann::ordered_json;

struct Case {
  const char* yaml;
  const char* key;
  std::vector<std::pair<const char*, Json>> expect;  // JSON pointer -> value after defaulting
};

const std::vector<Case>& cases() {
  static const std::vector<Case> c = {
      {"apiVersion: projectcalico.org/v3\nkind: Node\nmetadata:\n  name: node1\nspec:\n  bgp:\n    "
       "ipv4Address: 198.19.0.2/20\n    asNumber: '1.10'\n",
       "nodes/node1",
       {{"/spec/bgp/ipv4Address", "198.19.0.2/20"}, {"/spec/bgp/asNumber", 65546}}},
      {"apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: pool-a\nspec:\n  cidr: "
       "10.0.0.0/16\n",
       "ippools/pool-a",
       {{"/spec/blockSize", 26},
        {"/spec/ipipMode", "Never"},
        {"/spec/vxlanMode", "Never"},
        {"/spec/natOutgoing", false},
        {"/spec/disabled", false},
        {"/spec/nodeSelector", "all()"},
        {"/spec/allowedUses", Json::array({"Workload", "Tunnel"})},
        {"/spec/assignmentMode", "Automatic"}}},
      {"apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: pool-6\nspec:\n  cidr: "
       "fd00:0:0::/64\n  vxlanMode: CrossSubnet\n",
       "ippools/pool-6",
       {{"/spec/blockSize", 122}, {"/spec/cidr", "fd00::/64"}, {"/spec/vxlanMode", "CrossSubnet"}}},
      {"apiVersion: projectcalico.org/v3\nkind: IPAMBlock\nmetadata:\n  name: 10-0-0-0-30\nspec:\n "
       " cidr: 10.0.0.0/30\n  affinity: host:node1\n  allocations: [0, null, null, null]\n  "
       "unallocated: [1, 2, 3]\n  attributes:\n  - handle_id: k8s-pod-network.abc\n    "
       "secondary:\n      node: node1\n      pod: p\n",
       "ipamblocks/10-0-0-0-30",
       {{"/spec/allocations", Json::array({0, nullptr, nullptr, nullptr})},
        {"/spec/sequenceNumber", 0},
        {"/spec/deleted", false}}},
      {"apiVersion: projectcalico.org/v3\nkind: BlockAffinity\nmetadata:\n  name: "
       "node1-10-0-0-0-26\nspec:\n  state: confirmed\n  node: node1\n  cidr: 10.0.0.0/26\n",
       "blockaffinities/node1-10-0-0-0-26",
       {{"/spec/deleted", false}, {"/spec/state", "confirmed"}}},
      {"apiVersion: projectcalico.org/v3\nkind: IPAMConfig\nmetadata:\n  name: default\nspec:\n  "
       "maxBlocksPerHost: 4\n",
       "ipamconfigs/default",
       {{"/spec/strictAffinity", false},
        {"/spec/autoAllocateBlocks", true},
        {"/spec/maxBlocksPerHost", 4}}},
      {"apiVersion: projectcalico.org/v3\nkind: IPAMHandle\nmetadata:\n  name: "
       "k8s-pod-network.abc\nspec:\n  handleID: k8s-pod-network.abc\n  block:\n    "
       "10-0-0-0-26: 2\n",
       "ipamhandles/k8s-pod-network.abc",
       {{"/spec/block/10-0-0-0-26", 2}, {"/spec/deleted", false}}},
      {"apiVersion: projectcalico.org/v3\nkind: BGPConfiguration\nmetadata:\n  name: "
       "default\nspec: {}\n",
       "bgpconfigurations/default",
       {{"/spec/nodeToNodeMeshEnabled", true},
        {"/spec/asNumber", 64512},
        {"/spec/listenPort", 179},
        {"/spec/logSeverityScreen", "Info"}}},
      {"apiVersion: projectcalico.org/v3\nkind: BGPPeer\nmetadata:\n  name: tor\nspec:\n  peerIP: "
       "'[fd00::1]:1179'\n  asNumber: 65001\n  nodeSelector: rack == 'a'\n",
       "bgppeers/tor",
       {{"/spec/peerIP", "[fd00::1]:1179"}, {"/spec/asNumber", 65001}}},
      {"apiVersion: projectcalico.org/v3\nkind: BGPFilter\nmetadata:\n  name: f\nspec:\n  "
       "exportV4:\n  - action: Reject\n    cidr: 10.0.0.0/8\n    matchOperator: In\n",
       "bgpfilters/f",
       {{"/spec/exportV4/0/action", "Reject"}}},
      {"apiVersion: projectcalico.org/v3\nkind: FelixConfiguration\nmetadata:\n  name: "
       "default\nspec:\n  wireguardEnabled: true\n  routeTableRanges:\n  - min: 1\n    max: 250\n",
       "felixconfigurations/default",
       {{"/spec/wireguardEnabled", true}, {"/spec/routeTableRanges/0/max", 250}}},
      {"apiVersion: projectcalico.org/v3\nkind: KubeControllersConfiguration\nmetadata:\n  name: "
       "default\nspec:\n  controllers:\n    node:\n      hostEndpoint:\n        autoCreate: "
       "Enabled\n",
       "kubecontrollersconfigurations/default",
       {{"/spec/controllers/node/hostEndpoint/autoCreate", "Enabled"},
        {"/spec/healthChecks", "Enabled"},
        {"/spec/logSeverityScreen", "Info"}}},
      {"apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata:\n  name: allow-dns\n  "
       "namespace: yaobank\nspec:\n  selector: all()\n  egress:\n  - action: Allow\n    protocol: "
       "UDP\n    destination:\n      ports: [53]\n",
       "networkpolicies/yaobank/allow-dns",
       {{"/spec/types", Json::array({"Egress"})},
        {"/spec/tier", "default"},
        {"/metadata/labels/projectcalico.org~1tier", "default"}}},
      {"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: db\nspec:\n  "
       "podSelector: {}\n  egress:\n  - ports:\n    - port: 53\n",
       "kubernetesnetworkpolicies/default/db",
       {{"/spec/policyTypes", Json::array({"Ingress", "Egress"})},
        {"/spec/egress/0/ports/0/protocol", "TCP"},
        {"/metadata/namespace", "default"}}},
      {"apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata:\n  name: g\nspec:\n "
       " selector: has(x)\n  ingress:\n  - action: Deny\n  egress:\n  - action: Allow\n",
       "globalnetworkpolicies/g",
       {{"/spec/types", Json::array({"Ingress", "Egress"})}}},
      {"apiVersion: projectcalico.org/v3\nkind: NetworkSet\nmetadata:\n  name: ns1\n  namespace: "
       "yaobank\nspec:\n  nets: [10.1.0.0/16, 192.168.1.1]\n",
       "networksets/yaobank/ns1",
       {{"/spec/nets/1", "192.168.1.1"}}},
      {"apiVersion: projectcalico.org/v3\nkind: GlobalNetworkSet\nmetadata:\n  name: gns\n  "
       "labels:\n    role: external\nspec:\n  nets: [0.0.0.0/0]\n",
       "globalnetworksets/gns",
       {{"/metadata/labels/role", "external"}}},
      {"apiVersion: projectcalico.org/v3\nkind: HostEndpoint\nmetadata:\n  name: "
       "node1-eth0\nspec:\n  node: node1\n  interfaceName: eth0\n  expectedIPs: [198.19.0.2]\n  "
       "ports:\n  - name: http\n    protocol: TCP\n    port: 80\n",
       "hostendpoints/node1-eth0",
       {{"/spec/ports/0/port", 80}}},
      {"apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata:\n  name: default\n",
       "tiers/default",
       {{"/spec/order", 1000000}, {"/spec/defaultAction", "Deny"}}},
      {"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: yaobank\n  labels:\n    "
       "istio-injection: disabled\n",
       "namespaces/yaobank",
       {{"/metadata/labels/istio-injection", "disabled"}}},
      {"apiVersion: v1\nkind: Pod\nmetadata:\n  name: customer-1\n  namespace: yaobank\nspec:\n  "
       "nodeName: node1\n  serviceAccountName: customer\n  containers:\n  - name: c\n    image: "
       "x\nstatus:\n  podIP: 198.19.22.132\n  podIPs:\n  - ip: 198.19.22.132\n",
       "pods/yaobank/customer-1",
       {{"/spec/containers/0/image", "x"}, {"/status/podIPs/0/ip", "198.19.22.132"}}},
      {"apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: customer\n  namespace: yaobank\n  "
       "labels:\n    internet-egress: allowed\n",
       "serviceaccounts/yaobank/customer",
       {{"/metadata/labels/internet-egress", "allowed"}}},
      {"apiVersion: v1\nkind: Secret\nmetadata:\n  name: bgp-pass\n  namespace: kube-system\ntype: "
       "Opaque\nstringData:\n  password: s3cret\n",
       "secrets/kube-system/bgp-pass",
       {{"/stringData/password", "s3cret"}, {"/type", "Opaque"}}},
      {"apiVersion: v1\nkind: Service\nmetadata:\n  name: customer\n  namespace: yaobank\nspec:\n  "
       "type: NodePort\n  selector:\n    app: customer\n  ports:\n  - port: 80\n    nodePort: "
       "30180\n",
       "services/yaobank/customer",
       {{"/spec/ports/0/protocol", "TCP"}, {"/spec/ports/0/nodePort", 30180}}},
      {"apiVersion: operator.tigera.io/v1\nkind: Installation\nmetadata:\n  name: default\nspec:\n "
       " calicoNetwork:\n    ipPools:\n    - cidr: 10.0.0.0/16\n      encapsulation: "
       "VXLANCrossSubnet\n",
       "installations/default",
       {{"/spec/calicoNetwork/ipPools/0/name", "default-ipv4-ippool"},
        {"/spec/calicoNetwork/ipPools/0/natOutgoing", "Enabled"},
        {"/spec/calicoNetwork/bgp", "Enabled"}}},
  };
  return c;
}

TEST(RoundTrip, EveryKindParsesDefaultsAndRoundTrips) {
  std::set<std::string> kinds_seen;
  for (const auto& c : cases()) {
    SCOPED_TRACE(c.key);
    auto docs = parse_documents(c.yaml, "test.yaml");
    ASSERT_EQ(docs.size(), 1u);
    ASSERT_TRUE(docs[0].errors.empty()) << docs[0].errors[0].str();
    ASSERT_FALSE(docs[0].resources.empty());
    const Resource& r = docs[0].resources[0];
    kinds_seen.insert(r.kind->plural);
    EXPECT_EQ(r.key(), c.key);
    for (const auto& [ptr, want] : c.expect)
      EXPECT_EQ(r.doc.at(Json::json_pointer(ptr)), want) << ptr << " in\n" << to_yaml(r);

    std::string y = to_yaml(r);
    EXPECT_EQ(y.rfind("apiVersion: ", 0), 0u) << y;
    auto stored = decode_stored(y, 42);
    ASSERT_TRUE(stored.ok()) << stored.error().message << "\n" << y;
    EXPECT_EQ(stored->doc["metadata"]["resourceVersion"], "42");
    EXPECT_EQ(stored->kind, r.kind);
    Json without = stored->doc;
    without["metadata"].erase("resourceVersion");
    EXPECT_EQ(without, r.doc) << y << "\n---\n" << to_yaml(*stored);
    // Canonical: writing it again gives the same text.
    Resource again{stored->kind, without};
    EXPECT_EQ(to_yaml(again), y);
  }
  EXPECT_EQ(kinds_seen.size(), all_kinds().size());
}

TEST(RoundTrip, InstallationBecomesIPPools) {
  auto docs = parse_documents(cases().back().yaml, "i.yaml");
  ASSERT_EQ(docs.size(), 1u);
  ASSERT_EQ(docs[0].resources.size(), 2u);
  const Resource& pool = docs[0].resources[1];
  EXPECT_EQ(pool.key(), "ippools/default-ipv4-ippool");
  EXPECT_EQ(pool.doc["spec"]["vxlanMode"], "CrossSubnet");
  EXPECT_EQ(pool.doc["spec"]["ipipMode"], "Never");
  EXPECT_EQ(pool.doc["spec"]["natOutgoing"], true);
  EXPECT_EQ(pool.doc["spec"]["blockSize"], 26);
}

TEST(RoundTrip, YamlQuotesWhatWouldReadAsAnotherType) {
  Resource r;
  r.kind = find_kind("GlobalNetworkSet");
  r.doc = Json::parse(R"({"apiVersion":"projectcalico.org/v3","kind":"GlobalNetworkSet",
    "metadata":{"name":"x","labels":{"a":"true","b":"123","c":"","d":"yes","e":"1.5"},
    "annotations":{"j":"{\"k\": 1}","m":"line1\nline2","n":"- dash","o":"a: b"}},"spec":{"nets":[]}})");
  std::string y = to_yaml(r);
  EXPECT_NE(y.find("a: \"true\""), std::string::npos) << y;
  EXPECT_NE(y.find("b: \"123\""), std::string::npos) << y;
  EXPECT_NE(y.find("c: \"\""), std::string::npos) << y;
  EXPECT_NE(y.find("nets: []"), std::string::npos) << y;
  auto back = decode_stored(y, 1);
  ASSERT_TRUE(back.ok()) << back.error().message << "\n" << y;
  EXPECT_EQ(back->doc["metadata"]["labels"], r.doc["metadata"]["labels"]);
  EXPECT_EQ(back->doc["metadata"]["annotations"], r.doc["metadata"]["annotations"]);
}

TEST(RoundTrip, ParseResourceFromJsonAndStampNew) {
  auto j = nlohmann::json::parse(
      R"({"apiVersion":"projectcalico.org/v3","kind":"IPPool","metadata":{"name":"p","resourceVersion":"9"},
          "spec":{"cidr":"10.9.0.0/16","blockSize":28}})");
  auto r = parse_resource(j, "<patch>");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->doc["spec"]["blockSize"], 28);
  stamp_new(*r);
  EXPECT_FALSE(r->doc["metadata"].contains("resourceVersion"));
  std::string uid = r->doc["metadata"]["uid"];
  EXPECT_TRUE(std::regex_match(
      uid, std::regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")))
      << uid;
  std::string ts = r->doc["metadata"]["creationTimestamp"];
  EXPECT_TRUE(std::regex_match(
      ts, std::regex("20[0-9]{2}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9]Z")))
      << ts;
  // An existing uid is kept.
  stamp_new(*r);
  EXPECT_EQ(r->doc["metadata"]["uid"], uid);

  j["spec"]["blockSize"] = "28";  // a string where an integer belongs
  auto bad = parse_resource(j, "<patch>");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, Errc::invalid);
  EXPECT_NE(
      bad.error().message.find("IPPool 'p': spec.blockSize: expected an integer, got string 28"),
      std::string::npos)
      << bad.error().message;
}

TEST(RoundTrip, ListsOfResources) {
  const char* text = R"(apiVersion: v1
kind: List
items:
- apiVersion: projectcalico.org/v3
  kind: IPPool
  metadata: {name: a}
  spec: {cidr: 10.1.0.0/16}
---
apiVersion: projectcalico.org/v3
kind: IPPoolList
items:
- metadata: {name: b}
  spec: {cidr: 10.2.0.0/16}
- metadata: {name: c}
  spec: {cidr: 10.3.0.0/16}
)";
  auto docs = parse_documents(text, "l.yaml");
  ASSERT_EQ(docs.size(), 2u);
  ASSERT_TRUE(docs[0].errors.empty()) << docs[0].errors[0].str();
  ASSERT_TRUE(docs[1].errors.empty()) << docs[1].errors[0].str();
  ASSERT_EQ(docs[0].resources.size(), 1u);
  ASSERT_EQ(docs[1].resources.size(), 2u);
  EXPECT_EQ(docs[1].resources[1].key(), "ippools/c");
  EXPECT_EQ(docs[1].line, 9);
}

}  // namespace
}  // namespace podnet::conf
