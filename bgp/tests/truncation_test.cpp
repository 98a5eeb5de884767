// Every prefix of every valid message: the decoder must return an error (or, when the header
// length is patched to match, a value that round-trips), never crash or read out of bounds
// (the unit tests run under ASan+UBSan).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "bgp/codec.hpp"
#include "bgp/tests/test_helpers.hpp"

namespace podnet::bgp {
namespace {

using testing::nlri;

struct Sample {
  std::vector<uint8_t> bytes;
  CodecContext ctx;
};

std::vector<Sample> valid_samples() {
  std::vector<Sample> out;
  CodecContext ibgp = testing::ctx4(false);
  OpenMessage o;
  o.my_as = kAsTrans;
  o.hold_time = 90;
  o.bgp_identifier = 0x0A000001;
  o.capabilities.multiprotocol = {kIpv4Unicast, kIpv6Unicast};
  o.capabilities.four_octet_as = 4200000000u;
  o.capabilities.route_refresh = o.capabilities.enhanced_route_refresh = true;
  o.capabilities.graceful_restart = GracefulRestart{true, false, 120, {{kIpv4Unicast, true}}};
  o.capabilities.add_path = {{kIpv4Unicast, AddPathMode::both}};
  o.capabilities.extended_next_hop = {{kIpv4Unicast, 2}};
  out.push_back({encode_open(o).value(), ibgp});
  out.push_back({encode_keepalive(), ibgp});
  out.push_back({encode_notification({6, 4, {1, 2, 3}}), ibgp});
  out.push_back({encode_route_refresh({kIpv4Unicast, RouteRefreshSubtype::normal}), ibgp});

  rib::PathAttributes a;
  a.origin = rib::Origin::igp;
  a.as_path = rib::AsPath{{{rib::AsSegmentType::as_sequence, {65001, 4200000000u}},
                           {rib::AsSegmentType::as_set, {1, 2}}}};
  a.next_hop = rib::Address::parse("10.0.0.1").value();
  a.mp_next_hop = rib::Address::parse("2001:db8::1").value();
  a.mp_link_local_next_hop = rib::Address::parse("fe80::1").value();
  a.med = 5;
  a.local_pref = 100;
  a.atomic_aggregate = true;
  a.aggregator = rib::Aggregator{4200000001u, rib::Address::parse("10.0.0.2").value()};
  a.communities = {1, 2};
  a.extended_communities = {3};
  a.large_communities = {{4, 5, 6}};
  a.originator_id = rib::Address::parse("10.0.0.3").value();
  a.cluster_list = {7};
  a.unknown = {{0xC0, 99, {1, 2, 3}}};
  std::vector<Nlri> prefixes = {nlri("10.0.0.0/26"), nlri("10.0.0.64/32"), nlri("0.0.0.0/0"),
                                nlri("2001:db8::/122"), nlri("2001:db8::5/128")};
  auto four = build_announcements(a, prefixes, ibgp);
  for (auto& m : four.value()) out.push_back({m, ibgp});
  CodecContext two = ibgp;
  two.four_octet_as = false;
  two.add_path_receive_v4 = two.add_path_send_v4 = true;
  auto twos = build_announcements(a, prefixes, two);
  for (auto& m : twos.value()) out.push_back({m, two});
  for (auto& m : build_withdrawals(prefixes, ibgp)) out.push_back({m, ibgp});
  return out;
}

TEST(Truncation, EveryPrefixOfEveryValidMessageIsAnError) {
  std::size_t checked = 0;
  for (const auto& s : valid_samples()) {
    ASSERT_TRUE(decode_message(s.bytes, s.ctx).ok());
    for (std::size_t n = 0; n < s.bytes.size(); ++n) {
      // Copy into an exact-size buffer so ASan catches any read past `n`.
      std::vector<uint8_t> cut(s.bytes.begin(), s.bytes.begin() + static_cast<long>(n));
      auto r = decode_message(cut, s.ctx);
      EXPECT_FALSE(r.ok()) << "prefix of length " << n;
      if (!r.ok()) {
        EXPECT_EQ(r.error().action, ErrorAction::session_reset);
      }
      ++checked;
    }
  }
  EXPECT_GT(checked, 500u);
}

TEST(Truncation, PrefixesWithConsistentHeaderNeverCrashAndRoundTripIfAccepted) {
  std::size_t accepted = 0, rejected = 0;
  for (const auto& s : valid_samples()) {
    for (std::size_t n = 19; n < s.bytes.size(); ++n) {
      std::vector<uint8_t> cut(s.bytes.begin(), s.bytes.begin() + static_cast<long>(n));
      cut[16] = static_cast<uint8_t>(n >> 8);
      cut[17] = static_cast<uint8_t>(n);
      auto r = decode_message(cut, s.ctx);
      (r.ok() ? accepted : rejected)++;
      EXPECT_TRUE(testing::round_trips(cut, s.ctx)) << "length " << n;
    }
  }
  EXPECT_GT(rejected, 0u);
  EXPECT_GT(accepted, 0u);  // e.g. an UPDATE cut at an NLRI boundary is a valid smaller one
}

// The committed fuzz seed corpus must keep satisfying the oracle (a regression test for
// anything the fuzzer ever found and was added there).
TEST(FuzzCorpus, SeedsSatisfyTheOracle) {
  const char* src = std::getenv("PODNET_SOURCE_DIR");
  ASSERT_NE(src, nullptr);
  std::size_t n = 0, ok = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(std::filesystem::path(src) /
                                                                     "bgp" / "fuzz" / "corpus")) {
    if (!e.is_regular_file()) continue;
    std::ifstream f(e.path(), std::ios::binary);
    std::vector<uint8_t> data((std::istreambuf_iterator<char>(f)), {});
    if (data.empty()) continue;
    const uint8_t flags = data[0];
    CodecContext ctx;
    ctx.four_octet_as = (flags & 0x01) == 0;
    ctx.ebgp = (flags & 0x02) != 0;
    ctx.add_path_receive_v4 = ctx.add_path_send_v4 = (flags & 0x04) != 0;
    ctx.add_path_receive_v6 = ctx.add_path_send_v6 = (flags & 0x08) != 0;
    ctx.extended_next_hop_v4 = (flags & 0x10) != 0;
    ctx.extended_message = (flags & 0x20) != 0;
    std::span<const uint8_t> msg(data.data() + 1, data.size() - 1);
    EXPECT_TRUE(testing::round_trips(msg, ctx)) << e.path();
    if (decode_message(msg, ctx).ok()) ++ok;
    ++n;
  }
  EXPECT_GE(n, 300u);  // hand-made seeds plus the minimised fuzzer finds in found/
  EXPECT_GE(ok, 20u);  // the valid half of the seeds decode
}

}  // namespace
}  // namespace podnet::bgp
