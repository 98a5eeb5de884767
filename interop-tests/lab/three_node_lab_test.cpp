// The three-node lab: node namespaces on one L2 segment, one podnetd each on a shared directory
// datastore, a full mesh, an affine block and two pods per node, and a pod on node 2 holding an
// address borrowed from node 1's block. No overlay: pods reach each other because podnetd
// announces the blocks and programs what it learns into each node's kernel.
#include <gtest/gtest.h>

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <set>

#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>
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

// A /26 IPAMBlock; `owners` maps ordinals to the node whose workload holds the address.
std::string block(int n, const std::string& affinity,
                  const std::vector<std::pair<int, std::string>>& owners) {
  std::vector<std::string> alloc(64, "null");
  std::string attrs;
  for (std::size_t i = 0; i < owners.size(); ++i) {
    alloc[static_cast<std::size_t>(owners[i].first)] = std::to_string(i);
    attrs += fmt::format("  - handle_id: k8s-pod-network.{}-{}\n    secondary: {{node: {}}}\n", n,
                         i, owners[i].second);
  }
  return fmt::format(
      "---\napiVersion: projectcalico.org/v3\nkind: IPAMBlock\nmetadata:\n  name: 10-244-{}-0-26\n"
      "spec:\n  cidr: 10.244.{}.0/26\n  affinity: {}\n  allocations: [{}]\n  unallocated: []\n"
      "  attributes:{}\n",
      n, n, affinity, fmt::join(alloc, ", "), attrs.empty() ? " []" : "\n" + attrs);
}

class ThreeNodeLab : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!harness::is_root()) GTEST_SKIP() << "needs root for network namespaces";
    topo = std::make_unique<Topology>("pnlab");
    ASSERT_NO_FATAL_FAILURE(build_network());
    // Two pods per node from its own block, and one on node 2 borrowed from node 1's block.
    for (int i = 1; i <= 3; ++i)
      for (int p = 1; p <= 2; ++p) add(node(i), fmt::format("10.244.{}.{}", i, p));
    add(node(2), "10.244.1.10");

    std::string resources =
        "apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: pods\nspec:\n"
        "  cidr: 10.244.0.0/16\n" +
        pool_extra();
    for (int i = 1; i <= 3; ++i) {
      resources += fmt::format(
          "---\napiVersion: projectcalico.org/v3\nkind: Node\nmetadata:\n  name: {}\nspec:\n"
          "  bgp:\n    ipv4Address: {}\n",
          node(i), node_address(i));
      std::vector<std::pair<int, std::string>> owners = {{1, node(i)}, {2, node(i)}};
      if (i == 1) owners.push_back({10, node(2)});
      resources += block(i, "host:" + node(i), owners);
    }
    auto r = ctl({"apply", "-f", "-"}, resources);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    for (int i = 1; i <= 3; ++i) start(node(i));
  }
  void TearDown() override {
    if (HasFailure())
      for (auto& [name, p] : daemons) std::cerr << "--- " << name << " log\n" << p.err();
    daemons.clear();
    topo.reset();
  }

  // One L2 segment for the three nodes; subclasses build other networks.
  virtual void build_network() {
    std::vector<Endpoint> lan;
    for (int i = 1; i <= 3; ++i) {
      ASSERT_TRUE(topo->add_host(node(i)));
      lan.push_back({node(i), "eth0", {node_address(i)}});
    }
    ASSERT_TRUE(topo->add_lan("lan", lan));
    ASSERT_TRUE(topo->up());
  }
  virtual std::string node_address(int i) const { return fmt::format("10.0.0.{}/24", i); }
  virtual std::string pool_extra() const { return ""; }

  static std::string node(int i) { return fmt::format("node{}", i); }
  void add(const std::string& n, const std::string& ip) {
    auto p = add_pod(*topo, n, "eth0", fmt::format("pod-{}", ip), ip);
    ASSERT_TRUE(p) << p.error().message;
    // podnetd polices by default: a cali device no Pod resource explains is dropped.
    auto reg = register_pod(dir.file("store"), *p);
    ASSERT_TRUE(reg) << reg.error().message;
    pods.push_back(*p);
  }
  harness::CommandResult ctl(std::vector<std::string> args, const std::string& input = "") {
    args.insert(args.begin(), harness::podnetctl_path());
    args.push_back("--datastore=dir:" + dir.file("store"));
    return harness::run(args, input);
  }
  void start(const std::string& n) { daemons.emplace(n, start_lab_podnetd(*topo, dir, n)); }
  // The node's kernel routes of protocol 12 ("proto bird"), as `ip -j route` gives them.
  nlohmann::json kernel_routes(const std::string& n) {
    auto r = topo->exec(n, {"ip", "-j", "route", "show", "proto", "12"});
    return nlohmann::json::parse(r.out, nullptr, false);
  }
  nlohmann::json kernel_route(const std::string& n, const std::string& dst) {
    auto all = kernel_routes(n);
    if (!all.is_array()) return nullptr;
    for (const auto& r : all)
      if (r.value("dst", "") == dst) return r;
    return nullptr;
  }
  bool ping(const std::string& from_host, const std::string& to) {
    return topo->exec(from_host, {"ping", "-c", "1", "-W", "2", to}).exit_code == 0;
  }

  std::unique_ptr<Topology> topo;
  harness::TempDir dir{"podnet-lab"};
  std::map<std::string, Process> daemons;
  std::vector<Pod> pods;
};

