// The policy engine end to end on a real kernel: conf resources (YAML, as the datastore holds
// them) → model → compiler → one nftables batch in a "node" namespace, with four pods behind
// cali veths named as Calico's CNI names them and an external host on the node's uplink. Every
// probe is a real TCP connect with a timeout (or a UDP datagram) and every verdict is also asked
// of the evaluator (what `podnetctl policy test` prints), which must agree with the packets.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <sstream>

#include "interop-tests/topology/pod.hpp"
#include "interop-tests/topology/topology.hpp"
#include "policy/compiler.hpp"
#include "policy/evaluate.hpp"
#include "policy/policy_engine.hpp"
#include "policy/tests/nft_netns.hpp"
#include "policy/tests/policy_fixture.hpp"

namespace podnet::policy {
namespace {

using testing::ScopedNetns;

constexpr int kDenyTimeoutMs = 700;  // an allowed connect on a veth takes well under this

int open_socket_in(const std::string& ns, int type, uint16_t port) {
  ScopedNetns in(ns);
  if (!in.ok()) return -1;
  int fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      (type == SOCK_STREAM && ::listen(fd, 256) != 0)) {
    ::close(fd);
    return -1;
  }
  return fd;
}

sockaddr_in to_addr(const std::string& ip, uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  ::inet_pton(AF_INET, ip.c_str(), &a.sin_addr);
  return a;
}

// A TCP handshake from inside `ns` completes within the timeout.
bool tcp_connects(const std::string& ns, const std::string& ip, uint16_t port) {
  ScopedNetns in(ns);
  if (!in.ok()) return false;
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  sockaddr_in a = to_addr(ip, port);
  bool ok = false;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 || errno == EINPROGRESS) {
    pollfd p{fd, POLLOUT, 0};
    int err = 0;
    socklen_t len = sizeof err;
    ok = ::poll(&p, 1, kDenyTimeoutMs) == 1 &&
         ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0;
  }
  ::close(fd);
  return ok;
}

