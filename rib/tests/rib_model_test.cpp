// The Rib against a plain model of what each peer has announced, under random sequences of
// updates, withdrawals, sessions going down (gracefully or not), coming back, stale flushes and
// route-refresh marking, with process() run in small slices in between so teardowns overlap
// the next session. After each full run the Loc-RIB must hold exactly the model's live and
// stale routes, and an observer fed only the best-change notifications must agree with it.
#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <random>
#include <set>
#include <tuple>
#include <vector>

#include "rib/rib.hpp"
#include "rib/tests/rib_test_support.hpp"

namespace podnet::rib {
namespace {

using testing::attrs;
using testing::peer;

// What an observer learns from notifications alone.
struct Mirror : BestRouteObserver {
  std::map<Prefix, std::vector<RoutePath>> best;
  bool consistent = true;
  void on_best_changes(std::span<const BestChange> changes) override {
    for (const auto& c : changes) {
      auto it = best.find(c.prefix);
      const std::vector<RoutePath> none;
      if ((it == best.end() ? none : it->second) != c.before) consistent = false;
      if (c.after.empty()) {
        best.erase(c.prefix);
      } else {
        best[c.prefix] = c.after;
      }
    }
  }
};

struct ModelRoute {
  AttrRef attrs;
  bool stale = false;
};
struct ModelPeer {
  bool up = true;
  std::map<std::pair<Prefix, uint32_t>, ModelRoute> routes;
};

Prefix prefix_of(std::mt19937& rng) {
  if (rng() % 8 == 0) {
    std::array<uint8_t, 16> b{0x20, 0x01, 0x0d, 0xb8};
    b[15] = static_cast<uint8_t>((rng() % 16) << 2);
    return *Prefix::make(Family::v6, b, 126);
  }
  return Prefix::v4(0x0a000000u | ((rng() % 64) << 8), 24);
}

class RibModel : public ::testing::TestWithParam<unsigned> {};

TEST_P(RibModel, AgreesWithThePeersAnnouncements) {
  std::mt19937 rng(GetParam());
  Rib rib{RibOptions{{}, 0x0A000063, 64512}};
  Mirror mirror;
  rib.add_observer(&mirror);
  std::vector<AttrRef> sets;
  for (uint32_t i = 0; i < 4; ++i) {
    sets.push_back(rib.intern(attrs({65000 + i}, "10.0.0." + std::to_string(i + 1))));
  }
  std::map<PeerId, ModelPeer> model;
  for (PeerId id = 1; id <= 4; ++id) {
    ASSERT_TRUE(rib.add_peer(peer(id, id % 2 ? PeerKind::ebgp : PeerKind::ibgp,
                                  "10.0.0." + std::to_string(id), id, 65000 + id))
                    .ok());
    model[id];
  }
  auto check = [&](int step) {
    while (rib.process()) {
    }
    ASSERT_TRUE(mirror.consistent) << "step " << step << ": a notification's before was wrong";
    std::map<Prefix, std::set<std::tuple<PeerId, uint32_t, uint64_t>>> want;
    std::size_t paths = 0;
    for (const auto& [id, mp] : model) {
      std::size_t stale = 0;
      for (const auto& [k, r] : mp.routes) {
        want[k.first].insert({id, k.second, r.attrs.id()});
        stale += r.stale;
      }
      paths += mp.routes.size();
      ASSERT_EQ(rib.route_count(id), mp.routes.size()) << "step " << step << " peer " << id;
      ASSERT_EQ(rib.stale_count(id), stale) << "step " << step << " peer " << id;
    }
    auto st = rib.stats();
    ASSERT_EQ(st.paths, paths) << "step " << step;
    ASSERT_EQ(st.prefixes, want.size()) << "step " << step;
    ASSERT_EQ(st.draining, 0u);
    ASSERT_EQ(st.staged, 0u);
    for (const auto& [p, set] : want) {
      std::set<std::tuple<PeerId, uint32_t, uint64_t>> got;
      for (const auto& v : rib.routes(p))
        got.insert({v.path.peer, v.path.path_id, v.path.attrs.id()});
      ASSERT_EQ(got, set) << "step " << step << " " << p.to_string();
      ASSERT_EQ(mirror.best[p], rib.best(p)) << "step " << step << " " << p.to_string();
    }
    ASSERT_EQ(mirror.best.size(), want.size()) << "step " << step;
  };

  std::size_t most_paths = 0, checks = 0;
  for (int step = 0; step < 4000; ++step) {
    PeerId id = 1 + rng() % 4;
    ModelPeer& mp = model[id];
    unsigned op = rng() % 100;
    if (op < 60) {
      Prefix p = prefix_of(rng);
      uint32_t path_id = rng() % 2;
      AttrRef a = sets[rng() % sets.size()];
      ASSERT_EQ(rib.update(id, p, a, path_id).ok(), mp.up);
      if (mp.up) mp.routes[{p, path_id}] = {a, false};
    } else if (op < 78) {
      Prefix p = prefix_of(rng);
      uint32_t path_id = rng() % 2;
      ASSERT_EQ(rib.withdraw(id, p, path_id).ok(), mp.up);
      if (mp.up) mp.routes.erase({p, path_id});
    } else if (op < 80) {
      ASSERT_TRUE(rib.peer_down(id).ok());
      mp.up = false;
      mp.routes.clear();
    } else if (op < 82) {
      ASSERT_TRUE(rib.peer_down_retain(id).ok());
      mp.up = false;
      for (auto& [k, r] : mp.routes) r.stale = true;
    } else if (op < 90) {
      bool was_up = mp.up;
      ASSERT_EQ(rib.add_peer(peer(id, id % 2 ? PeerKind::ebgp : PeerKind::ibgp,
                                  "10.0.0." + std::to_string(id), id, 65000 + id))
                    .ok(),
                !was_up);
      mp.up = true;
    } else if (op < 95) {
      std::optional<Family> f;
      if (rng() % 2) f = rng() % 2 ? Family::v4 : Family::v6;
      ASSERT_TRUE(rib.flush_stale(id, f).ok());
      std::erase_if(mp.routes, [&](const auto& kv) {
        return kv.second.stale && (!f || kv.first.first.family() == *f);
      });
    } else {
      Family f = rng() % 2 ? Family::v4 : Family::v6;
      ASSERT_EQ(rib.mark_stale(id, f).ok(), mp.up);
      if (mp.up) {
        for (auto& [k, r] : mp.routes) {
          if (k.first.family() == f) r.stale = true;
        }
      }
    }
    // A little work between operations, so teardowns and new sessions overlap.
    rib.process(1 + rng() % 8);
    most_paths = std::max(most_paths, rib.stats().paths);
    if (step % 97 == 0) {
      check(step);
      ++checks;
    }
    if (::testing::Test::HasFatalFailure()) return;
  }
  check(-1);
  // The sequence did exercise a populated table (not a run of refused operations).
  EXPECT_GT(most_paths, 60u);
  EXPECT_GT(checks, 40u);
}

INSTANTIATE_TEST_SUITE_P(Seeds, RibModel, ::testing::Values(1u, 2u, 3u, 4u, 5u));

}  // namespace
}  // namespace podnet::rib
