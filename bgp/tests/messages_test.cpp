// OPEN / KEEPALIVE / NOTIFICATION / ROUTE-REFRESH and header handling against RFC byte layouts.
#include <gtest/gtest.h>

#include "bgp/codec.hpp"
#include "bgp/tests/test_helpers.hpp"
#include "bgp/tests/wire_builders.hpp"

namespace podnet::bgp {
namespace {

using namespace testwire;
using testing::decode_as;

Bytes cap(uint8_t code, const Bytes& v) {
  return cat({{code, uint8_t(v.size())}, v});
}

// OPEN (RFC 4271 4.2): version, my AS, hold time, BGP identifier, opt param length, params.
Bytes open_bytes(const Bytes& caps, uint16_t my_as = 23456, uint16_t hold = 90) {
  Bytes params = caps.empty() ? Bytes{} : cat({{2, uint8_t(caps.size())}, caps});
  return message(
      1, cat({{4}, be16(my_as), be16(hold), be32(0x0A000001), {uint8_t(params.size())}, params}));
}

const Bytes kAllCaps = cat({
    cap(1, {0, 1, 0, 1}),                              // MP IPv4 unicast (RFC 4760 8)
    cap(1, {0, 2, 0, 1}),                              // MP IPv6 unicast
    cap(2, {}),                                        // route refresh (RFC 2918)
    cap(70, {}),                                       // enhanced route refresh (RFC 7313)
    cap(65, be32(4200000001u)),                        // 4-octet AS (RFC 6793)
    cap(64, {0xC0, 0x78, 0, 1, 1, 0x80, 0, 2, 1, 0}),  // GR: R+N, 120 s, v4 F, v6 (RFC 4724)
    cap(69, {0, 1, 1, 3, 0, 2, 1, 1}),                 // ADD-PATH v4 both, v6 receive (RFC 7911)
    cap(5, {0, 1, 0, 1, 0, 2}),                        // ext next hop v4 via v6 (RFC 8950)
    cap(6, {}),                                        // extended message (RFC 8654)
    cap(73, {3, 'a', 'b', 'c', 0}),                    // FQDN: unknown to us, kept raw
});

TEST(Open, DecodesEveryCapability) {
  auto o = decode_as<OpenMessage>(open_bytes(kAllCaps), testing::ctx4());
  EXPECT_EQ(o.version, 4);
  EXPECT_EQ(o.my_as, 23456);
  EXPECT_EQ(o.hold_time, 90);
  EXPECT_EQ(o.bgp_identifier, 0x0A000001u);
  EXPECT_EQ(o.effective_as(), 4200000001u);
  const auto& c = o.capabilities;
  EXPECT_EQ(c.multiprotocol, (std::vector<AfiSafi>{kIpv4Unicast, kIpv6Unicast}));
  EXPECT_TRUE(c.route_refresh);
  EXPECT_TRUE(c.enhanced_route_refresh);
  EXPECT_TRUE(c.extended_message);
  ASSERT_TRUE(c.graceful_restart);
  EXPECT_TRUE(c.graceful_restart->restart_state);
  EXPECT_TRUE(c.graceful_restart->notification);
  EXPECT_EQ(c.graceful_restart->restart_time, 120);
  ASSERT_EQ(c.graceful_restart->families.size(), 2u);
  EXPECT_TRUE(c.graceful_restart->families[0].forwarding_preserved);
  EXPECT_FALSE(c.graceful_restart->families[1].forwarding_preserved);
  ASSERT_EQ(c.add_path.size(), 2u);
  EXPECT_EQ(c.add_path[0].mode, AddPathMode::both);
  EXPECT_EQ(c.add_path[1].afi_safi, kIpv6Unicast);
  EXPECT_EQ(c.add_path[1].mode, AddPathMode::receive);
  ASSERT_EQ(c.extended_next_hop.size(), 1u);
  EXPECT_EQ(c.extended_next_hop[0].nlri, kIpv4Unicast);
  EXPECT_EQ(c.extended_next_hop[0].next_hop_afi, 2);
  ASSERT_EQ(c.unknown.size(), 1u);
  EXPECT_EQ(c.unknown[0].code, 73);
}

TEST(Open, EncodesToTheRfcLayout) {
  OpenMessage o;
  o.my_as = 65001;
  o.hold_time = 180;
  o.bgp_identifier = 0xC0000201;
  o.capabilities.multiprotocol = {kIpv4Unicast};
  o.capabilities.four_octet_as = 65001;
  o.capabilities.route_refresh = true;
  auto bytes = encode_open(o);
  ASSERT_TRUE(bytes.ok());
  const Bytes caps = cat({cap(1, {0, 1, 0, 1}), cap(2, {}), cap(65, be32(65001))});
  Bytes want = message(1, cat({{4},
                               be16(65001),
                               be16(180),
                               be32(0xC0000201),
                               {uint8_t(caps.size() + 2), 2, uint8_t(caps.size())},
                               caps}));
  EXPECT_EQ(*bytes, want);
  EXPECT_EQ(decode_as<OpenMessage>(*bytes, testing::ctx4()), o);
}

TEST(Open, RoundTripsAllCapabilities) {
  auto o = decode_as<OpenMessage>(open_bytes(kAllCaps), testing::ctx4());
  auto again = encode_open(o);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(decode_as<OpenMessage>(*again, testing::ctx4()), o);
}

TEST(Open, TooManyCapabilitiesIsAnEncodeError) {
  OpenMessage o;
  o.bgp_identifier = 1;
  for (int i = 0; i < 70; ++i) o.capabilities.multiprotocol.push_back({uint16_t(i), 1});
  EXPECT_FALSE(encode_open(o).ok());
}

struct OpenError {
  const char* name;
  Bytes bytes;
  uint8_t code, subcode;
  Bytes data;
};

TEST(Open, ErrorsCarryRfc4271Codes) {
  const std::vector<OpenError> cases = {
      {"version 3", message(1, cat({{3}, be16(1), be16(90), be32(1), {0}})), 2, 1, {0, 4}},
      {"hold time 1", message(1, cat({{4}, be16(1), be16(1), be32(1), {0}})), 2, 6, {}},
      {"identifier 0", message(1, cat({{4}, be16(1), be16(90), be32(0), {0}})), 2, 3, {}},
      {"param type 1", message(1, cat({{4}, be16(1), be16(90), be32(1), {3, 1, 1, 0}})), 2, 4, {}},
      {"opt len too long", message(1, cat({{4}, be16(1), be16(90), be32(1), {9, 2, 0}})), 2, 0, {}},
      {"cap overruns param",
       message(1, cat({{4}, be16(1), be16(90), be32(1), {4, 2, 2, 65, 4}})),
       2,
       0,
       {}},
      {"4-octet AS cap length 2", open_bytes(cap(65, {0, 1})), 2, 0, {65, 2, 0, 1}},
      {"MP cap length 3", open_bytes(cap(1, {0, 1, 1})), 2, 0, {1, 3, 0, 1, 1}},
      {"GR cap length 3", open_bytes(cap(64, {0, 1, 1})), 2, 0, {64, 3, 0, 1, 1}},
      {"route refresh cap with data", open_bytes(cap(2, {1})), 2, 0, {2, 1, 1}},
      {"too short", message(1, cat({{4}, be16(1), be16(90), be32(1)})), 1, 2, be16(28)},
  };
  for (const auto& c : cases) {
    auto r = decode_message(c.bytes, testing::ctx4());
    ASSERT_FALSE(r.ok()) << c.name;
    EXPECT_EQ(r.error().action, ErrorAction::session_reset) << c.name;
    EXPECT_EQ(r.error().code, c.code) << c.name;
    EXPECT_EQ(r.error().subcode, c.subcode) << c.name << ": " << r.error().text;
    EXPECT_EQ(r.error().data, c.data) << c.name;
  }
}

TEST(Keepalive, IsABareHeader) {
  EXPECT_EQ(encode_keepalive(), message(4, {}));
  auto k = decode_message(message(4, {}), testing::ctx4());
  ASSERT_TRUE(k.ok());
  EXPECT_TRUE(std::holds_alternative<KeepaliveMessage>(*k));
  auto bad = decode_message(message(4, {0}), testing::ctx4());
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, 1);
  EXPECT_EQ(bad.error().subcode, 2);
  EXPECT_EQ(bad.error().data, be16(20));
}

TEST(Notification, CodeSubcodeData) {
  NotificationMessage n{6, 2, {'b', 'y', 'e'}};
  auto bytes = encode_notification(n);
  EXPECT_EQ(bytes, message(3, {6, 2, 'b', 'y', 'e'}));
  EXPECT_EQ(decode_as<NotificationMessage>(bytes, testing::ctx4()), n);
  auto short_one = decode_message(message(3, {6}), testing::ctx4());
  ASSERT_FALSE(short_one.ok());
  EXPECT_EQ(short_one.error().subcode, err::kBadMessageLength);
  // Data that would not fit 4096 bytes is truncated rather than producing an invalid message.
  NotificationMessage big{3, 1, std::vector<uint8_t>(5000, 7)};
  EXPECT_EQ(encode_notification(big).size(), 4096u);
}

TEST(RouteRefresh, NormalAndEnhancedSubtypes) {
  RouteRefreshMessage r{kIpv6Unicast, RouteRefreshSubtype::begin};
  auto bytes = encode_route_refresh(r);
  EXPECT_EQ(bytes, message(5, {0, 2, 1, 1}));
  EXPECT_EQ(decode_as<RouteRefreshMessage>(bytes, testing::ctx4()), r);
  EXPECT_EQ(decode_as<RouteRefreshMessage>(message(5, {0, 1, 2, 1}), testing::ctx4()).subtype,
            RouteRefreshSubtype::end);
  // A subtype RFC 7313 does not define decodes as it is; the session ignores it.
  EXPECT_EQ(static_cast<int>(
                decode_as<RouteRefreshMessage>(message(5, {0, 1, 7, 1}), testing::ctx4()).subtype),
            7);
  // Bad length with enhanced route refresh negotiated: ROUTE-REFRESH Message Error / Invalid
  // Message Length, the whole message as data (RFC 7313 5), short or long.
  CodecContext enhanced = testing::ctx4();
  enhanced.route_refresh = enhanced.enhanced_route_refresh = true;
  for (const Bytes& body : {Bytes{0, 1, 0}, Bytes{0, 1, 1, 1, 0}}) {
    auto bad = decode_message(message(5, body), enhanced);
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().code, err::kRouteRefresh);
    EXPECT_EQ(bad.error().subcode, err::kInvalidMessageLength);
    EXPECT_EQ(bad.error().data, message(5, body));
    EXPECT_EQ(bad.error().action, ErrorAction::session_reset);
  }
  // Without it, RFC 2918 names no error code: Message Header Error / Bad Message Length.
  auto plain = decode_message(message(5, {0, 1, 0}), testing::ctx4());
  ASSERT_FALSE(plain.ok());
  EXPECT_EQ(plain.error().code, err::kHeader);
  EXPECT_EQ(plain.error().subcode, err::kBadMessageLength);
}

