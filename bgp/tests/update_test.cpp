// UPDATE and path attribute decode/encode against hand-built RFC layouts.
#include <gtest/gtest.h>

#include "bgp/attributes_codec.hpp"
#include "bgp/codec.hpp"
#include "bgp/tests/test_helpers.hpp"
#include "bgp/tests/wire_builders.hpp"

namespace podnet::bgp {
namespace {

using namespace testwire;
using testing::ctx4;
using testing::decode_as;
using testing::nlri;

const Bytes kV6 = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
const Bytes kLL = {0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};

DecodedUpdate decode_update(const Bytes& b, const CodecContext& ctx) {
  return decode_as<DecodedUpdate>(b, ctx);
}

TEST(Update, ClassicIpv4WithEveryAttribute) {
  const Bytes attrs = cat({
      origin(2),
      attribute(0x40, 2, cat({{2, 2}, be32(65001), be32(4200000000u), {1, 2}, be32(7), be32(8)})),
      next_hop(192, 0, 2, 1), attribute(0x80, 4, be32(50)),           // MED
      attribute(0x40, 5, be32(200)),                                  // LOCAL_PREF
      attribute(0x40, 6, {}),                                         // ATOMIC_AGGREGATE
      attribute(0xC0, 7, cat({be32(65010), {10, 1, 1, 1}})),          // AGGREGATOR
      attribute(0xC0, 8, cat({be32(0xFFFFFF01), be32(0xFDE90064)})),  // COMMUNITIES
      attribute(0x80, 9, {10, 0, 0, 9}),                              // ORIGINATOR_ID
      attribute(0x80, 10, cat({be32(1), be32(2)})),                   // CLUSTER_LIST
      attribute(0xC0, 16, {0, 2, 0xFD, 0xE9, 0, 0, 0, 100}),          // EXTENDED_COMMUNITIES
      attribute(0xC0, 32, cat({be32(64512), be32(1), be32(2)})),      // LARGE_COMMUNITY
      attribute(0xC0, 99, {1, 2, 3}),                                 // unknown transitive
  });
  const Bytes nl = {26, 10, 0, 0, 64, 32, 10, 0, 0, 7};
  auto d = decode_update(update({}, attrs, nl), ctx4(/*ebgp=*/false));
  EXPECT_FALSE(d.treat_as_withdraw);
  EXPECT_TRUE(d.discarded.empty());
  const auto& a = d.update.attributes;
  EXPECT_EQ(a.origin, rib::Origin::incomplete);
  ASSERT_TRUE(a.as_path);
  ASSERT_EQ(a.as_path->segments.size(), 2u);
  EXPECT_EQ(a.as_path->segments[0].asns, (std::vector<uint32_t>{65001, 4200000000u}));
  EXPECT_EQ(a.as_path->segments[1].type, rib::AsSegmentType::as_set);
  EXPECT_EQ(a.next_hop->to_string(), "192.0.2.1");
  EXPECT_EQ(a.med, 50u);
  EXPECT_EQ(a.local_pref, 200u);
  EXPECT_TRUE(a.atomic_aggregate);
  EXPECT_EQ(a.aggregator->asn, 65010u);
  EXPECT_EQ(a.aggregator->address.to_string(), "10.1.1.1");
  EXPECT_EQ(a.communities, (std::vector<uint32_t>{0xFFFFFF01, 0xFDE90064}));
  EXPECT_EQ(a.originator_id->to_string(), "10.0.0.9");
  EXPECT_EQ(a.cluster_list, (std::vector<uint32_t>{1, 2}));
  EXPECT_EQ(a.extended_communities, (std::vector<uint64_t>{0x0002FDE900000064ull}));
  ASSERT_EQ(a.large_communities.size(), 1u);
  EXPECT_EQ(a.large_communities[0].local2, 2u);
  ASSERT_EQ(a.unknown.size(), 1u);
  EXPECT_EQ(a.unknown[0].flags, 0xC0);
  EXPECT_EQ(a.unknown[0].value, (Bytes{1, 2, 3}));
  EXPECT_EQ(d.update.nlri, (std::vector<Nlri>{nlri("10.0.0.64/26"), nlri("10.0.0.7/32")}));
  EXPECT_EQ(d.announcements().size(), 2u);

  // Our encoder writes attributes in type order with canonical flags: the same bytes back.
  auto again = encode_update(d.update, ctx4(false));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, update({}, attrs, nl));
}

TEST(Update, Ipv6ViaMpReachWithLinkLocal) {
  Bytes prefix(kV6.begin(), kV6.end());
  prefix[15] = 0;  // 2001:db8::/122, host bits zero so the encoder's bytes compare equal
  const Bytes mp = cat({{0, 2, 1, 32}, kV6, kLL, {0}, {122}, prefix});
  const Bytes attrs = cat({attribute(0x80, 14, mp), origin(0), attribute(0x40, 2, {})});
  auto d = decode_update(update({}, attrs, {}), ctx4());
  ASSERT_TRUE(d.update.mp_reach);
  EXPECT_EQ(d.update.mp_reach->afi_safi, kIpv6Unicast);
  ASSERT_EQ(d.update.mp_reach->nlri.size(), 1u);
  EXPECT_EQ(d.update.mp_reach->nlri[0].prefix.to_string(), "2001:db8::/122");
  EXPECT_EQ(d.update.attributes.mp_next_hop->to_string(), "2001:db8::1");
  EXPECT_EQ(d.update.attributes.mp_link_local_next_hop->to_string(), "fe80::1");
  EXPECT_TRUE(d.update.attributes.as_path->segments.empty());
  auto again = encode_update(d.update, ctx4());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, update({}, attrs, {}));
}

