// Kubernetes Services through podnetd (issue 9's "Kubernetes Services" / "NodePort Services"):
// two nodes on a LAN with host1 outside the cluster on the same LAN, as the seed's lab has it;
// one podnetd per node on a shared directory datastore; Services applied with podnetctl.
// Proves: a pod on node1 reaches the backend on node2 by ClusterIP (its own address preserved);
// host1 reaches the NodePort on every node, also on the node without the backend (masquerade
// makes the reply come back through it); endpoints follow pod add / label change / delete; a bad
// Service is rejected with its reason and the last good rules stay; a node port conflict is
// reported; deleting the Service removes its rules.
#include <gtest/gtest.h>

#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "interop-tests/harness/harness.hpp"
#include "interop-tests/topology/pod.hpp"
#include "interop-tests/topology/topology.hpp"

namespace podnet::interop {
namespace {

using namespace std::chrono_literals;
using harness::Process;
using harness::wait_until;

constexpr const char* kHost1 = "198.19.15.254";

std::string node_ip(int i) {
  return fmt::format("198.19.0.{}", i);
}

// A /26 IPAMBlock affine to `node` holding ordinals 1 and 2.
std::string block(int n, const std::string& node) {
  std::vector<std::string> alloc(64, "null");
  alloc[1] = "0";
  alloc[2] = "1";
  return fmt::format(
      "---\napiVersion: projectcalico.org/v3\nkind: IPAMBlock\nmetadata:\n  name: 10-244-{}-0-26\n"
      "spec:\n  cidr: 10.244.{}.0/26\n  affinity: host:{}\n  allocations: [{}]\n  unallocated: []\n"
      "  attributes:\n  - handle_id: a{}\n    secondary: {{node: {}}}\n  - handle_id: b{}\n"
      "    secondary: {{node: {}}}\n",
      n, n, node, fmt::join(alloc, ", "), n, node, n, node);
}

// The Pod as the API server holds it: labels, a container port named http, node and IPs.
std::string pod_doc(const Pod& p, const std::string& app) {
  return fmt::format(
      "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: {}\n  namespace: default\n  labels:\n"
      "    app: {}\nspec:\n  nodeName: {}\n  containers:\n  - name: c\n    ports:\n"
      "    - name: http\n      containerPort: 8080\nstatus:\n  phase: Running\n  podIP: {}\n"
      "  podIPs:\n  - ip: {}\n",
      p.host, app, p.node, p.ip, p.ip);
}

const std::string kService =
    "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: default\nspec:\n"
    "  type: NodePort\n  clusterIP: 10.96.0.10\n  selector:\n    app: web\n  ports:\n"
    "  - port: 80\n    targetPort: http\n    nodePort: 30180\n";

class ServicesLab : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(harness::is_root()) << "needs root for network namespaces";
    topo = std::make_unique<Topology>("pnsvc");
    std::vector<Endpoint> lan;
    for (int i = 1; i <= 2; ++i) {
      ASSERT_TRUE(topo->add_host(node(i)));
      lan.push_back({node(i), "eth0", {node_ip(i) + "/20"}});
    }
    ASSERT_TRUE(topo->add_host("host1"));
    lan.push_back({"host1", "eth0", {std::string(kHost1) + "/20"}});
    ASSERT_TRUE(topo->add_lan("lan", lan));
    ASSERT_TRUE(topo->up());

    std::string resources =
        "apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: pods\nspec:\n"
        "  cidr: 10.244.0.0/16\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n"
        "  name: default\n";
    for (int i = 1; i <= 2; ++i)
      resources += fmt::format(
                       "---\napiVersion: projectcalico.org/v3\nkind: Node\nmetadata:\n  name: {}\n"
                       "spec:\n  bgp:\n    ipv4Address: {}/20\n",
                       node(i), node_ip(i)) +
                   block(i, node(i));
    client = add(node(1), "client", "10.244.1.1");
    web_b = add(node(2), "web-b", "10.244.2.1");
    web_a = add(node(1), "web-a", "10.244.1.2");
    resources += pod_doc(client, "client") + pod_doc(web_b, "web");
    auto r = ctl({"apply", "-f", "-"}, resources);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    for (const Pod* p : {&web_b, &web_a}) serve(*p);
    for (int i = 1; i <= 2; ++i) start(node(i));
    ASSERT_TRUE(wait_until(
        [&] {
          return topo->exec("client", {"ping", "-c", "1", "-W", "1", web_b.ip}).exit_code == 0;
        },
        60s))
        << "pods never reached each other across nodes";
  }
  void TearDown() override {
    if (HasFailure())
      for (auto& [name, p] : daemons) std::cerr << "--- " << name << " log\n" << p.err();
    daemons.clear();
    servers.clear();
    topo.reset();
  }