TEST_F(ThreeNodeLab, PodsReachEachOtherAcrossNodesWithoutOverlay) {
  // Routes learned over BGP land in each kernel as proto bird, local blocks as blackholes.
  ASSERT_TRUE(wait_until(
      [&] {
        return !kernel_route("node1", "10.244.2.0/26").is_null() &&
               !kernel_route("node1", "10.244.3.0/26").is_null() &&
               !kernel_route("node3", "10.244.1.10").is_null();
      },
      60s))
      << kernel_routes("node1").dump();
  auto via = kernel_route("node1", "10.244.2.0/26");
  EXPECT_EQ(via.value("gateway", ""), "10.0.0.2") << via.dump();
  auto hole = kernel_route("node1", "10.244.1.0/26");
  ASSERT_FALSE(hole.is_null()) << kernel_routes("node1").dump();
  EXPECT_EQ(hole.value("type", ""), "blackhole") << hole.dump();
  // The borrowed address is reached through the node that holds it, not the block's owner;
  // on that node the pod's own /32 carries it: podnetd installs nothing for it there.
  EXPECT_EQ(kernel_route("node3", "10.244.1.10").value("gateway", ""), "10.0.0.2");
  EXPECT_TRUE(kernel_route("node2", "10.244.1.10").is_null()) << kernel_routes("node2").dump();

  // Every pod pings every other pod.
  std::vector<std::string> failures;
  for (const auto& a : pods)
    for (const auto& b : pods)
      if (a.ip != b.ip && !ping(a.host, b.ip)) failures.push_back(a.ip + " -> " + b.ip);
  EXPECT_TRUE(failures.empty()) << fmt::format("{}", fmt::join(failures, ", "));

  // Removing a block withdraws its routes everywhere.
  ASSERT_EQ(ctl({"delete", "ipamblock", "10-244-3-0-26"}).exit_code, 0);
  EXPECT_TRUE(wait_until([&] {
    return kernel_route("node1", "10.244.3.0/26").is_null() &&
           kernel_route("node2", "10.244.3.0/26").is_null() &&
           kernel_route("node3", "10.244.3.0/26").is_null();
  }));

  // A cleanly stopped podnetd says goodbye (Cease): the others drop its routes at once, not at
  // the hold time (240 s).
  ASSERT_EQ(daemons.at("node2").stop(), 0);
  EXPECT_TRUE(wait_until(
      [&] {
        return kernel_route("node1", "10.244.2.0/26").is_null() &&
               kernel_route("node3", "10.244.1.10").is_null();
      },
      10s))
      << kernel_routes("node1").dump();
  EXPECT_FALSE(ping("pod-10.244.1.1", "10.244.2.1"));
  EXPECT_TRUE(ping("pod-10.244.1.1", "10.244.1.2"));
}

