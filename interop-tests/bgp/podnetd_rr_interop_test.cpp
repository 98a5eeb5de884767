// Route reflection and top-of-rack designs with podnetd against real peers (issue 6 items 1, 3,
// 6): podnetd reflecting between a gobgpd and a BIRD 2 client (RFC 4456 ORIGINATOR_ID and
// CLUSTER_LIST as the clients see them), podnetd nodes as clients of a BIRD 2 reflector, two
// podnetd reflectors with one cluster id selected by label, an eBGP ToR per rack with every node
// in one AS (BIRD 2 ToRs with numAllowedLocalASNumbers, gobgpd ToRs with as-override), and
// graceful restart with BIRD 2 and FRR in both roles (helping while podnetd is killed and
// restarted, and restarting while podnetd helps) and gobgpd restarting.
#include <gtest/gtest.h>

#include <signal.h>

#include <atomic>
#include <functional>
#include <map>
#include <set>
#include <thread>
#include <tuple>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "interop-tests/harness/harness.hpp"
#include "interop-tests/peers/bird_peer.hpp"
#include "interop-tests/peers/exabgp_peer.hpp"
#include "interop-tests/peers/frr_peer.hpp"
#include "interop-tests/peers/gobgp_peer.hpp"
#include "interop-tests/topology/pod.hpp"
#include "interop-tests/topology/topology.hpp"

