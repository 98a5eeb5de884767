// ADD-PATH (RFC 7911) receive, in practice: an iBGP peer (ExaBGP with `add-path send/receive`,
// as Calico's BIRD has `add paths on`) announces two paths for one prefix, told apart by path
// id only; podnetd keeps both (RIB paths with their ids), installs them as one ECMP route in the
// kernel, and withdrawing one path by its id leaves the other. Against a peer without ADD-PATH
// the same announcements are one path, the second replacing the first.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <set>

#include "interop-tests/bgp/podnetd_under_test.hpp"
#include "interop-tests/harness/harness.hpp"
#include "interop-tests/peers/exabgp_peer.hpp"
#include "interop-tests/topology/topology.hpp"

namespace podnet::interop {
namespace {

using namespace std::chrono_literals;
using harness::wait_until;
using nlohmann::json;

constexpr const char* kPn = "10.0.0.1";
constexpr const char* kPeer = "10.0.0.4";
constexpr const char* kPrefix = "10.60.0.0/24";

const std::string kResources = single_node_resources({{"peer", "10.0.0.4", 64512}});

class AddPath : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!harness::is_root()) GTEST_SKIP() << "needs root for network namespaces";
    topo = std::make_unique<Topology>("pnap");
    for (const char* h : {"pn", "peer"}) ASSERT_TRUE(topo->add_host(h));
    // The peer has two addresses: the next hops of its two paths.
    auto lan = topo->add_lan(
        "lan", {{"pn", "eth0", {"10.0.0.1/24"}}, {"peer", "eth0", {"10.0.0.4/24", "10.0.0.5/24"}}});
    ASSERT_TRUE(lan) << lan.error().message;
    ASSERT_TRUE(topo->up());
  }
  void TearDown() override {
    if (HasFailure()) {
      std::cerr << "--- podnetd log\n" << pn.log();
      if (exa) std::cerr << "--- exabgp log\n" << exa->log();
    }
    exa.reset();
    topo.reset();
  }
  void start(const std::string& add_path) {
    PeerConfig c;
    c.local_as = 64512;
    c.router_id = kPeer;
    c.listen_address = kPeer;
    NeighborConfig n;
    n.address = kPn;
    n.remote_as = 64512;
    n.local_address = kPeer;
    c.neighbors.push_back(n);
    exa = std::make_unique<ExabgpPeer>(topo->ns("peer"), c);
    exa->set_add_path(add_path);
    ASSERT_TRUE(exa->start()) << exa->log();
    ASSERT_TRUE(pn.start(topo->ns("pn"), "n1", kResources));
    ASSERT_TRUE(exa->wait_established(kPn)) << exa->log();
    ASSERT_TRUE(wait_until([&] { return pn.established(global_peer_name(kPeer)); }));
  }
  std::vector<json> paths() const { return pn.paths_from(kPrefix, kPeer); }

  std::unique_ptr<Topology> topo;
  PodnetdUnderTest pn;
  std::unique_ptr<ExabgpPeer> exa;
};

TEST_F(AddPath, TwoPathsOfOnePeerAreKeptAsEcmpAndWithdrawnOneByOne) {
  start("send/receive");
  auto caps = pn.peer(global_peer_name(kPeer))["capabilities"];
  EXPECT_NE(std::find(caps.begin(), caps.end(), "add-path"), caps.end()) << caps.dump();

  ASSERT_TRUE(exa->announce(kPrefix, "10.0.0.4", "path-information 0.0.0.1"));
  ASSERT_TRUE(exa->announce(kPrefix, "10.0.0.5", "path-information 0.0.0.2"));
  ASSERT_TRUE(wait_until([&] { return paths().size() == 2; })) << pn.show({"routes"}).dump();
  std::set<uint32_t> ids;
  std::set<std::string> hops;
  for (const auto& p : paths()) {
    ids.insert(p.value("pathId", 0u));
    hops.insert(p["attributes"].value("nextHop", ""));
    EXPECT_TRUE(p.value("multipath", false)) << p.dump();
  }
  EXPECT_EQ(ids, (std::set<uint32_t>{1, 2}));
  EXPECT_EQ(hops, (std::set<std::string>{"10.0.0.4", "10.0.0.5"}));
  // One kernel route with both next hops.
  EXPECT_TRUE(wait_until([&] {
    auto r = pn.kernel_route(kPrefix);
    return r.find("nexthop via 10.0.0.4") != std::string::npos &&
           r.find("nexthop via 10.0.0.5") != std::string::npos;
  })) << pn.kernel_route(kPrefix);

  // Withdrawing path 1 leaves path 2, in the RIB and alone in the kernel.
  ASSERT_TRUE(exa->command(fmt::format("withdraw route {} path-information 0.0.0.1", kPrefix)));
  ASSERT_TRUE(wait_until([&] { return paths().size() == 1; })) << pn.show({"routes"}).dump();
  EXPECT_EQ(paths()[0].value("pathId", 0u), 2u);
  EXPECT_TRUE(wait_until([&] {
    auto r = pn.kernel_route(kPrefix);
    return r.find("via 10.0.0.5") != std::string::npos && r.find("10.0.0.4") == std::string::npos;
  })) << pn.kernel_route(kPrefix);
}

// Without ADD-PATH on the peer nothing is negotiated: the second announcement of the prefix
// replaces the first (one path, the latest next hop).
TEST_F(AddPath, WithoutAddPathTheSecondAnnouncementReplacesTheFirst) {
  start("");
  auto caps = pn.peer(global_peer_name(kPeer))["capabilities"];
  EXPECT_EQ(std::find(caps.begin(), caps.end(), "add-path"), caps.end()) << caps.dump();
  ASSERT_TRUE(exa->announce(kPrefix, "10.0.0.4"));
  ASSERT_TRUE(wait_until([&] { return paths().size() == 1; }));
  ASSERT_TRUE(exa->announce(kPrefix, "10.0.0.5"));
  EXPECT_TRUE(wait_until([&] {
    auto p = paths();
    return p.size() == 1 && p[0]["attributes"].value("nextHop", "") == "10.0.0.5";
  })) << pn.show({"routes"}).dump();
  EXPECT_FALSE(paths()[0].contains("pathId"));
}

}  // namespace
}  // namespace podnet::interop