// A datagram sent from inside `ns` arrives at the receiving socket within the timeout.
bool udp_arrives(const std::string& ns, const std::string& ip, uint16_t port, int receiver) {
  char drain[64];
  while (::recv(receiver, drain, sizeof drain, MSG_DONTWAIT) > 0) {
  }
  {
    ScopedNetns in(ns);
    if (!in.ok()) return false;
    int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in a = to_addr(ip, port);
    ::sendto(fd, "probe", 5, 0, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::close(fd);
  }
  pollfd p{receiver, POLLIN, 0};
  return ::poll(&p, 1, kDenyTimeoutMs) == 1;
}

struct PodSpec {
  std::string ns, name, labels, ip, extra;
};
const std::vector<PodSpec> kPods = {
    {"prod", "web", "{app: web}", "10.244.0.10",
     "  serviceAccountName: web\n  containers:\n  - name: c\n    ports:\n    - name: http\n"
     "      containerPort: 8080\n"},
    {"prod", "db", "{app: db}", "10.244.0.11", ""},
    {"dev", "client", "{app: client}", "10.244.0.12", "  serviceAccountName: client\n"},
    {"kube-system", "dns", "{k8s-app: kube-dns}", "10.244.0.13", ""},
};
constexpr const char* kExt = "172.31.0.2";
constexpr const char* kNodeIp = "172.31.0.1";

std::string base_yaml(const std::string& client_labels = "{app: client}") {
  std::string y = testing::ns_yaml("prod", "{env: prod}") + testing::ns_yaml("dev", "{env: dev}") +
                  testing::ns_yaml("kube-system", "{}") +
                  "---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: web, namespace: "
                  "prod, labels: {internet: allowed}}\n"
                  "---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: client, namespace: "
                  "dev}\n";
  for (const auto& p : kPods)
    y += testing::pod_yaml(p.ns, p.name, p.name == "client" ? client_labels : p.labels, p.ip,
                           p.extra);
  return y;
}

class PolicyEngineTraffic : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    topo_ = new interop::Topology("pnpe");
    ASSERT_TRUE(topo_->add_host("node").ok());
    ASSERT_TRUE(topo_->add_host("ext").ok());
    ASSERT_TRUE(
        topo_->add_link({"node", "eth0", {"172.31.0.1/24"}}, {"ext", "eth0", {"172.31.0.2/24"}})
            .ok());
    ASSERT_TRUE(topo_->up().ok());
    for (const auto& p : kPods) {
      auto pod = interop::add_pod(*topo_, "node", "eth0", p.name, p.ip);
      ASSERT_TRUE(pod.ok()) << pod.error().message;
      // Calico's CNI name (SHA-1 of "<ns>.<pod>"), which the compiler's maps key on. The route
      // goes with the link down, so it is put back.
      const std::string want = workload_interface_name(p.ns, p.name);
      for (const auto& argv : std::vector<std::vector<std::string>>{
               {"ip", "link", "set", pod->host_if, "down"},
               {"ip", "link", "set", pod->host_if, "name", want},
               {"ip", "link", "set", want, "up"},
               {"ip", "route", "replace", p.ip + "/32", "dev", want, "scope", "link"}})
        ASSERT_EQ(topo_->exec("node", argv).exit_code, 0) << argv[3];
    }
    ASSERT_EQ(topo_->exec("ext", {"ip", "route", "add", "10.244.0.0/16", "via", kNodeIp}).exit_code,
              0);
    for (const auto& p : kPods)
      for (uint16_t port : {8080, 9090}) {
        int fd = open_socket_in(topo_->ns(p.name), SOCK_STREAM, port);
        ASSERT_GE(fd, 0);
        fds_->push_back(fd);
      }
    for (uint16_t port : {9000, 8080})
      fds_->push_back(open_socket_in(topo_->ns("ext"), SOCK_STREAM, port));
    for (uint16_t port : {22, 8080})
      fds_->push_back(open_socket_in(topo_->ns("node"), SOCK_STREAM, port));
    ext_udp_ = open_socket_in(topo_->ns("ext"), SOCK_DGRAM, 9001);
    ASSERT_GE(ext_udp_, 0);
    engine_ = new PolicyEngine();
  }
  static void TearDownTestSuite() {
    for (int fd : *fds_) ::close(fd);
    fds_->clear();
    if (ext_udp_ >= 0) ::close(ext_udp_);
    delete engine_;
    engine_ = nullptr;
    delete topo_;
    topo_ = nullptr;
  }

  // Applies a resource set; the engine's socket is opened in the node's namespace.
  void apply(const std::string& yaml) {
    resources_ = testing::parse(yaml);
    ScopedNetns in(topo_->ns("node"));
    ASSERT_TRUE(in.ok());
    auto st = engine_->update(resources_, "node1");
    ASSERT_TRUE(st.ok()) << st.error().message;
    ASSERT_TRUE(engine_->status().errors.empty()) << engine_->status().errors[0];
  }

  // `from` / `to`: a pod's name, "ext" or "node". Both the packets and the evaluator must say
  // `expected`.
  void expect(const std::string& from, const std::string& to, uint16_t port, bool expected,
              int protocol = 6) {
    const std::string to_ip = ip_of(to);
    bool packets = protocol == 6 ? tcp_connects(topo_->ns(from), to_ip, port)
                                 : udp_arrives(topo_->ns(from), to_ip, port, ext_udp_);
    EXPECT_EQ(packets, expected) << from << " -> " << to << ":" << port << " (packets)";
    testing::World w("");
    w.resources = resources_;
    w.built = build_model(resources_);
    w.endpoints = build_endpoints(resources_);
    w.failsafes = failsafes_from(resources_);
    Decision d = w.check(ip_of(from), to_ip, port, protocol);
    EXPECT_EQ(d.allowed, expected)
        << from << " -> " << to << ":" << port << " (evaluator: " << d.deciding().str() << ")";
  }

  static std::string ip_of(const std::string& host) {
    if (host == "ext") return kExt;
    if (host == "node") return kNodeIp;
    for (const auto& p : kPods)
      if (p.name == host) return p.ip;
    return "";
  }

  static interop::Topology* topo_;
  static PolicyEngine* engine_;
  static std::vector<int>* fds_;
  static int ext_udp_;
  std::vector<conf::Resource> resources_;
};

