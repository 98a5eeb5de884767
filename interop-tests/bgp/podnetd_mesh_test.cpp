// Three podnetd on one LAN sharing one datastore (as nodes of a cluster share etcd): the
// node-to-node mesh comes from Node resources, each node learns the others' routes over iBGP,
// and adding or removing a Node starts or stops only the sessions it concerns.
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "interop-tests/harness/harness.hpp"
#include "interop-tests/topology/topology.hpp"

namespace podnet::interop {
namespace {

using namespace std::chrono_literals;
using harness::Process;
using harness::wait_until;

class Mesh : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!harness::is_root()) GTEST_SKIP() << "needs root for network namespaces";
    topo = std::make_unique<Topology>("pnmesh");
    std::vector<Endpoint> lan;
    for (int i = 1; i <= 3; ++i) {
      std::string h = fmt::format("n{}", i);
      ASSERT_TRUE(topo->add_host(h));
      lan.push_back({h, "eth0", {fmt::format("10.0.0.{}/24", i)}});
    }
    ASSERT_TRUE(topo->add_lan("lan", lan));
    ASSERT_TRUE(topo->up());
  }
  void TearDown() override {
    if (HasFailure())
      for (auto& [name, p] : daemons) std::cerr << "--- " << name << " log\n" << p.err();
    daemons.clear();
    topo.reset();
  }

  std::string sock(const std::string& node) const { return dir.file(node + ".sock"); }
  harness::CommandResult ctl(std::vector<std::string> args, const std::string& input = "") {
    args.insert(args.begin(), harness::podnetctl_path());
    args.push_back("--datastore=dir:" + dir.file("store"));
    return harness::run(args, input);
  }
  // autodetect: the Node's address is found on the interface and written to the datastore.
  void start(const std::string& node, const std::string& route, bool autodetect = false) {
    harness::write_file(dir.file(node + ".yaml"),
                        fmt::format("nodeName: {}\ndatastore:\n  path: {}\ncontrolSocket: {}\n"
                                    "healthListen: 127.0.0.1:9099\nbgp:\n  holdTime: 9\n"
                                    "  staticRoutes: [{}]\naddressAutodetection:\n  ipv4: {}\n",
                                    node, dir.file("store"), sock(node), route,
                                    autodetect ? "first-found" : "none"));
    daemons.emplace(node, Process({harness::podnetd_path(), "--config", dir.file(node + ".yaml")},
                                  topo->ns(node)));
  }
  void apply_node(const std::string& node, int i) {
    auto r = ctl({"apply", "-f", "-"},
                 fmt::format("apiVersion: projectcalico.org/v3\nkind: Node\nmetadata:\n  name: {}\n"
                             "spec:\n  bgp:\n    ipv4Address: 10.0.0.{}/24\n",
                             node, i));
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  nlohmann::json peer(const std::string& node, const std::string& name) {
    auto r = harness::run(
        {harness::podnetctl_path(), "show", "peers", "--json", "--socket", sock(node)});
    if (r.exit_code != 0) return nullptr;
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    for (const auto& p : j["peers"])
      if (p["name"] == name) return p;
    return nullptr;
  }
  bool established(const std::string& node, const std::string& name) {
    auto p = peer(node, name);
    return !p.is_null() && p["state"] == "Established";
  }
  nlohmann::json route(const std::string& node, const std::string& prefix) {
    auto r = harness::run(
        {harness::podnetctl_path(), "show", "routes", prefix, "--json", "--socket", sock(node)});
    if (r.exit_code != 0) return nullptr;
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    if (j["routes"].empty()) return nullptr;
    return j["routes"][0]["paths"][0];
  }

  std::unique_ptr<Topology> topo;
  harness::TempDir dir{"podnet-mesh"};
  std::map<std::string, Process> daemons;
};

