// FRR bgpd <-> BIRD 2 over a veth pair: proves the FrrPeer fixture.
#include <gtest/gtest.h>

#include "interop-tests/peers/bird_peer.hpp"
#include "interop-tests/peers/frr_peer.hpp"
#include "interop-tests/peers/tests/pair_fixture.hpp"

namespace podnet::interop::testing {
namespace {

class FrrBirdTest : public PairTest {
 protected:
  void TearDown() override {
    if (HasFailure()) {
      if (frr)
        std::cerr << "--- frr config\n" << frr->config_text() << "--- frr log\n" << frr->log();
      if (bird) std::cerr << "--- bird log\n" << bird->log();
    }
    frr.reset();
    bird.reset();
  }
  std::unique_ptr<FrrPeer> frr;
  std::unique_ptr<BirdPeer> bird;
};

TEST_F(FrrBirdTest, EbgpEstablishesRoutesBothWaysAndNotificationsAreLogged) {
  frr = std::make_unique<FrrPeer>(topo->ns("a"),
                                  config(65001, kA4, {neighbor(kB4, 65002, 6, true, false)}));
  bird = std::make_unique<BirdPeer>(topo->ns("b"),
                                    config(65002, kB4, {neighbor(kA4, 65001, 6, true, false)}));
  auto s = frr->start();
  ASSERT_TRUE(s) << s.error().message;
  s = bird->start();
  ASSERT_TRUE(s) << s.error().message;
  ASSERT_TRUE(frr->wait_established(kB4));
  ASSERT_TRUE(bird->wait_established(kA4));

  ASSERT_TRUE(frr->announce({"10.3.0.0/24", "", {"65001:3"}, 30, std::nullopt}));
  ASSERT_TRUE(bird->announce({"10.2.0.0/24", "", {}, 7, std::nullopt}));

  ASSERT_TRUE(bird->wait_route("10.3.0.0/24"));
  auto at_bird = bird->best_route("10.3.0.0/24");
  EXPECT_EQ(at_bird->as_path, std::vector<uint32_t>{65001});
  EXPECT_EQ(at_bird->next_hop, kA4);
  EXPECT_EQ(at_bird->med, 30u);
  EXPECT_EQ(at_bird->communities, std::vector<std::string>{"65001:3"});

  ASSERT_TRUE(frr->wait_route("10.2.0.0/24"));
  auto at_frr = frr->best_route("10.2.0.0/24");
  EXPECT_EQ(at_frr->from, kB4);
  EXPECT_EQ(at_frr->as_path, std::vector<uint32_t>{65002});
  EXPECT_EQ(at_frr->next_hop, kB4);
  EXPECT_EQ(at_frr->med, 7u);

  // FRR does not echo BIRD's route back (export_learned = false).
  EXPECT_FALSE(bird->route_from("10.2.0.0/24", kA4));

  ASSERT_TRUE(frr->send_notification(kB4, NotificationAction::admin_shutdown));
  EXPECT_TRUE(bird->wait_notification(/*received=*/true, 6, 2));
  ASSERT_TRUE(frr->enable_neighbor(kB4));
  ASSERT_TRUE(frr->wait_established(kB4));
  ASSERT_TRUE(bird->send_notification(kA4, NotificationAction::admin_reset));
  EXPECT_TRUE(frr->wait_notification(/*received=*/true, 6, 4));
  EXPECT_TRUE(frr->wait_established(kB4));
}

}  // namespace
}  // namespace podnet::interop::testing
