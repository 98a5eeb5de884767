// RIB throughput: 1M prefixes announced by each of two peers (the second set competing with
// the first on every prefix), then withdrawn one by one, or dropped by a peer going down.
// Work is driven through process() in default-sized slices, as the daemon does, and one
// update group (next hop self) exports every best change.
#include <benchmark/benchmark.h>

#include <malloc.h>

#include <cstdint>
#include <memory>

#include "rib/rib.hpp"

namespace {

using namespace podnet::rib;

constexpr uint32_t kRoutes = 1000000;

Prefix nth(uint32_t i) {
  // 1M distinct /32s spread over 10.0.0.0/8.
  return Prefix::make(Address::v4(0x0A000000u + i * 7u), 32).value();
}

PathAttributes attrs_from(uint32_t peer_as, uint32_t variant) {
  PathAttributes a;
  a.origin = Origin::igp;
  a.as_path = AsPath{{{AsSegmentType::as_sequence, {peer_as, 65100 + variant}}}};
  a.next_hop = Address::v4(0xC0000200u + peer_as % 256);
  return a;
}

struct Fixture {
  Rib rib;
  AttrRef a1[16], a2[16];
  explicit Fixture(bool with_group) {
    (void)rib.add_peer({1, PeerKind::ebgp, Address::v4(0x0A000001), 1, 65001, false});
    (void)rib.add_peer({2, PeerKind::ebgp, Address::v4(0x0A000002), 2, 65002, false});
    (void)rib.add_peer({3, PeerKind::ibgp, Address::v4(0x0A000003), 3, 64512, false});
    for (uint32_t v = 0; v < 16; ++v) {
      a1[v] = rib.intern(attrs_from(65001, v));
      a2[v] = rib.intern(attrs_from(65002, v));
    }
    if (with_group) {
      (void)rib.join_group(3, "ibgp",
                           [](std::string_view, const Prefix&, const ExportCandidate& b) {
                             PathAttributes out = *b.attrs;
                             out.next_hop = Address::v4(0x0A000063);
                             out.local_pref = 100;
                             return std::optional<PathAttributes>(std::move(out));
                           });
    }
  }
  void run() {
    while (rib.process()) {
    }
  }
  void drain_group() {
    for (GroupId g : rib.adj_rib_out().groups_with_updates()) {
      benchmark::DoNotOptimize(rib.adj_rib_out().take_updates(g, 0));
    }
  }
  void load(PeerId p) {
    for (uint32_t i = 0; i < kRoutes; ++i) {
      (void)rib.update(p, nth(i), p == 1 ? a1[i % 16] : a2[i % 16]);
    }
    run();
    drain_group();
  }
};

// Heap in use (glibc's count of allocated bytes, small blocks and the big ones it maps
// directly, such as a million-entry index): what the RIB keeps per route.
double heap_bytes() {
  struct mallinfo2 m = mallinfo2();
  return static_cast<double>(m.uordblks + m.hblkhd);
}

void BM_Insert2x1M(benchmark::State& state) {
  for (auto _ : state) {
    const double h0 = heap_bytes();
    auto f = std::make_unique<Fixture>(state.range(0) != 0);
    f->load(1);
    const double h1 = heap_bytes();
    f->load(2);
    const double h2 = heap_bytes();
    // One peer's full table (the peer -> kernel shape), then a second path for each prefix.
    state.counters["heap_B_per_prefix_1_path"] = (h1 - h0) / kRoutes;
    state.counters["heap_B_per_prefix_2_paths"] = (h2 - h0) / kRoutes;
    benchmark::DoNotOptimize(f->rib.stats());
    state.PauseTiming();
    f.reset();  // tearing down 2M routes is not what this measures
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * 2 * kRoutes);
}
BENCHMARK(BM_Insert2x1M)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->Iterations(1);

void BM_Withdraw1M(benchmark::State& state) {
  for (auto _ : state) {
    state.PauseTiming();
    auto f = std::make_unique<Fixture>(state.range(0) != 0);
    f->load(1);
    f->load(2);
    state.ResumeTiming();
    for (uint32_t i = 0; i < kRoutes; ++i) (void)f->rib.withdraw(1, nth(i));
    f->run();
    f->drain_group();
    state.PauseTiming();
    f.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * kRoutes);
}
BENCHMARK(BM_Withdraw1M)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->Iterations(1);

void BM_PeerDown1M(benchmark::State& state) {
  for (auto _ : state) {
    state.PauseTiming();
    auto f = std::make_unique<Fixture>(state.range(0) != 0);
    f->load(1);
    f->load(2);
    state.ResumeTiming();
    (void)f->rib.peer_down(1);
    f->run();
    f->drain_group();
    state.PauseTiming();
    f.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * kRoutes);
}
BENCHMARK(BM_PeerDown1M)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->Iterations(1);

}  // namespace

BENCHMARK_MAIN();
