// A member whose export policy changes (a BGPFilter, prefixAdvertisements) moves to another
// update group without a session reset: its peer is sent only the difference between what it
// has and what the new policy exports.
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

const Prefix kA = pfx("10.65.0.0/26");
const Prefix kB = pfx("10.65.0.64/26");
const Prefix kC = pfx("10.66.0.0/26");

// "hide-b": everything but B, as is. "mark": everything, with community 1:1.
std::optional<PathAttributes> hide_b(std::string_view, const Prefix& p, const ExportCandidate& c) {
  if (p == kB) return std::nullopt;
  return *c.attrs;
}
std::optional<PathAttributes> mark(std::string_view, const Prefix&, const ExportCandidate& c) {
  PathAttributes a = *c.attrs;
  a.communities.push_back(0x00010001);
  return a;
}
std::optional<PathAttributes> hide_c(std::string_view, const Prefix& p, const ExportCandidate& c) {
  if (p == kC) return std::nullopt;
  return *c.attrs;
}

class RegroupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(rib.add_peer(peer(1, PeerKind::ebgp, "10.0.1.1", 1, 65000)).ok());
    ASSERT_TRUE(rib.add_peer(peer(2, PeerKind::ebgp, "10.0.1.2", 2, 65000)).ok());
    for (const Prefix& p : {kA, kB, kC}) rib.originate(p, attrs({}, "0.0.0.0"));
    ASSERT_TRUE(rib.join_group(1, "hide-b", hide_b).ok());
    run();
    // Peer 1 has been sent its table.
    drain(*out().group_of(1));
  }
  void run() {
    while (rib.process()) {
    }
  }
  UpdateBatch drain(GroupId g) {
    UpdateBatch all;
    for (UpdateBatch b = out().take_updates(g, 0); !b.empty(); b = out().take_updates(g, 0)) {
      for (auto& [a, ps] : b.announce) all.announce[a] = ps;
      all.withdraw.insert(all.withdraw.end(), b.withdraw.begin(), b.withdraw.end());
    }
    return all;
  }
  static std::set<Prefix> announced(const UpdateBatch& b) {
    std::set<Prefix> s;
    for (const auto& [a, ps] : b.announce) s.insert(ps.begin(), ps.end());
    return s;
  }
  AdjRibOut& out() { return rib.adj_rib_out(); }
  Rib rib{RibOptions{{}, 99, 64512}};
};

TEST_F(RegroupTest, IntoANewGroupSendsOnlyWhatChanged) {
  // The filter now also hides C and shows B: announce B, withdraw C, nothing about A.
  GroupId g = out().regroup(1, "hide-c", hide_c);
  EXPECT_TRUE(out().building());
  EXPECT_FALSE(out().in_sync(1));
  run();
  UpdateBatch b = drain(g);
  EXPECT_EQ(announced(b), std::set<Prefix>{kB});
  EXPECT_EQ(b.withdraw, std::vector<Prefix>{kC});
  EXPECT_FALSE(out().dump_pending(1));
  EXPECT_TRUE(out().in_sync(1));
  // Later changes flow through the new group as usual.
  rib.withdraw_origination(kA);
  run();
  EXPECT_EQ(drain(g).withdraw, std::vector<Prefix>{kA});
}

TEST_F(RegroupTest, AttributeChangesAreReannounced) {
  GroupId g = out().regroup(1, "mark", mark);
  run();
  UpdateBatch b = drain(g);
  EXPECT_EQ(announced(b), (std::set<Prefix>{kA, kB, kC}));  // every route got the community
  ASSERT_EQ(b.announce.size(), 1u);
  EXPECT_EQ(b.announce.begin()->first->communities, std::vector<uint32_t>{0x00010001});
  EXPECT_TRUE(b.withdraw.empty());
}

TEST_F(RegroupTest, IntoAnExistingGroupDumpsTheDifference) {
  ASSERT_TRUE(rib.join_group(2, "hide-c", hide_c).ok());
  run();
  GroupId other = *out().group_of(2);
  drain(other);
  EXPECT_EQ(out().regroup(1, "hide-c", hide_c), other);
  EXPECT_TRUE(out().dump_pending(1));
  UpdateBatch b = out().take_dump(1, 0);
  EXPECT_EQ(announced(b), std::set<Prefix>{kB});
  EXPECT_EQ(b.withdraw, std::vector<Prefix>{kC});
  EXPECT_FALSE(out().dump_pending(1));
  EXPECT_TRUE(out().in_sync(1));
  EXPECT_EQ(out().members(other).size(), 2u);
}

TEST_F(RegroupTest, QueuedChangesCountAsNotSent) {
  // A change the old group queued but never sent: the peer still has the old version.
  rib.withdraw_origination(kA);
  run();
  GroupId g = out().regroup(1, "hide-c", hide_c);
  run();
  UpdateBatch b = drain(g);
  EXPECT_EQ(announced(b), std::set<Prefix>{kB});
  std::set<Prefix> withdrawn(b.withdraw.begin(), b.withdraw.end());
  EXPECT_EQ(withdrawn, (std::set<Prefix>{kA, kC}));
}

TEST_F(RegroupTest, SameKeyIsANoOpAndNonMembersJoin) {
  GroupId g = *out().group_of(1);
  EXPECT_EQ(out().regroup(1, "hide-b", hide_b), g);
  EXPECT_FALSE(out().dump_pending(1));
  EXPECT_TRUE(out().in_sync(1));
  GroupId fresh = out().regroup(2, "mark", mark);  // not a member yet: a plain join
  run();
  EXPECT_EQ(announced(drain(fresh)), (std::set<Prefix>{kA, kB, kC}));
}

}  // namespace
}  // namespace podnet::rib
