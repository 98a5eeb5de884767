// Route refresh both ways between two PeerManagers over loopback (RFC 2918 + RFC 7313): a
// changed import filter makes the importing side send ROUTE-REFRESH instead of keeping a copy
// of what it received, the other side re-advertises between BoRR and EoRR, and the import
// result flips without a session reset. Plus the RIB's BoRR/EoRR stale handling on its own.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <thread>

#include "bgp/codec.hpp"
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
  EXPECT_TRUE(log.contains("peer Peer_127.0.0.1: ROUTE-REFRESH received (ipv4-unicast)"));
  EXPECT_TRUE(log.contains("BoRR (ipv4-unicast)"));
  EXPECT_TRUE(log.contains("EoRR (ipv4-unicast): 0 routes not re-advertised removed"));
  EXPECT_FALSE(log.contains("resetting"));
  EXPECT_GE(sa->state_seconds, up_before);  // the same session, established all along
  EXPECT_EQ(p.a.rib.stale_count(1), 0u);
}

// An iBGP speaker on 127.0.0.2 on a thread with blocking sockets: it accepts one connection,
// sends OPEN (route refresh and enhanced route refresh capabilities only when `refresh`) and
// KEEPALIVE, announces its prefixes, writes the `then` messages, then reads (counting
// ROUTE-REFRESH messages, keeping the NOTIFICATION) until the connection closes.
struct PlainPeer {
  explicit PlainPeer(std::vector<const char*> prefixes, bool refresh = false,
                     std::vector<std::vector<uint8_t>> then = {})
      : refresh(refresh),
        then(std::move(then)),
        acceptor(io, {boost::asio::ip::make_address("127.0.0.2"), 0}) {
    port = acceptor.local_endpoint().port();
    thread = std::thread([this, prefixes] { run(prefixes); });
  }
  ~PlainPeer() {
    // shutdown(2) wakes the thread's blocking accept / read on Linux.
    ::shutdown(acceptor.native_handle(), SHUT_RDWR);
    ::shutdown(sock.native_handle(), SHUT_RDWR);
    if (thread.joinable()) thread.join();
  }
  bool read_message(boost::asio::ip::tcp::socket& s, std::vector<uint8_t>& m) {
    boost::system::error_code ec;
    m.assign(kHeaderSize, 0);
    boost::asio::read(s, boost::asio::buffer(m), ec);
    if (ec) return false;
    m.resize((m[16] << 8) | m[17]);
    if (m.size() < kHeaderSize) return false;
    boost::asio::read(s, boost::asio::buffer(m.data() + kHeaderSize, m.size() - kHeaderSize), ec);
    return !ec;
  }
  void run(std::vector<const char*> prefixes) {
    boost::system::error_code ec;
    auto& s = sock;
    acceptor.accept(s, ec);
    if (ec) return;
    OpenMessage open;
    open.my_as = 64512;
    open.hold_time = 30;
    open.bgp_identifier = testing::addr("127.0.0.2").v4_value();
    open.capabilities.multiprotocol = {kIpv4Unicast};
    open.capabilities.four_octet_as = 64512;
    open.capabilities.route_refresh = open.capabilities.enhanced_route_refresh = refresh;
    CodecContext ctx;
    ctx.ebgp = false;
    std::vector<std::vector<uint8_t>> out{*encode_open(open), encode_keepalive()};
    rib::PathAttributes a;
    a.origin = rib::Origin::igp;
    a.as_path = rib::AsPath{};
    a.next_hop = testing::addr("127.0.0.2");
    a.local_pref = 100;
    std::vector<Nlri> nlri;
    for (const char* p : prefixes) nlri.push_back({pfx(p), 0});
    auto updates = build_announcements(a, nlri, ctx);
    if (!updates) return;
    for (auto& m : *updates) out.push_back(std::move(m));
    out.insert(out.end(), then.begin(), then.end());
    for (const auto& m : out) boost::asio::write(s, boost::asio::buffer(m), ec);
    std::vector<uint8_t> m;
    while (read_message(s, m)) {
      if (m[18] == static_cast<uint8_t>(MessageType::route_refresh)) ++refreshes;
      if (m[18] == static_cast<uint8_t>(MessageType::notification) && m.size() >= 21)
        notification = m[19] * 256 + m[20];
      if (m[18] == static_cast<uint8_t>(MessageType::keepalive))
        boost::asio::write(s, boost::asio::buffer(encode_keepalive()), ec);
    }
  }
  bool refresh;
  std::vector<std::vector<uint8_t>> then;
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor acceptor;
  boost::asio::ip::tcp::socket sock{io};
  uint16_t port = 0;
  std::atomic<int> refreshes{0};
  std::atomic<int> notification{0};  // code * 256 + subcode of the NOTIFICATION received
  std::thread thread;
};