namespace podnet::interop {
namespace {

using namespace std::chrono_literals;
using harness::Process;
using harness::wait_until;

constexpr uint32_t kAs = 64512;

std::string node_yaml(const std::string& name, const std::string& v4,
                      const std::map<std::string, std::string>& labels = {},
                      const std::string& cluster_id = "") {
  std::string l;
  for (const auto& [k, v] : labels) l += fmt::format("\n    {}: '{}'", k, v);
  return fmt::format(
      "---\napiVersion: projectcalico.org/v3\nkind: Node\nmetadata:\n  name: {}\n{}spec:\n"
      "  bgp:\n    ipv4Address: {}\n{}",
      name, l.empty() ? "" : "  labels:" + l + "\n", v4,
      cluster_id.empty() ? "" : "    routeReflectorClusterID: " + cluster_id + "\n");
}

std::string bgp_config(bool mesh) {
  return fmt::format(
      "---\napiVersion: projectcalico.org/v3\nkind: BGPConfiguration\nmetadata:\n"
      "  name: default\nspec:\n  asNumber: {}\n  nodeToNodeMeshEnabled: {}\n",
      kAs, mesh);
}

// `spec` holds the BGPPeer's spec lines, two-space indented.
std::string bgp_peer(const std::string& name, const std::string& spec) {
  return fmt::format(
      "---\napiVersion: projectcalico.org/v3\nkind: BGPPeer\nmetadata:\n  name: {}\nspec:\n{}",
      name, spec);
}

// An IPPool 10.244.0.0/16 (no encapsulation) and an empty /26 block 10.244.<n>.0/26 affine to
// `node`: podnetd originates the block and installs its blackhole.
std::string pool() {
  return "---\napiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: pods\nspec:\n"
         "  cidr: 10.244.0.0/16\n";
}
std::string block(int n, const std::string& node) {
  std::vector<std::string> alloc(64, "null");
  return fmt::format(
      "---\napiVersion: projectcalico.org/v3\nkind: IPAMBlock\nmetadata:\n  name: 10-244-{}-0-26\n"
      "spec:\n  cidr: 10.244.{}.0/26\n  affinity: host:{}\n  allocations: [{}]\n"
      "  unallocated: []\n  attributes: []\n",
      n, n, node, fmt::join(alloc, ", "));
}

NeighborConfig neighbor(const std::string& addr, uint32_t as, int gr = -1) {
  NeighborConfig n;
  n.address = addr;
  n.remote_as = as;
  n.hold_time = 9;
  n.graceful_restart_time = gr;
  return n;
}

class RouteReflectionInterop : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!harness::is_root()) GTEST_SKIP() << "needs root for network namespaces";
    topo = std::make_unique<Topology>("pnrr");
  }
  void TearDown() override {
    if (HasFailure()) {
      for (auto& [name, p] : daemons) std::cerr << "--- podnetd " << name << "\n" << p.err();
      for (auto& [name, p] : peers) std::cerr << "--- " << name << "\n" << p->log();
    }
    daemons.clear();
    peers.clear();
    topo.reset();
  }

  // Hosts on one LAN 10.0.0.0/24, addresses 10.0.0.<i+1> in order.
  void lan(const std::vector<std::string>& hosts) {
    std::vector<Endpoint> members;
    for (std::size_t i = 0; i < hosts.size(); ++i) {
      ASSERT_TRUE(topo->add_host(hosts[i]));
      members.push_back({hosts[i], "eth0", {fmt::format("10.0.0.{}/24", i + 1)}});
    }
    ASSERT_TRUE(topo->add_lan("lan", members));
    ASSERT_TRUE(topo->up());
  }
  void apply(const std::string& yaml) {
    auto r = ctl({"apply", "-f", "-"}, yaml);
    ASSERT_EQ(r.exit_code, 0) << r.err << yaml;
  }
  harness::CommandResult ctl(std::vector<std::string> args, const std::string& input = "") {
    args.insert(args.begin(), harness::podnetctl_path());
    args.push_back("--datastore=dir:" + dir.file("store"));
    return harness::run(args, input);
  }
  // podnetd for Kubernetes node `node` in host `host`'s namespace, on the shared datastore.
  // Policy off: these tests are about routing, and the lab pods have no Pod resources.
  void start(const std::string& node, const std::string& host,
             const std::vector<std::string>& static_routes = {}) {
    std::string routes;
    for (const auto& r : static_routes) routes += "\n    - " + r;
    harness::write_file(
        dir.file(node + ".yaml"),
        fmt::format("nodeName: {}\ndatastore:\n  path: {}\ncontrolSocket: {}\nlogLevel: debug\n"
                    "policy:\n  enabled: false\nbgp:\n  holdTime: 9\n{}",
                    node, dir.file("store"), dir.file(node + ".sock"),
                    routes.empty() ? "" : "  staticRoutes:" + routes + "\n"));
    daemons.erase(node);
    daemons.emplace(node, Process({harness::podnetd_path(), "--config", dir.file(node + ".yaml")},
                                  topo->ns(host)));
  }
  // Nodes `a` and `b`, each in the host of its name, with blocks 10.244.1.0/26 and 10.244.2.0/26
  // and a pod (pod-<node>: 10.244.1.1, 10.244.2.1), `resources` applied, podnetd started.
  void start_two_nodes(const std::string& a, const std::string& b, const std::string& resources) {
    ASSERT_NO_FATAL_FAILURE(apply(resources + pool() + block(1, a) + block(2, b)));
    auto pa = add_pod(*topo, a, "eth0", "pod-" + a, "10.244.1.1");
    auto pb = add_pod(*topo, b, "eth0", "pod-" + b, "10.244.2.1");
    ASSERT_TRUE(pa && pb);
    start(a, a);
    start(b, b);
  }
  nlohmann::json show(const std::string& node, std::vector<std::string> what) {
    what.insert(what.begin(), "show");
    what.push_back("--json");
    what.push_back("--socket=" + dir.file(node + ".sock"));
    auto r = ctl(what);
    return r.exit_code == 0 ? nlohmann::json::parse(r.out, nullptr, false) : nlohmann::json();
  }
  bool established(const std::string& node, const std::string& peer) {
    auto j = show(node, {"peers"});
    if (!j.is_object()) return false;
    for (const auto& p : j["peers"])
      if (p["name"] == peer) return p["state"] == "Established";
    return false;
  }
  nlohmann::json paths(const std::string& node, const std::string& prefix) {
    auto j = show(node, {"routes", prefix});
    if (!j.is_object() || j["routes"].empty()) return nlohmann::json::array();
    return j["routes"][0]["paths"];
  }
  // The peer addresses node holds a path for prefix from.
  std::set<std::string> sources(const std::string& node, const std::string& prefix) {
    std::set<std::string> s;
    for (const auto& p : paths(node, prefix)) s.insert(p.value("peerAddress", "local"));
    return s;
  }
  // The gateway of host's proto-12 kernel route to dst ("" when there is none).
  std::string kernel_via(const std::string& host, const std::string& dst) {
    auto r = topo->exec(host, {"ip", "-j", "route", "show", "proto", "12"});
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    if (!j.is_array()) return "";
    for (const auto& e : j)
      if (e.value("dst", "") == dst) return e.value("gateway", "?");
    return "";
  }
  template <class P>
  P& add_peer(const std::string& host, PeerConfig c) {
    auto p = std::make_unique<P>(topo->ns(host), std::move(c));
    P& ref = *p;
    peers[host] = std::move(p);
    auto s = ref.start();
    EXPECT_TRUE(s) << (s ? "" : s.error().message);
    return ref;
  }
  PeerConfig peer_config(uint32_t as, const std::string& router_id, std::vector<NeighborConfig> n,
                         bool export_learned) {
    PeerConfig c;
    c.local_as = as;
    c.router_id = router_id;
    c.neighbors = std::move(n);
    c.export_learned = export_learned;
    return c;
  }

  std::unique_ptr<Topology> topo;
  harness::TempDir dir{"podnet-rr"};
  std::map<std::string, Process> daemons;
  std::map<std::string, std::unique_ptr<BgpPeer>> peers;
};