interop::Topology* PolicyEngineTraffic::topo_ = nullptr;
PolicyEngine* PolicyEngineTraffic::engine_ = nullptr;
std::vector<int>* PolicyEngineTraffic::fds_ = new std::vector<int>();
int PolicyEngineTraffic::ext_udp_ = -1;

const std::string kDenyAllProd = R"(---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny, namespace: prod}
spec:
  podSelector: {}
  policyTypes: [Ingress]
)";

TEST_F(PolicyEngineTraffic, NoPolicyAllowsAndKubernetesDenyAllIngressDenies) {
  apply(base_yaml());
  expect("client", "web", 8080, true);
  apply(base_yaml() + kDenyAllProd);
  expect("client", "web", 8080, false);
  expect("web", "db", 8080, false);
  expect("web", "client", 8080, true);  // egress is not restricted, dev has no policy
}

TEST_F(PolicyEngineTraffic, PodSelectorAndNamespaceSelectorAllow) {
  apply(base_yaml() + kDenyAllProd + R"(---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-from-db-and-dev, namespace: prod}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
  - from:
    - podSelector: {matchLabels: {app: db}}
    - namespaceSelector: {matchLabels: {env: dev}}
    ports: [{port: 8080}]
)");
  expect("db", "web", 8080, true);
  expect("client", "web", 8080, true);
  expect("dns", "web", 8080, false);
  expect("client", "web", 9090, false);
}

TEST_F(PolicyEngineTraffic, IpBlockWithExcept) {
  apply(base_yaml() + R"(---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-ipblock, namespace: prod}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
  - from:
    - ipBlock: {cidr: 10.244.0.0/24, except: [10.244.0.12/32]}
)");
  expect("db", "web", 8080, true);
  expect("client", "web", 8080, false);
  expect("ext", "web", 8080, false);
}

TEST_F(PolicyEngineTraffic, NamedPortAndEndPortRange) {
  apply(base_yaml() + R"(---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-http, namespace: prod}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
  - ports: [{port: http}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db-range, namespace: prod}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - ports: [{port: 9000, endPort: 9100, protocol: TCP}]
)");
  expect("client", "web", 8080, true);
  expect("client", "web", 9090, false);
  expect("client", "db", 9090, true);
  expect("client", "db", 8080, false);
}

TEST_F(PolicyEngineTraffic, GlobalDefaultDenyExcludesKubeSystemAndAllowPolicyOpens) {
  apply(base_yaml() + R"(---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: default-deny}
spec:
  order: 2000
  selector: projectcalico.org/namespace not in {'kube-system', 'calico-system'}
  types: [Ingress, Egress]
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: client-to-web}
spec:
  order: 100
  selector: app == 'client'
  types: [Egress]
  egress:
  - action: Allow
    protocol: TCP
    destination: {selector: app == 'web'}
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: web-from-client, namespace: prod}
spec:
  selector: app == 'web'
  ingress:
  - action: Allow
    source: {selector: app == 'client', namespaceSelector: all()}
)");
  expect("client", "web", 8080, true);
  expect("client", "db", 8080, false);
  expect("dns", "web", 8080, false);
  expect("ext", "dns", 8080, true);  // kube-system is excluded from the default deny
  expect("ext", "web", 8080, false);
}

TEST_F(PolicyEngineTraffic, CalicoDenyAtOrder600BeatsKubernetesAllowAt1000) {
  apply(base_yaml() + R"(---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-all, namespace: prod}
spec:
  podSelector: {}
  ingress: [{}]
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: deny-client, namespace: prod}
spec:
  order: 600
  selector: app == 'web'
  ingress:
  - action: Deny
    source: {selector: app == 'client', namespaceSelector: all()}
)");
  expect("client", "web", 8080, false);
  expect("db", "web", 8080, true);
}

TEST_F(PolicyEngineTraffic, PassHandsOverToTheNextTier) {
  apply(base_yaml() + R"(---
apiVersion: projectcalico.org/v3
kind: Tier
metadata: {name: security}
spec: {order: 100}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: security.gate}
spec:
  tier: security
  order: 10
  selector: projectcalico.org/namespace == 'prod'
  types: [Ingress]
  ingress:
  - action: Pass
    source: {selector: app == 'client'}
  - action: Deny
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-from-dev, namespace: prod}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
  - from: [{namespaceSelector: {matchLabels: {env: dev}}}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db-deny, namespace: prod}
