// The programmer's desired state without a kernel (changes made before start() wait for its
// first reconcile): what a million routes cost, and next-hop sets shared by reference.
#include <gtest/gtest.h>
#include <malloc.h>

#include <cstdio>

#include <boost/asio/io_context.hpp>

#include "dataplane/route_programmer.hpp"

namespace podnet::dataplane {
namespace {

rib::Prefix nth(uint32_t i) {
  return rib::Prefix::v4((20u << 24) + (i << 8), 24);
}
RouteSpec via(const char* gw) {
  return RouteSpec::unicast({NextHop(*rib::Address::parse(gw), 0)});
}

TEST(ProgrammerMemory, AMillionRoutesCostUnder32BytesEach) {
  boost::asio::io_context io;
  RouteProgrammer p(io);
  constexpr uint32_t kN = 1000000;
  // Small blocks and mmapped ones (glibc maps big allocations such as the index directly).
  auto heap = [] {
    struct mallinfo2 m = mallinfo2();
    return m.uordblks + m.hblkhd;
  };
  const std::size_t before = heap();
  for (uint32_t i = 0; i < kN; ++i) p.set_route(nth(i), via("10.0.0.2"));
  const std::size_t after = heap();
  const double per_route = (static_cast<double>(after) - static_cast<double>(before)) / kN;
  std::printf("heap per route %.1f B, table %.1f B\n", per_route,
              static_cast<double>(p.memory_bytes()) / kN);
#if !defined(__SANITIZE_ADDRESS__)
  // (Under ASan malloc is not glibc's, and glibc's counters say nothing.)
  EXPECT_LE(per_route, 32.0);
#endif
  EXPECT_LE(static_cast<double>(p.memory_bytes()) / kN, 28.0);
  EXPECT_EQ(p.spec_count(), 1u);
  auto st = p.stats();
  EXPECT_EQ(st.desired, kN);
  EXPECT_EQ(st.pending, kN);
  ASSERT_TRUE(p.route(nth(kN - 1)).has_value());
  EXPECT_EQ(*p.route(nth(kN - 1))->spec, via("10.0.0.2"));
}

TEST(ProgrammerMemory, NextHopSetsAreSharedAndFreedWithTheirLastRoute) {
  boost::asio::io_context io;
  RouteProgrammer p(io);
  for (uint32_t i = 0; i < 6; ++i) p.set_route(nth(i), via(i % 2 ? "10.0.0.2" : "10.0.0.3"));
  p.set_route(nth(6), RouteSpec::blackhole());
  EXPECT_EQ(p.spec_count(), 3u);
  // Interleaved sets share by value, not only with the previous route.
  EXPECT_EQ(*p.route(nth(0))->spec, via("10.0.0.3"));
  EXPECT_EQ(*p.route(nth(5))->spec, via("10.0.0.2"));
  for (uint32_t i = 0; i < 6; i += 2) p.set_route(nth(i), via("10.0.0.2"));
  EXPECT_EQ(p.spec_count(), 2u);  // 10.0.0.3's last route moved away
  for (uint32_t i = 0; i < 6; ++i) p.remove_route(nth(i));
  EXPECT_EQ(p.spec_count(), 1u);
  p.remove_route(nth(6));
  EXPECT_EQ(p.spec_count(), 0u);
  EXPECT_EQ(p.stats().desired, 0u);
  // A freed handle is reused for a new set, and the right spec comes back.
  p.set_route(nth(7), via("10.0.0.9"));
  EXPECT_EQ(p.spec_count(), 1u);
  EXPECT_EQ(*p.route(nth(7))->spec, via("10.0.0.9"));
}

}  // namespace
}  // namespace podnet::dataplane