// Graceful restart both ways: node2's podnetd killed with SIGKILL and started again. Its peers
// keep its routes (they are helpers: podnetd advertises the capability by default), the new
// podnetd finds its previous run's routes in the kernel and keeps them until its peers' End-of-RIB
// (restarting speaker): a continuous ping between pods on node1 and node2 loses nothing, and no
// block route is deleted on any node. Twice in a row (consecutive restarts must not flush).
TEST_F(ThreeNodeLab, SigkillAndRestartLosesNoPacket) {
  ASSERT_TRUE(wait_until(
      [&] {
        return !kernel_route("node1", "10.244.2.0/26").is_null() &&
               !kernel_route("node2", "10.244.1.0/26").is_null() &&
               !kernel_route("node2", "10.244.3.0/26").is_null();
      },
      60s));
  std::vector<std::unique_ptr<Process>> monitors;
  for (int i = 1; i <= 3; ++i)
    monitors.push_back(std::make_unique<Process>(
        std::vector<std::string>{"ip", "-n", topo->ns(node(i)), "monitor", "route"}));
  // 10 pings a second, both directions, for the whole restart.
  Process ping12({"ping", "-i", "0.1", "-W", "1", "10.244.2.1"}, topo->ns("pod-10.244.1.1"));
  Process ping21({"ping", "-i", "0.1", "-W", "1", "10.244.1.1"}, topo->ns("pod-10.244.2.1"));
  std::this_thread::sleep_for(1s);
  for (int round = 0; round < 2; ++round) {
    daemons.at("node2").kill9();
    daemons.erase("node2");
    std::this_thread::sleep_for(1s);
    start("node2");
    // Back in the mesh, and its previous routes released once everything was re-learned.
    ASSERT_TRUE(wait_until(
        [&] {
          return daemons.at("node2").err().find("graceful restart done") != std::string::npos;
        },
        60s))
        << daemons.at("node2").err();
  }
  std::this_thread::sleep_for(1s);
  ping12.stop(SIGINT, 5s);
  ping21.stop(SIGINT, 5s);
  for (auto* p : {&ping12, &ping21}) {
    const std::string out = p->out();
    EXPECT_NE(out.find(" 0% packet loss"), std::string::npos) << out;
  }
  for (int i = 1; i <= 3; ++i) {
    monitors[static_cast<std::size_t>(i - 1)]->stop(SIGTERM, 2s);
    const std::string changes = monitors[static_cast<std::size_t>(i - 1)]->out();
    EXPECT_EQ(changes.find("Deleted"), std::string::npos) << node(i) << ":\n" << changes;
  }
  EXPECT_NE(daemons.at("node2").err().find("graceful restart: keeping"), std::string::npos);
}

