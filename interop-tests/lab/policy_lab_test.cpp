// Network policy enforced by podnetd, with real traffic, in the three-node lab: node namespaces
// on one L2 segment, one podnetd each (policy on, its default) on a shared directory datastore,
// and pods registered as Pod resources in namespace "shop": `client` (app=client) on node1,
// `server` (app=server, a TCP listener on 8080) on node2, `other` (app=other) on node3.
//
// Every step changes the datastore the way an operator would (podnetctl apply / label / patch /
// delete, or an editor on the store's files) and checks the outcome three ways: a TCP connect,
// a ping, and `podnetctl policy test`, which must agree with the packets.
#include <gtest/gtest.h>

#include <signal.h>

#include <regex>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "interop-tests/harness/harness.hpp"
#include "interop-tests/lab/lab_podnetd.hpp"
#include "interop-tests/topology/pod.hpp"
#include "interop-tests/topology/topology.hpp"

namespace podnet::interop {
namespace {

using namespace std::chrono_literals;
using harness::Process;
using harness::wait_until;

constexpr const char* kServer = "10.244.2.1";

// Accepts and closes connections on a port: enough for a connect() to tell allowed from dropped.
Process listen_in(const std::string& netns, int port) {
  return Process({"/usr/bin/python3", "-c",
                  fmt::format("import socket\n"
                              "s = socket.socket()\n"
                              "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
                              "s.bind(('0.0.0.0', {}))\n"
                              "s.listen(64)\n"
                              "while True:\n"
                              "    c, _ = s.accept()\n"
                              "    c.close()\n",
                              port)},
                 netns);
}

class PolicyLab : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!harness::is_root()) GTEST_SKIP() << "needs root for network namespaces";
    topo = std::make_unique<Topology>("pnpol");
    std::vector<Endpoint> lan;
    std::string resources =
        "apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: pods\nspec:\n"
        "  cidr: 10.244.0.0/16\n";
    for (int i = 1; i <= 3; ++i) {
      ASSERT_TRUE(topo->add_host(node(i)));
      lan.push_back({node(i), "eth0", {fmt::format("10.0.0.{}/24", i)}});
      resources += fmt::format(
          "---\napiVersion: projectcalico.org/v3\nkind: Node\nmetadata:\n  name: {0}\nspec:\n"
          "  bgp:\n    ipv4Address: 10.0.0.{1}/24\n"
          "---\napiVersion: projectcalico.org/v3\nkind: IPAMBlock\nmetadata:\n"
          "  name: 10-244-{1}-0-26\nspec:\n  cidr: 10.244.{1}.0/26\n  affinity: host:{0}\n"
          "  allocations: []\n  unallocated: []\n  attributes: []\n",
          node(i), i);
    }
    ASSERT_TRUE(topo->add_lan("lan", lan));
    ASSERT_TRUE(topo->up());
    ASSERT_NO_FATAL_FAILURE(add_pod_on(1, "client", "10.244.1.1"));
    ASSERT_NO_FATAL_FAILURE(add_pod_on(2, "server", kServer));
    ASSERT_NO_FATAL_FAILURE(add_pod_on(3, "other", "10.244.3.1"));
    auto r = ctl({"apply", "-f", "-"}, resources);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    listener = listen_in(topo->ns("server"), 8080);
    for (int i = 1; i <= 3; ++i) start(node(i));
    // Routes between the nodes, then every pod reaches the server: no policy yet, so the
    // namespace profile allows (Calico's kns.<namespace> profile).
    ASSERT_TRUE(wait_until([&] { return tcp("client") && tcp("other"); }, 60s))
        << daemons.at("node2").err();
  }
  void TearDown() override {
    if (HasFailure())
      for (auto& [name, p] : daemons) std::cerr << "--- " << name << " log\n" << p.err();
    daemons.clear();
    listener = Process();
    topo.reset();
  }

  static std::string node(int i) { return fmt::format("node{}", i); }
  void add_pod_on(int i, const std::string& name, const std::string& ip) {
    auto p = add_pod(*topo, node(i), "eth0", name, ip, "shop");
    ASSERT_TRUE(p) << p.error().message;
    auto reg = register_pod(dir.file("store"), *p, {{"app", name}});
    ASSERT_TRUE(reg) << reg.error().message;
  }
  harness::CommandResult ctl(std::vector<std::string> args, const std::string& input = "") {
    args.insert(args.begin(), harness::podnetctl_path());
    args.push_back("--datastore=dir:" + dir.file("store"));
    return harness::run(args, input);
  }
  void apply(const std::string& yaml) {
    auto r = ctl({"apply", "-f", "-"}, yaml);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  void start(const std::string& n) { daemons.emplace(n, start_lab_podnetd(*topo, dir, n)); }
  // A TCP connect from a pod's (or node's) namespace, by default to the server; a dropped SYN
  // times out.
  bool tcp(const std::string& from, const std::string& to = kServer, int port = 8080) {
    return topo->exec(from, {"timeout", "1", "bash", "-c",
                             fmt::format("exec 3<>/dev/tcp/{}/{}", to, port)})
               .exit_code == 0;
  }
  bool ping(const std::string& from) {
    return topo->exec(from, {"ping", "-c", "1", "-W", "1", kServer}).exit_code == 0;
  }
  // podnetctl's offline verdict for a flow from pod `from` to the server.
  std::string verdict(const std::string& from, const std::string& protocol) {
    std::vector<std::string> args = {"policy", "test",        "--from",     "shop/" + from,
                                     "--to",   "shop/server", "--protocol", protocol};
    if (protocol == "TCP") {
      args.push_back("--port");
      args.push_back("8080");
    }
    auto r = ctl(args);
    return r.exit_code == 0 ? r.out : "error: " + r.err;
  }
  // Waits for the packets to show `client` / `other` allowed or not, then checks that ping and
  // `podnetctl policy test` (TCP and ICMP) say the same.
  void expect_outcome(bool client, bool other) {
    ASSERT_TRUE(wait_until([&] { return tcp("client") == client && tcp("other") == other; }, 30s))
        << "client " << client << " other " << other << "\n"
        << topo->exec("node2", {"nft", "list", "table", "inet", "podnet"}).out;
    for (auto [from, want] : {std::pair{"client", client}, std::pair{"other", other}}) {
      EXPECT_EQ(ping(from), want) << from;
      for (const char* proto : {"TCP", "ICMP"}) {
        const std::string v = verdict(from, proto);
        EXPECT_EQ(v.rfind(want ? "allowed\n" : "denied\n", 0), 0u)
            << from << " " << proto << ": " << v;
      }
    }
  }
  nlohmann::json status(const std::string& n) {
    auto r = harness::run(
        {harness::podnetctl_path(), "show", "status", "--json", "--socket", dir.file(n + ".sock")});
    return nlohmann::json::parse(r.out, nullptr, false);
  }

  std::unique_ptr<Topology> topo;
  harness::TempDir dir{"podnet-pol"};
  std::map<std::string, Process> daemons;
  Process listener;
};

