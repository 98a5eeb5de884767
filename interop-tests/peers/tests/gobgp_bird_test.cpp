// gobgpd <-> BIRD 2 over a veth pair: proves the GobgpPeer and BirdPeer fixtures (config,
// announce/withdraw, RIB and neighbour reading, NOTIFICATION logs) and the Topology's silent
// cut, so the podnetd interop tests can rely on them.
#include <gtest/gtest.h>

#include "interop-tests/peers/bird_peer.hpp"
#include "interop-tests/peers/gobgp_peer.hpp"
#include "interop-tests/peers/tests/pair_fixture.hpp"

namespace podnet::interop::testing {
namespace {

using Clock = std::chrono::steady_clock;

// gobgpd in host a, BIRD in host b.
class GobgpBirdTest : public PairTest {
 protected:
  void start(PeerConfig g, PeerConfig b) {
    gobgp = std::make_unique<GobgpPeer>(topo->ns("a"), std::move(g));
    bird = std::make_unique<BirdPeer>(topo->ns("b"), std::move(b));
    auto s = gobgp->start();
    ASSERT_TRUE(s) << s.error().message;
    s = bird->start();
    ASSERT_TRUE(s) << s.error().message;
  }
  void TearDown() override {
    if (HasFailure()) {
      if (gobgp)
        std::cerr << "--- gobgpd config\n"
                  << gobgp->config_text() << "--- gobgpd log\n"
                  << gobgp->log();
      if (bird)
        std::cerr << "--- bird config\n" << bird->config_text() << "--- bird log\n" << bird->log();
    }
    gobgp.reset();
    bird.reset();
  }
  std::unique_ptr<GobgpPeer> gobgp;
  std::unique_ptr<BirdPeer> bird;
};

TEST_F(GobgpBirdTest, EbgpIpv4RoutesBothWaysWithAttributesAndWithdrawal) {
  start(config(65001, kA4, {neighbor(kB4, 65002)}), config(65002, kB4, {neighbor(kA4, 65001)}));
  ASSERT_TRUE(gobgp->wait_established(kB4));
  ASSERT_TRUE(bird->wait_established(kA4));

  ASSERT_TRUE(gobgp->announce({"10.1.0.0/24", "", {"65001:7", "65001:100"}, 20, std::nullopt}));
  ASSERT_TRUE(bird->announce({"10.2.0.0/24", "", {"65002:5"}, 7, std::nullopt}));

  ASSERT_TRUE(bird->wait_route("10.1.0.0/24"));
  auto at_bird = bird->best_route("10.1.0.0/24");
  ASSERT_TRUE(at_bird);
  EXPECT_EQ(at_bird->from, kA4);
  EXPECT_EQ(at_bird->next_hop, kA4);
  EXPECT_EQ(at_bird->as_path, std::vector<uint32_t>{65001});
  EXPECT_EQ(at_bird->med, 20u);
  EXPECT_EQ(at_bird->communities, (std::vector<std::string>{"65001:100", "65001:7"}));

  ASSERT_TRUE(gobgp->wait_route("10.2.0.0/24"));
  auto at_gobgp = gobgp->best_route("10.2.0.0/24");
  ASSERT_TRUE(at_gobgp);
  EXPECT_EQ(at_gobgp->from, kB4);
  EXPECT_EQ(at_gobgp->next_hop, kB4);
  EXPECT_EQ(at_gobgp->as_path, std::vector<uint32_t>{65002});
  EXPECT_EQ(at_gobgp->origin, "IGP");
  EXPECT_EQ(at_gobgp->med, 7u);
  EXPECT_EQ(at_gobgp->communities, std::vector<std::string>{"65002:5"});
  // Neither fixture echoes what it learned back (export_learned = false).
  EXPECT_FALSE(gobgp->route_from("10.1.0.0/24", kB4));
  EXPECT_FALSE(bird->route_from("10.2.0.0/24", kA4));

  ASSERT_TRUE(gobgp->withdraw("10.1.0.0/24"));
  ASSERT_TRUE(bird->withdraw("10.2.0.0/24"));
  EXPECT_TRUE(bird->wait_no_route("10.1.0.0/24"));
  EXPECT_TRUE(gobgp->wait_no_route("10.2.0.0/24"));
  // The session survived the withdrawals.
  EXPECT_TRUE(gobgp->established(kB4));
}

TEST_F(GobgpBirdTest, IbgpIpv4AndIpv6SessionsCarryLocalPrefAndNextHop) {
  // iBGP, AS 65000: an IPv4 session carrying IPv4 and an IPv6 session carrying IPv6.
  start(config(65000, kA4, {neighbor(kB4, 65000), neighbor(kB6, 65000, 9, false, true)}),
        config(65000, kB4, {neighbor(kA4, 65000), neighbor(kA6, 65000, 9, false, true)}));
  ASSERT_TRUE(gobgp->wait_established(kB4));
  ASSERT_TRUE(gobgp->wait_established(kB6));
  ASSERT_TRUE(bird->wait_established(kA6));

  ASSERT_TRUE(gobgp->announce({"2001:db8:1::/64", kA6, {"65000:6"}, std::nullopt, 250}));
  ASSERT_TRUE(gobgp->announce({"10.1.1.0/24", kA4, {}, std::nullopt, 260}));
  ASSERT_TRUE(bird->announce({"2001:db8:2::/64", "", {}, std::nullopt, 150}));

  ASSERT_TRUE(bird->wait_route("2001:db8:1::/64"));
  auto r6 = bird->best_route("2001:db8:1::/64");
  ASSERT_TRUE(r6);
  EXPECT_EQ(r6->from, kA6);
  EXPECT_EQ(r6->next_hop, kA6);
  EXPECT_TRUE(r6->as_path.empty());
  EXPECT_EQ(r6->local_pref, 250u);
  EXPECT_EQ(r6->communities, std::vector<std::string>{"65000:6"});
  ASSERT_TRUE(bird->wait_route("10.1.1.0/24"));
  EXPECT_EQ(bird->best_route("10.1.1.0/24")->local_pref, 260u);

  ASSERT_TRUE(gobgp->wait_route("2001:db8:2::/64"));
  auto g6 = gobgp->best_route("2001:db8:2::/64");
  ASSERT_TRUE(g6);
  EXPECT_EQ(g6->from, kB6);
  EXPECT_EQ(g6->next_hop, kB6);
  EXPECT_TRUE(g6->as_path.empty());
  EXPECT_EQ(g6->local_pref, 150u);

  ASSERT_TRUE(gobgp->withdraw("2001:db8:1::/64"));
  EXPECT_TRUE(bird->wait_no_route("2001:db8:1::/64"));
  // The other family's route is untouched.
  EXPECT_TRUE(bird->best_route("10.1.1.0/24"));
}

TEST_F(GobgpBirdTest, EbgpIpv6SessionWithMd5) {
  auto gn = neighbor(kB6, 65002, 9, false, true);
  auto bn = neighbor(kA6, 65001, 9, false, true);
  gn.md5_password = bn.md5_password = "s3cret";
  start(config(65001, kA4, {gn}), config(65002, kB4, {bn}));
  ASSERT_TRUE(gobgp->wait_established(kB6));
  ASSERT_TRUE(bird->announce({"2001:db8:20::/48", "", {}, std::nullopt, std::nullopt}));
  ASSERT_TRUE(gobgp->wait_route("2001:db8:20::/48"));
  auto r = gobgp->best_route("2001:db8:20::/48");
  EXPECT_EQ(r->as_path, std::vector<uint32_t>{65002});
  EXPECT_EQ(r->next_hop, kB6);
}

TEST_F(GobgpBirdTest, Md5MismatchNeverEstablishes) {
  auto gn = neighbor(kB4, 65002);
  auto bn = neighbor(kA4, 65001);
  gn.md5_password = "one";
  bn.md5_password = "other";
  start(config(65001, kA4, {gn}), config(65002, kB4, {bn}));
  // Both keep retrying every second; with matching keys this takes about 1-2 s.
  EXPECT_FALSE(gobgp->wait_established(kB4, 5s));
}

TEST_F(GobgpBirdTest, SigkillIsNoticedAtOnceAndRoutesGo) {
  // Hold time 9 s: noticing the kill well within it proves it came from the closed socket.
  start(config(65001, kA4, {neighbor(kB4, 65002, 9)}),
        config(65002, kB4, {neighbor(kA4, 65001, 9)}));
  ASSERT_TRUE(bird->wait_established(kA4));
  ASSERT_TRUE(gobgp->announce({"10.1.0.0/24", "", {}, std::nullopt, std::nullopt}));
  ASSERT_TRUE(bird->wait_route("10.1.0.0/24"));

  auto t0 = Clock::now();
  gobgp->kill9();
  ASSERT_TRUE(bird->wait_down(kA4, 9s));
  auto noticed = Clock::now() - t0;
  EXPECT_LT(noticed, 3s) << "noticed only after " << (noticed / 1ms) << " ms";
  EXPECT_TRUE(bird->wait_no_route("10.1.0.0/24", 2s));
  // BIRD got no NOTIFICATION: the peer died, it did not say goodbye.
  for (const auto& n : bird->notifications()) EXPECT_FALSE(n.received) << n.line;
}

TEST_F(GobgpBirdTest, SilentCutIsNoticedAtHoldTimeAndRestoreReconnects) {
  constexpr int kHold = 4;
  start(config(65001, kA4, {neighbor(kB4, 65002, kHold)}),
        config(65002, kB4, {neighbor(kA4, 65001, kHold)}));
  ASSERT_TRUE(gobgp->wait_established(kB4));
  ASSERT_TRUE(bird->wait_established(kA4));
  ASSERT_TRUE(gobgp->announce({"10.1.0.0/24", "", {}, std::nullopt, std::nullopt}));
  ASSERT_TRUE(bird->announce({"10.2.0.0/24", "", {}, std::nullopt, std::nullopt}));
  ASSERT_TRUE(bird->wait_route("10.1.0.0/24"));
  ASSERT_TRUE(gobgp->wait_route("10.2.0.0/24"));

  auto t0 = Clock::now();
  ASSERT_TRUE(topo->cut(link_id));
  ASSERT_TRUE(bird->wait_down(kA4, std::chrono::seconds(kHold + 4)));
  auto noticed = Clock::now() - t0;
  // Nothing closed the connection: only the hold timer (kHold s after the last KEEPALIVE,
  // which came at most kHold/3 s before the cut) can have ended it.
  EXPECT_GE(noticed, std::chrono::seconds(kHold) - std::chrono::seconds(kHold / 3) - 200ms)
      << (noticed / 1ms) << " ms";
  EXPECT_TRUE(gobgp->wait_down(kB4, std::chrono::seconds(kHold + 2)));
  EXPECT_TRUE(bird->wait_no_route("10.1.0.0/24", 2s));
  EXPECT_TRUE(gobgp->wait_no_route("10.2.0.0/24", 2s));
  // Each side sent Hold Timer Expired (4/0) into the void; BIRD logs the one it sent.
  EXPECT_TRUE(bird->wait_notification(/*received=*/false, 4, 0, 2s));
  for (const auto& n : bird->notifications()) EXPECT_FALSE(n.received) << n.line;

  ASSERT_TRUE(topo->restore(link_id));
  EXPECT_TRUE(bird->wait_established(kA4, 20s));
  EXPECT_TRUE(bird->wait_route("10.1.0.0/24"));
}

TEST_F(GobgpBirdTest, NotificationsAreLoggedDecodedByTheOtherSide) {
  start(config(65001, kA4, {neighbor(kB4, 65002)}), config(65002, kB4, {neighbor(kA4, 65001)}));
  ASSERT_TRUE(bird->wait_established(kA4));
  ASSERT_TRUE(gobgp->wait_established(kB4));

  // gobgpd -> BIRD: Cease / Administrative Shutdown.
  ASSERT_TRUE(gobgp->send_notification(kB4, NotificationAction::admin_shutdown));
  EXPECT_TRUE(bird->wait_notification(/*received=*/true, 6, 2));
  EXPECT_TRUE(gobgp->wait_notification(/*received=*/false, 6, 2));
  EXPECT_TRUE(bird->wait_down(kA4, 5s));
  ASSERT_TRUE(gobgp->enable_neighbor(kB4));
  ASSERT_TRUE(gobgp->wait_established(kB4));

  // BIRD -> gobgpd: Cease / Administrative Reset; the session comes back by itself.
  ASSERT_TRUE(bird->send_notification(kA4, NotificationAction::admin_reset));
  EXPECT_TRUE(gobgp->wait_notification(/*received=*/true, 6, 4));
  EXPECT_TRUE(bird->wait_established(kA4));
  auto got = gobgp->notifications();
  ASSERT_FALSE(got.empty());
  EXPECT_EQ(got.back().neighbor, kB4);
}

}  // namespace
}  // namespace podnet::interop::testing
