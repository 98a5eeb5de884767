// Unit tests of the nftables IR: text dump, equality, validation, interval normalisation, and the
// wire form the programmer diffs on.
#include <linux/netfilter/nf_tables.h>

#include <gtest/gtest.h>

#include "policy/nft/nft_ir.hpp"
#include "policy/nft/state.hpp"
#include "policy/tests/nft_sample.hpp"

namespace podnet::policy::nft {
namespace {

using testing::addr;
using testing::sample_table;

TEST(NftIr, KeyPartParsesAndPrints) {
  EXPECT_EQ(addr("10.0.0.0/24").str(), "10.0.0.0/24");
  EXPECT_EQ(addr("10.0.0.77/24").str(), "10.0.0.0/24");  // host bits cleared
  EXPECT_EQ(addr("10.0.0.1").str(), "10.0.0.1");
  EXPECT_EQ(addr("fd00::/64").str(), "fd00::/64");
  EXPECT_EQ(KeyPart::addr_range("10.0.0.1", "10.0.0.9")->str(), "10.0.0.1-10.0.0.9");
  EXPECT_EQ(KeyPart::port_range(80, 90).str(), "80-90");
  EXPECT_EQ(KeyPart::proto(6).str(), "tcp");
  EXPECT_EQ(KeyPart::ifname("cali1").str(), "\"cali1\"");
  EXPECT_FALSE(KeyPart::addr("10.0.0.0/33").ok());
  EXPECT_FALSE(KeyPart::addr("nonsense").ok());
  EXPECT_FALSE(KeyPart::addr_range("10.0.0.9", "10.0.0.1").ok());
}

TEST(NftIr, DumpReadsLikeNftList) {
  const std::string d = dump(sample_table());
  EXPECT_NE(d.find("table inet podnet-test {"), std::string::npos) << d;
  EXPECT_NE(d.find("type ipv4_addr . inet_proto . inet_service"), std::string::npos) << d;
  EXPECT_NE(d.find("type ifname : verdict"), std::string::npos) << d;
  EXPECT_NE(d.find("\"cali1\" : goto tw-cali1"), std::string::npos) << d;
  EXPECT_NE(d.find("type filter hook forward priority 0; policy accept;"), std::string::npos) << d;
  EXPECT_NE(d.find("ct state established,related accept"), std::string::npos) << d;
  EXPECT_NE(d.find("iifname \"cali*\" iifname vmap @from-wl"), std::string::npos) << d;
  EXPECT_NE(d.find("ip saddr @pods-a meta l4proto tcp th dport { 80, 443-450 } counter"),
            std::string::npos)
      << d;
  EXPECT_NE(d.find("ip daddr . meta l4proto . th dport @np-http"), std::string::npos) << d;
  EXPECT_NE(d.find("ip saddr != 192.168.0.0/16"), std::string::npos) << d;
  EXPECT_NE(d.find("meta l4proto != { tcp, udp } drop"), std::string::npos) << d;
}

TEST(NftIr, EqualityIsStructural) {
  Table a = sample_table(), b = sample_table();
  EXPECT_EQ(a, b);
  b.chain("po-allow-all")
      ->rules[0]
      .stmt.insert(b.chain("po-allow-all")->rules[0].stmt.begin(), Counter{});
  EXPECT_NE(a, b);
  EXPECT_NE(rule_tag(a.chain("po-allow-all")->rules[0]),
            rule_tag(b.chain("po-allow-all")->rules[0]));
  b = sample_table();
  b.set("pods-a")->elements.push_back(Element{{addr("10.9.9.9")}, {}});
  EXPECT_NE(a, b);
}

TEST(NftIr, ValidateCatchesDanglingReferences) {
  EXPECT_TRUE(validate(sample_table()).ok());
  Table t = sample_table();
  t.chain("po-allow-all")->rules.push_back(Rule{{}, {Verdict::jump("nope")}});
  auto st = validate(t);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("jump nope targets no regular chain"), std::string::npos)
      << st.error().message;

  t = sample_table();
  t.chain("po-allow-all")
      ->rules[0]
      .match.push_back(AddrMatch{IpVersion::v4, AddrField::daddr, Values{{}, "missing"}, false});
  EXPECT_FALSE(validate(t).ok());

  t = sample_table();
  t.set("np-http")->elements.push_back(Element{{addr("10.0.0.1")}, {}});  // wrong arity
  EXPECT_FALSE(validate(t).ok());

  t = sample_table();
  t.chain("forward")->rules[0].stmt.insert(t.chain("forward")->rules[0].stmt.begin(),
                                           Verdict::drop());  // verdict not last
  EXPECT_FALSE(validate(t).ok());

  t = sample_table();
  t.chain("forward")->rules.push_back(Rule{{}, {Masquerade{}}});  // NAT in a filter chain
  EXPECT_FALSE(validate(t).ok());
}

TEST(NftIr, IntervalElementsAreMerged) {
  Set s{"s",
        {KeyType::ipv4_addr},
        true,
        false,
        {Element{{addr("10.0.0.128/25")}, {}}, Element{{addr("10.0.0.0/25")}, {}},
         Element{{addr("10.0.0.5")}, {}}, Element{{addr("10.0.2.0/24")}, {}}}};
  auto n = normalized_elements(s);
  ASSERT_EQ(n.size(), 2u);
  EXPECT_EQ(n[0].key[0].str(), "10.0.0.0/24");
  EXPECT_EQ(n[1].key[0].str(), "10.0.2.0/24");

  // Wire form: start + end(one past) per interval; an interval reaching the top has no end.
  auto st = set_state(s);
  ASSERT_EQ(st.elems.size(), 4u);
  Set top{"t", {KeyType::ipv4_addr}, true, false, {Element{{addr("0.0.0.0/0")}, {}}}};
  EXPECT_EQ(set_state(top).elems.size(), 1u);
  EXPECT_EQ(set_state(top).flags, static_cast<uint32_t>(NFT_SET_INTERVAL));
}

TEST(NftIr, ConcatenationKeysArePadded) {
  const Table t = sample_table();
  auto st = set_state(*t.set("np-http"));
  EXPECT_EQ(st.key_len, 12u);  // 4 + 1→4 + 2→4
  EXPECT_EQ(st.key_type, (7u << 12) | (12u << 6) | 13u);
  ASSERT_EQ(st.elems.size(), 1u);
  EXPECT_EQ(st.elems[0].key, (Bytes{10, 244, 0, 5, 6, 0, 0, 0, 0x1f, 0x90, 0, 0}));
  auto vm = set_state(*t.set("to-wl"));
  EXPECT_EQ(vm.flags, static_cast<uint32_t>(NFT_SET_MAP));
  EXPECT_EQ(vm.data_type, NFT_DATA_VERDICT);
  EXPECT_EQ(vm.elems[0].chain, "tw-cali1");
}

TEST(NftIr, DifferencesNameWhatDiffers) {
  const Table t = sample_table();
  State want = desired_state(t), have = want;
  EXPECT_TRUE(differences(want, have, false).empty());
  have.chains["tw-cali1"].tags.pop_back();
  have.sets["pods-a"].elems.pop_back();
  have.chains["stray"];
  auto d = differences(want, have, false);
  ASSERT_EQ(d.size(), 3u);
  EXPECT_NE(d[0].find("set pods-a: element missing"), std::string::npos) << d[0];
  EXPECT_NE(d[1].find("chain tw-cali1: rules differ (5 expected, 4 present)"), std::string::npos)
      << d[1];
  EXPECT_EQ(d[2], "unexpected chain stray");
}

}  // namespace
}  // namespace podnet::policy::nft
