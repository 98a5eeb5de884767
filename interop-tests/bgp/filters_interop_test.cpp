// BGPFilter and prefixAdvertisements through podnetd against gobgpd and BIRD 2, changed live:
// an export filter keeps a block from one peer and not the other, and a changed filter
// announces / withdraws it without touching the session; an import filter (NotIn, then Equal)
// keeps a learned prefix out of the RIB and the kernel and, changed, brings it in by asking the
// peer for its routes again (ROUTE-REFRESH, RFC 2918; BIRD brackets its answer with BoRR /
// EoRR, RFC 7313): no reset, no copy kept of what the peer sent; prefixAdvertisement
// communities, standard and large, as the peers see them; a peer's ROUTE-REFRESH (birdc reload
// in) answered by re-sending podnetd's Adj-RIB-Out between BoRR and EoRR.
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "interop-tests/bgp/podnetd_under_test.hpp"
#include "interop-tests/harness/harness.hpp"
#include "interop-tests/peers/bird_peer.hpp"
#include "interop-tests/peers/gobgp_peer.hpp"
#include "interop-tests/topology/topology.hpp"

namespace podnet::interop {
namespace {

using namespace std::chrono_literals;
using harness::wait_until;

constexpr const char* kGobgp = "Global_10_0_0_2";
constexpr const char* kBird = "Global_10_0_0_3";

// Node n1 (AS 64512) originating two /26 blocks of the pool; communities for the pool's
// routes; gobgpd (AS 65001) behind the filters `out` and `in`, BIRD (AS 65002) unfiltered.
std::string resources() {
  std::string y = R"(apiVersion: projectcalico.org/v3
kind: Node
metadata: {name: n1}
spec:
  bgp: {ipv4Address: 10.0.0.1/24}
---
apiVersion: projectcalico.org/v3
kind: BGPConfiguration
metadata: {name: default}
spec:
  asNumber: 64512
  communities: [{name: pods, value: "65000:100"}, {name: pods-large, value: "64512:1:2"}]
  prefixAdvertisements:
  - cidr: 10.244.0.0/16
    communities: [pods, pods-large, "65000:7"]
---
apiVersion: projectcalico.org/v3
kind: IPPool
metadata: {name: pods}
spec: {cidr: 10.244.0.0/16}
---
apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata: {name: gobgp}
spec: {peerIP: 10.0.0.2, asNumber: 65001, filters: [out, in]}
---
apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata: {name: bird}
spec: {peerIP: 10.0.0.3, asNumber: 65002}
)";
  for (const char* cidr : {"10.244.1.0/26", "10.244.3.0/26"}) {
    std::string name = cidr;
    for (auto& c : name)
      if (c == '.' || c == '/') c = '-';
    y += fmt::format(
        "---\napiVersion: projectcalico.org/v3\nkind: IPAMBlock\nmetadata: {{name: {}}}\n"
        "spec:\n  cidr: {}\n  affinity: host:n1\n  allocations: [{}]\n  unallocated: []\n"
        "  attributes: []\n",
        name, cidr, fmt::format("{}", fmt::join(std::vector<std::string>(64, "null"), ", ")));
  }
  return y;
}

std::string filter(const std::string& name, const std::string& spec) {
  return fmt::format(
      "apiVersion: projectcalico.org/v3\nkind: BGPFilter\nmetadata: {{name: {}}}\nspec:\n{}", name,
      spec);
}

NeighborConfig neighbor(const std::string& addr, uint32_t as) {
  NeighborConfig n;
  n.address = addr;
  n.remote_as = as;
  n.hold_time = 9;
  return n;
}

// A peer of podnetd's (10.0.0.1, AS 64512) with its own AS and router id.
PeerConfig peer_config(uint32_t as, const std::string& router_id) {
  PeerConfig c;
  c.local_as = as;
  c.router_id = router_id;
  c.neighbors = {neighbor("10.0.0.1", 64512)};
  return c;
}

class FiltersInterop : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!harness::is_root()) GTEST_SKIP() << "needs root for network namespaces";
    topo = std::make_unique<Topology>("pnflt");
    for (const char* h : {"pn", "gobgp", "bird"}) ASSERT_TRUE(topo->add_host(h));
    auto lan = topo->add_lan("lan", {{"pn", "eth0", {"10.0.0.1/24"}},
                                     {"gobgp", "eth0", {"10.0.0.2/24"}},
                                     {"bird", "eth0", {"10.0.0.3/24"}}});
    ASSERT_TRUE(lan) << lan.error().message;
    ASSERT_TRUE(topo->up());
    gobgp = std::make_unique<GobgpPeer>(topo->ns("gobgp"), peer_config(65001, "10.0.0.2"));
    ASSERT_TRUE(gobgp->start());
    bird = std::make_unique<BirdPeer>(topo->ns("bird"), peer_config(65002, "10.0.0.3"));
    ASSERT_TRUE(bird->start());
    // Export: block 10.244.3.0/26 is kept from gobgpd. Import: only 10.77.0.0/16 from it.
    ASSERT_TRUE(pn.start(topo->ns("pn"), "n1",
                         resources() + "---\n" +
                             filter("out",
                                    "  exportV4:\n  - {cidr: 10.244.3.0/26, matchOperator: Equal, "
                                    "action: Reject}\n") +
                             "---\n" +
                             filter("in",
                                    "  importV4:\n  - {cidr: 10.77.0.0/16, matchOperator: NotIn, "
                                    "action: Reject}\n")));
    ASSERT_TRUE(wait_until([&] { return pn.established(kGobgp) && pn.established(kBird); }, 30s));
  }
  void TearDown() override {
    if (HasFailure()) {
      if (pn_) std::cerr << "--- podnetd log\n" << pn_->log();
      if (gobgp) std::cerr << "--- gobgpd log\n" << gobgp->log();
    }
    pn_.reset();
    gobgp.reset();
    bird.reset();
    topo.reset();
  }
  void apply(const std::string& yaml) {
    auto r = pn.ctl({"apply", "-f", "-"}, yaml);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  double uptime(const char* peer) { return pn.peer(peer).value("stateSeconds", 0.0); }
  // Neither side reset the session since `since_pn` (podnetd's view) / `since_gobgp`.
  void expect_no_reset(double since_pn, std::chrono::seconds since_gobgp) {
    EXPECT_TRUE(pn.established(kGobgp));
    EXPECT_GE(uptime(kGobgp), since_pn);
    auto n = gobgp->neighbor("10.0.0.1");
    ASSERT_TRUE(n);
    EXPECT_TRUE(n->established);
    EXPECT_GE(n->uptime, since_gobgp);
    EXPECT_TRUE(gobgp->notifications().empty()) << gobgp->log();
  }

  std::unique_ptr<Topology> topo;
  std::unique_ptr<PodnetdUnderTest> pn_ = std::make_unique<PodnetdUnderTest>();
  PodnetdUnderTest& pn = *pn_;
  std::unique_ptr<GobgpPeer> gobgp;
  std::unique_ptr<BirdPeer> bird;
};

