#include "rib/path_attributes.hpp"

#include <gtest/gtest.h>

#include <unordered_set>

namespace podnet::rib {
namespace {

PathAttributes sample() {
  PathAttributes a;
  a.origin = Origin::igp;
  a.as_path = AsPath{
      {{AsSegmentType::as_sequence, {65001, 4200000000u}}, {AsSegmentType::as_set, {1, 2, 3}}}};
  a.next_hop = *Address::parse("192.0.2.1");
  a.med = 10;
  a.communities = {kCommunityNoExport};
  a.large_communities = {{64512, 1, 2}};
  a.unknown = {{kAttrFlagOptional | kAttrFlagTransitive, 99, {1, 2, 3}},
               {kAttrFlagOptional, 100, {}}};
  return a;
}

TEST(PathAttributes, EqualityAndHashFollowEveryField) {
  PathAttributes a = sample();
  PathAttributes b = sample();
  EXPECT_EQ(a, b);
  EXPECT_EQ(std::hash<PathAttributes>{}(a), std::hash<PathAttributes>{}(b));

  std::vector<PathAttributes> variants(8, sample());
  variants[0].med.reset();
  variants[1].local_pref = 100;
  variants[2].as_path->segments[1].type = AsSegmentType::as_sequence;
  variants[3].communities.push_back(1);
  variants[4].unknown[0].value[0] = 9;
  variants[5].atomic_aggregate = true;
  variants[6].as_path = AsPath{};  // empty path differs from absent / non-empty
  variants[7].as_path.reset();
  std::unordered_set<PathAttributes> set(variants.begin(), variants.end());
  set.insert(a);
  EXPECT_EQ(set.size(), variants.size() + 1);
  for (const auto& v : variants) EXPECT_NE(v, a);
}

TEST(AsPath, LengthCountsSetAsOneAndConfedAsZero) {
  AsPath p{{{AsSegmentType::confed_sequence, {1, 2}},
            {AsSegmentType::as_sequence, {3, 4, 5}},
            {AsSegmentType::as_set, {6, 7}}}};
  EXPECT_EQ(p.length(), 4u);
  EXPECT_FALSE(p.first_as().has_value());
  EXPECT_TRUE(p.contains(7));
  EXPECT_FALSE(p.contains(8));
  AsPath q{{{AsSegmentType::as_sequence, {65001}}}};
  EXPECT_EQ(q.first_as(), 65001u);
}

TEST(PathAttributes, PropagationDropsNonTransitiveAndMarksPartial) {
  PathAttributes a = sample();
  a.prepare_unknown_for_propagation();
  ASSERT_EQ(a.unknown.size(), 1u);
  EXPECT_EQ(a.unknown[0].type, 99);
  EXPECT_EQ(a.unknown[0].flags, kAttrFlagOptional | kAttrFlagTransitive | kAttrFlagPartial);
}

}  // namespace
}  // namespace podnet::rib
