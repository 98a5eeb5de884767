// One test per step of the decision process, each built so that the loser is better on every
// later step: only the step under test can have decided.
#include "rib/decision.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <vector>

#include "rib/tests/rib_test_support.hpp"

namespace podnet::rib {
namespace {

using testing::addr;
using testing::attrs;
using testing::peer;

// a must beat b at exactly `step`, in both argument orders and through select().
void expect_wins(const Path& a, const Path& b, Reason step, const DecisionOptions& opt = {}) {
  Comparison ab = compare(a, b, opt);
  EXPECT_LT(ab.order, 0);
  EXPECT_EQ(ab.reason, step) << reason_name(ab.reason);
  Comparison ba = compare(b, a, opt);
  EXPECT_GT(ba.order, 0);
  EXPECT_EQ(ba.reason, step) << reason_name(ba.reason);

  std::vector<Path> fwd{a, b};
  Selection s1 = select(fwd, opt);
  EXPECT_EQ(s1.best, 0u);
  EXPECT_EQ(s1.reasons[0], step) << reason_name(s1.reasons[0]);
  EXPECT_EQ(s1.reasons[1], step) << reason_name(s1.reasons[1]);
  std::vector<Path> rev{b, a};
  Selection s2 = select(rev, opt);
  EXPECT_EQ(s2.best, 1u);
  EXPECT_EQ(s2.reasons[1], step);
}

// The loser's side of every test: a peer that wins every tie-break after the step under test.
const PeerInfo kStrong = peer(1, PeerKind::ebgp, "10.0.0.1", 1, 65001);
const PeerInfo kWeakIbgp = peer(2, PeerKind::ibgp, "10.0.0.9", 9, 64512);
const PeerInfo kWeakEbgp = peer(3, PeerKind::ebgp, "10.0.0.9", 9, 65001);

TEST(Decision, HigherLocalPrefWins) {
  PathAttributes win = attrs({65001, 2, 3}, "192.0.2.1", Origin::incomplete);
  win.local_pref = 200;
  win.med = 50;
  PathAttributes lose = attrs({65001}, "192.0.2.2", Origin::igp);
  lose.local_pref = 150;
  expect_wins({&kWeakIbgp, &win}, {&kStrong, &lose}, Reason::local_pref);
}

TEST(Decision, AbsentLocalPrefUsesTheDefault) {
  PathAttributes none = attrs({65001, 2}, "192.0.2.1");
  PathAttributes lower = attrs({65001}, "192.0.2.2");
  lower.local_pref = 99;
  expect_wins({&kWeakIbgp, &none}, {&kStrong, &lower}, Reason::local_pref);
  DecisionOptions opt;
  opt.default_local_pref = 50;
  expect_wins({&kStrong, &lower}, {&kWeakIbgp, &none}, Reason::local_pref, opt);
}

TEST(Decision, LocallyOriginatedBeatsLearnedAtEqualLocalPref) {
  PeerInfo self;
  self.id = kLocalPeer;
  self.kind = PeerKind::local;
  self.router_id = 99;
  // Worse on every later step than the learned path, and still the winner.
  PathAttributes own = attrs({1, 2, 3}, "0.0.0.0", Origin::incomplete);
  own.med = 1000;
  PathAttributes learned = attrs({}, "192.0.2.2");
  expect_wins({&self, &own}, {&kStrong, &learned}, Reason::local_origin);

  // ...but a learned path with a higher LOCAL_PREF wins (RFC 4271 9.1.2.2: degree of
  // preference first).
  learned.local_pref = 101;
  expect_wins({&kStrong, &learned}, {&self, &own}, Reason::local_pref);
}

TEST(Decision, ShorterAsPathWins) {
  PathAttributes win = attrs({65001, 7}, "192.0.2.1", Origin::incomplete);
  win.med = 900;
  PathAttributes lose = attrs({65001, 7, 8}, "192.0.2.2", Origin::igp);
  expect_wins({&kWeakIbgp, &win}, {&kStrong, &lose}, Reason::as_path_length);
}

TEST(Decision, AsSetCountsOneAndConfedSegmentsZero) {
  PathAttributes set_path = attrs({65001}, "192.0.2.1");
  set_path.as_path->segments.push_back({AsSegmentType::as_set, {1, 2, 3, 4}});  // length 2
  set_path.as_path->segments.insert(set_path.as_path->segments.begin(),
                                    {AsSegmentType::confed_sequence, {64600, 64601}});
  PathAttributes three = attrs({65001, 5, 6}, "192.0.2.2");
  expect_wins({&kWeakIbgp, &set_path}, {&kStrong, &three}, Reason::as_path_length);
}

TEST(Decision, LowerOriginWins) {
  PathAttributes igp = attrs({65001}, "192.0.2.1", Origin::igp);
  igp.med = 500;
  PathAttributes egp = attrs({65001}, "192.0.2.2", Origin::egp);
  expect_wins({&kWeakIbgp, &igp}, {&kStrong, &egp}, Reason::origin);
  PathAttributes incomplete = attrs({65001}, "192.0.2.2", Origin::incomplete);
  expect_wins({&kWeakIbgp, &egp}, {&kStrong, &incomplete}, Reason::origin);
}

TEST(Decision, LowerMedWinsFromTheSameNeighbourAs) {
  PathAttributes low = attrs({65001}, "192.0.2.1");
  low.med = 10;
  PathAttributes high = attrs({65001}, "192.0.2.2");
  high.med = 20;
  expect_wins({&kWeakIbgp, &low}, {&kStrong, &high}, Reason::med);
}

TEST(Decision, MedIsIgnoredBetweenDifferentNeighbourAses) {
  PathAttributes from1 = attrs({65001}, "192.0.2.1");
  from1.med = 50;
  PathAttributes from2 = attrs({65002}, "192.0.2.2");
  from2.med = 10;
  const PeerInfo strong2 = peer(4, PeerKind::ebgp, "10.0.0.2", 2, 65002);
  // MED would favour from2; it is not compared, so the router id decides for from1.
  expect_wins({&kStrong, &from1}, {&strong2, &from2}, Reason::router_id);
  DecisionOptions always;
  always.always_compare_med = true;
  expect_wins({&strong2, &from2}, {&kStrong, &from1}, Reason::med, always);
}

TEST(Decision, MissingMedIsBestUnlessConfiguredWorst) {
  PathAttributes missing = attrs({65001}, "192.0.2.1");
  PathAttributes one = attrs({65001}, "192.0.2.2");
  one.med = 1;
  expect_wins({&kWeakIbgp, &missing}, {&kStrong, &one}, Reason::med);
  DecisionOptions worst;
  worst.med_missing_as_worst = true;
  expect_wins({&kWeakIbgp, &one}, {&kStrong, &missing}, Reason::med, worst);
}

TEST(Decision, NeighbourAsSkipsConfederationSegments) {
  PathAttributes a = attrs({65001, 9}, "192.0.2.1");
  a.as_path->segments.insert(a.as_path->segments.begin(), {AsSegmentType::confed_sequence, {7}});
  EXPECT_EQ(neighbor_as(a), 65001u);
  EXPECT_EQ(neighbor_as(attrs({}, "192.0.2.1")), std::nullopt);
}

TEST(Decision, EbgpBeatsIbgpAndConfedCountsAsInternal) {
  PathAttributes p = attrs({65001}, "192.0.2.1");
  const PeerInfo ebgp = peer(5, PeerKind::ebgp, "10.0.0.9", 9, 65001);
  const PeerInfo ibgp = peer(6, PeerKind::ibgp, "10.0.0.1", 1, 64512);
  const PeerInfo confed = peer(7, PeerKind::confed_ebgp, "10.0.0.1", 1, 64600);
  expect_wins({&ebgp, &p}, {&ibgp, &p}, Reason::ebgp_over_ibgp);
  expect_wins({&ebgp, &p}, {&confed, &p}, Reason::ebgp_over_ibgp);
}

TEST(Decision, LowerRouterIdWins) {
  PathAttributes p = attrs({65001}, "192.0.2.1");
  const PeerInfo low = peer(5, PeerKind::ibgp, "10.0.0.9", 3, 64512);
  const PeerInfo high = peer(6, PeerKind::ibgp, "10.0.0.1", 4, 64512);
  expect_wins({&low, &p}, {&high, &p}, Reason::router_id);
}

TEST(Decision, OriginatorIdStandsInForTheRouterId) {
  const PeerInfo rr = peer(5, PeerKind::ibgp, "10.0.0.9", 100, 64512);
  const PeerInfo direct = peer(6, PeerKind::ibgp, "10.0.0.1", 50, 64512);
  PathAttributes reflected = attrs({65001}, "192.0.2.1");
  reflected.originator_id = Address::v4(10);
  reflected.cluster_list = {1};
  PathAttributes plain = attrs({65001}, "192.0.2.2");
  expect_wins({&rr, &reflected}, {&direct, &plain}, Reason::router_id);
}

TEST(Decision, ShorterClusterListWins) {
  const PeerInfo rr1 = peer(5, PeerKind::ibgp, "10.0.0.9", 100, 64512);
  const PeerInfo rr2 = peer(6, PeerKind::ibgp, "10.0.0.1", 101, 64512);
  PathAttributes one = attrs({65001}, "192.0.2.1");
  one.originator_id = Address::v4(10);
  one.cluster_list = {1};
  PathAttributes two = one;
  two.cluster_list = {2, 1};
  expect_wins({&rr1, &one}, {&rr2, &two}, Reason::cluster_list_length);
}

TEST(Decision, LowerPeerAddressWins) {
  const PeerInfo a = peer(9, PeerKind::ibgp, "10.0.0.1", 7, 64512);
  const PeerInfo b = peer(2, PeerKind::ibgp, "10.0.0.2", 7, 64512);
  PathAttributes p = attrs({65001}, "192.0.2.1");
  expect_wins({&a, &p}, {&b, &p}, Reason::peer_address);
}

TEST(Decision, LowerPathIdBreaksTheLastTie) {
  const PeerInfo a = peer(9, PeerKind::ibgp, "10.0.0.1", 7, 64512);
  PathAttributes p = attrs({65001}, "192.0.2.1");
  expect_wins({&a, &p, 1}, {&a, &p, 2}, Reason::path_id);
}

TEST(Decision, OnlyPathAndEmptyInput) {
  PathAttributes p = attrs({65001}, "192.0.2.1");
  std::vector<Path> one{{&kStrong, &p}};
  Selection s = select(one, {});
  EXPECT_EQ(s.best, 0u);
  EXPECT_EQ(s.reasons[0], Reason::only_path);
  EXPECT_EQ(s.multipath, std::vector<std::size_t>{0});
  EXPECT_TRUE(select(std::span<const Path>{}, {}).multipath.empty());
}

// RFC 3345's MED oscillation set: pairwise comparison is cyclic (p1 > p3 by MED, p3 > p2 and
// p2 > p1 by router id), so a pairwise scan's answer depends on arrival order. The set form of
// 9.1.2.2 (c) must give the same answer for every order.
TEST(Decision, ResultIsIndependentOfInputOrder) {
  const PeerInfo r1 = peer(11, PeerKind::ibgp, "10.0.0.1", 3, 64512);
  const PeerInfo r2 = peer(12, PeerKind::ibgp, "10.0.0.2", 2, 64512);
  const PeerInfo r3 = peer(13, PeerKind::ibgp, "10.0.0.3", 1, 64512);
  PathAttributes a1 = attrs({65001}, "192.0.2.1");
  a1.med = 10;
  PathAttributes a2 = attrs({65002}, "192.0.2.2");
  a2.med = 5;
  PathAttributes a3 = attrs({65001}, "192.0.2.3");
  a3.med = 20;
  // A few more to make permutations meaningful: worse local pref, longer path.
  const PeerInfo r4 = peer(14, PeerKind::ebgp, "10.0.0.4", 0, 65003);
  PathAttributes a4 = attrs({65003}, "192.0.2.4");
  a4.local_pref = 90;
  PathAttributes a5 = attrs({65002, 1}, "192.0.2.5");

  // Pairwise really is cyclic here, which is what makes order-independence non-trivial.
  EXPECT_LT(compare({&r1, &a1}, {&r3, &a3}, {}).order, 0);
  EXPECT_LT(compare({&r3, &a3}, {&r2, &a2}, {}).order, 0);
  EXPECT_LT(compare({&r2, &a2}, {&r1, &a1}, {}).order, 0);

  std::vector<Path> paths{{&r1, &a1}, {&r2, &a2}, {&r3, &a3}, {&r4, &a4}, {&r4, &a5, 7}};
  std::vector<int> order(paths.size());
  std::iota(order.begin(), order.end(), 0);
  int permutations = 0;
  do {
    std::vector<Path> in;
    for (int i : order) in.push_back(paths[i]);
    Selection s = select(in, {});
    ASSERT_EQ(in[s.best].attrs, &a2);
    for (std::size_t i = 0; i < in.size(); ++i) {
      Reason expect = in[i].attrs == &a1   ? Reason::router_id
                      : in[i].attrs == &a2 ? Reason::router_id
                      : in[i].attrs == &a3 ? Reason::med
                      : in[i].attrs == &a4 ? Reason::local_pref
                                           : Reason::as_path_length;
      EXPECT_EQ(s.reasons[i], expect) << "path " << i << ": " << reason_name(s.reasons[i]);
    }
    ++permutations;
  } while (std::next_permutation(order.begin(), order.end()));
  EXPECT_EQ(permutations, 120);
}

TEST(Decision, MultipathGroupsPathsEqualThroughTheIbgpStep) {
  const PeerInfo p1 = peer(1, PeerKind::ebgp, "10.0.0.3", 30, 65001);
  const PeerInfo p2 = peer(2, PeerKind::ebgp, "10.0.0.1", 10, 65001);
  const PeerInfo p3 = peer(3, PeerKind::ebgp, "10.0.0.2", 20, 65002);
  const PeerInfo p4 = peer(4, PeerKind::ibgp, "10.0.0.4", 1, 64512);
  PathAttributes from1 = attrs({65001, 9}, "192.0.2.1");
  PathAttributes from2 = attrs({65002, 9}, "192.0.2.3");
  PathAttributes longer = attrs({65001, 8, 9}, "192.0.2.4");
  std::vector<Path> paths{
      {&p1, &from1}, {&p2, &from1}, {&p3, &from2}, {&p4, &from1}, {&p1, &longer, 5}};

  Selection s = select(paths, {});
  EXPECT_EQ(s.best, 1u);  // lowest router id among the eBGP ones
  EXPECT_EQ(s.multipath, (std::vector<std::size_t>{1, 2, 0}));  // tie-break order
  EXPECT_EQ(s.reasons[3], Reason::ebgp_over_ibgp);
  EXPECT_EQ(s.reasons[4], Reason::as_path_length);
  EXPECT_TRUE(multipath_equal(paths[0], paths[2], {}));
  EXPECT_FALSE(multipath_equal(paths[0], paths[3], {}));
  EXPECT_FALSE(multipath_equal(paths[0], paths[4], {}));

  DecisionOptions same_as;
  same_as.multipath_same_neighbor_as = true;
  EXPECT_EQ(select(paths, same_as).multipath, (std::vector<std::size_t>{1, 0}));
  EXPECT_FALSE(multipath_equal(paths[0], paths[2], same_as));

  DecisionOptions two;
  two.max_paths = 2;
  EXPECT_EQ(select(paths, two).multipath, (std::vector<std::size_t>{1, 2}));
  DecisionOptions off;
  off.max_paths = 1;
  EXPECT_EQ(select(paths, off).multipath, (std::vector<std::size_t>{1}));
}

TEST(Decision, MultipathKeepsPathsWhoseMedIsNotComparable) {
  // Different neighbour ASes: their MEDs are not compared, so both stay ECMP candidates.
  const PeerInfo p1 = peer(1, PeerKind::ebgp, "10.0.0.1", 1, 65001);
  const PeerInfo p2 = peer(2, PeerKind::ebgp, "10.0.0.2", 2, 65002);
  PathAttributes a = attrs({65001}, "192.0.2.1");
  a.med = 100;
  PathAttributes b = attrs({65002}, "192.0.2.2");
  b.med = 1;
  std::vector<Path> paths{{&p1, &a}, {&p2, &b}};
  EXPECT_EQ(select(paths, {}).multipath.size(), 2u);
  DecisionOptions always;
  always.always_compare_med = true;
  Selection s = select(paths, always);
  EXPECT_EQ(s.best, 1u);
  EXPECT_EQ(s.multipath.size(), 1u);
}

}  // namespace
}  // namespace podnet::rib