// Make-before-break migration from the full mesh to a route reflector (calico#3819: about 2 s
// of loss when the mesh sessions drop before the reflector sessions are up). With pods on all
// three nodes pinging each other 10 times a second: the reflector BGPPeer (every node peers with
// the nodes labelled route-reflector) is applied and node1 becomes the reflector; its mesh
// sessions carry on as the reflector sessions (same neighbours, same session parameters: renamed
// and made clients in place, no reset), so node1's own pods never lose their routes. Once node2
// and node3 each hold the other's block twice (mesh path and reflected path), the mesh is turned
// off: the mesh session between them closes and the best path moves to the reflected one with
// the same next hop. No kernel route to another node's block is touched, no packet is lost.
TEST_F(ThreeNodeLab, MeshToReflectorMigrationLosesNoPacket) {
  ASSERT_TRUE(wait_until(
      [&] {
        return !kernel_route("node2", "10.244.3.0/26").is_null() &&
               !kernel_route("node3", "10.244.2.0/26").is_null() &&
               !kernel_route("node1", "10.244.2.0/26").is_null() &&
               !kernel_route("node2", "10.244.1.0/26").is_null() &&
               !kernel_route("node3", "10.244.1.0/26").is_null();
      },
      60s));
  auto show = [&](const std::string& n, std::vector<std::string> what) {
    what.insert(what.begin(), "show");
    what.push_back("--json");
    what.push_back("--socket=" + dir.file(n + ".sock"));
    auto r = ctl(what);
    return r.exit_code == 0 ? nlohmann::json::parse(r.out, nullptr, false) : nlohmann::json();
  };
  auto established = [&](const std::string& n, const std::string& peer) {
    auto j = show(n, {"peers"});
    if (!j.is_object()) return false;
    for (const auto& p : j["peers"])
      if (p["name"] == peer) return p["state"] == "Established";
    return false;
  };
  // Seconds node n's session with `address` has been Established, whatever its name (-1: none).
  auto uptime = [&](const std::string& n, const std::string& address) {
    auto j = show(n, {"peers"});
    if (j.is_object())
      for (const auto& p : j["peers"])
        if (p["address"] == address && p["state"] == "Established")
          return p.value("stateSeconds", -1.0);
    return -1.0;
  };
  // The peer addresses node n holds a path to `prefix` from.
  auto path_sources = [&](const std::string& n, const std::string& prefix) {
    std::set<std::string> from;
    auto j = show(n, {"routes", prefix});
    if (j.is_object() && !j["routes"].empty())
      for (const auto& p : j["routes"][0]["paths"]) from.insert(p.value("peerAddress", ""));
    return from;
  };
  std::vector<std::unique_ptr<Process>> monitors;
  for (int i = 1; i <= 3; ++i)
    monitors.push_back(std::make_unique<Process>(
        std::vector<std::string>{"ip", "-n", topo->ns(node(i)), "monitor", "route"}));
  // Between the clients, and between the reflector's own pods and each client's.
  std::vector<std::unique_ptr<Process>> pings;
  for (const auto& [from, to] :
       std::vector<std::pair<std::string, std::string>>{{"10.244.2.1", "10.244.3.1"},
                                                        {"10.244.3.1", "10.244.2.1"},
                                                        {"10.244.1.1", "10.244.2.1"},
                                                        {"10.244.3.1", "10.244.1.1"}})
    pings.push_back(std::make_unique<Process>(
        std::vector<std::string>{"ping", "-i", "0.1", "-W", "1", to}, topo->ns("pod-" + from)));
  // The sessions the reflector will keep, and how long they have been up.
  const std::vector<std::pair<std::string, std::string>> kept = {
      {"node1", "10.0.0.2"}, {"node1", "10.0.0.3"}, {"node2", "10.0.0.1"}, {"node3", "10.0.0.1"}};
  std::vector<double> up_before;
  for (const auto& [n, a] : kept) up_before.push_back(uptime(n, a));
  const auto t0 = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(1s);

  // 1. The reflector peering, and node1 made a reflector.
  auto r = ctl({"apply", "-f", "-"},
               "apiVersion: projectcalico.org/v3\nkind: BGPPeer\nmetadata:\n"
               "  name: peer-with-route-reflectors\nspec:\n  nodeSelector: all()\n"
               "  peerSelector: route-reflector == 'true'\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = ctl({"patch", "node", "node1", "-p",
           R"({"metadata":{"labels":{"route-reflector":"true"}},)"
           R"("spec":{"bgp":{"routeReflectorClusterID":"244.0.0.1"}}})"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(wait_until(
      [&] {
        return established("node1", "Node_10_0_0_2") && established("node1", "Node_10_0_0_3") &&
               path_sources("node2", "10.244.3.0/26") ==
                   std::set<std::string>{"10.0.0.1", "10.0.0.3"} &&
               path_sources("node3", "10.244.2.0/26") ==
                   std::set<std::string>{"10.0.0.1", "10.0.0.2"};
      },
      60s))
      << show("node2", {"routes", "10.244.3.0/26"}).dump() << show("node1", {"peers"}).dump();
  // node1 left the mesh: nobody keeps a Mesh_ session to it.
  EXPECT_FALSE(established("node2", "Mesh_10_0_0_1"));

  // 2. The mesh off: only the reflected paths remain.
  r = ctl({"apply", "-f", "-"},
          "apiVersion: projectcalico.org/v3\nkind: BGPConfiguration\nmetadata:\n  name: default\n"
          "spec:\n  nodeToNodeMeshEnabled: false\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(wait_until(
      [&] {
        return path_sources("node2", "10.244.3.0/26") == std::set<std::string>{"10.0.0.1"} &&
               path_sources("node3", "10.244.2.0/26") == std::set<std::string>{"10.0.0.1"};
      },
      30s))
      << show("node2", {"routes", "10.244.3.0/26"}).dump();
  auto reflected = show("node2", {"routes", "10.244.3.0/26"})["routes"][0]["paths"][0];
  EXPECT_EQ(reflected["attributes"].value("originatorId", ""), "10.0.0.3") << reflected.dump();
  EXPECT_EQ(reflected["attributes"].value("nextHop", ""), "10.0.0.3") << reflected.dump();
  EXPECT_EQ(kernel_route("node2", "10.244.3.0/26").value("gateway", ""), "10.0.0.3");
  EXPECT_TRUE(ping("pod-10.244.2.2", "10.244.1.1"));
  std::this_thread::sleep_for(1s);
  for (auto& p : pings) {
    p->stop(SIGINT, 5s);
    const std::string out = p->out();
    EXPECT_NE(out.find(" 0% packet loss"), std::string::npos) << out;
  }
  // The sessions with the reflector were never reset: each has been up since before step 1.
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  for (std::size_t k = 0; k < kept.size(); ++k) {
    const auto& [n, a] = kept[k];
    ASSERT_GE(up_before[k], 0) << n << " " << a;
    EXPECT_GE(uptime(n, a), up_before[k] + elapsed - 2) << n << "'s session with " << a;
  }
  EXPECT_FALSE(daemons.at("node1").err().find("resetting the session") != std::string::npos)
      << daemons.at("node1").err();
  // The kernel routes to the other nodes' blocks were never touched: not deleted, not even
  // replaced while their paths went from mesh to mesh + reflected to reflected.
  for (int i = 1; i <= 3; ++i) {
    monitors[static_cast<std::size_t>(i - 1)]->stop(SIGTERM, 2s);
    const std::string changes = monitors[static_cast<std::size_t>(i - 1)]->out();
    for (int other = 1; other <= 3; ++other) {
      if (other == i) continue;
      const std::string block = fmt::format("10.244.{}.0/26", other);
      EXPECT_EQ(changes.find(block), std::string::npos) << node(i) << ":\n" << changes;
    }
  }
}