TEST(RouteRefresh, EnhancedNegotiatedOnlyWithRouteRefreshOnBothSides) {
  OpenMessage l, r;
  l.capabilities.route_refresh = l.capabilities.enhanced_route_refresh = true;
  r.capabilities.route_refresh = true;
  EXPECT_TRUE(negotiate(l, r, false).route_refresh);
  EXPECT_FALSE(negotiate(l, r, false).enhanced_route_refresh);
  r.capabilities.enhanced_route_refresh = true;
  EXPECT_TRUE(negotiate(l, r, false).enhanced_route_refresh);
  r.capabilities.route_refresh = false;  // 70 without 2 is not enough
  EXPECT_FALSE(negotiate(l, r, false).route_refresh);
  EXPECT_FALSE(negotiate(l, r, false).enhanced_route_refresh);
}

TEST(Header, ErrorsAndFraming) {
  Bytes bad_marker = message(4, {});
  bad_marker[3] = 0;
  auto r = decode_message(bad_marker, testing::ctx4());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, 1);
  EXPECT_EQ(r.error().subcode, 1);

  Bytes bad_type = message(7, {});
  r = decode_message(bad_type, testing::ctx4());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().subcode, 3);
  EXPECT_EQ(r.error().data, Bytes{7});

  Bytes too_long = message(2, Bytes(4100, 0));
  r = decode_message(too_long, testing::ctx4());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().subcode, 2);
  CodecContext ext = testing::ctx4();
  ext.extended_message = true;
  auto f = frame_length(too_long, ext);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(**f, too_long.size());

  // Framing a stream: header incomplete -> nullopt; complete header -> the length.
  Bytes stream = cat({message(4, {}), message(4, {})});
  auto partial = frame_length(std::span(stream).first(18), testing::ctx4());
  ASSERT_TRUE(partial.ok());
  EXPECT_FALSE(partial->has_value());
  auto whole = frame_length(stream, testing::ctx4());
  ASSERT_TRUE(whole.ok());
  EXPECT_EQ(**whole, 19u);

  // A span that is not exactly one message.
  r = decode_message(stream, testing::ctx4());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().subcode, err::kBadMessageLength);
}

