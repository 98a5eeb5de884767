// Translation of RIB paths into kernel routes, and the netlink encoding read back by the
// parser the reconcile uses (a round trip through real message bytes).
#include <gtest/gtest.h>
#include <linux/rtnetlink.h>

#include "dataplane/route_message.hpp"
#include "dataplane/route_spec.hpp"
#include "rib/attr_store.hpp"

namespace podnet::dataplane {
namespace {

rib::Address addr(const char* s) {
  return *rib::Address::parse(s);
}
rib::Prefix pfx(const char* s) {
  return *rib::Prefix::parse(s);
}

class SpecTest : public ::testing::Test {
 protected:
  rib::RoutePath path(rib::PeerId peer, rib::PeerKind kind, rib::PathAttributes a) {
    return rib::RoutePath{peer, kind, 0, store_.intern(a)};
  }
  rib::RoutePath v4(rib::PeerId peer, const char* nh) {
    rib::PathAttributes a;
    a.next_hop = addr(nh);
    return path(peer, rib::PeerKind::ibgp, a);
  }
  rib::AttrStore store_;
};

TEST_F(SpecTest, LocalBestPathIsBlackhole) {
  std::vector<rib::RoutePath> paths{path(0, rib::PeerKind::local, {}), v4(1, "10.0.0.2")};
  auto s = spec_for(pfx("192.168.1.0/26"), paths, {});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->kind, RouteSpec::Kind::blackhole);
}

TEST_F(SpecTest, EcmpNextHopsSortedAndDeduplicated) {
  std::vector<rib::RoutePath> paths{v4(2, "10.0.0.3"), v4(1, "10.0.0.2"), v4(3, "10.0.0.3")};
  auto s = spec_for(pfx("10.1.0.0/24"), paths, {});
  ASSERT_TRUE(s.ok());
  ASSERT_EQ(s->nexthops.size(), 2u);
  EXPECT_EQ(s->nexthops[0].gateway, addr("10.0.0.2"));
  EXPECT_EQ(s->nexthops[1].gateway, addr("10.0.0.3"));
  EXPECT_EQ(s->nexthops[0].ifindex, 0);  // the kernel resolves the interface
}

TEST_F(SpecTest, Ipv6PrefersGlobalNextHopAndResolvesLinkLocal) {
  rib::PathAttributes both;
  both.mp_next_hop = addr("2001:db8::2");
  both.mp_link_local_next_hop = addr("fe80::2");
  auto s = spec_for(pfx("2001:db8:1::/64"), std::vector{path(1, rib::PeerKind::ebgp, both)}, {});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->nexthops.at(0).gateway, addr("2001:db8::2"));

  rib::PathAttributes ll;
  ll.mp_next_hop = addr("fe80::7");
  std::vector paths{path(7, rib::PeerKind::ebgp, ll)};
  auto unresolved = spec_for(pfx("2001:db8:1::/64"), paths, {});
  ASSERT_FALSE(unresolved.ok());
  EXPECT_NE(unresolved.error().message.find("fe80::7"), std::string::npos);
  auto resolved = spec_for(pfx("2001:db8:1::/64"), paths, [](rib::PeerId p) -> std::optional<int> {
    if (p == 7) return 42;
    return std::nullopt;
  });
  ASSERT_TRUE(resolved.ok());
  EXPECT_EQ(resolved->nexthops.at(0).ifindex, 42);
}

TEST_F(SpecTest, Rfc8950Ipv4RouteWithIpv6NextHop) {
  rib::PathAttributes a;
  a.mp_next_hop = addr("2001:db8::9");
  auto s = spec_for(pfx("10.3.0.0/24"), std::vector{path(1, rib::PeerKind::ebgp, a)}, {});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->nexthops.at(0).gateway.family(), rib::Family::v6);
}

TEST_F(SpecTest, NoNextHopIsAnError) {
  auto s = spec_for(pfx("10.3.0.0/24"), std::vector{path(1, rib::PeerKind::ebgp, {})}, {});
  EXPECT_FALSE(s.ok());
}

// Builds a message, parses it back.
ParsedRoute round_trip(const rib::Prefix& p, const RouteSpec& spec, RouteKey key) {
  std::vector<uint8_t> buf;
  append_new_route(buf, 77, true, false, p, spec, key);
  const auto* h = reinterpret_cast<const nlmsghdr*>(buf.data());
  EXPECT_EQ(h->nlmsg_len, buf.size());
  EXPECT_EQ(h->nlmsg_seq, 77u);
  EXPECT_TRUE(h->nlmsg_flags & NLM_F_ACK);
  EXPECT_TRUE(h->nlmsg_flags & NLM_F_EXCL);
  auto r = parse_route(*h);
  EXPECT_TRUE(r.has_value());
  return r.value_or(ParsedRoute{});
}

TEST(RouteMessage, RoundTrips) {
  RouteKey key{1000, 12, 1024};
  auto bh = round_trip(pfx("192.168.1.0/26"), RouteSpec::blackhole(), key);
  EXPECT_EQ(bh.type, RTN_BLACKHOLE);
  EXPECT_EQ(bh.table, 1000u);
  EXPECT_EQ(bh.protocol, 12);
  EXPECT_EQ(bh.route.metric, 1024u);
  EXPECT_EQ(bh.route.prefix, pfx("192.168.1.0/26"));

  auto ecmp = RouteSpec::unicast({{addr("10.0.0.2"), 0}, {addr("10.0.0.3"), 5}});
  auto u = round_trip(pfx("10.1.0.0/24"), ecmp, key);
  EXPECT_EQ(u.type, RTN_UNICAST);
  EXPECT_EQ(u.route.spec, ecmp);
  EXPECT_TRUE(u.route.matches(ecmp));

  auto ll = RouteSpec::unicast({{addr("fe80::2"), 3}});
  auto v6 = round_trip(pfx("2001:db8:1::/64"), ll, key);
  EXPECT_EQ(v6.route.spec, ll);

  auto via6 = RouteSpec::unicast({{addr("2001:db8::9"), 0}});
  EXPECT_EQ(round_trip(pfx("10.3.0.0/24"), via6, key).route.spec, via6);
}

TEST(RouteMessage, MatchIgnoresKernelResolvedInterfaceOnly) {
  KernelRoute k{pfx("10.1.0.0/24"), 1024, RouteSpec::unicast({{addr("10.0.0.2"), 4}})};
  EXPECT_TRUE(k.matches(RouteSpec::unicast({{addr("10.0.0.2"), 0}})));
  EXPECT_TRUE(k.matches(RouteSpec::unicast({{addr("10.0.0.2"), 4}})));
  EXPECT_FALSE(k.matches(RouteSpec::unicast({{addr("10.0.0.2"), 5}})));
  EXPECT_FALSE(k.matches(RouteSpec::unicast({{addr("10.0.0.3"), 0}})));
  EXPECT_FALSE(k.matches(RouteSpec::blackhole()));
}

}  // namespace
}  // namespace podnet::dataplane