// gobgp's JSON path attribute `type` of the best path for prefix (null when absent).
nlohmann::json gobgp_attr(GobgpPeer& g, const std::string& prefix, int type) {
  auto r = g.cli({"global", "rib", "-j", prefix});
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  if (!j.is_object()) return nullptr;
  for (const auto& [pfx, dests] : j.items())
    for (const auto& d : dests)
      for (const auto& a : d["attrs"])
        if (a.value("type", 0) == type) return a;
  return nullptr;
}

// podnetd as a reflector (RFC 4456) with a gobgpd and a BIRD 2 client, all in AS 64512: a
// route from one client reaches the other unchanged in next hop, with ORIGINATOR_ID = the
// originating client's router id and CLUSTER_LIST = [our cluster id].
TEST_F(RouteReflectionInterop, PodnetdReflectsBetweenGobgpAndBird) {
  ASSERT_NO_FATAL_FAILURE(lan({"pn", "gobgp", "bird"}));
  auto& gobgp = static_cast<GobgpPeer&>(add_peer<GobgpPeer>(
      "gobgp", peer_config(kAs, "10.0.0.2", {neighbor("10.0.0.1", kAs)}, false)));
  auto& bird = static_cast<BirdPeer&>(
      add_peer<BirdPeer>("bird", peer_config(kAs, "10.0.0.3", {neighbor("10.0.0.1", kAs)}, false)));
  ASSERT_NO_FATAL_FAILURE(apply(node_yaml("n1", "10.0.0.1/24", {}, "244.0.0.1") +
                                bgp_config(false) +
                                bgp_peer("gobgp", "  peerIP: 10.0.0.2\n  asNumber: 64512\n") +
                                bgp_peer("bird", "  peerIP: 10.0.0.3\n  asNumber: 64512\n")));
  start("n1", "pn");
  ASSERT_TRUE(gobgp.wait_established("10.0.0.1"));
  ASSERT_TRUE(bird.wait_established("10.0.0.1"));
  ASSERT_TRUE(gobgp.announce({"10.61.1.0/24", "", {}, std::nullopt, std::nullopt}));
  ASSERT_TRUE(bird.announce({"10.61.2.0/24", "", {}, std::nullopt, std::nullopt}));

  // gobgpd's route at BIRD.
  ASSERT_TRUE(bird.wait_route("10.61.1.0/24"));
  auto at_bird = bird.birdc({"show", "route", "all", "10.61.1.0/24"}).out;
  EXPECT_NE(at_bird.find("BGP.originator_id: 10.0.0.2"), std::string::npos) << at_bird;
  EXPECT_NE(at_bird.find("BGP.cluster_list: 244.0.0.1"), std::string::npos) << at_bird;
  EXPECT_NE(at_bird.find("BGP.next_hop: 10.0.0.2"), std::string::npos) << at_bird;
  // BIRD's route at gobgpd.
  ASSERT_TRUE(gobgp.wait_route("10.61.2.0/24"));
  auto originator = gobgp_attr(gobgp, "10.61.2.0/24", 9);
  auto clusters = gobgp_attr(gobgp, "10.61.2.0/24", 10);
  EXPECT_EQ(originator.dump(), R"({"type":9,"value":"10.0.0.3"})");
  EXPECT_EQ(clusters.dump(), R"({"type":10,"value":["244.0.0.1"]})");
  EXPECT_EQ(gobgp.best_route("10.61.2.0/24")->next_hop, "10.0.0.3");
  // podnetd's own view: both clients' routes, not reflected back to their originators.
  EXPECT_EQ(sources("n1", "10.61.1.0/24"), std::set<std::string>{"10.0.0.2"});
  EXPECT_FALSE(gobgp.route_from("10.61.1.0/24", "10.0.0.1"));

  // Withdrawn at the source, withdrawn at the other client.
  ASSERT_TRUE(gobgp.withdraw("10.61.1.0/24"));
  EXPECT_TRUE(bird.wait_no_route("10.61.1.0/24"));
}