TEST(Negotiate, IntersectsCapabilities) {
  OpenMessage local, remote;
  local.capabilities.four_octet_as = 65001;
  remote.capabilities.four_octet_as = 4200000000u;
  local.capabilities.add_path = {{kIpv4Unicast, AddPathMode::both},
                                 {kIpv6Unicast, AddPathMode::receive}};
  remote.capabilities.add_path = {{kIpv4Unicast, AddPathMode::send},
                                  {kIpv6Unicast, AddPathMode::both}};
  local.capabilities.extended_next_hop = {{kIpv4Unicast, 2}};
  remote.capabilities.extended_next_hop = {{kIpv4Unicast, 2}};
  local.capabilities.extended_message = true;
  auto ctx = negotiate(local, remote, /*ebgp=*/true);
  EXPECT_TRUE(ctx.four_octet_as);
  EXPECT_TRUE(ctx.ebgp);
  EXPECT_TRUE(ctx.add_path_receive_v4);
  EXPECT_FALSE(ctx.add_path_send_v4);  // peer only sends
  EXPECT_TRUE(ctx.add_path_receive_v6);
  EXPECT_FALSE(ctx.add_path_send_v6);  // we only receive
  EXPECT_TRUE(ctx.extended_next_hop_v4);
  EXPECT_FALSE(ctx.extended_message);  // only one side
  remote.capabilities.four_octet_as.reset();
  EXPECT_FALSE(negotiate(local, remote, false).four_octet_as);
}

}  // namespace
}  // namespace podnet::bgp
