// A peer's route-reflector-client flag changed while its session runs (Rib::
// set_route_reflector_client): the update groups re-evaluate the peer's prefixes and queue only
// the difference; the Loc-RIB's observers (the kernel) see nothing.
#include <gtest/gtest.h>

#include "rib/rib.hpp"
#include "rib/tests/rib_test_support.hpp"

namespace podnet::rib {
namespace {

using testing::attrs;
using testing::peer;
using testing::pfx;

const Prefix kFromOne = pfx("10.67.1.0/24");
const Prefix kFromTwo = pfx("10.67.2.0/24");

// RFC 4456's rule for a non-client member: only a client's routes are reflected to it.
std::optional<PathAttributes> reflect_clients(std::string_view, const Prefix&,
                                              const ExportCandidate& c) {
  if (!c.source.route_reflector_client) return std::nullopt;
  return *c.attrs;
}

struct CountingObserver : BestRouteObserver {
  void on_best_changes(std::span<const BestChange> changes) override { seen += changes.size(); }
  std::size_t seen = 0;
};

class RrClientChange : public ::testing::Test {
 protected:
  void SetUp() override {
    // Peers 1 and 2 are iBGP non-clients, 3 is the member the group exports to.
    for (PeerId id : {1u, 2u, 3u})
      ASSERT_TRUE(
          rib.add_peer(peer(id, PeerKind::ibgp, "10.0.0." + std::to_string(id), id, 64512)).ok());
    ASSERT_TRUE(rib.update(1, kFromOne, attrs({}, "10.0.0.1")).ok());
    ASSERT_TRUE(rib.update(2, kFromTwo, attrs({}, "10.0.0.2")).ok());
    ASSERT_TRUE(rib.join_group(3, "reflect-clients", reflect_clients).ok());
    run();
    group = *rib.adj_rib_out().group_of(3);
    rib.add_observer(&observer);
  }
  void run() {
    while (rib.process()) {
    }
  }
  UpdateBatch take() { return rib.adj_rib_out().take_updates(group, 0); }

  Rib rib;
  GroupId group = 0;
  CountingObserver observer;
};

TEST_F(RrClientChange, BecomingAClientReflectsItsRoutesAndOnlyThose) {
  EXPECT_TRUE(rib.adj_rib_out().advertised(group)->empty());
  ASSERT_TRUE(rib.set_route_reflector_client(1, true).ok());
  EXPECT_TRUE(rib.peer(1)->route_reflector_client);
  run();
  const UpdateBatch b = take();
  ASSERT_EQ(b.announce.size(), 1u);
  EXPECT_EQ(b.announce.begin()->second, std::vector<Prefix>{kFromOne});
  EXPECT_TRUE(b.withdraw.empty());
  EXPECT_EQ(rib.adj_rib_out().advertised(group)->count(kFromTwo), 0u);
  EXPECT_EQ(observer.seen, 0u);  // the best paths did not change
  // Setting it again changes nothing.
  ASSERT_TRUE(rib.set_route_reflector_client(1, true).ok());
  run();
  EXPECT_TRUE(take().empty());
}

TEST_F(RrClientChange, NoLongerAClientWithdrawsWhatWasReflected) {
  ASSERT_TRUE(rib.set_route_reflector_client(2, true).ok());
  run();
  ASSERT_EQ(take().prefix_count(), 1u);
  ASSERT_TRUE(rib.set_route_reflector_client(2, false).ok());
  run();
  const UpdateBatch b = take();
  EXPECT_TRUE(b.announce.empty());
  EXPECT_EQ(b.withdraw, std::vector<Prefix>{kFromTwo});
  EXPECT_EQ(observer.seen, 0u);
}

TEST_F(RrClientChange, UnknownPeerIsAnError) {
  EXPECT_FALSE(rib.set_route_reflector_client(9, true).ok());
  EXPECT_FALSE(rib.set_route_reflector_client(kLocalPeer, true).ok());
}

}  // namespace
}  // namespace podnet::rib