// A pool switched to VXLAN while running: each podnetd gets a tunnel address from IPAM (written
// back to its Node), creates vxlan.calico, and moves its routes to other nodes' blocks onto it;
// pods keep reaching each other; back to Never, the routes go direct again and the device goes.
TEST_F(ThreeNodeLab, PoolSwitchedToVxlanAndBackLive) {
  ASSERT_TRUE(wait_until([&] { return !kernel_route("node1", "10.244.2.0/26").is_null(); }, 60s));
  auto set_mode = [&](const char* mode) {
    auto r = ctl(
        {"patch", "ippool", "pods", "-p", fmt::format(R"({{"spec":{{"vxlanMode":"{}"}}}})", mode)});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  };
  ASSERT_NO_FATAL_FAILURE(set_mode("Always"));
  ASSERT_TRUE(wait_until(
      [&] {
        for (int i = 1; i <= 3; ++i) {
          auto n = ctl({"get", "node", node(i), "-o", "json"});
          auto j = nlohmann::json::parse(n.out, nullptr, false);
          if (j.is_discarded() || j["spec"].value("ipv4VXLANTunnelAddr", "").empty()) return false;
        }
        auto r = kernel_route("node1", "10.244.2.0/26");
        return !r.is_null() && r.value("dev", "") == "vxlan.calico";
      },
      60s))
      << kernel_routes("node1").dump() << daemons.at("node1").err();
  auto link = topo->exec("node1", {"ip", "-d", "link", "show", "vxlan.calico"});
  EXPECT_NE(link.out.find("vxlan id 4096"), std::string::npos) << link.out;
  // Every node converges on its own: wait for the others' routes too, through the pings.
  EXPECT_TRUE(wait_until([&] { return ping("pod-10.244.1.1", "10.244.2.1"); }, 20s));
  EXPECT_TRUE(wait_until([&] { return ping("pod-10.244.3.1", "10.244.1.10"); }, 20s));
  auto via3 = kernel_route("node3", "10.244.1.10");
  EXPECT_EQ(via3.value("dev", ""), "vxlan.calico") << via3.dump();

  ASSERT_NO_FATAL_FAILURE(set_mode("Never"));
  EXPECT_TRUE(wait_until(
      [&] {
        auto r = kernel_route("node1", "10.244.2.0/26");
        return !r.is_null() && r.value("dev", "") == "eth0" &&
               topo->exec("node1", {"ip", "link", "show", "vxlan.calico"}).exit_code != 0;
      },
      30s))
      << kernel_routes("node1").dump();
  EXPECT_TRUE(wait_until([&] { return ping("pod-10.244.1.1", "10.244.2.1"); }, 20s));
}