// RFC 4456 8 loop prevention at a podnetd reflector (cluster 244.0.0.1, router id 10.0.0.1): an
// iBGP client (ExaBGP, which writes the attributes it is told) announces one route whose
// CLUSTER_LIST holds our cluster id, one whose ORIGINATOR_ID is our router id, then one with a
// foreign cluster. They arrive in that order on one session, so once the last is in the RIB the
// first two have been judged: received, not accepted, not in the kernel.
TEST_F(RouteReflectionInterop, ReflectorDropsRoutesLoopingBackToIt) {
  ASSERT_NO_FATAL_FAILURE(lan({"pn", "exa"}));
  ASSERT_NO_FATAL_FAILURE(apply(node_yaml("n1", "10.0.0.1/24", {}, "244.0.0.1") +
                                bgp_config(false) +
                                bgp_peer("exa", "  peerIP: 10.0.0.2\n  asNumber: 64512\n")));
  PeerConfig c = peer_config(kAs, "10.0.0.2", {neighbor("10.0.0.1", kAs)}, false);
  c.listen_address = "10.0.0.2";
  c.neighbors[0].local_address = "10.0.0.2";
  ExabgpPeer exa(topo->ns("exa"), c);
  ASSERT_TRUE(exa.start());
  start("n1", "pn");
  ASSERT_TRUE(exa.wait_established("10.0.0.1")) << exa.log();
  ASSERT_TRUE(exa.announce("10.66.1.0/24", "10.0.0.2", "cluster-list [ 10.9.9.9 244.0.0.1 ]"));
  ASSERT_TRUE(exa.announce("10.66.2.0/24", "10.0.0.2", "originator-id 10.0.0.1"));
  ASSERT_TRUE(exa.announce("10.66.3.0/24", "10.0.0.2", "cluster-list [ 10.9.9.9 ]"));
  ASSERT_TRUE(wait_until([&] { return kernel_via("pn", "10.66.3.0/24") == "10.0.0.2"; }, 20s))
      << show("n1", {"routes"}).dump() << exa.log();
  EXPECT_EQ(paths("n1", "10.66.3.0/24")[0]["attributes"]["clusterList"],
            nlohmann::json::array({"10.9.9.9"}));
  for (const char* looped : {"10.66.1.0/24", "10.66.2.0/24"}) {
    EXPECT_TRUE(paths("n1", looped).empty()) << looped << paths("n1", looped).dump();
    EXPECT_EQ(kernel_via("pn", looped), "") << looped;
  }
  nlohmann::json peer = nlohmann::json::object();
  const nlohmann::json all = show("n1", {"peers"});
  for (const auto& p : all.value("peers", nlohmann::json::array()))
    if (p.value("name", "") == "Global_10_0_0_2") peer = p;
  const nlohmann::json prefixes = peer.value("prefixes", nlohmann::json::object());
  EXPECT_EQ(prefixes.value("received", 0), 3) << all.dump();
  EXPECT_EQ(prefixes.value("accepted", 0), 1) << all.dump();
  const std::string log = daemons.at("n1").err();
  EXPECT_NE(log.find("routes rejected: CLUSTER_LIST contains our cluster id"), std::string::npos)
      << log;
  EXPECT_NE(log.find("routes rejected: ORIGINATOR_ID is our router id"), std::string::npos);
  // One session all along (of possibly two colliding connections, one got established).
  std::size_t ups = 0;
  for (auto pos = log.find("OpenConfirm -> Established"); pos != std::string::npos;
       pos = log.find("OpenConfirm -> Established", pos + 1))
    ++ups;
  EXPECT_EQ(ups, 1u) << log;
}

// Two podnetd nodes as clients of a BIRD 2 reflector (no mesh): each learns the other's block
// through it, with the reflector's attributes, into its kernel, and pods on them talk.
TEST_F(RouteReflectionInterop, PodnetdClientsOfBirdReflector) {
  ASSERT_NO_FATAL_FAILURE(lan({"n1", "n2", "bird"}));
  NeighborConfig c1 = neighbor("10.0.0.1", kAs), c2 = neighbor("10.0.0.2", kAs);
  c1.route_reflector_client = c2.route_reflector_client = true;
  add_peer<BirdPeer>("bird", peer_config(kAs, "10.0.0.3", {c1, c2}, true));
  ASSERT_NO_FATAL_FAILURE(start_two_nodes(
      "n1", "n2",
      node_yaml("n1", "10.0.0.1/24") + node_yaml("n2", "10.0.0.2/24") + bgp_config(false) +
          bgp_peer("rr", "  peerIP: 10.0.0.3\n  asNumber: 64512\n")));
  ASSERT_TRUE(wait_until(
      [&] {
        return kernel_via("n1", "10.244.2.0/26") == "10.0.0.2" &&
               kernel_via("n2", "10.244.1.0/26") == "10.0.0.1";
      },
      30s))
      << show("n1", {"routes"}).dump();
  auto p = paths("n1", "10.244.2.0/26");
  ASSERT_EQ(p.size(), 1u) << p.dump();
  EXPECT_EQ(p[0].value("peerAddress", ""), "10.0.0.3");
  EXPECT_EQ(p[0]["attributes"].value("originatorId", ""), "10.0.0.2") << p.dump();
  EXPECT_EQ(p[0]["attributes"]["clusterList"], nlohmann::json::array({"10.0.0.3"})) << p.dump();
  EXPECT_EQ(
      topo->exec("pod-n1", {"ping", "-c", "2", "-i", "0.2", "-W", "2", "10.244.2.1"}).exit_code, 0);
}

