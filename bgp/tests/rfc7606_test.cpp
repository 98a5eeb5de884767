// Every RFC 7606 / RFC 4271 6.3 error class an UPDATE can hit, with the handling and
// NOTIFICATION code/subcode the codec must report.
#include <gtest/gtest.h>

#include "bgp/codec.hpp"
#include "bgp/tests/test_helpers.hpp"
#include "bgp/tests/wire_builders.hpp"

namespace podnet::bgp {
namespace {

using namespace testwire;
using testing::ctx4;

struct Case {
  const char* name;
  Bytes attrs;
  ErrorAction action;
  uint8_t subcode;
  bool ebgp = false;
  Bytes nlri = {8, 10};  // 10.0.0.0/8
  Bytes withdrawn = {};
};

const Bytes kNh = next_hop(192, 0, 2, 1);
const Bytes kOrigin = origin(0);
const Bytes kPath = as_path4({65001});

std::vector<Case> cases() {
  using A = ErrorAction;
  return {
      // 7.1 ORIGIN
      {"ORIGIN value 3", cat({origin(3), kPath, kNh}), A::treat_as_withdraw, 6},
      {"ORIGIN length 2", cat({attribute(0x40, 1, {0, 0}), kPath, kNh}), A::treat_as_withdraw, 5},
      {"ORIGIN flags optional", cat({attribute(0xC0, 1, {0}), kPath, kNh}), A::treat_as_withdraw,
       4},
      // 7.2 AS_PATH
      {"AS_PATH segment type 5", cat({kOrigin, attribute(0x40, 2, cat({{5, 1}, be32(1)})), kNh}),
       A::treat_as_withdraw, 11},
      {"AS_PATH zero-length segment", cat({kOrigin, attribute(0x40, 2, {2, 0}), kNh}),
       A::treat_as_withdraw, 11},
      {"AS_PATH segment overrun", cat({kOrigin, attribute(0x40, 2, cat({{2, 2}, be32(1)})), kNh}),
       A::treat_as_withdraw, 11},
      {"AS_PATH trailing byte",
       cat({kOrigin, attribute(0x40, 2, cat({{2, 1}, be32(1), {2}})), kNh}), A::treat_as_withdraw,
       11},
      // 7.3 NEXT_HOP
      {"NEXT_HOP length 5", cat({kOrigin, kPath, attribute(0x40, 3, {1, 2, 3, 4, 5})}),
       A::treat_as_withdraw, 5},
      // 7.4 MED
      {"MED length 2", cat({kOrigin, kPath, kNh, attribute(0x80, 4, {0, 1})}), A::treat_as_withdraw,
       5},
      {"MED flags transitive", cat({kOrigin, kPath, kNh, attribute(0xC0, 4, be32(1))}),
       A::treat_as_withdraw, 4},
      // 7.5 LOCAL_PREF
      {"LOCAL_PREF length 3 (iBGP)", cat({kOrigin, kPath, kNh, attribute(0x40, 5, {0, 0, 1})}),
       A::treat_as_withdraw, 5},
      {"LOCAL_PREF from eBGP", cat({kOrigin, kPath, kNh, attribute(0x40, 5, be32(100))}),
       A::attribute_discard, 9, true},
      // 7.6 ATOMIC_AGGREGATE, 7.7 AGGREGATOR
      {"ATOMIC_AGGREGATE length 1", cat({kOrigin, kPath, kNh, attribute(0x40, 6, {1})}),
       A::attribute_discard, 5},
      {"AGGREGATOR length 6 on 4-octet session",
       cat({kOrigin, kPath, kNh, attribute(0xC0, 7, {0, 1, 10, 0, 0, 1})}), A::attribute_discard,
       5},
      {"AGGREGATOR flags well-known", cat({kOrigin, kPath, kNh, attribute(0x40, 7, Bytes(8, 1))}),
       A::attribute_discard, 4},
      // 7.8 COMMUNITIES, 7.14 EXTENDED_COMMUNITIES, RFC 8092 LARGE_COMMUNITY
      {"COMMUNITIES length 5", cat({kOrigin, kPath, kNh, attribute(0xC0, 8, Bytes(5, 1))}),
       A::treat_as_withdraw, 5},
      {"COMMUNITIES length 0", cat({kOrigin, kPath, kNh, attribute(0xC0, 8, {})}),
       A::treat_as_withdraw, 5},
      {"EXTENDED_COMMUNITIES length 9",
       cat({kOrigin, kPath, kNh, attribute(0xC0, 16, Bytes(9, 1))}), A::treat_as_withdraw, 5},
      {"LARGE_COMMUNITY length 8", cat({kOrigin, kPath, kNh, attribute(0xC0, 32, Bytes(8, 1))}),
       A::treat_as_withdraw, 5},
      // 7.9 ORIGINATOR_ID, 7.10 CLUSTER_LIST
      {"ORIGINATOR_ID length 3", cat({kOrigin, kPath, kNh, attribute(0x80, 9, {1, 2, 3})}),
       A::treat_as_withdraw, 5},
      {"ORIGINATOR_ID from eBGP", cat({kOrigin, kPath, kNh, attribute(0x80, 9, {1, 2, 3, 4})}),
       A::attribute_discard, 9, true},
      {"CLUSTER_LIST length 6", cat({kOrigin, kPath, kNh, attribute(0x80, 10, Bytes(6, 1))}),
       A::treat_as_withdraw, 5},
      // 7.11 MP_REACH_NLRI / MP_UNREACH_NLRI: session reset
      {"MP_REACH v6 next hop length 4",
       cat({kOrigin, kPath, attribute(0x80, 14, {0, 2, 1, 4, 10, 0, 0, 1, 0})}), A::session_reset,
       9},
      {"MP_REACH truncated", cat({kOrigin, kPath, attribute(0x80, 14, {0, 2})}), A::session_reset,
       9},
      {"MP_REACH NLRI length 129",
       cat({kOrigin, kPath, attribute(0x80, 14, cat({{0, 2, 1, 16}, Bytes(16, 1), {0, 129}}))}),
       A::session_reset, 9},
      {"MP_UNREACH prefix overrun", attribute(0x80, 15, {0, 2, 1, 64, 0x20}), A::session_reset, 9},
      {"MP_REACH flags transitive",
       cat({kOrigin, kPath, attribute(0xC0, 14, cat({{0, 2, 1, 16}, Bytes(16, 1), {0}}))}),
       A::session_reset, 4},
      // 3 g) duplicates
      {"duplicate MP_UNREACH",
       cat({attribute(0x80, 15, {0, 2, 1}), attribute(0x80, 15, {0, 2, 1})}), A::session_reset, 1},
      {"duplicate MED",
       cat({kOrigin, kPath, kNh, attribute(0x80, 4, be32(1)), attribute(0x80, 4, be32(2))}),
       A::attribute_discard, 1},
      // 3 d) missing well-known mandatory
      {"missing ORIGIN", cat({kPath, kNh}), A::treat_as_withdraw, 3},
      {"missing AS_PATH", cat({kOrigin, kNh}), A::treat_as_withdraw, 3},
      {"missing NEXT_HOP", cat({kOrigin, kPath}), A::treat_as_withdraw, 3},
      // 4: attribute runs past the Path Attributes field
      {"attribute overrun", cat({kOrigin, kPath, kNh, {0x80, 4, 9, 0, 0}}), A::treat_as_withdraw,
       5},
      {"attribute header truncated", cat({kOrigin, kPath, kNh, {0x80}}), A::treat_as_withdraw, 5},
      // RFC 4271 6.3: unrecognized well-known attribute
      {"unknown well-known type 200", cat({kOrigin, kPath, kNh, attribute(0x40, 200, {})}),
       A::session_reset, 2},
      // 5.3 NLRI field syntax: session reset, Invalid Network Field
      {"NLRI length 33",
       cat({kOrigin, kPath, kNh}),
       A::session_reset,
       10,
       false,
       {33, 1, 2, 3, 4, 5}},
      {"NLRI truncated", cat({kOrigin, kPath, kNh}), A::session_reset, 10, false, {24, 10, 0}},
      {"withdrawn length 33", {}, A::session_reset, 10, false, {}, {33, 1, 2, 3, 4, 5}},
  };
}

TEST(Rfc7606, EveryErrorClassHasItsHandlingAndCode) {
  for (const auto& c : cases()) {
    SCOPED_TRACE(c.name);
    auto r = decode_message(update(c.withdrawn, c.attrs, c.nlri), ctx4(c.ebgp));
    if (c.action == ErrorAction::session_reset) {
      ASSERT_FALSE(r.ok());
      EXPECT_EQ(r.error().action, ErrorAction::session_reset);
      EXPECT_EQ(r.error().code, err::kUpdate);
      EXPECT_EQ(r.error().subcode, c.subcode) << r.error().text;
      continue;
    }
    ASSERT_TRUE(r.ok()) << describe(r.error());
    const auto& d = std::get<DecodedUpdate>(*r);
    if (c.action == ErrorAction::treat_as_withdraw) {
      ASSERT_TRUE(d.treat_as_withdraw);
      EXPECT_EQ(d.treat_as_withdraw->action, ErrorAction::treat_as_withdraw);
      EXPECT_EQ(d.treat_as_withdraw->code, err::kUpdate);
      EXPECT_EQ(d.treat_as_withdraw->subcode, c.subcode) << d.treat_as_withdraw->text;
      // The NLRI still come out: as withdrawals, never as announcements.
      EXPECT_TRUE(d.announcements().empty());
      ASSERT_EQ(d.withdrawals().size(), 1u);
      EXPECT_EQ(d.withdrawals()[0].prefix.to_string(), "10.0.0.0/8");
      EXPECT_EQ(d.update.attributes, rib::PathAttributes{});
    } else {
      EXPECT_FALSE(d.treat_as_withdraw) << d.treat_as_withdraw->text;
      ASSERT_EQ(d.discarded.size(), 1u);
      EXPECT_EQ(d.discarded[0].action, ErrorAction::attribute_discard);
      EXPECT_EQ(d.discarded[0].subcode, c.subcode) << d.discarded[0].text;
      EXPECT_EQ(d.announcements().size(), 1u);
    }
  }
}

TEST(Rfc7606, AttributeErrorsCarryTheAttributeAsData) {
  const Bytes bad_med = attribute(0x80, 4, {0, 1});
  auto r = decode_message(update({}, cat({kOrigin, kPath, kNh, bad_med}), {8, 10}), ctx4());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(std::get<DecodedUpdate>(*r).treat_as_withdraw->data, bad_med);
}

TEST(Rfc7606, DiscardKeepsTheFirstDuplicateAndTheRest) {
  auto r = decode_message(update({},
                                 cat({kOrigin, kPath, kNh, attribute(0x80, 4, be32(1)),
                                      attribute(0x80, 4, be32(2)), attribute(0x40, 6, {1})}),
                                 {8, 10}),
                          ctx4());
  ASSERT_TRUE(r.ok());
  const auto& d = std::get<DecodedUpdate>(*r);
  EXPECT_EQ(d.update.attributes.med, 1u);
  EXPECT_FALSE(d.update.attributes.atomic_aggregate);
  EXPECT_EQ(d.discarded.size(), 2u);
  EXPECT_EQ(d.update.attributes.origin, rib::Origin::igp);
}

TEST(Rfc7606, StrongestActionWins) {
  // A discard-class error, a treat-as-withdraw error, then a session-reset error.
  auto r = decode_message(update({},
                                 cat({kOrigin, kPath, kNh, attribute(0x40, 6, {1}),
                                      attribute(0x80, 4, {1}), attribute(0x80, 14, {0, 2})}),
                                 {8, 10}),
                          ctx4());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().action, ErrorAction::session_reset);
  // Without the MP_REACH error, treat-as-withdraw beats the discard.
  r = decode_message(
      update({}, cat({kOrigin, kPath, kNh, attribute(0x40, 6, {1}), attribute(0x80, 4, {1})}),
             {8, 10}),
      ctx4());
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(std::get<DecodedUpdate>(*r).treat_as_withdraw);
}

TEST(Rfc7606, TreatAsWithdrawCoversMpReachNlriToo) {
  const Bytes mp = cat({{0, 2, 1, 16}, Bytes(16, 0x20), {0, 64}, Bytes(8, 0x20)});
  auto r = decode_message(update({}, cat({attribute(0x80, 14, mp), origin(9), kPath}), {}), ctx4());
  ASSERT_TRUE(r.ok());
  const auto& d = std::get<DecodedUpdate>(*r);
  ASSERT_TRUE(d.treat_as_withdraw);
  ASSERT_EQ(d.withdrawals().size(), 1u);
  EXPECT_EQ(d.withdrawals()[0].prefix.family(), rib::Family::v6);
}

TEST(Rfc7606, MissingMandatoryOnlyMattersWithNlri) {
  // Withdraw-only UPDATE with no attributes at all: fine.
  auto r = decode_message(update({8, 10}, {}, {}), ctx4());
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(std::get<DecodedUpdate>(*r).treat_as_withdraw);
  // MP_REACH only: NEXT_HOP is not required (RFC 4760).
  const Bytes mp = cat({{0, 2, 1, 16}, Bytes(16, 0x20), {0, 64}, Bytes(8, 0x20)});
  r = decode_message(update({}, cat({attribute(0x80, 14, mp), kOrigin, kPath}), {}), ctx4());
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(std::get<DecodedUpdate>(*r).treat_as_withdraw);
}

TEST(Rfc7606, LengthFieldsInconsistentWithMessage) {
  // Withdrawn Routes Length beyond the message / Total Path Attribute Length beyond it.
  for (const Bytes& body : {Bytes{0, 9, 0, 0}, Bytes{0, 0, 0, 9, 0x40}, Bytes{0, 1, 8, 0}}) {
    auto r = decode_message(message(2, body), ctx4());
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, 3);
    EXPECT_EQ(r.error().subcode, 1);
  }
}

}  // namespace
}  // namespace podnet::bgp
