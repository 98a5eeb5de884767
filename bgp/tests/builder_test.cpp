// The UPDATE builder: many prefixes, one attribute set, as few messages as fit.
#include <gtest/gtest.h>

#include <set>

#include "bgp/codec.hpp"
#include "bgp/tests/test_helpers.hpp"

namespace podnet::bgp {
namespace {

using testing::ctx4;

rib::PathAttributes attrs() {
  rib::PathAttributes a;
  a.origin = rib::Origin::igp;
  a.as_path = rib::AsPath{{{rib::AsSegmentType::as_sequence, {64512}}}};
  a.next_hop = rib::Address::parse("192.0.2.10").value();
  a.mp_next_hop = rib::Address::parse("2001:db8::10").value();
  a.communities = {100};
  return a;
}

std::vector<Nlri> v4_blocks(int n, int len) {
  std::vector<Nlri> out;
  for (int i = 0; i < n; ++i) {
    uint32_t base = 0x0A000000u + static_cast<uint32_t>(i) * (len == 26 ? 64u : 1u);
    out.push_back(
        Nlri{rib::Prefix::make(rib::Address::v4(base), static_cast<uint8_t>(len)).value(), 0});
  }
  return out;
}

std::vector<Nlri> v6_blocks(int n) {
  std::vector<Nlri> out;
  for (int i = 0; i < n; ++i) {
    uint8_t b[16] = {0x20,
                     0x01,
                     0x0d,
                     0xb8,
                     0,
                     0,
                     0,
                     0,
                     0,
                     0,
                     0,
                     0,
                     0,
                     0,
                     static_cast<uint8_t>(i >> 2),
                     static_cast<uint8_t>((i & 3) << 6)};
    out.push_back(Nlri{rib::Prefix::make(rib::Family::v6, b, 122).value(), 0});
  }
  return out;
}

// Decodes every message, checks sizes, and returns all announced NLRI in order.
std::vector<Nlri> decode_all(const std::vector<std::vector<uint8_t>>& msgs, const CodecContext& ctx,
                             const rib::PathAttributes& want_attrs) {
  std::vector<Nlri> got;
  for (const auto& m : msgs) {
    EXPECT_LE(m.size(), ctx.max_message_size());
    auto r = decode_message(m, ctx);
    if (!r.ok()) {
      ADD_FAILURE() << describe(r.error());
      continue;
    }
    const auto& d = std::get<DecodedUpdate>(*r);
    EXPECT_FALSE(d.treat_as_withdraw);
    auto a = d.update.attributes;
    // The v4-classic messages carry no MP next hop and vice versa; compare the rest.
    rib::PathAttributes w = want_attrs;
    if (d.update.mp_reach) {
      w.next_hop.reset();
    } else {
      w.mp_next_hop.reset();
      w.mp_link_local_next_hop.reset();
    }
    EXPECT_EQ(a, w);
    for (auto& n : d.announcements()) got.push_back(n);
    for (auto& n : d.withdrawals()) got.push_back(n);
  }
  return got;
}

TEST(Builder, PacksThousandsOfSlash26IntoFullMessages) {
  auto prefixes = v4_blocks(3000, 26);
  auto msgs = build_announcements(attrs(), prefixes, ctx4());
  ASSERT_TRUE(msgs.ok());
  // 5 bytes per /26; attributes ~40 bytes: ~810 per 4096-byte message -> 4 messages.
  std::size_t total = 0;
  for (const auto& m : *msgs) total += m.size();
  const std::size_t lower_bound = (total + 4095) / 4096;
  EXPECT_EQ(msgs->size(), lower_bound);
  EXPECT_EQ(msgs->size(), 4u);
  for (std::size_t i = 0; i + 1 < msgs->size(); ++i) EXPECT_GT((*msgs)[i].size(), 4096u - 5);
  EXPECT_EQ(decode_all(*msgs, ctx4(), attrs()), prefixes);
}

TEST(Builder, MixedFamiliesSplitIntoClassicAndMpReach) {
  auto prefixes = v4_blocks(100, 32);
  auto v6 = v6_blocks(1000);
  prefixes.insert(prefixes.end(), v6.begin(), v6.end());
  auto msgs = build_announcements(attrs(), prefixes, ctx4());
  ASSERT_TRUE(msgs.ok());
  // 100 v4 /32 fit one message; 1000 v6 /122 (17 bytes each) need 5.
  EXPECT_EQ(msgs->size(), 6u);
  EXPECT_EQ(decode_all(*msgs, ctx4(), attrs()), prefixes);
}

TEST(Builder, AddPathIdsAndTwoOctetPeers) {
  CodecContext c = ctx4();
  c.four_octet_as = false;
  c.add_path_send_v4 = c.add_path_receive_v4 = true;
  auto a = attrs();
  a.as_path = rib::AsPath{{{rib::AsSegmentType::as_sequence, {4200000000u, 65001}}}};
  auto prefixes = v4_blocks(1000, 32);
  for (std::size_t i = 0; i < prefixes.size(); ++i)
    prefixes[i].path_id = static_cast<uint32_t>(i + 1);
  auto msgs = build_announcements(a, prefixes, c);
  ASSERT_TRUE(msgs.ok());
  EXPECT_EQ(msgs->size(), 3u);  // 9 bytes per NLRI
  EXPECT_EQ(decode_all(*msgs, c, a), prefixes);
}

TEST(Builder, ExtendedMessageAndExtendedNextHop) {
  CodecContext c = ctx4();
  c.extended_message = true;
  c.extended_next_hop_v4 = true;
  auto a = attrs();
  a.next_hop.reset();  // IPv4 NLRI with only an IPv6 next hop: RFC 8950
  auto prefixes = v4_blocks(3000, 26);
  auto msgs = build_announcements(a, prefixes, c);
  ASSERT_TRUE(msgs.ok());
  EXPECT_EQ(msgs->size(), 1u);
  EXPECT_GT((*msgs)[0].size(), 4096u);
  EXPECT_EQ(decode_all(*msgs, c, a), prefixes);
  // Without the capability there is no way to send them.
  EXPECT_FALSE(build_announcements(a, prefixes, ctx4()).ok());
}

TEST(Builder, Withdrawals) {
  auto prefixes = v4_blocks(2000, 26);
  auto v6 = v6_blocks(300);
  prefixes.insert(prefixes.end(), v6.begin(), v6.end());
  auto msgs = build_withdrawals(prefixes, ctx4());
  EXPECT_EQ(msgs.size(), 3u + 2u);
  EXPECT_EQ(decode_all(msgs, ctx4(), rib::PathAttributes{}), prefixes);
}

TEST(Builder, EmptyInputMakesNoMessages) {
  EXPECT_TRUE(build_announcements(attrs(), {}, ctx4())->empty());
  EXPECT_TRUE(build_withdrawals({}, ctx4()).empty());
}

}  // namespace
}  // namespace podnet::bgp