// WireGuard switched on and off at runtime with the seed's patch command (wireguard-go here: the
// kernel has no module). Each node publishes its public key on its Node, peers with the others,
// and pod traffic between nodes crosses the node link only as UDP 51820; switched off, the keys
// are withdrawn, the devices go and pods still reach each other, unencrypted.
TEST_F(ThreeNodeLab, WireguardOnAndOffAtRuntime) {
  ASSERT_TRUE(wait_until([&] { return !kernel_route("node1", "10.244.2.0/26").is_null(); }, 60s));
  // wireguard-go's UAPI socket path (/var/run/wireguard/<if>.sock) is per host, not per network
  // namespace: each node gets its own device name through a per-node FelixConfiguration.
  std::map<std::string, std::string> ifname;
  std::string per_node;
  for (int i = 1; i <= 3; ++i) {
    ifname[node(i)] = fmt::format("wgl{}n{}", ::getpid() % 100000, i);
    per_node += fmt::format(
        "---\napiVersion: projectcalico.org/v3\nkind: FelixConfiguration\nmetadata:\n"
        "  name: node.{}\nspec:\n  wireguardInterfaceName: {}\n",
        node(i), ifname[node(i)]);
  }
  auto cleanup = [&] {
    for (const auto& [n, i] : ifname) harness::run({"pkill", "-f", "wireguard-go " + i});
  };
  ASSERT_EQ(ctl({"apply", "-f", "-"}, per_node).exit_code, 0);
  auto key_of = [&](const std::string& n) {
    auto r = ctl({"get", "node", n, "-o", "json"});
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    if (j.is_discarded() || !j.contains("status")) return std::string();
    return j["status"].value("wireguardPublicKey", "");
  };
  auto patch = ctl({"patch", "felixconfiguration", "default", "--type=merge", "-p",
                    R"({"spec":{"wireguardEnabled":true}})"});
  ASSERT_EQ(patch.exit_code, 0) << patch.err;
  EXPECT_TRUE(wait_until(
      [&] {
        for (int i = 1; i <= 3; ++i)
          if (key_of(node(i)).empty()) return false;
        auto peers = topo->exec("node1", {"wg", "show", ifname["node1"], "peers"});
        return peers.exit_code == 0 && std::count(peers.out.begin(), peers.out.end(), '\n') == 2;
      },
      60s))
      << daemons.at("node1").err();
  EXPECT_NE(ctl({"get", "node", "node1", "-o", "yaml"}).out.find("wireguardPublicKey"),
            std::string::npos);

  // Pings go through the tunnel: on node1's link only UDP 51820 is seen between the nodes.
  EXPECT_TRUE(wait_until([&] { return ping("pod-10.244.1.1", "10.244.2.1"); }, 20s));
  Process capture(
      {"tcpdump", "-i", "eth0", "-n", "-l", "-c", "6", "ip", "and", "not", "port", "179"},
      topo->ns("node1"));
  std::this_thread::sleep_for(1s);
  for (int k = 0; k < 3; ++k) ping("pod-10.244.1.1", "10.244.2.1");
  capture.wait(10s);
  const std::string seen = capture.out();
  EXPECT_NE(seen.find(".51820"), std::string::npos) << seen;
  EXPECT_EQ(seen.find("ICMP"), std::string::npos) << seen;

  patch = ctl({"patch", "felixconfiguration", "default", "--type=merge", "-p",
               R"({"spec":{"wireguardEnabled":false}})"});
  ASSERT_EQ(patch.exit_code, 0) << patch.err;
  EXPECT_TRUE(wait_until(
      [&] {
        for (int i = 1; i <= 3; ++i)
          if (!key_of(node(i)).empty()) return false;
        return topo->exec("node1", {"ip", "link", "show", ifname["node1"]}).exit_code != 0;
      },
      30s));
  EXPECT_EQ(ctl({"get", "node", "node1", "-o", "yaml"}).out.find("wireguardPublicKey"),
            std::string::npos);
  EXPECT_TRUE(wait_until([&] { return ping("pod-10.244.1.1", "10.244.2.1"); }, 20s));
  cleanup();
}

