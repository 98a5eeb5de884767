#include "rib/attr_store.hpp"

#include <gtest/gtest.h>

#include <map>
#include <vector>

#include "rib/rib.hpp"
#include "rib/tests/rib_test_support.hpp"

namespace podnet::rib {
namespace {

using testing::attrs;
using testing::nth_prefix;
using testing::peer;

TEST(AttrStore, EqualSetsShareOneCopy) {
  AttrStore store;
  AttrRef a = store.intern(attrs({65001}, "192.0.2.1"));
  AttrRef b = store.intern(attrs({65001}, "192.0.2.1"));
  AttrRef c = store.intern(attrs({65002}, "192.0.2.1"));
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.get(), b.get());
  EXPECT_NE(a, c);
  EXPECT_EQ(store.size(), 2u);
  EXPECT_EQ(a.use_count(), 2u);
  EXPECT_EQ(a->as_path->first_as(), 65001u);
  EXPECT_LT(a, c);  // creation order
}

TEST(AttrStore, LastReferenceFreesTheCopy) {
  AttrStore store;
  AttrRef a = store.intern(attrs({65001}, "192.0.2.1"));
  {
    AttrRef copy = a;
    AttrRef moved = std::move(copy);
    EXPECT_EQ(a.use_count(), 2u);
  }
  EXPECT_EQ(a.use_count(), 1u);
  uint64_t first_id = a.id();
  a = AttrRef();
  EXPECT_EQ(store.size(), 0u);
  // Interning the same value again makes a fresh copy.
  AttrRef again = store.intern(attrs({65001}, "192.0.2.1"));
  EXPECT_NE(again.id(), first_id);
  EXPECT_EQ(store.size(), 1u);
  again = again;  // self-assignment keeps it
  EXPECT_EQ(again.use_count(), 1u);
}

TEST(AttrStore, HandlesMayOutliveTheStore) {
  AttrRef survivor;
  {
    AttrStore store;
    survivor = store.intern(attrs({65001}, "192.0.2.1"));
  }
  EXPECT_EQ(survivor->next_hop->to_string(), "192.0.2.1");
  survivor = AttrRef();  // frees without touching the destroyed store (ASan checks this)
}

TEST(AttrStore, HundredThousandRoutesWithTenAttributeSetsHoldTenCopies) {
  Rib rib;
  ASSERT_TRUE(rib.add_peer(peer(1, PeerKind::ebgp, "10.0.0.1", 1, 65001)).ok());
  for (uint32_t i = 0; i < 100000; ++i) {
    // A fresh value each time, as the codec would decode it.
    PathAttributes a = attrs({65001, i % 10}, "192.0.2.1");
    ASSERT_TRUE(rib.update(1, nth_prefix(i), a).ok());
  }
  while (rib.process()) {
  }
  RibStats st = rib.stats();
  EXPECT_EQ(st.paths, 100000u);
  EXPECT_EQ(st.attribute_sets, 10u);
  ASSERT_TRUE(rib.peer_down(1).ok());
  while (rib.process()) {
  }
  EXPECT_EQ(rib.stats().paths, 0u);
  EXPECT_EQ(rib.stats().attribute_sets, 0u);
}

}  // namespace
}  // namespace podnet::rib