TEST_F(FiltersInterop, ExportFilterPerPeerAndChangedLive) {
  ASSERT_TRUE(gobgp->wait_route("10.244.1.0/26"));
  ASSERT_TRUE(bird->wait_route("10.244.3.0/26"));  // BIRD's session has no filter
  EXPECT_FALSE(gobgp->best_route("10.244.3.0/26"));
  const double pn_up = uptime(kGobgp);
  const auto gobgp_up = gobgp->neighbor("10.0.0.1")->uptime;

  // The rule now names another prefix: the block is announced, the session stays.
  apply(filter("out",
               "  exportV4:\n  - {cidr: 10.244.1.0/26, matchOperator: Equal, "
               "action: Reject}\n"));
  EXPECT_TRUE(gobgp->wait_route("10.244.3.0/26"));
  EXPECT_TRUE(gobgp->wait_no_route("10.244.1.0/26"));
  expect_no_reset(pn_up, gobgp_up);
  EXPECT_NE(pn.log().find("peer Global_10_0_0_2: export policy changed"), std::string::npos);

  // NotIn with a prefixLength window, and the filter dropped from the peer altogether.
  apply(filter("out",
               "  exportV4:\n  - {cidr: 10.244.0.0/16, matchOperator: NotIn, "
               "prefixLength: {min: 24, max: 25}, action: Reject}\n"));
  EXPECT_TRUE(gobgp->wait_no_route("10.244.3.0/26"));  // a /26 is outside the window
  EXPECT_FALSE(gobgp->best_route("10.244.1.0/26").has_value());
  apply(
      "apiVersion: projectcalico.org/v3\nkind: BGPPeer\nmetadata: {name: gobgp}\n"
      "spec: {peerIP: 10.0.0.2, asNumber: 65001, filters: [in]}\n");
  EXPECT_TRUE(gobgp->wait_route("10.244.1.0/26"));
  EXPECT_TRUE(gobgp->best_route("10.244.3.0/26").has_value());
  expect_no_reset(pn_up, gobgp_up);
  EXPECT_TRUE(pn.established(kBird));
}