spec:
  podSelector: {matchLabels: {app: db}}
  policyTypes: [Ingress]
)");
  expect("client", "web", 8080, true);  // passed, then allowed in tier default
  expect("client", "db", 8080, false);  // passed, then the end of tier default
  expect("dns", "web", 8080, false);    // denied in tier security
}

TEST_F(PolicyEngineTraffic, ServiceAccountSelectorControlsInternetEgress) {
  apply(base_yaml() + R"(---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: internet-egress}
spec:
  order: 500
  selector: projectcalico.org/namespace in {'prod', 'dev'}
  types: [Egress]
  egress:
  - action: Allow
    destination: {nets: [10.244.0.0/16]}
  - action: Allow
    source: {serviceAccounts: {selector: internet == 'allowed'}}
)");
  expect("web", "ext", 9000, true);
  expect("client", "ext", 9000, false);
  expect("client", "web", 8080, true);
  expect("web", "ext", 9001, true, 17);
  expect("client", "ext", 9001, false, 17);
}

const std::string kTrusted = R"(---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: web-from-trusted}
spec:
  order: 100
  selector: app == 'web'
  ingress:
  - action: Allow
    source: {selector: role == 'trusted'}
)";

TEST_F(PolicyEngineTraffic, LabelChangeFlipsTheVerdictWithOnlySetElementsChanged) {
  apply(base_yaml() + kDenyAllProd + kTrusted);
  expect("client", "web", 8080, false);
  apply(base_yaml("{app: client, role: trusted}") + kDenyAllProd + kTrusted);
  const auto& st = *engine_->status().last_apply;
  EXPECT_EQ(st.chains_added + st.chains_removed + st.chains_rewritten + st.sets_added +
                st.sets_removed + st.sets_replaced,
            0u);
  EXPECT_GT(st.elements_added, 0u);
  // Only a pod changed: the engine took the incremental path, and what it applied is exactly
  // what a full compile of the same resources gives.
  EXPECT_TRUE(engine_->status().last_update_incremental);
  CompileOptions o;
  o.node = "node1";
  o.failsafes = failsafes_from(resources_);
  auto full = compile(build_model(resources_).model, build_endpoints(resources_), o);
  ASSERT_NE(engine_->applied(), nullptr);
  EXPECT_EQ(nft::sorted(*engine_->applied()), nft::sorted(full.table));
  expect("client", "web", 8080, true);
  // A pod deleted and added back, incrementally, and the verdicts follow.
  auto without_client =
      testing::parse(base_yaml("{app: client, role: trusted}") + kDenyAllProd + kTrusted);
  std::erase_if(without_client, [](const conf::Resource& r) {
    return r.kind && std::string(r.kind->plural) == "pods" && r.name() == "client";
  });
  {
    ScopedNetns in(topo_->ns("node"));
    ASSERT_TRUE(engine_->update(without_client, "node1").ok());
  }
  EXPECT_TRUE(engine_->status().last_update_incremental);
  EXPECT_EQ(engine_->status().last_apply->chains_removed, 2u);
  EXPECT_FALSE(tcp_connects(topo_->ns("client"), "10.244.0.10", 8080));  // unknown cali device
  apply(base_yaml("{app: client, role: trusted}") + kDenyAllProd + kTrusted);
  EXPECT_TRUE(engine_->status().last_update_incremental);
  EXPECT_EQ(engine_->status().last_apply->chains_added, 2u);
  expect("client", "web", 8080, true);
}

