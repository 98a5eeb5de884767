// ADD-PATH (RFC 7911) between two PeerManagers over loopback: what each side advertises from
// its PeerConfig, what is negotiated from that, and routes crossing a session that carries
// path ids.
#include <gtest/gtest.h>

#include <algorithm>

#include "bgp/tests/session_harness.hpp"

namespace podnet::bgp {
namespace {

using namespace std::chrono_literals;
using testing::peer_config;
using testing::pfx;
using testing::run_until;
using testing::Speaker;

constexpr uint32_t kAs = 64512;

// iBGP unless `b_as` says otherwise.
struct AddPathPair {
  explicit AddPathPair(uint32_t b_as = kAs) : b_as(b_as), a(io, 1, kAs), b(io, 2, b_as) {}
  void peer(bool a_send, bool b_receive) {
    PeerConfig ca = peer_config(a, b, kAs, b_as);
    PeerConfig cb = peer_config(b, a, b_as, kAs);
    ca.add_path_send = a_send;
    cb.add_path_receive = b_receive;
    a.pm->set_peers({ca});
    b.pm->set_peers({cb});
  }
  bool wait_up() {
    return run_until(
        io,
        [&] {
          return a.state("Peer_127.0.0.2") == "Established" &&
                 b.state("Peer_127.0.0.1") == "Established";
        },
        10s);
  }
  bool negotiated(const Speaker& s, const char* peer) const {
    auto st = s.status(peer);
    return st && std::count(st->capabilities.begin(), st->capabilities.end(), "add-path") == 1;
  }
  uint32_t b_as;
  boost::asio::io_context io;
  Speaker a, b;
};

// The config's default receives only; an eBGP session then negotiates nothing.
TEST(AddPath, DefaultReceivesOnlySoTwoDefaultEbgpSpeakersNegotiateNothing) {
  PeerConfig c;
  EXPECT_TRUE(c.add_path_receive);
  EXPECT_FALSE(c.add_path_send);
  AddPathPair p(65001);
  p.peer(/*a_send=*/false, /*b_receive=*/true);
  ASSERT_TRUE(p.wait_up());
  EXPECT_FALSE(p.negotiated(p.a, "Peer_127.0.0.2"));
  EXPECT_FALSE(p.negotiated(p.b, "Peer_127.0.0.1"));
}

// iBGP sessions send too (Calico's BIRD: `add paths on`): two default speakers negotiate it.
TEST(AddPath, DefaultIbgpSpeakersSendAndReceive) {
  AddPathPair p;
  p.peer(/*a_send=*/false, /*b_receive=*/true);
  ASSERT_TRUE(p.wait_up());
  EXPECT_TRUE(p.negotiated(p.a, "Peer_127.0.0.2"));
  EXPECT_TRUE(p.negotiated(p.b, "Peer_127.0.0.1"));
  p.a.originate("10.22.0.0/26");
  EXPECT_TRUE(run_until(
      p.io, [&] { return !p.b.rib.best(pfx("10.22.0.0/26")).empty(); }, 5s));
}

// A sends, B receives (its default): the session carries path ids from A to B, and a route
// crosses it intact and is withdrawn again.
TEST(AddPath, SenderAndDefaultReceiverNegotiateAndRoutesCross) {
  AddPathPair p;
  p.peer(/*a_send=*/true, /*b_receive=*/true);
  ASSERT_TRUE(p.wait_up());
  EXPECT_TRUE(p.negotiated(p.a, "Peer_127.0.0.2"));
  EXPECT_TRUE(p.negotiated(p.b, "Peer_127.0.0.1"));
  p.a.originate("10.20.0.0/26");
  ASSERT_TRUE(run_until(
      p.io, [&] { return !p.b.rib.best(pfx("10.20.0.0/26")).empty(); }, 5s));
  EXPECT_EQ(p.b.status("Peer_127.0.0.1")->prefixes_received, 1u);
  p.a.rib.withdraw_origination(pfx("10.20.0.0/26"));
  p.a.pm->kick();
  EXPECT_TRUE(run_until(
      p.io, [&] { return p.b.rib.best(pfx("10.20.0.0/26")).empty(); }, 5s));
}

// A sends but B (eBGP) does not receive: nothing is negotiated and routes still cross without
// ids.
TEST(AddPath, SenderAndNonReceiverNegotiateNothing) {
  AddPathPair p(65001);
  p.peer(/*a_send=*/true, /*b_receive=*/false);
  ASSERT_TRUE(p.wait_up());
  EXPECT_FALSE(p.negotiated(p.a, "Peer_127.0.0.2"));
  p.a.originate("10.21.0.0/26");
  EXPECT_TRUE(run_until(
      p.io, [&] { return !p.b.rib.best(pfx("10.21.0.0/26")).empty(); }, 5s));
}

}  // namespace
}  // namespace podnet::bgp