  static std::string node(int i) { return fmt::format("node{}", i); }
  Pod add(const std::string& n, const std::string& name, const std::string& ip) {
    auto p = add_pod(*topo, n, "eth0", name, ip);
    EXPECT_TRUE(p) << p.error().message;
    return p ? *p : Pod{};
  }
  void serve(const Pod& p) {
    servers.emplace_back(
        std::vector<std::string>{harness::binary_dir() + "/policy/svc_http_server", "8080", p.host},
        topo->ns(p.host));
    Process& s = servers.back();
    ASSERT_TRUE(wait_until([&] { return s.out().find("listening") != std::string::npos; }))
        << s.err();
  }
  void start(const std::string& n) {
    harness::write_file(dir.file(n + ".yaml"),
                        fmt::format("nodeName: {}\ndatastore:\n  path: {}\ncontrolSocket: {}\n", n,
                                    dir.file("store"), dir.file(n + ".sock")));
    daemons.emplace(
        n, Process({harness::podnetd_path(), "--config", dir.file(n + ".yaml")}, topo->ns(n)));
  }
  harness::CommandResult ctl(std::vector<std::string> args, const std::string& input = "") {
    args.insert(args.begin(), harness::podnetctl_path());
    args.push_back("--datastore=dir:" + dir.file("store"));
    return harness::run(args, input);
  }
  // curl from a host: exit code and body ("<pod> from <address the backend saw>").
  std::pair<int, std::string> get(const std::string& host, const std::string& url) {
    auto r = topo->exec(host, {"curl", "-s", "--max-time", "2", url});
    return {r.exit_code, r.out};
  }
  nlohmann::json services_status(const std::string& n) {
    auto r = harness::run(
        {"curl", "-s", "--unix-socket", dir.file(n + ".sock"), "http://podnetd/v1/services"});
    return nlohmann::json::parse(r.out, nullptr, false);
  }
  std::string nft_table(const std::string& n) {
    return topo->exec(n, {"nft", "list", "table", "ip", "podnet-svc"}).out;
  }
  // The backends that answered `tries` requests to url from host.
  std::set<std::string> backends(const std::string& host, const std::string& url, int tries) {
    std::set<std::string> seen;
    for (int i = 0; i < tries; ++i) {
      auto [rc, body] = get(host, url);
      seen.insert(rc == 0 ? body.substr(0, body.find(' ')) : fmt::format("curl-exit-{}", rc));
    }
    return seen;
  }

  std::unique_ptr<Topology> topo;
  harness::TempDir dir{"podnet-svc"};
  std::map<std::string, Process> daemons;
  std::vector<Process> servers;
  Pod client, web_a, web_b;
};