TEST_F(PolicyEngineTraffic, BadPolicyIsRejectedAndThePreviousRulesetStays) {
  const std::string good = base_yaml("{app: client, role: trusted}") + kDenyAllProd + kTrusted;
  apply(good);
  expect("client", "web", 8080, true);
  std::string bad = kTrusted;
  bad.replace(bad.find("role == 'trusted'"), 17, "role == ");
  auto resources = testing::parse(base_yaml("{app: client, role: trusted}") + kDenyAllProd + bad);
  auto st = engine_->update(resources, "node1");
  ASSERT_TRUE(st.ok());
  ASSERT_EQ(engine_->status().errors.size(), 1u);
  EXPECT_NE(engine_->status().errors[0].find("globalnetworkpolicies/web-from-trusted"),
            std::string::npos)
      << engine_->status().errors[0];
  EXPECT_EQ(engine_->status().last_apply->messages, 0u);  // nothing changed in the kernel
  expect("client", "web", 8080, true);                    // resources_ still hold the good version
  // A new, bad policy that never was good is left out; the rest is programmed.
  auto more = testing::parse(good + R"(---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: broken}
spec:
  selector: app == 
  ingress: [{action: Deny}]
)");
  ASSERT_TRUE(engine_->update(more, "node1").ok());
  EXPECT_EQ(engine_->status().errors.size(), 1u);
  expect("client", "web", 8080, true);
  // Drift: a rule deleted behind the engine's back is put back by verify_and_repair().
  {
    ScopedNetns in(topo_->ns("node"));
    auto flush = topo_->exec("node", {"nft", "flush", "chain", "inet", "podnet", "forward"});
    ASSERT_EQ(flush.exit_code, 0) << flush.err;
  }
  auto repaired = engine_->verify_and_repair();
  ASSERT_TRUE(repaired.ok()) << repaired.error().message;
  EXPECT_FALSE(repaired->empty());
  expect("client", "web", 8080, true);
  expect("client", "db", 8080, false);
}

TEST_F(PolicyEngineTraffic, HostEndpointKeepsFailsafeSshOpenUnderDefaultDeny) {
  apply(base_yaml() + R"(---
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata: {name: node1-eth0, labels: {role: node}}
spec: {node: node1, interfaceName: eth0, expectedIPs: [172.31.0.1]}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: host-default-deny}
spec:
  selector: role == 'node'
  types: [Ingress, Egress]
)");
  expect("ext", "node", 22, true);
  expect("ext", "node", 8080, false);
}

// Workload to host: the workload's egress policy, then FelixConfiguration
// defaultEndpointToHostAction (Accept unless set; the evaluator does not model Drop).
TEST_F(PolicyEngineTraffic, WorkloadToHostFollowsDefaultEndpointToHostAction) {
  apply(base_yaml());
  expect("client", "node", 8080, true);
  apply(base_yaml() + R"(---
apiVersion: projectcalico.org/v3
kind: FelixConfiguration
metadata: {name: default}
spec: {defaultEndpointToHostAction: Drop}
)");
  EXPECT_FALSE(tcp_connects(topo_->ns("client"), kNodeIp, 8080));
  EXPECT_TRUE(tcp_connects(topo_->ns("client"), "10.244.0.10", 8080));  // forwarding unaffected
}

// preDNAT policy on the host endpoint sees the NodePort-like destination before the node's DNAT
// rewrites it; applyOnForward policy sees forwarded traffic after it. Neither touches traffic
// that does not enter through the host endpoint.
TEST_F(PolicyEngineTraffic, PreDnatSeesTheOriginalPortAndApplyOnForwardPolicesForwarding) {
  const std::string hep = R"(---
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata: {name: node1-eth0, labels: {role: node}}
spec: {node: node1, interfaceName: eth0, expectedIPs: [172.31.0.1]}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: block-nodeport}
spec:
  order: 10
  selector: role == 'node'
  preDNAT: true
  applyOnForward: true
  types: [Ingress]
  ingress:
  - action: Deny
    protocol: TCP
    destination: {ports: [30080]}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: forward-no-9090}
