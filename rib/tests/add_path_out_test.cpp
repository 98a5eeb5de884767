// ADD-PATH send (RFC 7911) in the update groups: a group joined with add_path advertises every
// selected path of a prefix (the best and its ECMP set), each through the export function and
// with a path id that stays while the path does; a path that goes is withdrawn by its id. A
// group without it keeps exporting the best path only.
#include <gtest/gtest.h>

#include <set>

#include "rib/rib.hpp"
#include "rib/tests/rib_test_support.hpp"

namespace podnet::rib {
namespace {

using testing::addr;
using testing::attrs;
using testing::peer;
using testing::pfx;

constexpr uint32_t kOurAs = 64512;
constexpr uint32_t kTorAs = 65000;

// iBGP to a reflector client: every path as it is (LOCAL_PREF set), iBGP-learned ones too.
std::optional<PathAttributes> reflect(std::string_view, const Prefix&, const ExportCandidate& c) {
  PathAttributes out = *c.attrs;
  out.local_pref = 100;
  return out;
}
// The same, but the paths of one next hop are held back (a per-path export decision).
std::optional<PathAttributes> reflect_but_second(std::string_view k, const Prefix& p,
                                                 const ExportCandidate& c) {
  if (c.attrs->next_hop == addr("10.0.1.2")) return std::nullopt;
  return reflect(k, p, c);
}

using Paths = std::set<std::pair<uint32_t, Address>>;  // path id, next hop

class AddPathOut : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(rib.add_peer(peer(1, PeerKind::ibgp, "10.0.0.1", 1, kOurAs)).ok());
    ASSERT_TRUE(rib.add_peer(peer(2, PeerKind::ibgp, "10.0.0.2", 2, kOurAs)).ok());
    ASSERT_TRUE(rib.add_peer(peer(3, PeerKind::ebgp, "10.0.1.1", 3, kTorAs)).ok());
    ASSERT_TRUE(rib.add_peer(peer(4, PeerKind::ebgp, "10.0.1.2", 4, kTorAs)).ok());
    ASSERT_TRUE(rib.add_peer(peer(5, PeerKind::ibgp, "10.0.0.5", 5, kOurAs)).ok());
  }
  void run() {
    while (rib.process()) {
    }
  }
  GroupId join(PeerId p, const std::string& key, ExportFn fn, bool add_path) {
    auto g = rib.join_group(p, key, std::move(fn), add_path);
    EXPECT_TRUE(g.ok());
    return g.value();
  }
  Paths advertised(GroupId g, const Prefix& p) {
    Paths out;
    for (const auto& [id, a] : rib.adj_rib_out().advertised_paths(g, p))
      out.insert({id, *a->next_hop});
    return out;
  }
  static Paths announced(const UpdateBatch& b) {
    Paths out;
    for (const auto& [a, paths] : b.announce_paths) {
      for (const auto& x : paths) out.insert({x.path_id, *a->next_hop});
    }
    return out;
  }
  void tor_paths(const Prefix& p) {
    ASSERT_TRUE(rib.update(3, p, attrs({kTorAs}, "10.0.1.1")).ok());
    ASSERT_TRUE(rib.update(4, p, attrs({kTorAs}, "10.0.1.2")).ok());
    run();
  }
  AdjRibOut& out() { return rib.adj_rib_out(); }
  Rib rib{RibOptions{{}, 99, kOurAs}};
  const Prefix p = pfx("10.1.0.0/24");
};

TEST_F(AddPathOut, EveryEcmpPathWithItsOwnIdBestOnlyWithout) {
  const GroupId ap = join(1, "ap", reflect, true);
  const GroupId best = join(2, "best", reflect, false);
  tor_paths(p);
  ASSERT_EQ(rib.best(p).size(), 2u);  // ECMP: both paths selected
  const Paths both{{1, addr("10.0.1.1")}, {2, addr("10.0.1.2")}};
  EXPECT_EQ(advertised(ap, p), both);
  UpdateBatch b = out().take_updates(ap, 0);
  EXPECT_TRUE(b.announce.empty());
  EXPECT_EQ(announced(b), both);
  EXPECT_TRUE(out().in_sync(1));
  UpdateBatch single = out().take_updates(best, 0);
  EXPECT_TRUE(single.announce_paths.empty());
  ASSERT_EQ(single.announce.size(), 1u);
  EXPECT_EQ(single.announce.begin()->second, std::vector<Prefix>{p});
  EXPECT_TRUE(out().advertised_paths(best, p).empty());
  EXPECT_EQ(out().advertised(ap)->size(), 1u);  // prefixes, as for any group
}

