// Update groups with Calico-shaped export functions: the node-to-node mesh (iBGP, no
// reflection: only the node's own routes and eBGP-learned ones go to other mesh nodes) and a
// top-of-rack eBGP group (next hop self, our AS prepended, a disableBGPExport pool held back,
// nothing sent back into the AS it came from).
#include <gtest/gtest.h>

#include <set>

#include "rib/rib.hpp"
#include "rib/tests/rib_test_support.hpp"

namespace podnet::rib {
namespace {

using testing::addr;
using testing::attrs;
using testing::nth_prefix;
using testing::peer;
using testing::pfx;

constexpr uint32_t kOurAs = 64512;
constexpr uint32_t kTorAs = 65000;

std::optional<PathAttributes> mesh_export(std::string_view key, const Prefix&,
                                          const ExportCandidate& best) {
  EXPECT_EQ(key, "mesh");
  if (best.source.kind == PeerKind::ibgp) return std::nullopt;  // iBGP is not re-advertised
  PathAttributes out = *best.attrs;
  out.next_hop = addr("10.0.0.99");
  out.local_pref = 100;
  return out;
}

std::optional<PathAttributes> tor_export(std::string_view key, const Prefix& p,
                                         const ExportCandidate& best) {
  EXPECT_EQ(key, "tor");
  if (pfx("10.200.0.0/16").contains(p)) return std::nullopt;  // disableBGPExport pool
  if (best.attrs->as_path && best.attrs->as_path->contains(kTorAs)) return std::nullopt;
  PathAttributes out;
  out.origin = best.attrs->origin;
  out.as_path = AsPath{{{AsSegmentType::as_sequence, {kOurAs}}}};
  for (const auto& s : best.attrs->as_path->segments) out.as_path->segments.push_back(s);
  out.next_hop = addr("10.0.0.99");
  out.communities = best.attrs->communities;
  return out;
}

class AdjRibOutTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(rib.add_peer(peer(1, PeerKind::ibgp, "10.0.0.1", 1, kOurAs)).ok());
    ASSERT_TRUE(rib.add_peer(peer(2, PeerKind::ibgp, "10.0.0.2", 2, kOurAs)).ok());
    ASSERT_TRUE(rib.add_peer(peer(3, PeerKind::ebgp, "10.0.1.1", 3, kTorAs)).ok());
    ASSERT_TRUE(rib.add_peer(peer(4, PeerKind::ebgp, "10.0.1.2", 4, kTorAs)).ok());
  }
  void run() {
    while (rib.process()) {
    }
  }
  GroupId join(PeerId p, const std::string& key) {
    auto g = rib.join_group(p, key, key == "mesh" ? ExportFn(mesh_export) : ExportFn(tor_export));
    EXPECT_TRUE(g.ok());
    return g.value();
  }
  std::set<Prefix> advertised(GroupId g) {
    std::set<Prefix> out;
    for (const auto& [p, a] : *rib.adj_rib_out().advertised(g)) out.insert(p);
    return out;
  }
  AdjRibOut& out() { return rib.adj_rib_out(); }

  Rib rib{RibOptions{{}, 99, kOurAs}};
};

TEST_F(AdjRibOutTest, TwoGroupsExportDifferently) {
  GroupId mesh = join(1, "mesh");
  EXPECT_EQ(join(2, "mesh"), mesh);
  GroupId tor = join(3, "tor");
  EXPECT_NE(tor, mesh);

  Prefix block = pfx("10.65.0.0/26");
  Prefix other_node = pfx("10.66.0.0/26");
  Prefix hidden = pfx("10.200.0.0/26");
  Prefix dflt = pfx("0.0.0.0/0");
  rib.originate(block, attrs({}, "0.0.0.0"));
  rib.originate(hidden, attrs({}, "0.0.0.0"));
  ASSERT_TRUE(rib.update(1, other_node, attrs({}, "10.0.0.1")).ok());
  ASSERT_TRUE(rib.update(3, dflt, attrs({kTorAs}, "10.0.1.1")).ok());
  run();

  EXPECT_EQ(advertised(mesh), (std::set<Prefix>{block, hidden, dflt}));
  EXPECT_EQ(advertised(tor), (std::set<Prefix>{block, other_node}));
  const auto& tor_adv = *out().advertised(tor);
  EXPECT_EQ(tor_adv.at(block)->as_path->length(), 1u);
  EXPECT_EQ(tor_adv.at(block)->next_hop, addr("10.0.0.99"));
  // Same export result for both prefixes: one interned set, so one UPDATE.
  EXPECT_EQ(tor_adv.at(block), tor_adv.at(other_node));

  UpdateBatch b = out().take_updates(tor, 0);
  ASSERT_EQ(b.announce.size(), 1u);
  EXPECT_EQ(b.announce.begin()->second, (std::vector<Prefix>{block, other_node}));
  EXPECT_TRUE(b.withdraw.empty());
  EXPECT_TRUE(out().in_sync(3));
  EXPECT_FALSE(out().in_sync(1));  // the mesh queue is not drained yet
  EXPECT_EQ(out().groups_with_updates(), std::vector<GroupId>{mesh});
}