TEST(Update, WithdrawalsClassicAndMpUnreach) {
  const Bytes w = {24, 10, 1, 2, 0};  // 10.1.2.0/24 and 0.0.0.0/0
  const Bytes mpu = cat({{0, 2, 1, 64}, Bytes(kV6.begin(), kV6.begin() + 8)});
  auto d = decode_update(update(w, attribute(0x80, 15, mpu), {}), ctx4());
  EXPECT_EQ(d.update.withdrawn, (std::vector<Nlri>{nlri("10.1.2.0/24"), nlri("0.0.0.0/0")}));
  ASSERT_TRUE(d.update.mp_unreach);
  EXPECT_EQ(d.update.mp_unreach->withdrawn[0].prefix.to_string(), "2001:db8::/64");
  EXPECT_EQ(d.withdrawals().size(), 3u);
  EXPECT_TRUE(d.announcements().empty());
  EXPECT_FALSE(d.update.end_of_rib());
}

TEST(Update, EndOfRibMarkers) {
  EXPECT_EQ(encode_end_of_rib(kIpv4Unicast), update({}, {}, {}));
  EXPECT_EQ(encode_end_of_rib(kIpv6Unicast), update({}, attribute(0x80, 15, {0, 2, 1}), {}));
  EXPECT_EQ(decode_update(encode_end_of_rib(kIpv4Unicast), ctx4()).update.end_of_rib(),
            kIpv4Unicast);
  EXPECT_EQ(decode_update(encode_end_of_rib(kIpv6Unicast), ctx4()).update.end_of_rib(),
            kIpv6Unicast);
}

TEST(Update, AddPathIdsPerFamily) {
  CodecContext c = ctx4();
  c.add_path_receive_v4 = c.add_path_send_v4 = true;
  const Bytes nl = cat({be32(1), {26, 10, 0, 0, 0}, be32(2), {26, 10, 0, 0, 0}});
  auto d = decode_update(update({}, base_attrs(), nl), c);
  EXPECT_EQ(d.update.nlri, (std::vector<Nlri>{nlri("10.0.0.0/26", 1), nlri("10.0.0.0/26", 2)}));
  auto again = encode_update(d.update, c);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, update({}, base_attrs(), nl));
  // The same bytes without ADD-PATH parse as a different list of prefixes: the context matters.
  auto plain = decode_message(update({}, base_attrs(), nl), ctx4());
  ASSERT_TRUE(plain.ok());
  EXPECT_NE(std::get<DecodedUpdate>(*plain).update.nlri, d.update.nlri);
}

TEST(Update, ExtendedNextHopCarriesIpv4OverIpv6) {
  CodecContext c = ctx4();
  c.extended_next_hop_v4 = true;
  const Bytes mp = cat({{0, 1, 1, 16}, kV6, {0}, {26, 10, 4, 0, 0}});
  const Bytes attrs = cat({attribute(0x80, 14, mp), origin(0), attribute(0x40, 2, {})});
  auto d = decode_update(update({}, attrs, {}), c);
  ASSERT_TRUE(d.update.mp_reach);
  EXPECT_EQ(d.update.mp_reach->afi_safi, kIpv4Unicast);
  EXPECT_EQ(d.update.mp_reach->nlri[0].prefix.to_string(), "10.4.0.0/26");
  EXPECT_EQ(d.update.attributes.mp_next_hop->family(), rib::Family::v6);
  // Without the capability a 16-byte next hop for AFI 1 is malformed: session reset.
  auto r = decode_message(update({}, attrs, {}), ctx4());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, err::kUpdate);
  EXPECT_EQ(r.error().subcode, err::kOptionalAttributeError);
}