// gobgpd's count of ROUTE-REFRESH messages received from podnetd (its neighbour JSON).
uint64_t gobgp_refreshes_received(GobgpPeer& g) {
  auto r = g.cli({"neighbor", "10.0.0.1", "-j"});
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  if (j.is_discarded()) return 0;
  const auto& rx = j["state"]["messages"]["received"];
  return rx.is_object() ? rx.value("refresh", uint64_t{0}) : 0;
}

TEST_F(FiltersInterop, ImportFilterChangedLiveByRouteRefresh) {
  ASSERT_TRUE(gobgp->announce({"10.77.1.0/24", "", {}, std::nullopt, std::nullopt}));
  ASSERT_TRUE(gobgp->announce({"10.88.0.0/24", "", {}, std::nullopt, std::nullopt}));
  ASSERT_TRUE(wait_until([&] { return pn.in_kernel("10.77.1.0/24"); }, 20s));
  auto st = pn.peer(kGobgp);
  ASSERT_TRUE(wait_until([&] {
    st = pn.peer(kGobgp);
    return st["prefixes"].value("received", 0) == 2;
  }));
  EXPECT_EQ(st["prefixes"].value("accepted", 0), 1);
  EXPECT_TRUE(pn.path("10.88.0.0/24", "10.0.0.2").is_null());
  EXPECT_FALSE(pn.in_kernel("10.88.0.0/24"));
  const double pn_up = uptime(kGobgp);
  const auto gobgp_up = gobgp->neighbor("10.0.0.1")->uptime;
  const uint64_t updates_in = pn.peer(kGobgp)["messages"].value("updatesIn", uint64_t{0});

  const uint64_t refreshes = gobgp_refreshes_received(*gobgp);
  const uint64_t asked = pn.peer(kGobgp)["messages"].value("routeRefreshOut", uint64_t{0});

  // Equal lets 10.88.0.0/24 in, In keeps 10.77.0.0/16 out: both swap without a reset. podnetd
  // kept no copy of what gobgpd sent (gobgpd supports route refresh): it asks for it again.
  apply(filter("in",
               "  importV4:\n  - {cidr: 10.88.0.0/24, matchOperator: Equal, "
               "action: Accept}\n  - {cidr: 10.77.0.0/16, matchOperator: In, "
               "action: Reject}\n"));
  EXPECT_TRUE(wait_until([&] { return pn.in_kernel("10.88.0.0/24"); }, 20s));
  EXPECT_TRUE(wait_until([&] { return !pn.in_kernel("10.77.1.0/24"); }, 20s));
  EXPECT_TRUE(pn.path("10.77.1.0/24", "10.0.0.2").is_null());
  EXPECT_GT(pn.peer(kGobgp)["messages"].value("updatesIn", uint64_t{0}), updates_in);
  EXPECT_NE(pn.log().find("peer Global_10_0_0_2: import policy changed: ROUTE-REFRESH sent "
                          "(ipv4-unicast)"),
            std::string::npos);
  EXPECT_EQ(gobgp_refreshes_received(*gobgp), refreshes + 1);
  st = pn.peer(kGobgp);
  EXPECT_EQ(st["messages"].value("routeRefreshOut", uint64_t{0}), asked + 1);  // show peers
  EXPECT_EQ(st["prefixes"].value("received", 0), 2);
  EXPECT_EQ(st["prefixes"].value("accepted", 0), 1);
  expect_no_reset(pn_up, gobgp_up);

  // setPriority on import: LOCAL_PREF 2147483647 - 300 on the accepted path.
  apply(filter("in",
               "  importV4:\n  - {cidr: 10.88.0.0/24, matchOperator: Equal, "
               "action: Accept, operations: [{setPriority: {value: 300}}]}\n"));
  EXPECT_TRUE(wait_until([&] {
    auto p = pn.path("10.88.0.0/24", "10.0.0.2");
    return !p.is_null() && p["attributes"].value("localPref", 0u) == 2147483647u - 300u;
  }));
  EXPECT_TRUE(wait_until([&] { return pn.in_kernel("10.77.1.0/24"); }, 20s));  // no rule: in
  expect_no_reset(pn_up, gobgp_up);
}