TEST_F(AdjRibOutTest, PacksPrefixesByAttributeSet) {
  GroupId tor = join(3, "tor");
  PathAttributes red = attrs({}, "0.0.0.0");
  red.communities = {0xFDE80001};
  PathAttributes blue = attrs({}, "0.0.0.0");
  blue.communities = {0xFDE80002};
  for (uint32_t i = 0; i < 1000; ++i) rib.originate(nth_prefix(i), i % 2 ? red : blue);
  run();
  UpdateBatch b = out().take_updates(tor, 0);
  ASSERT_EQ(b.announce.size(), 2u);
  for (const auto& [a, prefixes] : b.announce) {
    EXPECT_EQ(prefixes.size(), 500u);
    EXPECT_EQ(a->communities.size(), 1u);
  }
  EXPECT_EQ(b.prefix_count(), 1000u);
  EXPECT_TRUE(out().take_updates(tor, 0).empty());

  // Bounded takes: 300 + 300 + 300 + 100.
  for (uint32_t i = 0; i < 1000; ++i) rib.withdraw_origination(nth_prefix(i));
  run();
  std::size_t total = 0;
  for (UpdateBatch w = out().take_updates(tor, 300); !w.empty(); w = out().take_updates(tor, 300)) {
    EXPECT_LE(w.prefix_count(), 300u);
    EXPECT_TRUE(w.announce.empty());
    total += w.withdraw.size();
  }
  EXPECT_EQ(total, 1000u);
}

TEST_F(AdjRibOutTest, WithdrawsWhatIsNoLongerExported) {
  GroupId mesh = join(2, "mesh");
  GroupId tor = join(4, "tor");
  Prefix p = pfx("10.66.0.0/26");
  ASSERT_TRUE(rib.update(1, p, attrs({}, "10.0.0.1")).ok());
  run();
  (void)out().take_updates(tor, 0);
  (void)out().take_updates(mesh, 0);
  EXPECT_EQ(advertised(mesh).count(p), 0u);

  // The ToR now offers a better path to it: the best comes from the ToR's AS, so the ToR group
  // must withdraw it, and the mesh group (eBGP-learned) must announce it.
  PathAttributes via_tor = attrs({kTorAs}, "10.0.1.1");
  via_tor.local_pref = 200;
  ASSERT_TRUE(rib.update(3, p, via_tor).ok());
  run();
  UpdateBatch t = out().take_updates(tor, 0);
  EXPECT_TRUE(t.announce.empty());
  EXPECT_EQ(t.withdraw, std::vector<Prefix>{p});
  UpdateBatch m = out().take_updates(mesh, 0);
  ASSERT_EQ(m.announce.size(), 1u);
  EXPECT_EQ(m.announce.begin()->first->next_hop, addr("10.0.0.99"));
  EXPECT_TRUE(m.withdraw.empty());

  // Best gone entirely: the mesh withdraws, the ToR has nothing to say again.
  ASSERT_TRUE(rib.withdraw(3, p).ok());
  ASSERT_TRUE(rib.withdraw(1, p).ok());
  run();
  EXPECT_EQ(out().take_updates(mesh, 0).withdraw, std::vector<Prefix>{p});
  EXPECT_TRUE(out().take_updates(tor, 0).empty());
}

TEST_F(AdjRibOutTest, NothingIsResentWhenOnlyTheBestPathChanges) {
  GroupId tor = join(3, "tor");
  Prefix p = pfx("10.66.0.0/26");
  ASSERT_TRUE(rib.update(1, p, attrs({}, "10.0.0.1")).ok());
  ASSERT_TRUE(rib.update(2, p, attrs({}, "10.0.0.2")).ok());
  run();
  ASSERT_EQ(out().take_updates(tor, 0).prefix_count(), 1u);
  ASSERT_EQ(rib.best(p).at(0).peer, 1u);

  ASSERT_TRUE(rib.withdraw(1, p).ok());
  run();
  ASSERT_EQ(rib.best(p).at(0).peer, 2u);    // the best did change...
  EXPECT_EQ(out().pending_count(tor), 0u);  // ...the export (next hop self) did not
  EXPECT_TRUE(out().take_updates(tor, 0).empty());
}