TEST_F(ServicesLab, ClusterIpNodePortEndpointsFollowPodsBadServiceKeepsRulesDeleteRemoves) {
  auto r = ctl({"apply", "-f", "-"}, kService);
  ASSERT_EQ(r.exit_code, 0) << r.err;

  // ClusterIP from the pod on node1 to the backend on node2: DNAT only, the client's address
  // reaches the backend.
  ASSERT_TRUE(wait_until([&] { return get("client", "http://10.96.0.10/").first == 0; }, 20s))
      << nft_table("node1");
  EXPECT_EQ(get("client", "http://10.96.0.10/").second, "web-b from 10.244.1.1");
  auto shown = harness::run(
      {harness::podnetctl_path(), "show", "services", "--socket", dir.file("node1.sock")});
  EXPECT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_NE(shown.out.find("default/web"), std::string::npos) << shown.out;
  EXPECT_NE(shown.out.find("10.244.2.1:8080 (default/web-b)"), std::string::npos) << shown.out;

  // NodePort from host1 to both nodes. node1 has no backend: the connection is masqueraded to
  // node1's address, so node2's pod answers node1, which undoes both translations.
  ASSERT_TRUE(wait_until(
      [&] { return get("host1", fmt::format("http://{}:30180/", node_ip(1))).first == 0; }, 20s));
  EXPECT_EQ(get("host1", fmt::format("http://{}:30180/", node_ip(1))).second,
            "web-b from " + node_ip(1));
  auto [rc2, body2] = get("host1", fmt::format("http://{}:30180/", node_ip(2)));
  EXPECT_EQ(rc2, 0);
  EXPECT_EQ(body2.rfind("web-b from ", 0), 0u) << body2;
  EXPECT_EQ(body2.find(kHost1), std::string::npos) << "node port traffic is masqueraded";

  // A bad Service is rejected with its reason; the programmed one keeps working.
  std::string bad = kService;
  bad.replace(bad.find("30180"), 5, "80");
  r = ctl({"apply", "-f", "-"}, bad);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE((r.err + r.out).find("spec.ports[0].nodePort: 80 is out of range 30000-32767"),
            std::string::npos)
      << r.err << r.out;
  // A second service on the same node port: reported, left out, the first keeps its port.
  std::string clash = kService;
  clash.replace(clash.find("name: web"), 9, "name: web2");
  clash.replace(clash.find("10.96.0.10"), 10, "10.96.0.11");
  r = ctl({"apply", "-f", "-"}, clash);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(wait_until(
      [&] {
        auto s = services_status("node1");
        return s.is_object() && s["problems"].size() == 1;
      },
      10s))
      << services_status("node1").dump(2);
  EXPECT_EQ(services_status("node1")["problems"][0]["error"],
            "node port 30180/tcp is already service default/web's");
  EXPECT_EQ(get("host1", fmt::format("http://{}:30180/", node_ip(1))).second,
            "web-b from " + node_ip(1));
  ASSERT_EQ(ctl({"delete", "service", "web2", "-n", "default"}).exit_code, 0);

  // Endpoints follow pods: web-a on node1 joins (its Pod resource appears)...
  r = ctl({"apply", "-f", "-"}, pod_doc(web_a, "web"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(wait_until(
      [&] {
        auto s = services_status("node1");
        return s.is_object() && s["services"].size() == 1 &&
               s["services"][0]["endpoints"].size() == 2;
      },
      10s))
      << services_status("node1").dump(2);
  EXPECT_EQ(backends("client", "http://10.96.0.10/", 30),
            (std::set<std::string>{"web-a", "web-b"}));
  // ...web-b leaves when its label changes...
  r = ctl({"apply", "-f", "-"}, pod_doc(web_b, "other"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(wait_until(
      [&] {
        auto s = services_status("node2");
        return s.is_object() && s["services"][0]["endpoints"].size() == 1;
      },
      10s));
  EXPECT_EQ(backends("host1", fmt::format("http://{}:30180/", node_ip(2)), 8),
            std::set<std::string>{"web-a"});
  // ...and with web-a deleted nobody serves: refused at once (TCP reset), not a timeout.
  ASSERT_EQ(ctl({"delete", "pod", "web-a", "-n", "default"}).exit_code, 0);
  ASSERT_TRUE(wait_until([&] { return get("client", "http://10.96.0.10/").first == 7; }, 10s))
      << nft_table("node1");
  EXPECT_EQ(get("host1", fmt::format("http://{}:30180/", node_ip(1))).first, 7);

  // Deleting the Service removes its rules from every node.
  EXPECT_NE(nft_table("node2").find("10.96.0.10"), std::string::npos);
  ASSERT_EQ(ctl({"delete", "svc", "web", "-n", "default"}).exit_code, 0);
  for (int i = 1; i <= 2; ++i)
    EXPECT_TRUE(wait_until(
        [&] {
          auto t = nft_table(node(i));
          return t.find("10.96.0.10") == std::string::npos && t.find("30180") == std::string::npos;
        },
        10s))
        << nft_table(node(i));
  EXPECT_NE(get("client", "http://10.96.0.10/").first, 0);
}

}  // namespace
}  // namespace podnet::interop
