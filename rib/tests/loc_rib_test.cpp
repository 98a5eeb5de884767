// Adj-RIB-In and Loc-RIB through the Rib facade: what observers are told, when, and how often.
#include <gtest/gtest.h>

#include <vector>

#include "rib/rib.hpp"
#include "rib/tests/rib_test_support.hpp"

namespace podnet::rib {
namespace {

using testing::attrs;
using testing::nth_prefix;
using testing::peer;
using testing::pfx;

struct Recorder : BestRouteObserver {
  std::vector<std::vector<BestChange>> calls;
  void on_best_changes(std::span<const BestChange> changes) override {
    calls.emplace_back(changes.begin(), changes.end());
  }
  std::size_t total() const {
    std::size_t n = 0;
    for (const auto& c : calls) n += c.size();
    return n;
  }
};

class LocRibTest : public ::testing::Test {
 protected:
  void SetUp() override {
    rib.add_observer(&rec);
    ASSERT_TRUE(rib.add_peer(peer(1, PeerKind::ibgp, "10.0.0.1", 1, 64512)).ok());
    ASSERT_TRUE(rib.add_peer(peer(2, PeerKind::ibgp, "10.0.0.2", 2, 64512)).ok());
  }
  void run() {
    while (rib.process()) {
    }
  }
  Rib rib{RibOptions{{}, 0x0A000063, 64512}};
  Recorder rec;
};

TEST_F(LocRibTest, AnnounceReplaceWithdraw) {
  Prefix p = pfx("10.1.0.0/26");
  AttrRef a = rib.intern(attrs({}, "10.0.0.1"));
  ASSERT_TRUE(rib.update(1, p, a).ok());
  EXPECT_TRUE(rec.calls.empty());  // staged until processed
  run();
  ASSERT_EQ(rec.calls.size(), 1u);
  ASSERT_EQ(rec.calls[0].size(), 1u);
  const BestChange& add = rec.calls[0][0];
  EXPECT_EQ(add.prefix, p);
  EXPECT_TRUE(add.before.empty());
  ASSERT_EQ(add.after.size(), 1u);
  EXPECT_EQ(add.after[0].peer, 1u);
  EXPECT_EQ(add.after[0].attrs, a);

  AttrRef b = rib.intern(attrs({}, "10.0.0.7"));
  ASSERT_TRUE(rib.update(1, p, b).ok());
  run();
  ASSERT_EQ(rec.calls.size(), 2u);
  EXPECT_EQ(rec.calls[1][0].before[0].attrs, a);
  EXPECT_EQ(rec.calls[1][0].after[0].attrs, b);

  // Re-announcing the same attributes changes nothing and tells nobody.
  ASSERT_TRUE(rib.update(1, p, attrs({}, "10.0.0.7")).ok());
  run();
  EXPECT_EQ(rec.calls.size(), 2u);

  ASSERT_TRUE(rib.withdraw(1, p).ok());
  run();
  ASSERT_EQ(rec.calls.size(), 3u);
  EXPECT_EQ(rec.calls[2][0].before[0].attrs, b);
  EXPECT_TRUE(rec.calls[2][0].after.empty());
  EXPECT_TRUE(rib.routes(p).empty());
  EXPECT_EQ(rib.stats().prefixes, 0u);
  EXPECT_TRUE(rib.withdraw(1, p).ok());  // withdrawing the unknown is harmless
  EXPECT_FALSE(rib.has_work());
}

TEST_F(LocRibTest, OneBatchOneNotificationWithBeforeAndAfter) {
  Prefix p = pfx("10.1.0.0/26");
  Prefix q = pfx("10.1.0.64/26");
  AttrRef a = rib.intern(attrs({}, "10.0.0.1"));
  ASSERT_TRUE(rib.update(1, p, a).ok());
  run();
  rec.calls.clear();

  // Several changes to p, and q announced and withdrawn, all before the next process().
  AttrRef b = rib.intern(attrs({}, "10.0.0.8"));
  AttrRef c = rib.intern(attrs({}, "10.0.0.9"));
  ASSERT_TRUE(rib.update(1, p, b).ok());
  ASSERT_TRUE(rib.update(2, p, c).ok());
  ASSERT_TRUE(rib.withdraw(1, p).ok());
  ASSERT_TRUE(rib.update(1, q, a).ok());
  ASSERT_TRUE(rib.withdraw(1, q).ok());
  run();
  ASSERT_EQ(rec.calls.size(), 1u);
  ASSERT_EQ(rec.calls[0].size(), 1u);  // q came and went: no change to report
  const BestChange& ch = rec.calls[0][0];
  EXPECT_EQ(ch.prefix, p);
  ASSERT_EQ(ch.before.size(), 1u);
  EXPECT_EQ(ch.before[0].peer, 1u);
  EXPECT_EQ(ch.before[0].attrs, a);
  ASSERT_EQ(ch.after.size(), 1u);
  EXPECT_EQ(ch.after[0].peer, 2u);
  EXPECT_EQ(ch.after[0].attrs, c);
}

TEST_F(LocRibTest, PeerDownIsOneNotificationPassAndFallsBackToTheOtherPeer) {
  AttrRef a1 = rib.intern(attrs({}, "10.0.0.1"));
  AttrRef a2 = rib.intern(attrs({}, "10.0.0.2"));
  for (uint32_t i = 0; i < 1000; ++i) ASSERT_TRUE(rib.update(1, nth_prefix(i), a1).ok());
  for (uint32_t i = 0; i < 500; ++i) ASSERT_TRUE(rib.update(2, nth_prefix(i), a2).ok());
  run();
  for (uint32_t i = 0; i < 500; ++i) {
    ASSERT_EQ(rib.best(nth_prefix(i)).at(0).peer, 1u);  // router id 1 < 2
    ASSERT_EQ(rib.best(nth_prefix(i)).size(), 2u);      // and ECMP with peer 2
  }
  rec.calls.clear();

  ASSERT_TRUE(rib.peer_down(1).ok());
  EXPECT_FALSE(rib.update(1, nth_prefix(0), a1).ok());  // down: refused until re-added
  EXPECT_FALSE(rib.process(1000000));                   // teardown and decisions in one slice
  ASSERT_EQ(rec.calls.size(), 1u);
  ASSERT_EQ(rec.calls[0].size(), 1000u);
  std::size_t gone = 0, moved = 0;
  for (const auto& ch : rec.calls[0]) {
    ASSERT_FALSE(ch.before.empty());
    EXPECT_EQ(ch.before[0].peer, 1u);
    if (ch.after.empty()) {
      ++gone;
    } else {
      ASSERT_EQ(ch.after.size(), 1u);
      EXPECT_EQ(ch.after[0].peer, 2u);
      ++moved;
    }
  }
  EXPECT_EQ(gone, 500u);
  EXPECT_EQ(moved, 500u);
  EXPECT_EQ(rib.stats().paths, 500u);
}

TEST_F(LocRibTest, PeerDownInBoundedSlices) {
  AttrRef a = rib.intern(attrs({}, "10.0.0.1"));
  for (uint32_t i = 0; i < 2500; ++i) ASSERT_TRUE(rib.update(1, nth_prefix(i), a).ok());
  run();
  rec.calls.clear();
  ASSERT_TRUE(rib.peer_down(1).ok());
  int slices = 0;
  while (rib.process(100)) {
    ++slices;
    ASSERT_LE(rec.calls.size(), static_cast<std::size_t>(slices));  // at most one per slice
    ASSERT_LT(slices, 1000);
    // Decisions keep up with the teardown: staged prefixes (each holding its previous
    // selection) stay within about a slice, not the peer's whole table.
    ASSERT_LE(rib.stats().staged, 200u);
  }
  // 2500 removals and 2500 decisions at 100 units a slice.
  EXPECT_GE(slices, 49);
  EXPECT_EQ(rec.total(), 2500u);
  for (const auto& call : rec.calls) EXPECT_LE(call.size(), 100u);
  EXPECT_EQ(rib.stats().prefixes, 0u);
}

TEST_F(LocRibTest, LocallyOriginatedRoutesWinAndLoseBySection912) {
  Prefix block = pfx("10.65.0.0/26");
  PathAttributes own = attrs({}, "0.0.0.0");
  rib.originate(block, own);
  ASSERT_TRUE(rib.update(1, block, attrs({}, "10.0.0.1")).ok());
  run();
  std::vector<RouteView> v = rib.routes(block);
  ASSERT_EQ(v.size(), 2u);
  EXPECT_TRUE(v[0].best);
  EXPECT_EQ(v[0].path.kind, PeerKind::local);
  EXPECT_EQ(v[0].reason, Reason::local_origin);
  EXPECT_FALSE(v[1].multipath);
  EXPECT_EQ(v[1].reason, Reason::local_origin);

  // A learned copy with a higher degree of preference (LOCAL_PREF) wins.
  PathAttributes preferred = attrs({}, "10.0.0.2");
  preferred.local_pref = 200;
  ASSERT_TRUE(rib.update(2, block, preferred).ok());
  run();
  EXPECT_EQ(rib.best(block).at(0).peer, 2u);
  EXPECT_EQ(rib.routes(block).at(0).reason, Reason::local_pref);

  ASSERT_TRUE(rib.withdraw(2, block).ok());
  rib.withdraw_origination(block);
  run();
  EXPECT_EQ(rib.best(block).at(0).peer, 1u);
  EXPECT_EQ(rib.routes(block).at(0).reason, Reason::only_path);
}

TEST_F(LocRibTest, AddPathIdsAreSeparatePaths) {
  Prefix p = pfx("10.2.0.0/26");
  ASSERT_TRUE(rib.update(1, p, attrs({}, "10.0.0.11"), 1).ok());
  ASSERT_TRUE(rib.update(1, p, attrs({}, "10.0.0.12"), 2).ok());
  run();
  std::vector<RoutePath> best = rib.best(p);
  ASSERT_EQ(best.size(), 2u);
  EXPECT_EQ(best[0].path_id, 1u);
  EXPECT_EQ(best[1].path_id, 2u);
  ASSERT_TRUE(rib.withdraw(1, p, 1).ok());
  run();
  ASSERT_EQ(rib.best(p).size(), 1u);
  EXPECT_EQ(rib.best(p)[0].path_id, 2u);
}

TEST_F(LocRibTest, NewSessionWhileTheOldOneIsStillDraining) {
  Prefix keep = nth_prefix(1);
  Prefix drop = nth_prefix(2);
  ASSERT_TRUE(rib.update(1, keep, attrs({}, "10.0.0.1")).ok());
  ASSERT_TRUE(rib.update(1, drop, attrs({}, "10.0.0.1")).ok());
  run();
  ASSERT_TRUE(rib.peer_down(1).ok());
  // The peer reconnects before process() ran the teardown and re-announces one prefix.
  ASSERT_TRUE(rib.add_peer(peer(1, PeerKind::ibgp, "10.0.0.1", 1, 64512)).ok());
  EXPECT_FALSE(rib.add_peer(peer(1, PeerKind::ibgp, "10.0.0.1", 1, 64512)).ok());
  AttrRef fresh = rib.intern(attrs({}, "10.0.0.100"));
  ASSERT_TRUE(rib.update(1, keep, fresh).ok());
  run();
  ASSERT_EQ(rib.best(keep).size(), 1u);
  EXPECT_EQ(rib.best(keep)[0].attrs, fresh);
  EXPECT_TRUE(rib.best(drop).empty());
  EXPECT_EQ(rib.routes_from(1, std::nullopt, 0).size(), 1u);
}

TEST_F(LocRibTest, GracefulRestartKeepsRoutesUntilFlushed) {
  Prefix a = nth_prefix(1), b = nth_prefix(2), v6 = pfx("fd00:1::/122");
  ASSERT_TRUE(rib.update(1, a, attrs({}, "10.0.0.1")).ok());
  ASSERT_TRUE(rib.update(1, b, attrs({}, "10.0.0.1")).ok());
  ASSERT_TRUE(rib.update(1, v6, attrs({}, "10.0.0.1")).ok());
  run();
  rec.calls.clear();

  ASSERT_TRUE(rib.peer_down_retain(1).ok());
  EXPECT_FALSE(rib.update(1, a, attrs({}, "10.0.0.1")).ok());  // down: refused
  run();
  EXPECT_TRUE(rec.calls.empty());  // observers (the kernel) see nothing: forwarding goes on
  EXPECT_EQ(rib.stale_count(1), 3u);
  EXPECT_EQ(rib.stats().stale, 3u);
  EXPECT_EQ(rib.best(a).size(), 1u);

  // Consecutive restart: down again before the first restart finished still keeps them.
  ASSERT_TRUE(rib.add_peer(peer(1, PeerKind::ibgp, "10.0.0.1", 1, 64512)).ok());
  AttrRef fresh = rib.intern(attrs({}, "10.0.0.100"));
  ASSERT_TRUE(rib.update(1, a, fresh).ok());  // re-learned: no longer stale
  EXPECT_EQ(rib.stale_count(1), 2u);
  ASSERT_TRUE(rib.peer_down_retain(1).ok());
  run();
  EXPECT_EQ(rib.stale_count(1), 3u);  // a (from the second session) joined b and v6
  ASSERT_EQ(rib.best(a).size(), 1u);
  EXPECT_EQ(rib.best(a)[0].attrs, fresh);
  rec.calls.clear();

  // Third session: re-learns a; End-of-RIB for IPv4 removes b only; v6 waits for its own.
  ASSERT_TRUE(rib.add_peer(peer(1, PeerKind::ibgp, "10.0.0.1", 1, 64512)).ok());
  ASSERT_TRUE(rib.update(1, a, fresh).ok());
  ASSERT_TRUE(rib.flush_stale(1, Family::v4).ok());
  run();
  EXPECT_EQ(rib.best(a).size(), 1u);
  EXPECT_TRUE(rib.best(b).empty());
  EXPECT_EQ(rib.best(v6).size(), 1u);
  EXPECT_EQ(rib.stale_count(1), 1u);
  ASSERT_EQ(rec.total(), 1u);  // only b changed
  EXPECT_EQ(rec.calls[0][0].prefix, b);

  // A withdrawal from the new session removes a stale route at once.
  ASSERT_TRUE(rib.withdraw(1, v6).ok());
  run();
  EXPECT_TRUE(rib.best(v6).empty());
  EXPECT_EQ(rib.stale_count(1), 0u);
}

TEST_F(LocRibTest, NonGracefulDownFlushesStaleRoutesToo) {
  ASSERT_TRUE(rib.update(1, nth_prefix(1), attrs({}, "10.0.0.1")).ok());
  run();
  ASSERT_TRUE(rib.peer_down_retain(1).ok());
  ASSERT_TRUE(rib.add_peer(peer(1, PeerKind::ibgp, "10.0.0.1", 1, 64512)).ok());
  ASSERT_TRUE(rib.update(1, nth_prefix(2), attrs({}, "10.0.0.1")).ok());
  ASSERT_TRUE(rib.peer_down(1).ok());  // e.g. a NOTIFICATION: no helping
  run();
  EXPECT_TRUE(rib.best(nth_prefix(1)).empty());
  EXPECT_TRUE(rib.best(nth_prefix(2)).empty());
  EXPECT_EQ(rib.stale_count(1), 0u);
  EXPECT_EQ(rib.stats().paths, 0u);
}

TEST_F(LocRibTest, RestartTimerExpiryFlushesEverything) {
  for (uint32_t i = 0; i < 300; ++i)
    ASSERT_TRUE(rib.update(1, nth_prefix(i), attrs({}, "10.0.0.1")).ok());
  run();
  ASSERT_TRUE(rib.peer_down_retain(1).ok());
  ASSERT_TRUE(rib.flush_stale(1).ok());
  int slices = 0;
  while (rib.process(100)) ++slices;
  EXPECT_GE(slices, 2);  // bounded slices, like any teardown
  EXPECT_EQ(rib.stats().paths, 0u);
}

TEST_F(LocRibTest, RemovePeerForgetsItAfterItsRoutesAreGone) {
  ASSERT_TRUE(rib.update(2, nth_prefix(1), attrs({}, "10.0.0.2")).ok());
  run();
  ASSERT_TRUE(rib.remove_peer(2).ok());
  EXPECT_NE(rib.peer(2), nullptr);  // still tearing down
  run();
  EXPECT_EQ(rib.peer(2), nullptr);
  EXPECT_TRUE(rib.best(nth_prefix(1)).empty());
  EXPECT_FALSE(rib.withdraw(2, nth_prefix(1)).ok());
}

TEST_F(LocRibTest, RejectsBadPeers) {
  EXPECT_FALSE(rib.add_peer(peer(kLocalPeer, PeerKind::ibgp, "10.0.0.3", 3, 1)).ok());
  EXPECT_FALSE(rib.add_peer(peer(9, PeerKind::local, "10.0.0.3", 3, 1)).ok());
  EXPECT_FALSE(rib.update(42, nth_prefix(0), attrs({}, "10.0.0.3")).ok());
  EXPECT_EQ(rib.update(42, nth_prefix(0), attrs({}, "10.0.0.3")).error().code, Errc::not_found);
  EXPECT_FALSE(rib.peer_down(kLocalPeer).ok());
  EXPECT_FALSE(rib.update(1, nth_prefix(0), AttrRef()).ok());
}

TEST_F(LocRibTest, ShowRoutesByPrefixPeerAndPaged) {
  for (uint32_t i = 0; i < 10; ++i) {
    ASSERT_TRUE(rib.update(1, nth_prefix(i), attrs({}, "10.0.0.1")).ok());
    if (i % 2 == 0) {
      ASSERT_TRUE(rib.update(2, nth_prefix(i), attrs({7}, "10.0.0.2")).ok());
    }
  }
  run();
  std::vector<RouteView> from2 = rib.routes_from(2, std::nullopt, 0);
  ASSERT_EQ(from2.size(), 5u);
  for (const auto& v : from2) {
    EXPECT_EQ(v.path.peer, 2u);
    EXPECT_FALSE(v.best);
    EXPECT_EQ(v.reason, Reason::as_path_length);
    EXPECT_EQ(v.peer_address, testing::addr("10.0.0.2"));
  }
  // Paging: 4 prefixes at a time cover all 15 paths exactly once, in prefix order.
  std::vector<RouteView> all;
  std::optional<Prefix> after;
  for (;;) {
    auto page = rib.all_routes(after, 4);
    if (page.empty()) break;
    after = page.back().prefix;
    all.insert(all.end(), page.begin(), page.end());
  }
  ASSERT_EQ(all.size(), 15u);
  for (std::size_t i = 1; i < all.size(); ++i) EXPECT_LE(all[i - 1].prefix, all[i].prefix);
  auto page2 = rib.routes_from(2, nth_prefix(4), 2);
  ASSERT_EQ(page2.size(), 2u);
  EXPECT_EQ(page2[0].prefix, nth_prefix(6));
  EXPECT_EQ(page2[1].prefix, nth_prefix(8));
  auto bests = rib.best_routes(nth_prefix(7), 0);
  ASSERT_EQ(bests.size(), 2u);
  EXPECT_EQ(bests[0].prefix, nth_prefix(8));
}

// Route refresh after route refresh without End-of-RIB-Refresh (or restart after restart):
// each one turns the live routes stale and the re-announcement moves them back. The emptied
// stale sets must not pile up: there are 65535 sources in all.
TEST_F(LocRibTest, RepeatedRefreshesWithoutEorrDoNotExhaustSources) {
  AttrRef a = rib.intern(attrs({}, "10.0.0.1"));
  for (uint32_t i = 0; i < 70000; ++i) {
    ASSERT_TRUE(rib.mark_stale(1, Family::v4).ok());
    ASSERT_TRUE(rib.update(1, nth_prefix(0), a).ok()) << "refresh " << i;
  }
  run();
  EXPECT_EQ(rib.route_count(1), 1u);
  EXPECT_EQ(rib.stale_count(1), 0u);
  EXPECT_EQ(rib.best(nth_prefix(0)).size(), 1u);
}

// The Loc-RIB directly: sources, the one-path-inline entries growing to several paths and
// back, and decisions erasing emptied entries.
TEST(LocRibDirect, SourcesEntriesAndDecisions) {
  AttrStore store;
  PeerInfo a = peer(1, PeerKind::ebgp, "10.0.0.1", 1, 65001);
  PeerInfo b = peer(2, PeerKind::ebgp, "10.0.0.2", 2, 65002);
  AttrRef at = store.intern(attrs({65001}, "10.0.0.1"));
  AttrRef bt = store.intern(attrs({65002, 65003}, "10.0.0.2"));
  LocRib loc;
  SourceId sa = loc.add_source(a);
  SourceId sb = loc.add_source(b);
  ASSERT_NE(sa, sb);
  for (uint32_t i = 0; i < 40; ++i) loc.set(nth_prefix(i), sa, 0, at);
  for (uint32_t i = 0; i < 40; i += 4) loc.set(nth_prefix(i), sb, 0, bt);
  EXPECT_EQ(loc.path_count(), 50u);
  EXPECT_EQ(loc.source_count(sa), 40u);
  std::vector<BestChange> out;
  EXPECT_FALSE(loc.decide(1000, out));
  ASSERT_EQ(out.size(), 40u);
  for (uint32_t i = 0; i < 40; ++i) {
    auto s = loc.find(nth_prefix(i));
    ASSERT_NE(s, LocRib::npos) << i;
    EXPECT_EQ(loc.paths(s).size(), i % 4 == 0 ? 2u : 1u);
    ASSERT_NE(loc.best(s), nullptr);
    EXPECT_EQ(loc.best(s)->attrs, at);  // shorter AS path
  }
  // The better path goes: the two-path entries fall back to one inline path, b's.
  for (uint32_t i = 0; i < 40; i += 2) EXPECT_TRUE(loc.remove(nth_prefix(i), a.id, 0));
  EXPECT_FALSE(loc.remove(nth_prefix(0), a.id, 0));
  out.clear();
  EXPECT_FALSE(loc.decide(1000, out));
  ASSERT_EQ(out.size(), 20u);
  for (uint32_t i = 0; i < 40; ++i) {
    auto s = loc.find(nth_prefix(i));
    EXPECT_EQ(s == LocRib::npos, i % 2 == 0 && i % 4 != 0) << i;
    if (i % 4 == 0) {
      ASSERT_EQ(loc.paths(s).size(), 1u);
      EXPECT_EQ(loc.best(s)->attrs, bt);
    }
  }
  // A draining source is swept; the other source's paths stay.
  loc.drain_source(sb);
  EXPECT_EQ(loc.draining_count(), 10u);
  EXPECT_GT(loc.sweep(1000), 0u);
  EXPECT_EQ(loc.draining_count(), 0u);
  EXPECT_EQ(loc.source_count(sb), 0u);
  out.clear();
  loc.decide(1000, out);
  EXPECT_EQ(out.size(), 10u);
  EXPECT_EQ(loc.size(), 20u);
  EXPECT_EQ(loc.path_count(), 20u);
  loc.release_source(sb);
  EXPECT_EQ(loc.add_source(b), sb);  // reused
}

}  // namespace
}  // namespace podnet::rib