TEST_F(AdjRibOutTest, AChangeUndoneBeforeItIsSentCancelsOut) {
  GroupId tor = join(3, "tor");
  Prefix p = pfx("10.65.0.0/26");
  rib.originate(p, attrs({}, "0.0.0.0"));
  run();
  (void)out().take_updates(tor, 0);
  rib.withdraw_origination(p);
  run();
  EXPECT_EQ(out().pending_count(tor), 1u);
  rib.originate(p, attrs({}, "0.0.0.0"));
  run();
  EXPECT_EQ(out().pending_count(tor), 0u);
}

TEST_F(AdjRibOutTest, ALateJoinerGetsTheFullTable) {
  GroupId tor = join(3, "tor");
  for (uint32_t i = 0; i < 250; ++i) rib.originate(nth_prefix(i), attrs({}, "0.0.0.0"));
  run();
  ASSERT_EQ(out().take_updates(tor, 0).prefix_count(), 250u);
  EXPECT_FALSE(out().dump_pending(3));

  EXPECT_EQ(join(4, "tor"), tor);
  EXPECT_TRUE(out().dump_pending(4));
  EXPECT_FALSE(out().in_sync(4));
  EXPECT_TRUE(out().take_dump(3, 0).empty());  // the old member needs no dump

  // The dump comes in slices; a change between slices reaches the new member either in the
  // dump or through the group queue, and the old member through the queue.
  UpdateBatch first = out().take_dump(4, 100);
  EXPECT_EQ(first.prefix_count(), 100u);
  rib.withdraw_origination(nth_prefix(10));   // already dumped
  rib.withdraw_origination(nth_prefix(200));  // not yet dumped
  run();
  std::set<Prefix> dumped;
  for (const auto& [a, ps] : first.announce) dumped.insert(ps.begin(), ps.end());
  for (UpdateBatch b = out().take_dump(4, 100); !b.empty(); b = out().take_dump(4, 100)) {
    for (const auto& [a, ps] : b.announce) dumped.insert(ps.begin(), ps.end());
  }
  EXPECT_EQ(dumped.size(), 249u);  // 250 minus the one withdrawn before the cursor got there
  EXPECT_EQ(dumped.count(nth_prefix(200)), 0u);
  EXPECT_FALSE(out().dump_pending(4));
  UpdateBatch q = out().take_updates(tor, 0);
  EXPECT_EQ(q.withdraw, (std::vector<Prefix>{nth_prefix(10), nth_prefix(200)}));
  EXPECT_TRUE(out().in_sync(4));

  // ROUTE-REFRESH: the member's dump starts over.
  EXPECT_TRUE(out().refresh(4));
  EXPECT_EQ(out().take_dump(4, 0).prefix_count(), 248u);
}

TEST_F(AdjRibOutTest, ANewGroupBuildsItsTableInSlices) {
  for (uint32_t i = 0; i < 3000; ++i) rib.originate(nth_prefix(i), attrs({}, "0.0.0.0"));
  run();
  GroupId tor = join(3, "tor");
  EXPECT_TRUE(rib.has_work());
  int slices = 0;
  while (rib.process(1000)) ++slices;
  EXPECT_EQ(slices, 2);                 // 3000 prefixes at 1000 a slice: the third call finishes
  EXPECT_FALSE(out().dump_pending(3));  // the build's queue is its table
  EXPECT_EQ(out().pending_count(tor), 3000u);
  EXPECT_EQ(advertised(tor).size(), 3000u);
}

TEST_F(AdjRibOutTest, PeerDownLeavesItsGroupAndTheLastMemberDeletesIt) {
  GroupId tor = join(3, "tor");
  rib.originate(pfx("10.65.0.0/26"), attrs({}, "0.0.0.0"));
  run();
  ASSERT_TRUE(rib.peer_down(3).ok());
  EXPECT_EQ(out().group_of(3), std::nullopt);
  EXPECT_EQ(out().advertised(tor), nullptr);
  EXPECT_FALSE(rib.join_group(3, "tor", tor_export).ok());  // down peers cannot join
  EXPECT_FALSE(rib.leave_group(3).ok());
  GroupId again = join(4, "tor");
  EXPECT_NE(again, tor);
  run();
  EXPECT_EQ(advertised(again).size(), 1u);
  EXPECT_EQ(out().members(again), std::vector<PeerId>{4});
}

}  // namespace
}  // namespace podnet::rib