// The seed's auto host endpoints: with kube-controllers' hostEndpoint.autoCreate Enabled each
// podnetd keeps `<node>-auto-hep` (interface *, the node's addresses and labels) and follows label
// changes; Disabled removes them.
TEST_F(ThreeNodeLab, AutoHostEndpointsFollowTheSetting) {
  auto set = [&](const char* v) {
    auto r = ctl(
        {"patch", "kubecontrollersconfiguration", "default", "-p",
         fmt::format(
             R"({{"spec":{{"controllers":{{"node":{{"hostEndpoint":{{"autoCreate":"{}"}}}}}}}}}})",
             v)});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  };
  auto hep = [&](const std::string& n) {
    auto r = ctl({"get", "hostendpoint", n + "-auto-hep", "-o", "json"});
    if (r.exit_code != 0) return nlohmann::json();
    return nlohmann::json::parse(r.out, nullptr, false);
  };
  // podnetd creates the default KubeControllersConfiguration at start, as calico-node does.
  ASSERT_TRUE(wait_until([&] {
    return ctl({"get", "kubecontrollersconfiguration", "default"}).exit_code == 0;
  }));
  ASSERT_NO_FATAL_FAILURE(set("Enabled"));
  ASSERT_TRUE(wait_until([&] {
    for (int i = 1; i <= 3; ++i)
      if (hep(node(i)).is_null()) return false;
    return true;
  }));
  auto h = hep("node2");
  // Written once, not rewritten on its own watch event.
  std::this_thread::sleep_for(1s);
  EXPECT_EQ(hep("node2")["metadata"]["resourceVersion"], h["metadata"]["resourceVersion"]);
  EXPECT_EQ(h["spec"]["interfaceName"], "*");
  EXPECT_EQ(h["spec"]["node"], "node2");
  EXPECT_NE(h["spec"]["expectedIPs"].dump().find("10.0.0.2"), std::string::npos) << h.dump();
  ASSERT_EQ(ctl({"label", "node", "node2", "rack=r7"}).exit_code, 0);
  EXPECT_TRUE(wait_until([&] {
    auto j = hep("node2");
    return !j.is_null() && j["metadata"]["labels"].value("rack", "") == "r7";
  }));
  ASSERT_NO_FATAL_FAILURE(set("Disabled"));
  EXPECT_TRUE(wait_until([&] {
    for (int i = 1; i <= 3; ++i)
      if (!hep(node(i)).is_null()) return false;
    return true;
  }));
}

// The lab in two subnets: node1 and node2 on 10.0.1.0/24, node3 on 10.0.2.0/24, joined by a
// router namespace that knows nothing of pods. With the pool's vxlanMode CrossSubnet, traffic
// between the subnets goes through vxlan.calico (UDP 4789 on the wire) and traffic within one
// goes direct (the pod's own packets on the wire).
class CrossSubnetLab : public ThreeNodeLab {
 protected:
  void build_network() override {
    for (int i = 1; i <= 3; ++i) ASSERT_TRUE(topo->add_host(node(i)));
    ASSERT_TRUE(topo->add_host("router"));
    ASSERT_TRUE(topo->add_lan("lana", {{node(1), "eth0", {node_address(1)}},
                                       {node(2), "eth0", {node_address(2)}},
                                       {"router", "eth0", {"10.0.1.254/24"}}}));
    ASSERT_TRUE(topo->add_lan(
        "lanb", {{node(3), "eth0", {node_address(3)}}, {"router", "eth1", {"10.0.2.254/24"}}}));
    ASSERT_TRUE(topo->up());
    ASSERT_EQ(topo->exec("router", {"sysctl", "-qw", "net.ipv4.ip_forward=1"}).exit_code, 0);
    for (int i = 1; i <= 2; ++i)
      ASSERT_EQ(
          topo->exec(node(i), {"ip", "route", "add", "10.0.2.0/24", "via", "10.0.1.254"}).exit_code,
          0);
    ASSERT_EQ(
        topo->exec(node(3), {"ip", "route", "add", "10.0.1.0/24", "via", "10.0.2.254"}).exit_code,
        0);
  }
  std::string node_address(int i) const override {
    return i == 3 ? "10.0.2.3/24" : fmt::format("10.0.1.{}/24", i);
  }
  std::string pool_extra() const override { return "  vxlanMode: CrossSubnet\n"; }

