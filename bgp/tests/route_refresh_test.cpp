// Route refresh both ways between two PeerManagers over loopback (RFC 2918 + RFC 7313): a
// changed import filter makes the importing side send ROUTE-REFRESH instead of keeping a copy
// of what it received, the other side re-advertises between BoRR and EoRR, and the import
// result flips without a session reset. Plus the RIB's BoRR/EoRR stale handling on its own.
#include <gtest/gtest.h>

#include "bgp/route_filter.hpp"
#include "bgp/tests/session_harness.hpp"

namespace podnet::bgp {
namespace {

using namespace std::chrono_literals;
using testing::LogCapture;
using testing::peer_config;
using testing::pfx;
using testing::run_until;
using testing::Speaker;

RoutePolicy import_reject(const char* cidr) {
  conf::types::BGPFilter f;
  f.metadata.name = "in";
  conf::types::BGPFilterRule r;
  r.action = "Reject";
  r.cidr = cidr;
  r.match_operator = "Equal";
  f.spec.import_v4 = {r};
  auto c = compile_filter(f);
  EXPECT_TRUE(c.ok()) << (c ? "" : c.error().message);
  RoutePolicy p;
  if (c) p.filters.push_back(std::move(*c));
  return p;
}

struct Pair {
  Pair() : a(io, 1, 64512), b(io, 2, 65001) {}
  void peer(RoutePolicy a_import) {
    ca = peer_config(a, b, 64512, 65001);
    ca.route_policy = std::move(a_import);
    a.pm->set_peers({ca});
    b.pm->set_peers({peer_config(b, a, 65001, 64512)});
  }
  bool up() const { return a.state(b_name) == "Established" && b.state(a_name) == "Established"; }
  bool has(const char* p) { return !a.rib.best(pfx(p)).empty(); }
  boost::asio::io_context io;
  Speaker a, b;
  PeerConfig ca;
  std::string a_name = "Peer_127.0.0.1", b_name = "Peer_127.0.0.2";
};

TEST(RouteRefresh, ChangedImportFilterAsksThePeerAndFlipsRoutesWithoutReset) {
  LogCapture log;
  Pair p;
  p.peer(import_reject("10.2.0.0/24"));
  ASSERT_TRUE(run_until(
      p.io, [&] { return p.up(); }, 10s));
  auto caps = p.a.status(p.b_name)->capabilities;
  EXPECT_NE(std::find(caps.begin(), caps.end(), "enhanced-route-refresh"), caps.end());
  p.b.originate("10.1.0.0/24");
  p.b.originate("10.2.0.0/24");
  ASSERT_TRUE(run_until(
      p.io, [&] { return p.has("10.1.0.0/24") && p.a.status(p.b_name)->prefixes_received == 2; },
      5s));
  EXPECT_FALSE(p.has("10.2.0.0/24"));
  EXPECT_EQ(p.a.status(p.b_name)->prefixes_accepted, 1u);
  const uint64_t b_updates_out = p.b.status(p.a_name)->updates_out;
  const double up_before = p.a.status(p.b_name)->state_seconds;

  // The filter now rejects the other prefix: A asks B, B re-sends both, bracketed.
  PeerConfig changed = p.ca;
  changed.route_policy = import_reject("10.1.0.0/24");
  p.a.pm->set_peers({changed});
  ASSERT_TRUE(run_until(
      p.io, [&] { return p.has("10.2.0.0/24") && !p.has("10.1.0.0/24"); }, 5s));
  EXPECT_TRUE(p.up());
  auto sa = p.a.status(p.b_name);
  auto sb = p.b.status(p.a_name);
  EXPECT_EQ(sa->refreshes_out, 1u);  // IPv4 only: the one family negotiated
  EXPECT_EQ(sb->refreshes_in, 1u);
  EXPECT_GT(sb->updates_out, b_updates_out);  // the routes came again
  EXPECT_EQ(sa->prefixes_received, 2u);
  EXPECT_EQ(sa->prefixes_accepted, 1u);
  EXPECT_TRUE(run_until(
      p.io, [&] { return log.contains("EoRR (ipv4-unicast)"); }, 5s));
  EXPECT_TRUE(log.contains("peer Peer_127.0.0.2: import policy changed: ROUTE-REFRESH sent"));
  EXPECT_TRUE(log.contains("peer Peer_127.0.0.1: ROUTE-REFRESH (ipv4-unicast) received"));
  EXPECT_TRUE(log.contains("BoRR (ipv4-unicast)"));
  EXPECT_TRUE(log.contains("EoRR (ipv4-unicast): 0 routes not re-advertised removed"));
  EXPECT_FALSE(log.contains("resetting"));
  EXPECT_GE(sa->state_seconds, up_before);  // the same session, established all along
  EXPECT_EQ(p.a.rib.stale_count(1), 0u);
}

// BoRR makes the peer's routes of one family stale, a re-advertised one is live again, EoRR
// removes the rest; the other family is untouched.
TEST(RouteRefresh, RibStaleBetweenBorrAndEorr) {
  rib::Rib r(rib::RibOptions{{}, 1, 64512});
  rib::PeerInfo peer;
  peer.id = 7;
  peer.kind = rib::PeerKind::ebgp;
  peer.asn = 65001;
  peer.address = testing::addr("192.0.2.7");
  ASSERT_TRUE(r.add_peer(peer).ok());
  rib::PathAttributes a;
  a.origin = rib::Origin::igp;
  a.as_path = rib::AsPath{};
  a.next_hop = testing::addr("192.0.2.7");
  rib::PathAttributes a6 = a;
  a6.mp_next_hop = testing::addr("2001:db8::7");
  for (const char* p : {"10.1.0.0/24", "10.2.0.0/24"}) ASSERT_TRUE(r.update(7, pfx(p), a).ok());
  ASSERT_TRUE(r.update(7, pfx("2001:db8:1::/48"), a6).ok());
  while (r.process()) {
  }
  EXPECT_EQ(r.route_count(7), 3u);

  ASSERT_TRUE(r.mark_stale(7, rib::Family::v4).ok());
  EXPECT_EQ(r.stale_count(7), 2u);
  EXPECT_EQ(r.route_count(7), 3u);
  while (r.process()) {
  }
  EXPECT_FALSE(r.best(pfx("10.2.0.0/24")).empty());  // stale still forwards
  ASSERT_TRUE(r.update(7, pfx("10.1.0.0/24"), a).ok());
  EXPECT_EQ(r.stale_count(7), 1u);
  ASSERT_TRUE(r.flush_stale(7, rib::Family::v4).ok());
  while (r.process()) {
  }
  EXPECT_EQ(r.stale_count(7), 0u);
  EXPECT_FALSE(r.best(pfx("10.1.0.0/24")).empty());
  EXPECT_TRUE(r.best(pfx("10.2.0.0/24")).empty());
  EXPECT_FALSE(r.best(pfx("2001:db8:1::/48")).empty());
  EXPECT_EQ(r.route_count(7), 2u);
  EXPECT_FALSE(r.mark_stale(99, rib::Family::v4).ok());
}

}  // namespace
}  // namespace podnet::bgp