// The usual Calico reflector deployment: mesh off, two nodes labelled route-reflector with one
// cluster id, every node peering with them through one BGPPeer (nodeSelector all(),
// peerSelector route-reflector == 'true'). Clients learn each other's blocks from both
// reflectors; one reflector stopped, the routes stay (via the other) and new ones still flow.
TEST_F(RouteReflectionInterop, TwoPodnetdReflectorsWithOneClusterId) {
  ASSERT_NO_FATAL_FAILURE(lan({"rr1", "rr2", "c1", "c2"}));
  const std::map<std::string, std::string> rr = {{"route-reflector", "true"}};
  ASSERT_NO_FATAL_FAILURE(
      apply(node_yaml("rr1", "10.0.0.1/24", rr, "244.0.0.1") +
            node_yaml("rr2", "10.0.0.2/24", rr, "244.0.0.1") + node_yaml("c1", "10.0.0.3/24") +
            node_yaml("c2", "10.0.0.4/24") + bgp_config(false) +
            bgp_peer("peer-with-route-reflectors",
                     "  nodeSelector: all()\n  peerSelector: route-reflector == 'true'\n") +
            pool() + block(3, "c1") + block(4, "c2")));
  for (const char* n : {"rr1", "rr2", "c1", "c2"}) start(n, n);
  ASSERT_TRUE(wait_until(
      [&] {
        return sources("c1", "10.244.4.0/26") == std::set<std::string>{"10.0.0.1", "10.0.0.2"} &&
               sources("c2", "10.244.3.0/26") == std::set<std::string>{"10.0.0.1", "10.0.0.2"};
      },
      40s))
      << paths("c1", "10.244.4.0/26").dump() << show("c1", {"peers"}).dump();
  EXPECT_EQ(kernel_via("c1", "10.244.4.0/26"), "10.0.0.4");
  // The reflectors peer with each other (both match the selector) but are not each other's
  // clients: no mesh session anywhere, and rr1 drops rr2's reflections (its own cluster id).
  // rr2 may have dialled rr1 before rr1 listened: that session comes up on the retry, which can
  // be after the clients are in sync.
  EXPECT_TRUE(wait_until([&] { return established("rr1", "Node_10_0_0_2"); }, 20s));
  EXPECT_EQ(sources("rr1", "10.244.4.0/26"), std::set<std::string>{"10.0.0.4"});
  for (const auto& p : show("c1", {"peers"})["peers"])
    EXPECT_NE(p.value("origin", ""), "mesh") << p.dump();

  Process monitor({"ip", "-n", topo->ns("c1"), "monitor", "route"});
  std::this_thread::sleep_for(300ms);
  ASSERT_EQ(daemons.at("rr1").stop(), 0);
  EXPECT_TRUE(wait_until([&] {
    return sources("c1", "10.244.4.0/26") == std::set<std::string>{"10.0.0.2"};
  })) << paths("c1", "10.244.4.0/26").dump();
  EXPECT_EQ(kernel_via("c1", "10.244.4.0/26"), "10.0.0.4");
  // A new block of c2 reaches c1 through rr2 alone.
  ASSERT_NO_FATAL_FAILURE(apply(block(5, "c2")));
  EXPECT_TRUE(wait_until([&] { return kernel_via("c1", "10.244.5.0/26") == "10.0.0.4"; }));
  monitor.stop(SIGTERM, 2s);
  EXPECT_EQ(monitor.out().find("Deleted 10.244.4.0/26"), std::string::npos) << monitor.out();
}