// Without route refresh on the peer's side, podnetd keeps what it received (soft
// reconfiguration inbound) and re-evaluates that copy: the peer is asked for nothing.
TEST(RouteRefresh, PeerWithoutRouteRefreshIsReimportedFromTheKeptCopy) {
  LogCapture log;
  boost::asio::io_context io;
  Speaker a(io, 1, 64512);
  PlainPeer b({"10.1.0.0/24", "10.2.0.0/24"});
  PeerConfig c;
  c.name = "Plain";
  c.address = testing::addr("127.0.0.2");
  c.port = b.port;
  c.peer_as = c.local_as = 64512;
  c.source_address = a.address;
  c.hold_time = 30;
  c.route_policy = import_reject("10.2.0.0/24");
  a.pm->set_peers({c});
  auto has = [&](const char* p) { return !a.rib.best(pfx(p)).empty(); };
  ASSERT_TRUE(run_until(
      io, [&] { return has("10.1.0.0/24") && a.status("Plain")->prefixes_received == 2; }, 10s))
      << log.text();
  auto caps = a.status("Plain")->capabilities;
  EXPECT_EQ(std::find(caps.begin(), caps.end(), "route-refresh"), caps.end());
  EXPECT_FALSE(has("10.2.0.0/24"));

  c.route_policy = import_reject("10.1.0.0/24");
  a.pm->set_peers({c});
  ASSERT_TRUE(run_until(
      io, [&] { return has("10.2.0.0/24") && !has("10.1.0.0/24"); }, 5s));
  EXPECT_TRUE(log.contains("peer Plain: import policy changed: 1 of 2 received routes accepted"));
  EXPECT_EQ(a.status("Plain")->refreshes_out, 0u);
  EXPECT_EQ(a.status("Plain")->state, "Established");
  a.pm->stop();  // closes the connection: the peer's thread ends
  io.restart();
  io.poll();
  EXPECT_EQ(b.refreshes.load(), 0);
}

PeerConfig plain_config(const Speaker& a, const PlainPeer& b) {
  PeerConfig c;
  c.name = "Plain";
  c.address = testing::addr("127.0.0.2");
  c.port = b.port;
  c.peer_as = c.local_as = 64512;
  c.source_address = a.address;
  c.hold_time = 30;
  return c;
}

std::vector<uint8_t> announce_only(const char* prefix) {
  rib::PathAttributes a;
  a.origin = rib::Origin::igp;
  a.as_path = rib::AsPath{};
  a.next_hop = testing::addr("127.0.0.2");
  a.local_pref = 100;
  CodecContext ctx;
  ctx.ebgp = false;
  const std::vector<Nlri> nlri{{pfx(prefix), 0}};
  return build_announcements(a, nlri, ctx)->front();
}

// RFC 7313 on the wire from a peer: an unknown subtype is ignored; between BoRR and EoRR the
// peer re-advertises one of its two routes, and EoRR removes the other.
TEST(RouteRefresh, EorrRemovesWhatThePeerDidNotReadvertiseUnknownSubtypeIgnored) {
  LogCapture log;
  boost::asio::io_context io;
  Speaker a(io, 1, 64512);
  PlainPeer b({"10.1.0.0/24", "10.2.0.0/24"}, true,
              {encode_route_refresh({kIpv4Unicast, static_cast<RouteRefreshSubtype>(7)}),
               encode_route_refresh({kIpv4Unicast, RouteRefreshSubtype::begin}),
               announce_only("10.1.0.0/24"),
               encode_route_refresh({kIpv4Unicast, RouteRefreshSubtype::end})});
  a.pm->set_peers({plain_config(a, b)});
  ASSERT_TRUE(run_until(
      io, [&] { return log.contains("EoRR (ipv4-unicast)"); }, 10s))
      << log.text();
  // Everything may have arrived in one read: let the RIB decide before looking.
  ASSERT_TRUE(run_until(
      io, [&] { return !a.rib.best(pfx("10.1.0.0/24")).empty() && !a.rib.has_work(); }, 5s));
  EXPECT_TRUE(a.rib.best(pfx("10.2.0.0/24")).empty());
  EXPECT_TRUE(log.contains("BoRR (ipv4-unicast): 2 routes stale until re-advertised"));
  EXPECT_TRUE(log.contains("EoRR (ipv4-unicast): 1 routes not re-advertised removed"));
  EXPECT_TRUE(log.contains("ROUTE-REFRESH with unknown subtype 7 ignored"));
  EXPECT_EQ(a.status("Plain")->state, "Established");
  EXPECT_EQ(a.status("Plain")->prefixes_received, 1u);
  EXPECT_EQ(a.rib.stale_count(1), 0u);
  a.pm->stop();
}

// RFC 7313 5: with enhanced route refresh negotiated, a ROUTE-REFRESH of bad length is answered
// with NOTIFICATION ROUTE-REFRESH Message Error / Invalid Message Length (7/1).
TEST(RouteRefresh, BadLengthIsRouteRefreshMessageErrorWithEnhancedRefresh) {
  LogCapture log;
  boost::asio::io_context io;
  Speaker a(io, 1, 64512);
  std::vector<uint8_t> bad = encode_route_refresh({kIpv4Unicast, RouteRefreshSubtype::begin});
  bad.pop_back();
  bad[17] = static_cast<uint8_t>(bad.size());
  PlainPeer b({"10.1.0.0/24"}, true, {bad});
  a.pm->set_peers({plain_config(a, b)});
  EXPECT_TRUE(run_until(
      io, [&] { return b.notification.load() == 7 * 256 + 1; }, 10s))
      << log.text();
  a.pm->stop();
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