spec:
  order: 20
  selector: role == 'node'
  applyOnForward: true
  types: [Ingress]
  ingress:
  - action: Deny
    protocol: TCP
    destination: {ports: [9090]}
  - action: Allow
)";
  apply(base_yaml() + hep);
  // kube-proxy's part: node ports 30080 / 30081 DNAT to web's 8080 / 9090.
  auto nat = topo_->exec(
      "node", {"sh", "-c",
               "nft add table ip kp && nft add chain ip kp pre '{ type nat hook prerouting "
               "priority -100; }' && nft add rule ip kp pre tcp dport 30080 dnat to "
               "10.244.0.10:8080 && nft add rule ip kp pre tcp dport 30081 dnat to "
               "10.244.0.10:8080"});
  ASSERT_EQ(nat.exit_code, 0) << nat.err;
  const std::string ext_ns = topo_->ns("ext");
  EXPECT_FALSE(tcp_connects(ext_ns, kNodeIp, 30080));  // preDNAT Deny on the original port
  EXPECT_TRUE(tcp_connects(ext_ns, kNodeIp, 30081));   // same backend, another node port
  EXPECT_TRUE(tcp_connects(ext_ns, "10.244.0.10", 8080));
  EXPECT_FALSE(tcp_connects(ext_ns, "10.244.0.10", 9090));              // applyOnForward Deny
  EXPECT_TRUE(tcp_connects(topo_->ns("client"), "10.244.0.10", 9090));  // not via the HEP

  // The evaluator, given the host endpoint the flows enter by, agrees.
  testing::World w("");
  w.resources = resources_;
  w.built = build_model(resources_);
  w.endpoints = build_endpoints(resources_);
  w.failsafes = failsafes_from(resources_);
  Evaluator ev(w.built.model, w.endpoints, w.failsafes);
  auto flow = [&](int pre_port, int port) {
    Flow f;
    f.src = w.end(kExt);
    f.dst = w.end("10.244.0.10");
    f.protocol = 6;
    f.src_port = 40000;
    f.dst_port = port;
    f.ingress_host_endpoint = w.endpoints.find("node1-eth0");
    if (pre_port) {
      f.pre_dnat_ip = *IpAddr::parse(kNodeIp);
      f.pre_dnat_port = pre_port;
    }
    return ev.evaluate(f);
  };
  ASSERT_NE(w.endpoints.find("node1-eth0"), nullptr);
  EXPECT_FALSE(flow(30080, 8080).allowed) << flow(30080, 8080).deciding().str();
  EXPECT_TRUE(flow(30081, 8080).allowed) << flow(30081, 8080).deciding().str();
  EXPECT_TRUE(flow(0, 8080).allowed) << flow(0, 8080).deciding().str();
  EXPECT_FALSE(flow(0, 9090).allowed) << flow(0, 9090).deciding().str();
  ASSERT_EQ(topo_->exec("node", {"nft", "delete", "table", "ip", "kp"}).exit_code, 0);
}

// Connection-tracking entries in `ns` whose original direction is `src` -> `dst`:`port` over TCP
// (this thread's view of /proc/net/nf_conntrack: the namespace it entered).
int conntrack_entries(const std::string& ns, const std::string& src, const std::string& dst,
                      uint16_t port) {
  ScopedNetns in(ns);
  std::istringstream text(harness::read_file("/proc/thread-self/net/nf_conntrack"));
  const std::string pair = "src=" + src + " dst=" + dst + " ";
  const std::string dport = " dport=" + std::to_string(port) + " ";
  int n = 0;
  for (std::string line; std::getline(text, line);) {
    auto at = line.find(pair);  // the first tuple is the original direction
    if (line.find(" tcp ") != std::string::npos && at != std::string::npos &&
        line.find(dport, at) < line.find(" src=", at + 1))
      ++n;
  }
  return n;
}

const std::string kNodeHep = R"(---
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata: {name: node1-eth0, labels: {role: node}}
spec: {node: node1, interfaceName: eth0, expectedIPs: [172.31.0.1]}
)";

