// PrefixTable against std::map under random inserts and erases, both families, with slot
// numbers that must stay put and cursors that must survive changes.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

#include "rib/prefix_table.hpp"

namespace podnet::rib {
namespace {

Prefix random_prefix(std::mt19937& rng, bool v6) {
  if (!v6) return Prefix::v4(static_cast<uint32_t>(rng() % 5000) << 8, 24);
  std::array<uint8_t, 16> b{0x20, 0x01, 0x0d, 0xb8};
  b[14] = static_cast<uint8_t>(rng() % 40);
  return *Prefix::make(Family::v6, b, 122);
}

TEST(PrefixTable, AgreesWithAMapUnderRandomChanges) {
  std::mt19937 rng(7);
  PrefixTable<int> t;
  std::map<Prefix, std::pair<PrefixTable<int>::Slot, int>> ref;
  for (int step = 0; step < 200000; ++step) {
    Prefix p = random_prefix(rng, rng() % 10 == 0);
    if (rng() % 3 != 0) {
      auto [s, fresh] = t.insert(p);
      auto it = ref.find(p);
      ASSERT_EQ(fresh, it == ref.end()) << p.to_string();
      if (fresh) {
        EXPECT_EQ(t.value(s), 0);  // a reused slot starts from V{}
        t.value(s) = step;
        ref[p] = {s, step};
      } else {
        ASSERT_EQ(s, it->second.first) << "an entry's slot never moves";
      }
    } else {
      auto it = ref.find(p);
      auto s = t.find(p);
      ASSERT_EQ(s == t.npos, it == ref.end());
      if (it != ref.end()) {
        t.erase(s);
        ref.erase(it);
        ASSERT_EQ(t.find(p), t.npos);
      }
    }
  }
  ASSERT_EQ(t.size(), ref.size());
  for (const auto& [p, sv] : ref) {
    auto s = t.find(p);
    ASSERT_EQ(s, sv.first);
    EXPECT_EQ(t.value(s), sv.second);
    EXPECT_EQ(t.prefix(s), p);
  }
  std::size_t seen = 0;
  for (auto s = t.begin(); s != t.npos; s = t.next(s + 1)) {
    ASSERT_TRUE(t.occupied(s));
    ASSERT_TRUE(ref.contains(t.prefix(s)));
    ++seen;
  }
  EXPECT_EQ(seen, ref.size());
}

TEST(PrefixTable, PacksIpv4AndKeepsHostBitsClear) {
  PrefixTable<int> t;
  auto a = *Prefix::parse("10.1.2.0/24");
  auto b = *Prefix::parse("10.1.2.0/25");
  auto zero = *Prefix::parse("0.0.0.0/0");
  auto s1 = t.insert(a).first;
  auto s2 = t.insert(b).first;
  auto s3 = t.insert(zero).first;
  EXPECT_NE(s1, s2);
  EXPECT_EQ(t.prefix(s1), a);
  EXPECT_EQ(t.prefix(s2), b);
  EXPECT_EQ(t.prefix(s3), zero);
  EXPECT_EQ(t.find(*Prefix::parse("10.1.2.0/23")), t.npos);
  EXPECT_EQ(Prefix::v4(0x0a0102ff, 24), a);
}

TEST(PrefixTable, CursorSurvivesEraseAndInsertAhead) {
  PrefixTable<int> t;
  for (uint32_t i = 0; i < 10000; ++i) t.insert(Prefix::v4((20u << 24) | (i << 8), 24));
  std::set<Prefix> visited;
  std::size_t n = 0;
  for (auto s = t.begin(); s != t.npos; s = t.next(s + 1), ++n) {
    visited.insert(t.prefix(s));
    if (n % 3 == 0) {
      // Erase something ahead of the cursor (never visited) and the entry under it.
      auto ahead = t.next(s + 1);
      if (ahead != t.npos) t.erase(ahead);
      t.erase(s);
    }
  }
  EXPECT_EQ(visited.size(), n);
  EXPECT_LT(t.size(), 10000u);
  std::size_t left = 0;
  for (auto s = t.begin(); s != t.npos; s = t.next(s + 1)) {
    EXPECT_TRUE(visited.contains(t.prefix(s)));
    ++left;
  }
  EXPECT_EQ(left, t.size());
}

TEST(PrefixTable, ABigTableCostsItsSlotsAndAnIndex) {
  struct Sixteen {
    uint64_t a = 0, b = 0;
  };
  PrefixTable<Sixteen> t;
  constexpr uint32_t kN = 1u << 20;
  for (uint32_t i = 0; i < kN; ++i) t.insert(Prefix::v4(i << 8, 24));
  // 8-byte key + 16-byte value per slot, and a 4-byte index entry at most 80% full (the
  // index doubles, so it is 40..80% full): under 24 + 4 / 0.4 = 34 bytes a route.
  EXPECT_LE(t.memory_bytes(), std::size_t{kN} * 34);
  EXPECT_GE(t.memory_bytes(), std::size_t{kN} * 24);
}

}  // namespace
}  // namespace podnet::rib