// BIRD 2 negotiates enhanced route refresh (capability 70): a filter put on its BGPPeer, then
// changed, makes podnetd send ROUTE-REFRESH and BIRD answers between BoRR and EoRR; formerly
// accepted routes vanish, formerly rejected ones appear, the session stays.
TEST_F(FiltersInterop, ImportFilterOnBirdRefreshedBetweenBorrAndEorr) {
  auto caps = pn.peer(kBird)["capabilities"];
  EXPECT_NE(caps.dump().find("enhanced-route-refresh"), std::string::npos) << caps.dump();
  ASSERT_TRUE(bird->announce({"10.55.1.0/24", "", {}, std::nullopt, std::nullopt}));
  ASSERT_TRUE(bird->announce({"10.66.1.0/24", "", {}, std::nullopt, std::nullopt}));
  ASSERT_TRUE(wait_until(
      [&] { return pn.in_kernel("10.55.1.0/24") && pn.in_kernel("10.66.1.0/24"); }, 20s));
  const double pn_up = uptime(kBird);
  const auto bird_up = bird->neighbor("10.0.0.1")->uptime;
  const std::string eorr = "peer Global_10_0_0_3: EoRR (ipv4-unicast)";
  auto eorr_count = [&] {
    const std::string log = pn.log();
    std::size_t n = 0;
    for (auto at = log.find(eorr); at != std::string::npos; at = log.find(eorr, at + 1)) ++n;
    return n;
  };

  // BIRD brackets every re-advertisement with BoRR / EoRR, its own reloads too (a changed
  // static route): count from here.
  std::size_t eorrs = eorr_count();
  apply(filter("bird-in",
               "  importV4:\n  - {cidr: 10.55.1.0/24, matchOperator: Equal, action: Reject}\n"));
  apply(
      "apiVersion: projectcalico.org/v3\nkind: BGPPeer\nmetadata: {name: bird}\n"
      "spec: {peerIP: 10.0.0.3, asNumber: 65002, filters: [bird-in]}\n");
  EXPECT_TRUE(wait_until([&] { return !pn.in_kernel("10.55.1.0/24"); }, 20s));
  EXPECT_TRUE(pn.in_kernel("10.66.1.0/24"));
  EXPECT_TRUE(wait_until([&] { return eorr_count() > eorrs; }, 20s)) << pn.log();
  eorrs = eorr_count();

  // The rule moves to the other prefix: one comes back, the other goes.
  apply(filter("bird-in",
               "  importV4:\n  - {cidr: 10.66.1.0/24, matchOperator: Equal, action: Reject}\n"));
  EXPECT_TRUE(wait_until([&] { return pn.in_kernel("10.55.1.0/24"); }, 20s));
  EXPECT_TRUE(wait_until([&] { return !pn.in_kernel("10.66.1.0/24"); }, 20s));
  EXPECT_TRUE(wait_until([&] { return eorr_count() > eorrs; }, 20s)) << pn.log();
  const std::string log = pn.log();
  EXPECT_NE(log.find("peer Global_10_0_0_3: import policy changed: ROUTE-REFRESH sent"),
            std::string::npos);
  EXPECT_NE(log.find("peer Global_10_0_0_3: BoRR (ipv4-unicast)"), std::string::npos);
  auto st = pn.peer(kBird);
  EXPECT_EQ(st["prefixes"].value("accepted", 0), 1);
  EXPECT_EQ(st["prefixes"].value("received", 0), 2);
  EXPECT_TRUE(pn.established(kBird));
  EXPECT_GE(uptime(kBird), pn_up);
  auto n = bird->neighbor("10.0.0.1");
  ASSERT_TRUE(n);
  EXPECT_TRUE(n->established);
  EXPECT_GE(n->uptime, bird_up);
  EXPECT_TRUE(bird->notifications().empty()) << bird->log();
}