  // Packets of `filter` seen on node1's eth0 while `from` pings `to` three times.
  std::string capture_while_pinging(const std::string& filter, const std::string& from,
                                    const std::string& to) {
    Process cap({"tcpdump", "-i", "eth0", "-n", "-l", "-c", "3", filter}, topo->ns("node1"));
    std::this_thread::sleep_for(1s);
    for (int k = 0; k < 3; ++k) ping(from, to);
    cap.wait(5s);
    cap.stop(SIGTERM, 2s);
    return cap.out();
  }
};

TEST_F(CrossSubnetLab, VxlanBetweenSubnetsDirectWithinOne) {
  ASSERT_TRUE(wait_until(
      [&] {
        auto far = kernel_route("node1", "10.244.3.0/26");
        auto near = kernel_route("node1", "10.244.2.0/26");
        return !far.is_null() && far.value("dev", "") == "vxlan.calico" && !near.is_null() &&
               near.value("dev", "") == "eth0";
      },
      60s))
      << kernel_routes("node1").dump() << daemons.at("node1").err();
  // The router knows no pod routes: only the tunnel gets pods across.
  EXPECT_EQ(topo->exec("router", {"ip", "route", "show", "10.244.0.0/16"}).out, "");
  EXPECT_TRUE(wait_until([&] { return ping("pod-10.244.1.1", "10.244.3.1"); }, 30s));
  EXPECT_TRUE(wait_until([&] { return ping("pod-10.244.3.1", "10.244.2.1"); }, 30s));
  EXPECT_TRUE(ping("pod-10.244.1.1", "10.244.2.1"));

  const std::string far = capture_while_pinging("udp port 4789", "pod-10.244.1.1", "10.244.3.1");
  EXPECT_NE(far.find("VXLAN"), std::string::npos) << far;
  const std::string near = capture_while_pinging("icmp", "pod-10.244.1.1", "10.244.2.1");
  EXPECT_NE(near.find("10.244.1.1 > 10.244.2.1: ICMP echo request"), std::string::npos) << near;
  const std::string none =
      capture_while_pinging("icmp and host 10.244.3.1", "pod-10.244.1.1", "10.244.3.1");
  EXPECT_EQ(none.find("ICMP"), std::string::npos) << none;  // only inside the tunnel
}

// NAT outgoing, live: the router stands for the outside world (it has no route back to pods).
// With the pool's natOutgoing on, a pod reaches it and it sees the node's address; off, the
// pod's own address arrives there and the reply has nowhere to go.
TEST_F(CrossSubnetLab, NatOutgoingToTheOutside) {
  auto router_sees = [&](const std::string& from_pod) {
    Process cap({"tcpdump", "-i", "eth0", "-n", "-l", "-c", "1", "icmp[icmptype] = icmp-echo"},
                topo->ns("router"));
    std::this_thread::sleep_for(1s);
    const bool ok = ping(from_pod, "10.0.1.254");
    cap.wait(5s);
    cap.stop(SIGTERM, 2s);
    return std::make_pair(ok, cap.out());
  };
  auto set_nat = [&](bool on) {
    auto r = ctl({"patch", "ippool", "pods", "-p",
                  fmt::format(R"({{"spec":{{"natOutgoing":{}}}}})", on ? "true" : "false")});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  };
  ASSERT_NO_FATAL_FAILURE(set_nat(true));
  EXPECT_TRUE(wait_until([&] { return ping("pod-10.244.1.1", "10.0.1.254"); }, 30s))
      << topo->exec("node1", {"nft", "list", "table", "ip", "podnet-nat"}).out;
  auto [ok, seen] = router_sees("pod-10.244.1.1");
  EXPECT_TRUE(ok);
  EXPECT_NE(seen.find("10.0.1.1 > 10.0.1.254"), std::string::npos) << seen;

  ASSERT_NO_FATAL_FAILURE(set_nat(false));
  EXPECT_TRUE(wait_until([&] { return !ping("pod-10.244.1.1", "10.0.1.254"); }, 30s));
  auto [ok2, seen2] = router_sees("pod-10.244.1.1");
  EXPECT_FALSE(ok2);
  EXPECT_NE(seen2.find("10.244.1.1 > 10.0.1.254"), std::string::npos) << seen2;
}

}  // namespace
}  // namespace podnet::interop