TEST(Update, HostBitsInNlriAreCleared) {
  auto d = decode_update(update({}, base_attrs(), {24, 10, 1, 2}), ctx4());
  EXPECT_EQ(d.update.nlri[0].prefix.to_string(), "10.1.2.0/24");
  d = decode_update(update({}, base_attrs(), {23, 10, 1, 3}), ctx4());
  EXPECT_EQ(d.update.nlri[0].prefix.to_string(), "10.1.2.0/23");
}

// ---- 2-octet AS peers (RFC 6793) ----

CodecContext ctx2() {
  CodecContext c;
  c.four_octet_as = false;
  c.ebgp = true;
  return c;
}

Bytes as_path2(std::initializer_list<uint16_t> seq) {
  Bytes v{2, uint8_t(seq.size())};
  for (uint16_t a : seq) {
    auto b = be16(a);
    v.insert(v.end(), b.begin(), b.end());
  }
  return attribute(0x40, 2, v);
}

TEST(As4, MergesAs4PathAndAggregator) {
  const Bytes attrs = cat({
      origin(0),
      as_path2({65001, 23456, 23456, 100}),
      next_hop(10, 0, 0, 1),
      attribute(0xC0, 7, cat({be16(23456), {10, 0, 0, 2}})),
      attribute(0xC0, 17, cat({{2, 3}, be32(4200000000u), be32(4200000001u), be32(100)})),
      attribute(0xC0, 18, cat({be32(4200000002u), {10, 0, 0, 2}})),
  });
  auto d = decode_update(update({}, attrs, {8, 10}), ctx2());
  ASSERT_TRUE(d.update.attributes.as_path);
  rib::AsPath want{{{rib::AsSegmentType::as_sequence, {65001}},
                    {rib::AsSegmentType::as_sequence, {4200000000u, 4200000001u, 100}}}};
  EXPECT_EQ(*d.update.attributes.as_path, want);
  EXPECT_EQ(d.update.attributes.aggregator->asn, 4200000002u);
  EXPECT_TRUE(d.discarded.empty());
}

TEST(As4, EncodesAsTransAndAs4PathForTwoOctetPeers) {
  UpdateMessage u;
  u.attributes.origin = rib::Origin::igp;
  u.attributes.as_path =
      rib::AsPath{{{rib::AsSegmentType::as_sequence, {65001, 4200000000u, 100}}}};
  u.attributes.next_hop = rib::Address::parse("10.0.0.1").value();
  u.attributes.aggregator = rib::Aggregator{4200000002u, rib::Address::parse("10.0.0.2").value()};
  u.nlri = {nlri("10.0.0.0/8")};
  auto bytes = encode_update(u, ctx2());
  ASSERT_TRUE(bytes.ok());
  const Bytes attrs = cat({
      origin(0),
      as_path2({65001, 23456, 100}),
      next_hop(10, 0, 0, 1),
      attribute(0xC0, 7, cat({be16(23456), {10, 0, 0, 2}})),
      attribute(0xC0, 17, cat({{2, 3}, be32(65001), be32(4200000000u), be32(100)})),
      attribute(0xC0, 18, cat({be32(4200000002u), {10, 0, 0, 2}})),
  });
  EXPECT_EQ(*bytes, update({}, attrs, {8, 10}));
  EXPECT_EQ(decode_update(*bytes, ctx2()).update, u);
}

TEST(As4, Ignored) {
  // AS4_PATH longer than AS_PATH: ignored (RFC 6793 4.2.3).
  Bytes attrs = cat({origin(0), as_path2({1}), next_hop(10, 0, 0, 1),
                     attribute(0xC0, 17, cat({{2, 2}, be32(70000), be32(70001)}))});
  auto d = decode_update(update({}, attrs, {8, 10}), ctx2());
  EXPECT_EQ(d.update.attributes.as_path->segments[0].asns, (std::vector<uint32_t>{1}));
  // AGGREGATOR without AS_TRANS: the aggregating speaker was 2-octet, AS4_* are stale.
  attrs = cat({origin(0), as_path2({1, 23456}), next_hop(10, 0, 0, 1),
               attribute(0xC0, 7, cat({be16(5), {10, 0, 0, 2}})),
               attribute(0xC0, 17, cat({{2, 1}, be32(70000)}))});
  d = decode_update(update({}, attrs, {8, 10}), ctx2());
  EXPECT_EQ(d.update.attributes.as_path->segments[0].asns, (std::vector<uint32_t>{1, 23456}));
  // On a 4-octet session AS4_PATH is discarded.
  attrs = cat({base_attrs(), attribute(0xC0, 17, cat({{2, 1}, be32(70000)}))});
  d = decode_update(update({}, attrs, {8, 10}), ctx4());
  ASSERT_EQ(d.discarded.size(), 1u);
  EXPECT_EQ(d.update.attributes.as_path->segments[0].asns, (std::vector<uint32_t>{65001}));
}

