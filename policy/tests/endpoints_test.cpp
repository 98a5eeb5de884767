#include <gtest/gtest.h>

#include <fmt/format.h>

#include "policy/endpoints.hpp"
#include "policy/tests/policy_fixture.hpp"

namespace podnet::policy {
namespace {

using testing::parse;

TEST(Endpoints, InterfaceNameIsCalicosSha1Name) {
  // Calico's own test (libcalico-go conversion_test.go) expects "eni82111e10a96" for
  // ("namespace", "podname") with prefix "eni"; the default prefix is "cali".
  EXPECT_EQ(workload_interface_name("namespace", "podname"), "cali82111e10a96");
  EXPECT_EQ(workload_interface_name("yaobank", "customer").size(), 15u);
  EXPECT_NE(workload_interface_name("a", "b.c"), workload_interface_name("a.b", "d"));
}

TEST(Endpoints, WorkloadLabelsJoinNamespaceAndServiceAccount) {
  auto rs = parse(R"(apiVersion: v1
kind: Namespace
metadata:
  name: yaobank
  labels: {team: bank}
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: customer
  namespace: yaobank
  labels: {internet-egress: allowed}
---
apiVersion: v1
kind: Pod
metadata:
  name: customer-1
  namespace: yaobank
  labels: {app: customer}
spec:
  nodeName: node1
  serviceAccountName: customer
  containers:
  - name: web
    ports:
    - name: http
      containerPort: 8080
    - containerPort: 9000
    - name: dns
      containerPort: 53
      protocol: UDP
status:
  podIP: 10.0.0.5
  podIPs:
  - ip: 10.0.0.5
  - ip: fd00::5
---
apiVersion: v1
kind: Pod
metadata:
  name: hostnet
  namespace: yaobank
spec:
  hostNetwork: true
)");
  auto eps = build_endpoints(rs);
  EXPECT_TRUE(eps.errors.empty());
  ASSERT_EQ(eps.endpoints.size(), 1u);  // the host-network pod has no workload endpoint
  const Endpoint& e = eps.endpoints[0];
  EXPECT_EQ(e.name, "yaobank/customer-1");
  EXPECT_EQ(e.interface, workload_interface_name("yaobank", "customer-1"));
  EXPECT_EQ(e.node, "node1");
  Labels want = {{"app", "customer"},
                 {"projectcalico.org/namespace", "yaobank"},
                 {"projectcalico.org/orchestrator", "k8s"},
                 {"projectcalico.org/serviceaccount", "customer"},
                 {"pcns.team", "bank"},
                 {"pcns.projectcalico.org/name", "yaobank"},
                 {"pcsa.internet-egress", "allowed"},
                 {"pcsa.projectcalico.org/name", "customer"}};
  EXPECT_EQ(e.labels, want);
  ASSERT_EQ(e.ips.size(), 2u);
  EXPECT_EQ(e.ips[0].str(), "10.0.0.5");
  EXPECT_EQ(e.ips[1].str(), "fd00::5");
  std::vector<NamedPort> ports = {{"http", 6, 8080}, {"dns", 17, 53}};
  EXPECT_EQ(e.ports, ports);
  std::vector<std::string> profiles = {"kns.yaobank", "ksa.yaobank.customer"};
  EXPECT_EQ(e.profiles, profiles);
  EXPECT_EQ(eps.find("yaobank/customer-1"), &e);
  EXPECT_EQ(eps.with_ip(*IpAddr::parse("fd00::5")).size(), 1u);
  EXPECT_TRUE(eps.with_ip(*IpAddr::parse("10.0.0.6")).empty());
}

constexpr const char* kNodes = R"(apiVersion: projectcalico.org/v3
kind: Node
metadata:
  name: node1
  labels: {kubernetes.io/hostname: node1}
spec:
  bgp:
    ipv4Address: 198.19.0.2/20
    ipv4IPIPTunnelAddr: 198.19.17.1
  addresses:
  - address: 198.19.0.2
    type: InternalIP
---
apiVersion: projectcalico.org/v3
kind: Node
metadata:
  name: node2
  labels: {kubernetes.io/hostname: node2}
spec:
  bgp:
    ipv4Address: 198.19.0.3/20
)";

TEST(Endpoints, AutoHostEndpointsWhenKubeControllersEnablesThem) {
  std::string kcc = R"(---
apiVersion: projectcalico.org/v3
kind: KubeControllersConfiguration
metadata:
  name: default
spec:
  controllers:
    node:
      hostEndpoint:
        autoCreate: Enabled
)";
  EXPECT_TRUE(build_endpoints(parse(kNodes)).endpoints.empty());
  auto eps = build_endpoints(parse(std::string(kNodes) + kcc));
  ASSERT_EQ(eps.endpoints.size(), 2u);
  const Endpoint& h = eps.endpoints[0];
  EXPECT_EQ(h.kind, Endpoint::Kind::host);
  EXPECT_EQ(h.name, "node1-auto-hep");
  EXPECT_EQ(h.node, "node1");
  EXPECT_EQ(h.interface, "*");
  EXPECT_EQ(h.labels.at("kubernetes.io/hostname"), "node1");
  ASSERT_EQ(h.ips.size(), 2u);  // 198.19.0.2 once, and the tunnel address
  EXPECT_EQ(h.ips[0].str(), "198.19.0.2");
  EXPECT_EQ(h.ips[1].str(), "198.19.17.1");
  EXPECT_EQ(h.profiles, std::vector<std::string>{"projectcalico-default-allow"});