TEST_F(AddPathOut, PathIdsStayWhileThePathStaysAndGoneOnesAreWithdrawnById) {
  const GroupId ap = join(1, "ap", reflect, true);
  tor_paths(p);
  (void)out().take_updates(ap, 0);
  const auto id_of = [&](const char* nh) {
    for (const auto& [id, a] : advertised(ap, p))
      if (a == addr(nh)) return id;
    return 0u;
  };
  const uint32_t first = id_of("10.0.1.1"), second = id_of("10.0.1.2");
  ASSERT_NE(first, second);

  // The first path goes: withdrawn by its id, the other keeps its id and is not re-sent.
  ASSERT_TRUE(rib.withdraw(3, p).ok());
  run();
  UpdateBatch b = out().take_updates(ap, 0);
  EXPECT_EQ(b.withdraw_paths, (std::vector<PathNlri>{{p, first}}));
  EXPECT_TRUE(b.announce_paths.empty());
  EXPECT_EQ(id_of("10.0.1.2"), second);

  // A change confined to the second ECMP path: only that path is sent again, under its id; a
  // best-only group does not hear of it.
  ASSERT_TRUE(rib.update(3, p, attrs({kTorAs}, "10.0.1.1")).ok());
  run();
  const GroupId best = join(2, "best", reflect, false);
  run();  // builds the best-only group
  (void)out().take_updates(best, 0);
  (void)out().take_updates(ap, 0);
  EXPECT_EQ(id_of("10.0.1.2"), second);
  PathAttributes changed = attrs({kTorAs}, "10.0.1.2");
  changed.communities = {0xFDE80001u};
  ASSERT_TRUE(rib.update(4, p, changed).ok());
  run();
  ASSERT_EQ(rib.best(p).size(), 2u);
  b = out().take_updates(ap, 0);
  EXPECT_TRUE(b.withdraw_paths.empty());
  EXPECT_EQ(announced(b), (Paths{{second, addr("10.0.1.2")}}));
  if (rib.best(p).front().peer == 3) {
    EXPECT_EQ(out().pending_count(best), 0u);  // its best path did not change
  }

  // The prefix goes: every path withdrawn.
  ASSERT_TRUE(rib.withdraw(3, p).ok());
  ASSERT_TRUE(rib.withdraw(4, p).ok());
  run();
  b = out().take_updates(ap, 0);
  std::set<PathNlri> gone(b.withdraw_paths.begin(), b.withdraw_paths.end());
  EXPECT_EQ(gone.size(), 2u);
  EXPECT_TRUE(advertised(ap, p).empty());
  EXPECT_TRUE(out().advertised(ap)->empty());
}

TEST_F(AddPathOut, ExportDecidesPerPathAndAnUndoneChangeSendsNothing) {
  const GroupId ap = join(1, "ap-filtered", reflect_but_second, true);
  tor_paths(p);
  EXPECT_EQ(advertised(ap, p), (Paths{{1, addr("10.0.1.1")}}));
  (void)out().take_updates(ap, 0);
  // Gone and back before anything is taken: nothing to send.
  ASSERT_TRUE(rib.withdraw(3, p).ok());
  run();
  ASSERT_TRUE(rib.update(3, p, attrs({kTorAs}, "10.0.1.1")).ok());
  run();
  EXPECT_EQ(out().pending_count(ap), 0u);
  EXPECT_TRUE(out().take_updates(ap, 0).empty());
}

TEST_F(AddPathOut, JoiningMemberGetsEveryPathInItsDumpAndRefreshResends) {
  const GroupId ap = join(1, "ap", reflect, true);
  tor_paths(p);
  (void)out().take_updates(ap, 0);
  EXPECT_EQ(join(5, "ap", reflect, true), ap);
  EXPECT_TRUE(out().dump_pending(5));
  UpdateBatch d = out().take_dump(5, 0);
  EXPECT_EQ(announced(d), advertised(ap, p));
  EXPECT_EQ(announced(d).size(), 2u);
  EXPECT_TRUE(out().in_sync(5));
  ASSERT_TRUE(out().refresh(5));
  EXPECT_EQ(announced(out().take_dump(5, 0)).size(), 2u);
}

TEST_F(AddPathOut, RegroupSendsTheNewTableThenWithdrawsWhatItLacks) {
  const GroupId ap = join(1, "ap", reflect, true);
  tor_paths(p);
  (void)out().take_updates(ap, 0);
  const GroupId filtered = out().regroup(1, "ap-filtered", reflect_but_second);
  EXPECT_NE(filtered, ap);
  EXPECT_FALSE(out().in_sync(1));
  run();  // builds the new group
  Paths sent = announced(out().take_updates(filtered, 0));
  ASSERT_TRUE(out().dump_pending(1));
  UpdateBatch d = out().take_dump(1, 0);
  EXPECT_EQ(sent, (Paths{{1, addr("10.0.1.1")}}));
  EXPECT_EQ(d.withdraw_paths, (std::vector<PathNlri>{{p, 2}}));
  EXPECT_TRUE(out().in_sync(1));
}

}  // namespace
}  // namespace podnet::rib