// Top-of-rack eBGP: two racks joined by a spine link, a ToR per rack (AS 65001 at 10.1.0.1 and
// 10.9.0.1, AS 65002 at 10.2.0.1 and 10.9.0.2) and one node per rack (a1 10.1.0.11, b1
// 10.2.0.11), both in AS 64512, peering only with their own rack's ToR (BGPPeer nodeSelector
// rack == 'x'), each with a block and a pod.
class TorPerRack : public RouteReflectionInterop {
 protected:
  // The network, and the ToRs' forwarding: the fixture daemons install nothing in the kernel,
  // so the ToRs route pod traffic by static routes.
  void build_racks() {
    for (const char* h : {"tor-a", "tor-b", "a1", "b1"}) ASSERT_TRUE(topo->add_host(h));
    ASSERT_TRUE(
        topo->add_link({"tor-a", "rack", {"10.1.0.1/24"}}, {"a1", "eth0", {"10.1.0.11/24"}}));
    ASSERT_TRUE(
        topo->add_link({"tor-b", "rack", {"10.2.0.1/24"}}, {"b1", "eth0", {"10.2.0.11/24"}}));
    ASSERT_TRUE(
        topo->add_link({"tor-a", "spine", {"10.9.0.1/30"}}, {"tor-b", "spine", {"10.9.0.2/30"}}));
    ASSERT_TRUE(topo->up());
    for (const auto& [tor, dst, via] : {std::tuple{"tor-a", "10.244.1.0/26", "10.1.0.11"},
                                        {"tor-a", "10.244.2.0/26", "10.9.0.2"},
                                        {"tor-b", "10.244.2.0/26", "10.2.0.11"},
                                        {"tor-b", "10.244.1.0/26", "10.9.0.1"}})
      ASSERT_EQ(topo->exec(tor, {"ip", "route", "add", dst, "via", via}).exit_code, 0);
    for (const char* t : {"tor-a", "tor-b"})
      ASSERT_EQ(topo->exec(t, {"sysctl", "-qw", "net.ipv4.ip_forward=1"}).exit_code, 0);
  }
  // The ToRs' configs: `nodes` tunes the neighbour that is the rack's node.
  PeerConfig tor_config(char rack, const std::function<void(NeighborConfig&)>& nodes = {}) {
    const bool a = rack == 'a';
    NeighborConfig node = neighbor(a ? "10.1.0.11" : "10.2.0.11", kAs);
    if (nodes) nodes(node);
    return peer_config(a ? 65001 : 65002, a ? "10.9.0.1" : "10.9.0.2",
                       {node, neighbor(a ? "10.9.0.2" : "10.9.0.1", a ? 65002 : 65001)}, true);
  }
  // The BGPPeers; `extra` continues both specs.
  static std::string tor_peers(const std::string& extra) {
    return bgp_peer(
               "rack-a",
               "  nodeSelector: rack == 'a'\n  peerIP: 10.1.0.1\n  asNumber: 65001\n" + extra) +
           bgp_peer("rack-b",
                    "  nodeSelector: rack == 'b'\n  peerIP: 10.2.0.1\n  asNumber: 65002\n" + extra);
  }
  void start_nodes(const std::string& peer_extra) {
    ASSERT_NO_FATAL_FAILURE(start_two_nodes("a1", "b1",
                                            node_yaml("a1", "10.1.0.11/24", {{"rack", "a"}}) +
                                                node_yaml("b1", "10.2.0.11/24", {{"rack", "b"}}) +
                                                bgp_config(false) + tor_peers(peer_extra)));
  }
  // Each node's block in the other node's kernel via its own ToR, and the pods talk.
  void expect_racks_reach_each_other() {
    ASSERT_TRUE(wait_until(
        [&] {
          return kernel_via("b1", "10.244.1.0/26") == "10.2.0.1" &&
                 kernel_via("a1", "10.244.2.0/26") == "10.1.0.1";
        },
        30s))
        << paths("b1", "10.244.1.0/26").dump();
    EXPECT_EQ(
        topo->exec("pod-b1", {"ping", "-c", "2", "-i", "0.2", "-W", "2", "10.244.1.1"}).exit_code,
        0);
  }
};

// BIRD 2 ToRs pass the other rack's route on with AS path 65002 65001 64512: our own AS, so the
// node drops it until the BGPPeers allow it once (numAllowedLocalASNumbers: 1, applied live).
TEST_F(TorPerRack, BirdTorsWithSharedNodeAsNeedAllowasIn) {
  ASSERT_NO_FATAL_FAILURE(build_racks());
  auto& tor_a = add_peer<BirdPeer>("tor-a", tor_config('a'));
  auto& tor_b = add_peer<BirdPeer>("tor-b", tor_config('b'));
  ASSERT_NO_FATAL_FAILURE(start_nodes(""));
  ASSERT_TRUE(tor_a.wait_established("10.1.0.11"));
  ASSERT_TRUE(tor_b.wait_established("10.2.0.11"));
  ASSERT_TRUE(tor_b.wait_established("10.9.0.1"));
  // Each node's block reaches the other rack's ToR (AS path 65001 64512)...
  ASSERT_TRUE(tor_b.wait_route("10.244.1.0/26"));
  ASSERT_TRUE(tor_a.wait_route("10.244.2.0/26"));
  ASSERT_TRUE(wait_until([&] {
    return daemons.at("b1").err().find("routes rejected: AS_PATH contains our AS 64512") !=
           std::string::npos;
  }));
  // ...and is sent on to the node, which drops it: 64512 is its own AS.
  std::this_thread::sleep_for(2s);
  EXPECT_TRUE(sources("b1", "10.244.1.0/26").empty()) << paths("b1", "10.244.1.0/26").dump();
  EXPECT_EQ(kernel_via("b1", "10.244.1.0/26"), "");
  EXPECT_NE(topo->exec("pod-b1", {"ping", "-c", "1", "-W", "1", "10.244.1.1"}).exit_code, 0);

  // Allowed once: learned, in the kernel via the rack's ToR, and the pods talk. The sessions
  // stay up: allowas-in only changes what is accepted.
  ASSERT_NO_FATAL_FAILURE(apply(tor_peers("  numAllowedLocalASNumbers: 1\n")));
  ASSERT_NO_FATAL_FAILURE(expect_racks_reach_each_other());
  auto p = paths("b1", "10.244.1.0/26");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0]["attributes"].value("asPath", ""), "65002 65001 64512") << p.dump();
  for (const auto& n : tor_b.notifications())
    EXPECT_FALSE(n.code == 6 && n.subcode == 6) << "session reset: " << n.line;
}