TEST(As4, MergeKeepsLeadingConfedSegments) {
  rib::AsPath as_path{{{rib::AsSegmentType::confed_sequence, {64512}},
                       {rib::AsSegmentType::as_sequence, {1, 23456, 23456}}}};
  rib::AsPath as4{{{rib::AsSegmentType::as_sequence, {70000, 70001}}}};
  rib::AsPath want{{{rib::AsSegmentType::confed_sequence, {64512}},
                    {rib::AsSegmentType::as_sequence, {1}},
                    {rib::AsSegmentType::as_sequence, {70000, 70001}}}};
  EXPECT_EQ(merge_as4_path(as_path, as4), want);
}

TEST(As4, TwoOctetEncodingRoundTripsPathsWithConfedSegments) {
  using T = rib::AsSegmentType;
  const std::vector<rib::AsPath> paths = {
      {{{T::confed_sequence, {64512, 64513}}, {T::as_sequence, {1, 4200000000u}}}},
      {{{T::as_sequence, {1}}, {T::confed_set, {2}}, {T::as_sequence, {70000, 3}}}},
      {{{T::as_set, {70000, 70001}}, {T::as_sequence, {5}}}},
      {{{T::as_sequence, {kAsTrans, 9}}}},  // a literal AS_TRANS stays what it is
  };
  for (const auto& p : paths) {
    UpdateMessage u;
    u.attributes.origin = rib::Origin::igp;
    u.attributes.as_path = p;
    u.attributes.next_hop = rib::Address::parse("10.0.0.1").value();
    u.nlri = {nlri("10.0.0.0/8")};
    for (uint32_t agg : {0u, 5u, 70000u}) {
      // A 2-octet aggregator must still be sent as AS_TRANS + AS4_AGGREGATOR when AS4_PATH
      // goes out, or the receiver would ignore AS4_PATH (found by the fuzzer).
      u.attributes.aggregator = rib::Aggregator{agg, rib::Address::v4(1)};
      auto bytes = encode_update(u, ctx2());
      ASSERT_TRUE(bytes.ok());
      auto d = decode_update(*bytes, ctx2());
      EXPECT_EQ(d.update, u);
      EXPECT_TRUE(d.discarded.empty());
    }
  }
}

TEST(UnknownAttributes, PassThroughWithPartialBit) {
  const Bytes attrs = cat({base_attrs(), attribute(0xC0, 99, {9}), attribute(0x80, 100, {8})});
  auto d = decode_update(update({}, attrs, {8, 10}), ctx4());
  auto a = d.update.attributes;
  a.prepare_unknown_for_propagation();
  std::vector<Nlri> n = {nlri("10.0.0.0/8")};
  auto msgs = build_announcements(a, n, ctx4());
  ASSERT_TRUE(msgs.ok());
  ASSERT_EQ(msgs->size(), 1u);
  // The transitive one goes out with Partial (0xE0); the non-transitive one is gone.
  EXPECT_EQ((*msgs)[0], update({}, cat({base_attrs(), attribute(0xE0, 99, {9})}), {8, 10}));
}

TEST(Encode, RejectsWhatCannotBeRepresented) {
  UpdateMessage u;
  u.nlri = {nlri("2001:db8::/64")};  // IPv6 in the classic field
  EXPECT_FALSE(encode_update(u, ctx4()).ok());
  UpdateMessage m;
  m.mp_reach = MpReach{kIpv6Unicast, {nlri("2001:db8::/64")}};  // no mp_next_hop
  EXPECT_FALSE(encode_update(m, ctx4()).ok());
  m.attributes.mp_next_hop = rib::Address::parse("10.0.0.1").value();  // v4 next hop for v6
  EXPECT_FALSE(encode_update(m, ctx4()).ok());
  m.attributes.mp_next_hop = rib::Address::parse("2001:db8::1").value();
  EXPECT_TRUE(encode_update(m, ctx4()).ok());
}

}  // namespace
}  // namespace podnet::bgp