const std::string kDenyIn = R"(apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-in, namespace: shop}
spec:
  podSelector: {matchLabels: {app: server}}
  policyTypes: [Ingress]
)";
const std::string kAllowClient = R"(apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-client, namespace: shop}
spec:
  podSelector: {matchLabels: {app: server}}
  policyTypes: [Ingress]
  ingress:
  - from:
    - podSelector: {matchLabels: {app: client}}
)";
const std::string kGnpDeny = R"(apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: deny-client}
spec:
  order: 600
  selector: app == 'server'
  types: [Ingress]
  ingress:
  - action: Deny
    source: {selector: app == 'client'}
)";

// Kubernetes default deny, an allow by pod label (flipped live by relabelling the client), a
// Calico Deny at order 600 over the Kubernetes allow at 1000, and the node's own traffic.
TEST_F(PolicyLab, KubernetesAndCalicoPolicyDecideTheTraffic) {
  ASSERT_NO_FATAL_FAILURE(expect_outcome(true, true));

  ASSERT_NO_FATAL_FAILURE(apply(kDenyIn));
  ASSERT_NO_FATAL_FAILURE(expect_outcome(false, false));
  // The node itself reaches its local pod: Felix does not police host -> local workload with the
  // workload's ingress policy. Another node's traffic is forwarded and policed like any other.
  EXPECT_TRUE(tcp("node2"));
  EXPECT_FALSE(tcp("node1"));
  EXPECT_NE(verdict("client", "TCP").find("deny-in"), std::string::npos)
      << verdict("client", "TCP");

  ASSERT_NO_FATAL_FAILURE(apply(kAllowClient));
  ASSERT_NO_FATAL_FAILURE(expect_outcome(true, false));

  // Relabelled, the client is a stranger to allow-client; back, it is let in again.
  auto r = ctl({"label", "pod", "client", "app=stranger", "--overwrite", "-n", "shop"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_NO_FATAL_FAILURE(expect_outcome(false, false));
  r = ctl({"patch", "pod", "client", "-n", "shop", "-p",
           R"({"metadata":{"labels":{"app":"client"}}})"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_NO_FATAL_FAILURE(expect_outcome(true, false));

  // A Calico Deny at order 600 comes before the Kubernetes allow (order 1000).
  ASSERT_NO_FATAL_FAILURE(apply(kGnpDeny));
  ASSERT_NO_FATAL_FAILURE(expect_outcome(false, false));
  EXPECT_NE(verdict("client", "TCP").find("deny-client"), std::string::npos)
      << verdict("client", "TCP");
  r = ctl({"delete", "globalnetworkpolicy", "deny-client"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_NO_FATAL_FAILURE(expect_outcome(true, false));
}

// A bad policy is rejected with its reason and the last good ruleset stays, at both gates:
// - podnetd's policy engine: a new version of a Calico policy whose rule selector does not parse
//   (the stored-resource schema does not parse selectors) is refused, its last good version
//   stays programmed, and `show status` gives the reason;
// - the datastore: a file an editor broke (a policy type that does not exist) is refused as a
//   resource, its last good version stays in podnetd's cache.
// Either way the traffic stays as the good version decided it, although the bad version would
// have denied the client (it lets nothing in).
TEST_F(PolicyLab, InvalidPolicyIsRejectedAndTheLastGoodRulesetStays) {
  const std::string good = R"(apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: allow-client, namespace: shop}
spec:
  selector: app == 'server'
  types: [Ingress]
  ingress:
  - action: Allow
    source: {selector: app == 'client'}
)";
  ASSERT_NO_FATAL_FAILURE(apply(kDenyIn));
  ASSERT_NO_FATAL_FAILURE(apply(good));
  ASSERT_NO_FATAL_FAILURE(expect_outcome(true, false));
  auto policy_errors = [&] {
    auto s = status("node2");
    return s.is_discarded() ? std::string() : s["filtering"]["policy"]["errors"].dump();
  };
  auto human = [&] {
    return harness::run(
               {harness::podnetctl_path(), "show", "status", "--socket", dir.file("node2.sock")})
        .out;
  };

  std::string bad = good;
  bad.replace(bad.find("app == 'client'"), 15, "app == ");
  ASSERT_NO_FATAL_FAILURE(apply(bad));
  ASSERT_TRUE(wait_until([&] {
    return policy_errors().find("networkpolicies/shop/allow-client") != std::string::npos;
  })) << status("node2").dump();
  const std::string shown = human();
  EXPECT_NE(shown.find("rejected: networkpolicies/shop/allow-client"), std::string::npos) << shown;
  EXPECT_NE(shown.find("the last good version stays"), std::string::npos) << shown;
  EXPECT_NE(shown.find("policy      programmed"), std::string::npos) << shown;
  EXPECT_NE(daemons.at("node2").err().find("policy: rejected: networkpolicies/shop/allow-client"),
            std::string::npos);
  std::this_thread::sleep_for(1s);  // what a wrongly applied version would need to take effect
  EXPECT_TRUE(tcp("client"));
  EXPECT_TRUE(ping("client"));
  EXPECT_FALSE(tcp("other"));
  ASSERT_NO_FATAL_FAILURE(apply(good));
  EXPECT_TRUE(wait_until([&] { return policy_errors() == "[]"; })) << policy_errors();

  // An editor breaks the stored file: no ingress rule left (it would deny the client) and a
  // policy type that does not exist.
  harness::write_file(dir.file("store/networkpolicies/shop/allow-client.yaml"),
                      R"(apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: allow-client, namespace: shop}
spec:
  selector: app == 'server'
  types: [Ingress, Sideways]
)");
  ASSERT_TRUE(wait_until([&] {
    auto s = status("node2");
    return !s.is_discarded() &&
           s["datastore"]["rejected"].dump().find("allow-client") != std::string::npos;
  })) << status("node2").dump();
  EXPECT_NE(human().find("Sideways"), std::string::npos) << human();
  std::this_thread::sleep_for(1s);
  EXPECT_TRUE(tcp("client"));
  EXPECT_TRUE(ping("client"));
  EXPECT_FALSE(tcp("other"));

  // Fixed by a good write, which also replaces the hand-edited file.
  ASSERT_NO_FATAL_FAILURE(apply(good));
  EXPECT_TRUE(wait_until([&] { return status("node2")["datastore"]["rejected"].empty(); }));
  ASSERT_NO_FATAL_FAILURE(expect_outcome(true, false));
}

// podnetd killed with SIGKILL and started again keeps the policy table: the new process adopts it
// unchanged (same rule handles), and denied traffic never passes in between.
TEST_F(PolicyLab, SigkillAndRestartKeepsTheTable) {
  ASSERT_NO_FATAL_FAILURE(apply(kDenyIn));
  ASSERT_NO_FATAL_FAILURE(apply(kAllowClient));
  ASSERT_NO_FATAL_FAILURE(expect_outcome(true, false));
  // The table with its rule handles (a replaced table gets new ones), without counter values
  // (the denied probe below moves them).
  auto rules = [&] {
    const std::string out =
        topo->exec("node2", {"nft", "-a", "list", "table", "inet", "podnet"}).out;
    return std::regex_replace(out, std::regex("packets [0-9]+ bytes [0-9]+"), "");
  };
  const std::string before = rules();
  ASSERT_NE(before.find("cali"), std::string::npos) << before;

  // A denied pod tries to connect five times a second for the whole restart.
  Process probe({"bash", "-c",
                 fmt::format("while true; do timeout 0.3 bash -c 'exec 3<>/dev/tcp/{}/8080' "
                             "&& echo PASSED; sleep 0.2; done",
                             kServer)},
                topo->ns("other"));
  std::this_thread::sleep_for(1s);
  daemons.at("node2").kill9();
  daemons.erase("node2");
  EXPECT_EQ(rules(), before);  // the kernel keeps it without podnetd
  std::this_thread::sleep_for(1s);
  start("node2");
  ASSERT_TRUE(wait_until(
      [&] { return daemons.at("node2").err().find("policy: adopted") != std::string::npos; }, 30s))
      << daemons.at("node2").err();
  std::this_thread::sleep_for(1s);
  probe.stop(SIGTERM, 2s);
  EXPECT_EQ(probe.out().find("PASSED"), std::string::npos) << probe.out();
  EXPECT_EQ(rules(), before);
  ASSERT_NO_FATAL_FAILURE(expect_outcome(true, false));
}

// A HostEndpoint with expectedIPs and no interfaceName guards the interface that carries one of
// those addresses (Felix's host endpoint resolution): node2's eth0 here. With no policy and no
// profile it drops what reaches the node on eth0 but the failsafe ports (BGP stays up, so pods
// keep their routes); forwarded pod traffic is not its business (no applyOnForward policy). A
// policy selecting it opens one port; deleted, the interface is open again.
TEST_F(PolicyLab, HostEndpointByExpectedIpsGuardsTheInterfaceWithThatAddress) {
  Process host_listener = listen_in(topo->ns("node2"), 8081);
  ASSERT_TRUE(wait_until([&] { return tcp("node1", "10.0.0.2", 8081); }));
  ASSERT_NO_FATAL_FAILURE(apply(R"(apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata: {name: node2-lan, labels: {role: lan}}
spec:
  node: node2
  expectedIPs: [10.0.0.2]
)"));
  ASSERT_TRUE(wait_until([&] { return !tcp("node1", "10.0.0.2", 8081); }, 30s))
      << topo->exec("node2", {"nft", "list", "table", "inet", "podnet"}).out;
  const std::string maps =
      topo->exec("node2", {"nft", "list", "map", "inet", "podnet", "from-hep"}).out;
  EXPECT_NE(maps.find("\"eth0\""), std::string::npos) << maps;
  EXPECT_NE(topo->exec("node1", {"ping", "-c", "1", "-W", "1", "10.0.0.2"}).exit_code, 0);
  // Failsafe BGP (179) keeps the session, and forwarded pod traffic passes.
  std::this_thread::sleep_for(1s);
  EXPECT_TRUE(tcp("client"));
  // node1 has no host endpoint: the one of node2 is not programmed there.
  EXPECT_NE(topo->exec("node1", {"nft", "list", "map", "inet", "podnet", "from-hep"}).exit_code, 0);

  ASSERT_NO_FATAL_FAILURE(apply(R"(apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: lan-8081}
spec:
  selector: role == 'lan'
  types: [Ingress]
  ingress:
  - action: Allow
    protocol: TCP
    destination: {ports: [8081]}
)"));
  EXPECT_TRUE(wait_until([&] { return tcp("node1", "10.0.0.2", 8081); }, 30s));
  EXPECT_NE(topo->exec("node1", {"ping", "-c", "1", "-W", "1", "10.0.0.2"}).exit_code, 0);

  ASSERT_EQ(ctl({"delete", "hostendpoint", "node2-lan"}).exit_code, 0);
  EXPECT_TRUE(wait_until(
      [&] {
        return topo->exec("node1", {"ping", "-c", "1", "-W", "1", "10.0.0.2"}).exit_code == 0;
      },
      30s));
}

}  // namespace
}  // namespace podnet::interop