TEST_F(Mesh, NodesFormAMeshAndOnlyTheConcernedSessionsChange) {
  apply_node("n1", 1);
  apply_node("n2", 2);
  start("n1", "10.244.1.0/26");
  start("n2", "10.244.2.0/26");
  start("n3", "10.244.3.0/26");  // no Node resource and no autodetection: its speaker stays off
  ASSERT_TRUE(wait_until([&] { return established("n1", "Mesh_10_0_0_2"); }, 30s));
  ASSERT_TRUE(wait_until([&] { return established("n2", "Mesh_10_0_0_1"); }, 30s));
  // Calico's passive rule: the peer with the greater address waits, so n1 connected to n2.
  EXPECT_EQ(peer("n1", "Mesh_10_0_0_2")["passive"], true);
  EXPECT_EQ(peer("n2", "Mesh_10_0_0_1")["passive"], false);
  // Each node's block reaches the other over iBGP, next hop the originating node.
  ASSERT_TRUE(wait_until([&] { return !route("n1", "10.244.2.0/26").is_null(); }));
  auto r = route("n1", "10.244.2.0/26");
  EXPECT_EQ(r["kind"], "ibgp");
  EXPECT_EQ(r["attributes"]["nextHop"], "10.0.0.2");
  EXPECT_EQ(r["attributes"]["localPref"], 100);
  auto st = harness::run({harness::podnetctl_path(), "show", "status", "--socket", sock("n3")});
  EXPECT_NE(st.out.find("bgp         off: no Node resource named 'n3'"), std::string::npos)
      << st.out;

  // n3 restarts with address autodetection: it finds 10.0.0.3/24 on eth0 (first-found) and
  // writes it to a new Node resource, as calico-node does. Sessions to it start; the n1-n2
  // session is not reset.
  double uptime = peer("n1", "Mesh_10_0_0_2")["stateSeconds"].get<double>();
  ASSERT_EQ(daemons.at("n3").stop(), 0);
  daemons.erase("n3");
  start("n3", "10.244.3.0/26", /*autodetect=*/true);
  ASSERT_TRUE(wait_until([&] { return ctl({"get", "node", "n3"}).exit_code == 0; }));
  auto n3 = ctl({"get", "node", "n3", "-o", "yaml"});
  EXPECT_NE(n3.out.find("ipv4Address: 10.0.0.3/24"), std::string::npos) << n3.out;
  ASSERT_TRUE(wait_until([&] { return established("n1", "Mesh_10_0_0_3"); }, 30s));
  ASSERT_TRUE(wait_until([&] { return established("n3", "Mesh_10_0_0_2"); }, 30s));
  ASSERT_TRUE(wait_until([&] { return !route("n2", "10.244.3.0/26").is_null(); }));
  EXPECT_TRUE(wait_until([&] { return !route("n3", "10.244.1.0/26").is_null(); }));
  auto kept = peer("n1", "Mesh_10_0_0_2");
  EXPECT_EQ(kept["state"], "Established");
  EXPECT_GE(kept["stateSeconds"].get<double>(), uptime);

  // A change to one node's AS number touches only the sessions to that node.
  auto n2_n1 = peer("n2", "Mesh_10_0_0_1")["stateSeconds"].get<double>();
  ASSERT_EQ(ctl({"patch", "node", "n3", "-p", R"({"spec":{"bgp":{"asNumber":64999}}})"}).exit_code,
            0);
  EXPECT_TRUE(wait_until(
      [&] {
        auto p = peer("n1", "Mesh_10_0_0_3");
        return !p.is_null() && p["peerAS"] == 64999 && p["state"] == "Established";
      },
      40s));
  EXPECT_TRUE(wait_until([&] {
    auto r3 = route("n1", "10.244.3.0/26");
    return !r3.is_null() && r3["kind"] == "ebgp";
  }));
  auto still = peer("n2", "Mesh_10_0_0_1");
  EXPECT_EQ(still["state"], "Established");
  EXPECT_GE(still["stateSeconds"].get<double>(), n2_n1);

  // n3 leaves: its sessions stop, its routes are gone, the rest stays up.
  ASSERT_EQ(ctl({"delete", "node", "n3"}).exit_code, 0);
  EXPECT_TRUE(wait_until([&] { return peer("n1", "Mesh_10_0_0_3").is_null(); }));
  EXPECT_TRUE(wait_until([&] { return route("n1", "10.244.3.0/26").is_null(); }));
  EXPECT_TRUE(established("n1", "Mesh_10_0_0_2"));
}

}  // namespace
}  // namespace podnet::interop