// gobgpd ToRs, one per rack. gobgpd checks AS loops on the sending side too: it never sends a
// neighbour a path that holds the neighbour's AS, so its adj-out to b1 stays empty while its RIB
// holds a1's block with path 65001 64512, and allowas-in on the node (configured from the start
// here) cannot help. With as-override towards their nodes (replace-peer-as) the ToRs replace
// 64512 in the path by their own AS, and the node takes the route as it is.
TEST_F(TorPerRack, GobgpTorsWithSharedNodeAsNeedAsOverride) {
  ASSERT_NO_FATAL_FAILURE(build_racks());
  auto* tor_a = &add_peer<GobgpPeer>("tor-a", tor_config('a'));
  auto* tor_b = &add_peer<GobgpPeer>("tor-b", tor_config('b'));
  ASSERT_NO_FATAL_FAILURE(start_nodes("  numAllowedLocalASNumbers: 1\n"));
  ASSERT_TRUE(tor_b->wait_established("10.2.0.11"));
  ASSERT_TRUE(tor_b->wait_established("10.9.0.1"));
  ASSERT_TRUE(tor_b->wait_route("10.244.1.0/26"));
  EXPECT_EQ(tor_b->best_route("10.244.1.0/26")->as_path, (std::vector<uint32_t>{65001, 64512}));
  // The rack works (b1's block reached tor-a), a1's block does not reach b1.
  ASSERT_TRUE(tor_a->wait_route("10.244.2.0/26"));
  std::this_thread::sleep_for(2s);
  auto adj_out = tor_b->cli({"neighbor", "10.2.0.11", "adj-out", "-j"});
  EXPECT_EQ(adj_out.out.find("10.244.1.0/26"), std::string::npos) << adj_out.out;
  EXPECT_TRUE(sources("b1", "10.244.1.0/26").empty()) << paths("b1", "10.244.1.0/26").dump();

  // The ToRs restarted with as-override towards their nodes.
  auto override_as = [](NeighborConfig& n) { n.as_override = true; };
  tor_a = &add_peer<GobgpPeer>("tor-a", tor_config('a', override_as));
  tor_b = &add_peer<GobgpPeer>("tor-b", tor_config('b', override_as));
  ASSERT_NO_FATAL_FAILURE(expect_racks_reach_each_other());
  auto p = paths("b1", "10.244.1.0/26");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0]["attributes"].value("asPath", ""), "65002 65001 65002") << p.dump();
  EXPECT_EQ(p[0]["attributes"].value("nextHop", ""), "10.2.0.1") << p.dump();
}

// Graceful restart with BIRD 2 / FRR, both roles. As helpers: podnetd (with a static route to
// announce) is killed with SIGKILL and started again; the peer never loses the route (polled
// every 100 ms from before the kill until podnetd's restart is done). As restarting speakers:
// podnetd_helps().
class GracefulRestartHelpers : public RouteReflectionInterop {
 protected:
  void run(BgpPeer& peer) {
    ASSERT_NO_FATAL_FAILURE(apply(node_yaml("n1", "10.0.0.1/24") + bgp_config(false) +
                                  bgp_peer("peer", "  peerIP: 10.0.0.2\n  asNumber: 65002\n")));
    start("n1", "pn", {"10.62.0.0/24"});
    ASSERT_TRUE(peer.wait_established("10.0.0.1"));
    ASSERT_TRUE(peer.wait_route("10.62.0.0/24"));
    std::atomic<bool> polling = true;
    std::atomic<int> polls = 0, misses = 0;
    std::thread poller([&] {
      while (polling) {
        if (!peer.best_route("10.62.0.0/24")) ++misses;
        ++polls;
        std::this_thread::sleep_for(100ms);
      }
    });
    daemons.at("n1").kill9();
    EXPECT_TRUE(wait_until([&] { return !peer.established("10.0.0.1"); }, 15s));
    start("n1", "pn", {"10.62.0.0/24"});
    EXPECT_TRUE(peer.wait_established("10.0.0.1"));
    EXPECT_TRUE(wait_until(
        [&] { return daemons.at("n1").err().find("graceful restart done") != std::string::npos; },
        30s));
    std::this_thread::sleep_for(1s);
    polling = false;
    poller.join();
    EXPECT_GT(polls.load(), 10);
    EXPECT_EQ(misses.load(), 0);
    EXPECT_TRUE(peer.best_route("10.62.0.0/24"));
  }
  // podnetd as the helper (RFC 4724 4.2) while the peer restarts: the peer (AS 65002, restart
  // time 30 s) announces 10.63.0.0/24, is killed with SIGKILL and started again as a restarting
  // speaker (R and F bits). podnetd keeps the route, stale, in its RIB and kernel from the kill
  // until the peer's End-of-RIB: no kernel route deleted, not even replaced.
  // `after_start`: what the peer needs once started again (gobgpd keeps no announced routes).
  template <class P>
  void podnetd_helps(P& peer, const std::function<void()>& after_start = {}) {
    ASSERT_NO_FATAL_FAILURE(apply(node_yaml("n1", "10.0.0.1/24") + bgp_config(false) +
                                  bgp_peer("peer", "  peerIP: 10.0.0.2\n  asNumber: 65002\n")));
    start("n1", "pn");
    ASSERT_TRUE(peer.announce({"10.63.0.0/24", "", {}, std::nullopt, std::nullopt}));
    ASSERT_TRUE(wait_until([&] { return kernel_via("pn", "10.63.0.0/24") == "10.0.0.2"; }, 30s));
    Process monitor({"ip", "-n", topo->ns("pn"), "monitor", "route"});
    std::this_thread::sleep_for(300ms);
    peer.kill9();
    ASSERT_TRUE(wait_until([&] { return !established("n1", "Global_10_0_0_2"); }, 15s));
    std::this_thread::sleep_for(1s);
    EXPECT_EQ(kernel_via("pn", "10.63.0.0/24"), "10.0.0.2");
    EXPECT_EQ(paths("n1", "10.63.0.0/24").size(), 1u);
    peer.set_restarting(true);
    ASSERT_TRUE(peer.start());
    if (after_start) after_start();
    ASSERT_TRUE(wait_until([&] { return established("n1", "Global_10_0_0_2"); }, 30s));
    EXPECT_TRUE(peer.wait_established("10.0.0.1"));
    EXPECT_TRUE(peer.wait_route("10.63.0.0/24"));
    for (const auto& p : show("n1", {"peers"})["peers"])
      EXPECT_NE(p.dump().find("\"graceful-restart\""), std::string::npos) << p.dump();
    std::this_thread::sleep_for(2s);
    EXPECT_EQ(paths("n1", "10.63.0.0/24").size(), 1u);
    EXPECT_EQ(kernel_via("pn", "10.63.0.0/24"), "10.0.0.2");
    monitor.stop(SIGTERM, 2s);
    EXPECT_EQ(monitor.out().find("10.63.0.0/24"), std::string::npos) << monitor.out();
    const std::string log = daemons.at("n1").err();
    EXPECT_NE(log.find("keeping 1 routes as stale"), std::string::npos) << log;
  }
};