  // A HostEndpoint already stored under the name is not replaced.
  std::string own = R"(---
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata:
  name: node2-auto-hep
  labels: {role: edge}
spec:
  node: node2
  interfaceName: eth0
  expectedIPs: [198.19.0.3]
)";
  eps = build_endpoints(parse(std::string(kNodes) + kcc + own));
  ASSERT_EQ(eps.endpoints.size(), 2u);
  EXPECT_EQ(eps.find("node2-auto-hep")->interface, "eth0");
  EXPECT_TRUE(eps.find("node2-auto-hep")->profiles.empty());
}

// Felix's resolution: per interface of this node, of the HostEndpoints that name it or name
// none and expect one of its addresses, the lowest name governs it; one naming another interface
// never matches by address; other nodes' endpoints and "*" take no part.
TEST(Endpoints, HostEndpointsByExpectedIpsResolveToTheInterfaceWithTheAddress) {
  auto hep = [](const std::string& name, const std::string& node, const std::string& iface,
                const std::string& ips) {
    return fmt::format(
        "---\napiVersion: projectcalico.org/v3\nkind: HostEndpoint\nmetadata: {{name: {}}}\n"
        "spec:\n  node: {}\n{}  expectedIPs: [{}]\n",
        name, node, iface.empty() ? "" : "  interfaceName: '" + iface + "'\n", ips);
  };
  auto ip = [](const char* t) { return *IpAddr::parse(t); };
  const std::map<std::string, std::vector<IpAddr>> ifaces = {
      {"eth0", {ip("10.0.0.2"), ip("fd00::2")}},
      {"eth1", {ip("192.168.9.2")}},
      {"eth2", {ip("172.16.0.2")}},
      {"lo", {ip("127.0.0.1")}}};
  auto eps = build_endpoints(parse(
      hep("b-by-ip", "n2", "", "10.0.0.2") + hep("c-by-ip", "n2", "", "192.168.9.2, 10.0.0.2") +
      hep("a-named", "n2", "eth2", "10.0.0.2") + hep("z-named", "n2", "eth1", "") +
      hep("d-other-node", "n1", "", "172.16.0.2") + hep("all", "n2", "*", "10.0.0.2")));
  ASSERT_TRUE(eps.errors.empty()) << eps.errors.front().str();
  const auto got = resolve_host_interfaces(eps, "n2", ifaces);
  const std::map<std::string, std::string> want = {
      {"eth0", "b-by-ip"},   // b and c expect 10.0.0.2; a names eth2, so not by address
      {"eth1", "c-by-ip"},   // c (by address) has a lower name than z (by name)
      {"eth2", "a-named"}};  // d would match 172.16.0.2 but is node n1's
  EXPECT_EQ(got, want);
  EXPECT_TRUE(resolve_host_interfaces(eps, "n2", {}).empty());
  EXPECT_EQ(resolve_host_interfaces(eps, "n1", ifaces),
            (std::map<std::string, std::string>{{"eth2", "d-other-node"}}));
}

TEST(Endpoints, FailsafesDefaultAndFromFelixConfiguration) {
  auto d = default_failsafes();
  ASSERT_EQ(d.inbound.size(), 9u);
  EXPECT_EQ(d.inbound[0].protocol, 6);
  EXPECT_EQ(d.inbound[0].port, 22);
  EXPECT_EQ(d.inbound[1].protocol, 17);
  EXPECT_EQ(d.inbound[1].port, 68);
  ASSERT_EQ(d.outbound.size(), 9u);
  EXPECT_EQ(d.outbound[0].port, 53);
  auto f = failsafes_from(parse(R"(apiVersion: projectcalico.org/v3
kind: FelixConfiguration
metadata:
  name: default
spec:
  failsafeInboundHostPorts:
  - protocol: tcp
    port: 2222
    net: 10.0.0.0/8
)"));
  ASSERT_EQ(f.inbound.size(), 1u);
  EXPECT_EQ(f.inbound[0].port, 2222);
  ASSERT_TRUE(f.inbound[0].net.has_value());
  EXPECT_EQ(f.inbound[0].net->str(), "10.0.0.0/8");
  EXPECT_EQ(f.outbound.size(), 9u);  // not set: the default stays
}

TEST(Ip, CidrParsesMasksAndContains) {
  auto c = Cidr::parse("10.1.2.3/8");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->str(), "10.0.0.0/8");
  EXPECT_TRUE(c->contains(*IpAddr::parse("10.255.0.1")));
  EXPECT_FALSE(c->contains(*IpAddr::parse("11.0.0.1")));
  EXPECT_FALSE(c->contains(*IpAddr::parse("::a00:1")));
  EXPECT_EQ(Cidr::parse("fd00::1")->str(), "fd00::1/128");
  EXPECT_TRUE(Cidr::parse("0.0.0.0/0")->contains(*IpAddr::parse("1.2.3.4")));
  EXPECT_FALSE(Cidr::parse("10.0.0.0/33").ok());
  EXPECT_FALSE(Cidr::parse("bogus").ok());
}

}  // namespace
}  // namespace podnet::policy