TEST_F(FiltersInterop, PrefixAdvertisementCommunitiesAtBothPeers) {
  ASSERT_TRUE(bird->wait_route("10.244.1.0/26"));
  auto b = bird->best_route("10.244.1.0/26");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->communities, (std::vector<std::string>{"65000:100", "65000:7"}));
  auto all = bird->birdc({"show", "route", "all", "10.244.1.0/26"});
  EXPECT_NE(all.out.find("(64512, 1, 2)"), std::string::npos) << all.out;
  ASSERT_TRUE(gobgp->wait_route("10.244.1.0/26"));
  auto g = gobgp->best_route("10.244.1.0/26");
  ASSERT_TRUE(g);
  EXPECT_EQ(g->communities, (std::vector<std::string>{"65000:100", "65000:7"}));
  auto json = gobgp->cli({"global", "rib", "-a", "ipv4", "10.244.1.0/26", "-j"});
  EXPECT_NE(json.out.find("\"ASN\":64512,\"LocalData1\":1,\"LocalData2\":2"), std::string::npos)
      << json.out;

  // A per-prefix change: new communities reach the peers as a re-announcement, no reset.
  const double pn_up = uptime(kGobgp);
  const auto gobgp_up = gobgp->neighbor("10.0.0.1")->uptime;
  apply(R"(apiVersion: projectcalico.org/v3
kind: BGPConfiguration
metadata: {name: default}
spec:
  asNumber: 64512
  prefixAdvertisements: [{cidr: 10.244.3.0/26, communities: ["65000:300"]}]
)");
  EXPECT_TRUE(wait_until([&] {
    auto r = bird->best_route("10.244.3.0/26");
    return r && r->communities == std::vector<std::string>{"65000:300"};
  }));
  EXPECT_TRUE(wait_until([&] {
    auto r = bird->best_route("10.244.1.0/26");
    return r && r->communities.empty();
  }));
  EXPECT_TRUE(wait_until([&] {
    auto r = gobgp->best_route("10.244.1.0/26");
    return r && r->communities.empty();
  }));
  expect_no_reset(pn_up, gobgp_up);
  EXPECT_TRUE(pn.established(kBird));
}

TEST_F(FiltersInterop, PeerRouteRefreshIsAnsweredWithTheAdjRibOut) {
  ASSERT_TRUE(bird->wait_route("10.244.1.0/26"));
  auto updates_out = [&] { return pn.peer(kBird)["messages"].value("updatesOut", uint64_t{0}); };
  ASSERT_TRUE(wait_until([&] { return updates_out() > 0; }));
  const uint64_t out_before = updates_out();
  const double pn_up = uptime(kBird);
  const auto bird_up = bird->neighbor("10.0.0.1")->uptime;
  // BIRD keeps no Adj-RIB-In copy, so `reload in` asks its peer with a ROUTE-REFRESH (podnetd
  // advertised the capability): podnetd re-sends what BIRD is advertised.
  auto r = bird->birdc({"reload", "in", "n0"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(wait_until([&] {
    return pn.log().find(
               "peer Global_10_0_0_3: ROUTE-REFRESH received (ipv4-unicast): "
               "re-sending what it is advertised between BoRR and EoRR") != std::string::npos;
  }));
  EXPECT_TRUE(wait_until([&] { return updates_out() > out_before; }));
  EXPECT_TRUE(bird->best_route("10.244.1.0/26").has_value());
  EXPECT_TRUE(bird->best_route("10.244.3.0/26").has_value());
  EXPECT_TRUE(pn.established(kBird));
  EXPECT_GE(uptime(kBird), pn_up);
  auto n = bird->neighbor("10.0.0.1");
  ASSERT_TRUE(n);
  EXPECT_TRUE(n->established);
  EXPECT_GE(n->uptime, bird_up);
  // gobgpd's session saw none of it.
  EXPECT_TRUE(pn.log().find("peer Global_10_0_0_2: ROUTE-REFRESH") == std::string::npos);
}

}  // namespace
}  // namespace podnet::interop