TEST_F(GracefulRestartHelpers, BirdKeepsPodnetdRoutesAcrossSigkill) {
  ASSERT_NO_FATAL_FAILURE(lan({"pn", "peer"}));
  auto& bird = add_peer<BirdPeer>(
      "peer", peer_config(65002, "10.0.0.2", {neighbor("10.0.0.1", kAs, 60)}, false));
  ASSERT_NO_FATAL_FAILURE(run(bird));
}

TEST_F(GracefulRestartHelpers, FrrKeepsPodnetdRoutesAcrossSigkill) {
  ASSERT_NO_FATAL_FAILURE(lan({"pn", "peer"}));
  auto& frr = add_peer<FrrPeer>(
      "peer", peer_config(65002, "10.0.0.2", {neighbor("10.0.0.1", kAs, 60)}, false));
  ASSERT_NO_FATAL_FAILURE(run(frr));
}

TEST_F(GracefulRestartHelpers, PodnetdKeepsBirdRoutesAcrossGracefulRestart) {
  ASSERT_NO_FATAL_FAILURE(lan({"pn", "peer"}));
  auto& bird = add_peer<BirdPeer>(
      "peer", peer_config(65002, "10.0.0.2", {neighbor("10.0.0.1", kAs, 30)}, false));
  ASSERT_NO_FATAL_FAILURE(podnetd_helps(bird));  // bird -R
}

TEST_F(GracefulRestartHelpers, PodnetdKeepsFrrRoutesAcrossGracefulRestart) {
  ASSERT_NO_FATAL_FAILURE(lan({"pn", "peer"}));
  auto& frr = add_peer<FrrPeer>(
      "peer", peer_config(65002, "10.0.0.2", {neighbor("10.0.0.1", kAs, 30)}, false));
  ASSERT_NO_FATAL_FAILURE(podnetd_helps(frr));  // bgpd -K, preserve-fw-state
}

TEST_F(GracefulRestartHelpers, PodnetdKeepsGobgpRoutesAcrossGracefulRestart) {
  ASSERT_NO_FATAL_FAILURE(lan({"pn", "peer"}));
  auto& gobgp = add_peer<GobgpPeer>(
      "peer", peer_config(65002, "10.0.0.2", {neighbor("10.0.0.1", kAs, 30)}, false));
  // gobgpd --graceful-restart defers its updates and End-of-RIB until podnetd's End-of-RIB:
  // the route added right after the start goes out before its End-of-RIB.
  ASSERT_NO_FATAL_FAILURE(podnetd_helps(gobgp, [&] {
    EXPECT_TRUE(gobgp.announce({"10.63.0.0/24", "", {}, std::nullopt, std::nullopt}));
  }));
}

}  // namespace
}  // namespace podnet::interop
