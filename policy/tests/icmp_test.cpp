// icmp / notICMP type and code, in the evaluator and in the compiled rules. notICMP is the
// negation of the icmp match on ICMP packets: with type only it excludes that type; with type and
// code it excludes exactly that (type, code) pair — so type 8 code 1 still matches
// notICMP {type: 8, code: 0}. The compiled rule must say the same as the evaluator.
#include <gtest/gtest.h>

#include "policy/compiler.hpp"
#include "policy/evaluate.hpp"
#include "policy/tests/policy_fixture.hpp"

namespace podnet::policy {
namespace {

using testing::ns_yaml;
using testing::pod_yaml;
using testing::World;

const std::string kPods = ns_yaml("prod") + pod_yaml("prod", "web", "{app: web}", "10.244.0.10") +
                          pod_yaml("prod", "client", "{app: client}", "10.244.0.12");

// One ingress Allow rule for prod/web with `field` ("icmp" or "notICMP") = `match`. conf's schema
// pairs notICMP with notProtocol, so the document is parsed with icmp and the key renamed after.
std::string policy(const std::string& proto, const std::string& match) {
  return R"(---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: icmp, namespace: prod}
spec:
  selector: app == 'web'
  types: [Ingress]
  ingress:
  - action: Allow
    protocol: )" +
         proto + "\n    icmp: " + match + "\n";
}

World world(const std::string& proto, const std::string& field, const std::string& match,
            bool not_protocol = false) {
  World w(kPods + policy(proto, match));
  if (field == "notICMP")
    for (auto& r : w.resources)
      if (r.kind && std::string(r.kind->plural) == "networkpolicies") {
        auto& rule = r.doc["spec"]["ingress"][0];
        rule["notICMP"] = rule["icmp"];
        rule.erase("icmp");
        if (not_protocol) {
          rule["notProtocol"] = rule["protocol"];
          rule.erase("protocol");
        }
      }
  w.built = build_model(w.resources);
  return w;
}

bool allows(const World& w, int protocol, std::optional<int> type, std::optional<int> code) {
  Flow f;
  f.src = w.end("prod/client");
  f.dst = w.end("prod/web");
  f.protocol = protocol;
  f.icmp_type = type;
  f.icmp_code = code;
  return Evaluator(w.built.model, w.endpoints, w.failsafes).evaluate(f).allowed;
}

// The IcmpMatch of the policy's one compiled rule.
nft::IcmpMatch compiled_icmp(const World& w) {
  CompileOptions o;
  o.node = "node1";
  auto c = compile(w.built.model, w.endpoints, o);
  EXPECT_TRUE(c.errors.empty()) << (c.errors.empty() ? "" : c.errors[0].str());
  EXPECT_TRUE(nft::validate(c.table));
  for (const auto& ch : c.table.chains)
    if (ch.name.rfind("pi-", 0) == 0)
      for (const auto& r : ch.rules)
        for (const auto& m : r.match)
          if (auto* im = std::get_if<nft::IcmpMatch>(&m)) return *im;
  ADD_FAILURE() << "no icmp match in\n" << nft::dump(c.table);
  return {};
}

TEST(Icmp, TypeAndCodeMatchInTheEvaluator) {
  World w = world("ICMP", "icmp", "{type: 8, code: 0}");
  ASSERT_TRUE(w.built.errors.empty()) << w.built.errors[0].str();
  EXPECT_TRUE(allows(w, 1, 8, 0));
  EXPECT_FALSE(allows(w, 1, 8, 1));
  EXPECT_FALSE(allows(w, 1, 0, 0));
  EXPECT_FALSE(allows(w, 6, std::nullopt, std::nullopt));
  auto m = compiled_icmp(w);
  EXPECT_FALSE(m.negate);
  EXPECT_EQ(m.type, 8);
  EXPECT_EQ(m.code, 0);
}

TEST(Icmp, NotIcmpTypeExcludesThatTypeOnly) {
  World w = world("ICMP", "notICMP", "{type: 8}");
  ASSERT_TRUE(w.built.errors.empty()) << w.built.errors[0].str();
  EXPECT_FALSE(allows(w, 1, 8, 0));
  EXPECT_TRUE(allows(w, 1, 0, 0));                         // echo reply
  EXPECT_TRUE(allows(w, 1, 3, 1));                         // unreachable
  EXPECT_FALSE(allows(w, 6, std::nullopt, std::nullopt));  // not ICMP at all: protocol fails
  auto m = compiled_icmp(w);
  EXPECT_TRUE(m.negate);
  EXPECT_EQ(m.type, 8);
  EXPECT_FALSE(m.code);
  EXPECT_EQ(m.version, nft::IpVersion::v4);
}

TEST(Icmp, NotIcmpTypeAndCodeExcludesThePairOnly) {
  World w = world("ICMP", "notICMP", "{type: 8, code: 0}");
  ASSERT_TRUE(w.built.errors.empty()) << w.built.errors[0].str();
  EXPECT_FALSE(allows(w, 1, 8, 0));
  EXPECT_TRUE(allows(w, 1, 8, 1));  // same type, other code
  EXPECT_TRUE(allows(w, 1, 0, 0));  // other type, same code
  auto m = compiled_icmp(w);
  EXPECT_TRUE(m.negate);
  EXPECT_EQ(m.type, 8);
  EXPECT_EQ(m.code, 0);
  // The rendered rule is one compare of (type, code), not "type != 8 and code != 0".
  nft::Rule r{{m}, {}};
  EXPECT_NE(nft::dump(r).find("icmp type . icmp code != 8 . 0"), std::string::npos) << nft::dump(r);
}

// notProtocol: ICMP with notICMP would match only non-ICMP packets, which have no ICMP type:
// rejected (as before the fix it was accepted, and then never compiled).
TEST(Icmp, NotIcmpNeedsProtocolIcmpNotNotProtocol) {
  World w = world("ICMP", "notICMP", "{type: 8}", true);
  ASSERT_EQ(w.built.errors.size(), 1u);
  EXPECT_NE(w.built.errors[0].str().find("notICMP needs protocol ICMP"), std::string::npos)
      << w.built.errors[0].str();
}

TEST(Icmp, Icmpv6NotIcmpCompilesForV6Only) {
  World w = world("ICMPv6", "notICMP", "{type: 128}");
  ASSERT_TRUE(w.built.errors.empty()) << w.built.errors[0].str();
  auto m = compiled_icmp(w);
  EXPECT_EQ(m.version, nft::IpVersion::v6);
  EXPECT_TRUE(m.negate);
  EXPECT_EQ(m.type, 128);
}

}  // namespace
}  // namespace podnet::policy