// doNotTrack on the node's host endpoint. Allow: the flow is not tracked (no conntrack entry,
// while a tracked flow beside it has one) and passes although the endpoint has no normal policy
// (untracked Allow skips it); Deny: dropped in raw although normal policy allows everything.
TEST_F(PolicyEngineTraffic, DoNotTrackAllowIsUntrackedAndDenyDrops) {
  apply(base_yaml() + kNodeHep + R"(---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: untracked-8080}
spec:
  selector: role == 'node'
  doNotTrack: true
  applyOnForward: true
  ingress: [{action: Allow, protocol: TCP, destination: {ports: [8080]}}]
  egress: [{action: Allow, protocol: TCP, source: {ports: [8080]}}]
)");
  ASSERT_NE(engine_->applied()->chain("raw-prerouting"), nullptr);
  const std::string node_ns = topo_->ns("node");
  // Entries earlier tests left (TIME_WAIT) are counted before, so only new ones count.
  const int before8080 = conntrack_entries(node_ns, kExt, kNodeIp, 8080);
  const int before22 = conntrack_entries(node_ns, kExt, kNodeIp, 22);
  EXPECT_TRUE(tcp_connects(topo_->ns("ext"), kNodeIp, 8080));
  EXPECT_TRUE(tcp_connects(topo_->ns("ext"), kNodeIp, 22));  // failsafe: tracked as usual
  EXPECT_EQ(conntrack_entries(node_ns, kExt, kNodeIp, 8080), before8080);
  EXPECT_GT(conntrack_entries(node_ns, kExt, kNodeIp, 22), before22);

  // The evaluator: the untracked stage allows 8080 entering by the host endpoint.
  testing::World w("");
  w.resources = resources_;
  w.built = build_model(resources_);
  w.endpoints = build_endpoints(resources_);
  w.failsafes = failsafes_from(resources_);
  auto untracked = [&](int port) {
    Flow f;
    f.src = w.end(kExt);
    f.dst = w.end(kNodeIp);
    f.protocol = 6;
    f.src_port = 40000;
    f.dst_port = port;
    f.ingress_host_endpoint = w.endpoints.find("node1-eth0");
    return Evaluator(w.built.model, w.endpoints, w.failsafes).evaluate(f);
  };
  ASSERT_NE(w.endpoints.find("node1-eth0"), nullptr);
  auto d = untracked(8080);
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.deciding().stage, "untracked") << d.deciding().str();

  apply(base_yaml() + kNodeHep + R"(---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: untracked-deny}
spec:
  selector: role == 'node'
  doNotTrack: true
  applyOnForward: true
  types: [Ingress]
  ingress: [{action: Deny, protocol: TCP, destination: {ports: [8080]}}]
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: allow-all}
spec:
  order: 100
  selector: role == 'node'
  types: [Ingress, Egress]
  ingress: [{action: Allow}]
  egress: [{action: Allow}]
)");
  EXPECT_FALSE(tcp_connects(topo_->ns("ext"), kNodeIp, 8080));
  EXPECT_TRUE(tcp_connects(topo_->ns("ext"), kNodeIp, 22));
  w.resources = resources_;
  w.built = build_model(resources_);
  w.endpoints = build_endpoints(resources_);
  d = untracked(8080);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.deciding().stage, "untracked") << d.deciding().str();
}

// ICMP on the wire: an ICMP Allow rule with notICMP {type: 8} lets no ping (echo request) in,
// while icmp {type: 8} does.
TEST_F(PolicyEngineTraffic, IcmpTypeAndNotIcmpOnTheWire) {
  auto policy = [](const std::string& field) {
    auto rs = testing::parse(base_yaml() + kDenyAllProd + R"(---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: ping, namespace: prod}
spec:
  selector: app == 'web'
  types: [Ingress]
  ingress: [{action: Allow, protocol: ICMP, icmp: {type: 8}}]
)");
    for (auto& r : rs)
      if (r.kind && std::string(r.kind->plural) == "networkpolicies" && field != "icmp") {
        auto& rule = r.doc["spec"]["ingress"][0];
        rule[field] = rule["icmp"];
        rule.erase("icmp");
      }
    return rs;
  };
  auto ping = [&]() {
    return topo_->exec("client", {"ping", "-c", "1", "-W", "1", "10.244.0.10"}).exit_code == 0;
  };
  ScopedNetns in(topo_->ns("node"));
  ASSERT_TRUE(in.ok());
  for (const char* field : {"icmp", "notICMP"}) {
    auto rs = policy(field);
    auto st = engine_->update(rs, "node1");
    ASSERT_TRUE(st.ok()) << st.error().message;
    ASSERT_TRUE(engine_->status().errors.empty()) << engine_->status().errors[0];
    EXPECT_EQ(ping(), std::string(field) == "icmp") << field;
  }
}

}  // namespace
}  // namespace podnet::policy
