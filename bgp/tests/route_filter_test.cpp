// BGPFilter evaluation (every match condition, operator and operation), compilation from the
// resources, and what the export policy puts on the wire with filters and prefixAdvertisements.
#include "bgp/route_filter.hpp"

#include <gtest/gtest.h>

#include "bgp/export_policy.hpp"
#include "bgp/tests/desired_peers_fixture.hpp"
#include "conf/types/routing.hpp"

namespace podnet::bgp {
namespace {

using conf::types::BGPFilter;
using conf::types::BGPFilterRule;

rib::Prefix pfx(const char* s) {
  return rib::Prefix::parse(s).value();
}
rib::Address addr(const char* s) {
  return rib::Address::parse(s).value();
}

BGPFilterRule rule(const char* action, const char* cidr = "", const char* op = "") {
  BGPFilterRule r;
  r.action = action;
  r.cidr = cidr;
  r.match_operator = op;
  return r;
}

RoutePolicy policy_of(std::vector<BGPFilterRule> export_v4,
                      std::vector<BGPFilterRule> import_v4 = {}, const char* name = "f") {
  BGPFilter f;
  f.metadata.name = name;
  f.spec.export_v4 = std::move(export_v4);
  f.spec.import_v4 = std::move(import_v4);
  auto c = compile_filter(f);
  EXPECT_TRUE(c.ok()) << (c ? "" : c.error().message);
  RoutePolicy p;
  p.filters.push_back(std::move(*c));
  return p;
}

Verdict run(const RoutePolicy& p, const char* prefix, rib::PathAttributes a = {},
            RouteContext ctx = {}, bool import = false) {
  return run_filters(p, import, pfx(prefix), a, ctx);
}

TEST(Community, ParsesStandardAndLargeAndRejectsOthers) {
  auto s = parse_community("65000:100");
  ASSERT_TRUE(s.ok());
  EXPECT_FALSE(s->large);
  EXPECT_EQ(s->standard, (65000u << 16) | 100u);
  EXPECT_EQ(s->to_string(), "65000:100");
  auto l = parse_community("4200000000:1:2");
  ASSERT_TRUE(l.ok());
  EXPECT_TRUE(l->large);
  EXPECT_EQ(l->large_value.global_admin, 4200000000u);
  EXPECT_EQ(l->to_string(), "4200000000:1:2");
  for (const char* bad : {"", "1", "65536:1", "1:2:3:4", "a:b", "1::2", "4294967296:1:1"})
    EXPECT_FALSE(parse_community(bad).ok()) << bad;
}

TEST(FilterMatch, InNotInEqualNotEqual) {
  auto in = policy_of({rule("Reject", "10.0.0.0/16", "In")});
  EXPECT_EQ(run(in, "10.0.1.0/26"), Verdict::reject);
  EXPECT_EQ(run(in, "10.0.0.0/16"), Verdict::reject);
  EXPECT_EQ(run(in, "10.1.0.0/26"), Verdict::none);
  EXPECT_EQ(run(in, "10.0.0.0/8"), Verdict::none);  // covering, not inside

  auto not_in = policy_of({rule("Reject", "10.0.0.0/16", "NotIn")});
  EXPECT_EQ(run(not_in, "10.0.1.0/26"), Verdict::none);
  EXPECT_EQ(run(not_in, "10.1.0.0/26"), Verdict::reject);

  auto eq = policy_of({rule("Accept", "10.0.1.0/26", "Equal")});
  EXPECT_EQ(run(eq, "10.0.1.0/26"), Verdict::accept);
  EXPECT_EQ(run(eq, "10.0.1.0/27"), Verdict::none);

  auto ne = policy_of({rule("Reject", "10.0.1.0/26", "NotEqual")});
  EXPECT_EQ(run(ne, "10.0.1.0/26"), Verdict::none);
  EXPECT_EQ(run(ne, "10.0.2.0/26"), Verdict::reject);
}

TEST(FilterMatch, PrefixLengthNarrowsInAndNotIn) {
  auto r = rule("Reject", "10.0.0.0/16", "In");
  r.prefix_length_min = 24;
  r.prefix_length_max = 28;
  auto p = policy_of({r});
  EXPECT_EQ(run(p, "10.0.1.0/24"), Verdict::reject);
  EXPECT_EQ(run(p, "10.0.1.0/28"), Verdict::reject);
  EXPECT_EQ(run(p, "10.0.1.0/29"), Verdict::none);
  EXPECT_EQ(run(p, "10.0.0.0/20"), Verdict::none);
  r.match_operator = "NotIn";
  auto q = policy_of({r});
  EXPECT_EQ(run(q, "10.0.1.0/29"), Verdict::reject);
  EXPECT_EQ(run(q, "10.0.1.0/26"), Verdict::none);
  // A min below the cidr's own length is raised to it (confd's filterMatchPrefixLength).
  auto low = rule("Reject", "10.0.0.0/16", "In");
  low.prefix_length_min = 8;
  EXPECT_EQ(run(policy_of({low}), "10.0.0.0/12"), Verdict::none);
}

TEST(FilterMatch, FirstMatchWinsAcrossRulesAndFilters) {
  RoutePolicy p =
      policy_of({rule("Accept", "10.0.1.0/26", "Equal"), rule("Reject", "10.0.0.0/16", "In")});
  RoutePolicy second = policy_of({rule("Accept")}, {}, "g");
  p.filters.push_back(second.filters.front());
  EXPECT_EQ(run(p, "10.0.1.0/26"), Verdict::accept);
  EXPECT_EQ(run(p, "10.0.2.0/26"), Verdict::reject);
  EXPECT_EQ(run(p, "192.168.0.0/24"), Verdict::accept);  // falls to the second filter
}

TEST(FilterMatch, SourcePeerTypeCommunityAsPathPriorityInterface) {
  auto src = rule("Reject");
  src.source = "RemotePeers";
  auto p = policy_of({src});
  EXPECT_EQ(run(p, "10.0.0.0/26", {}, {false, true}), Verdict::reject);
  EXPECT_EQ(run(p, "10.0.0.0/26", {}, {false, false}), Verdict::none);  // our own block

  auto ibgp = rule("Reject");
  ibgp.peer_type = "iBGP";
  p = policy_of({ibgp});
  EXPECT_EQ(run(p, "10.0.0.0/26", {}, {true, true}), Verdict::reject);
  EXPECT_EQ(run(p, "10.0.0.0/26", {}, {false, true}), Verdict::none);

  auto comm = rule("Reject");
  comm.communities = {"65000:7:9"};
  p = policy_of({comm});
  rib::PathAttributes with;
  with.large_communities.push_back({65000, 7, 9});
  EXPECT_EQ(run(p, "10.0.0.0/26", with), Verdict::reject);
  EXPECT_EQ(run(p, "10.0.0.0/26"), Verdict::none);

  auto asp = rule("Reject");
  asp.as_path_prefix = {65001, 65002};
  p = policy_of({asp});
  rib::PathAttributes path;
  path.as_path = rib::AsPath{{{rib::AsSegmentType::as_sequence, {65001, 65002, 65003}}}};
  EXPECT_EQ(run(p, "10.0.0.0/26", path), Verdict::reject);
  path.as_path = rib::AsPath{{{rib::AsSegmentType::as_sequence, {65002, 65001}}}};
  EXPECT_EQ(run(p, "10.0.0.0/26", path), Verdict::none);

  auto pri = rule("Reject");
  pri.priority = 1024;
  p = policy_of({pri});
  EXPECT_EQ(run(p, "10.0.0.0/26"), Verdict::reject);  // no LOCAL_PREF: the normal priority
  rib::PathAttributes lp;
  lp.local_pref = 2147483647u - 512u;
  EXPECT_EQ(run(p, "10.0.0.0/26", lp), Verdict::none);
  pri.priority = 512;
  EXPECT_EQ(run(policy_of({pri}), "10.0.0.0/26", lp), Verdict::reject);

  auto iface = rule("Reject");
  iface.interface = "eth*";
  EXPECT_EQ(run(policy_of({iface}), "10.0.0.0/26"), Verdict::none);  // no route has one
}

TEST(FilterOperations, AppliedInOrderOnAcceptOnly) {
  auto r = rule("Accept", "10.0.0.0/16", "In");
  BGPFilterRule::Operation add, add_large, prep, pri;
  add.add_community = "65000:1";
  add_large.add_community = "65000:2:3";
  prep.prepend_as_path = {65010, 65011};
  pri.set_priority = 256;
  r.operations = {add, add_large, prep, pri, add};
  auto p = policy_of({r});
  rib::PathAttributes a;
  a.as_path = rib::AsPath{{{rib::AsSegmentType::as_sequence, {65001}}}};
  ASSERT_EQ(run_filters(p, false, pfx("10.0.1.0/26"), a, {}), Verdict::accept);
  EXPECT_EQ(a.communities, std::vector<uint32_t>{(65000u << 16) | 1u});  // added once
  ASSERT_EQ(a.large_communities.size(), 1u);
  EXPECT_EQ(a.large_communities[0].local2, 3u);
  EXPECT_EQ(a.as_path->segments.front().asns, (std::vector<uint32_t>{65010, 65011, 65001}));
  EXPECT_EQ(a.local_pref, 2147483647u - 256u);

  rib::PathAttributes untouched;
  EXPECT_EQ(run_filters(p, false, pfx("10.9.0.0/26"), untouched, {}), Verdict::none);
  EXPECT_EQ(untouched, rib::PathAttributes{});
}

TEST(FilterCompile, RejectsBadRulesWithTheirPlace) {
  BGPFilter f;
  f.metadata.name = "bad";
  f.spec.import_v4 = {rule("Accept"), rule("Maybe")};
  auto c = compile_filter(f);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("bad importV4[1]"), std::string::npos) << c.error().message;
  f.spec.import_v4 = {rule("Accept", "fd00::/64", "In")};  // v6 cidr in a v4 list
  EXPECT_FALSE(compile_filter(f).ok());
  f.spec.import_v4 = {rule("Accept", "10.0.0.0/8", "Within")};
  EXPECT_FALSE(compile_filter(f).ok());
  auto ops_on_reject = rule("Reject");
  ops_on_reject.operations.push_back({std::string("1:1"), {}, std::nullopt});
  f.spec.import_v4 = {ops_on_reject};
  EXPECT_FALSE(compile_filter(f).ok());
  f.spec.import_v4 = {};
  f.spec.export_v6 = {rule("Reject", "fd00::/48", "NotIn")};
  auto v6 = compile_filter(f);
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->export_v6.front().max_length, 128);
}

TEST(PrefixAdvertisements, NamesResolveAndCidrContains) {
  std::vector<conf::types::Community> named = {{"mine", "65000:100"}, {"big", "65000:1:2"}};
  std::vector<conf::types::PrefixAdvertisement> ads = {{"10.0.0.0/16", {"mine", "big", "1:2"}}};
  auto pcs = compile_prefix_advertisements(ads, named);
  ASSERT_TRUE(pcs.ok());
  RoutePolicy p;
  p.prefix_communities = *pcs;
  rib::PathAttributes a;
  add_prefix_communities(p, pfx("10.0.5.0/26"), a);
  EXPECT_EQ(a.communities, (std::vector<uint32_t>{(65000u << 16) | 100u, (1u << 16) | 2u}));
  ASSERT_EQ(a.large_communities.size(), 1u);
  rib::PathAttributes outside;
  add_prefix_communities(p, pfx("10.1.0.0/26"), outside);
  EXPECT_TRUE(outside.communities.empty());
  ads[0].communities = {"undefined-name"};
  EXPECT_FALSE(compile_prefix_advertisements(ads, named).ok());
}

// ---- through ExportPolicy: what a peer is sent ----

struct ExportFixture : ::testing::Test {
  rib::AttrStore store;
  rib::PeerInfo local{rib::kLocalPeer, rib::PeerKind::local, {}, 0x0a000001, 64512, false};
  rib::PeerInfo ebgp_src{3, rib::PeerKind::ebgp, addr("192.0.2.1"), 0xc0000201, 65001, false};
  ExportPolicy policy() {
    ExportPolicy p;
    p.ebgp = true;
    p.local_as = 64512;
    p.peer_as = 65002;
    p.router_id = 0x0a000001;
    p.self_v4 = addr("10.0.0.1");
    return p;
  }
  std::optional<rib::PathAttributes> send(const ExportPolicy& p, const rib::PeerInfo& src,
                                          const char* prefix, rib::PathAttributes a = {}) {
    if (src.is_local()) {
      a.origin = rib::Origin::igp;
      a.as_path = rib::AsPath{};
    } else {
      a.origin = rib::Origin::igp;
      a.as_path = rib::AsPath{{{rib::AsSegmentType::as_sequence, {65001}}}};
      a.next_hop = addr("192.0.2.1");
    }
    return p.apply(pfx(prefix), rib::ExportCandidate{src, 0, store.intern(a)});
  }
};

TEST_F(ExportFixture, PrefixAdvertisementCommunitiesOnTheWire) {
  ExportPolicy p = policy();
  p.route_policy.prefix_communities = {
      {pfx("10.0.0.0/16"),
       {parse_community("65000:100").value(), parse_community("65000:5:6").value()}}};
  auto out = send(p, local, "10.0.1.0/26");
  ASSERT_TRUE(out);
  EXPECT_EQ(out->communities, std::vector<uint32_t>{(65000u << 16) | 100u});
  ASSERT_EQ(out->large_communities.size(), 1u);
  EXPECT_EQ(out->large_communities[0].local1, 5u);
  EXPECT_EQ(out->as_path->segments.front().asns, std::vector<uint32_t>{64512});
  auto other = send(p, local, "10.9.0.0/26");
  ASSERT_TRUE(other);
  EXPECT_TRUE(other->communities.empty());
}

TEST_F(ExportFixture, FilterRejectsAcceptsAndSkipsPrefixCommunitiesOnAccept) {
  ExportPolicy p = policy();
  BGPFilterRule prep = rule("Accept", "10.0.2.0/26", "Equal");
  BGPFilterRule::Operation op;
  op.prepend_as_path = {64999};
  prep.operations = {op};
  auto src_rule = rule("Reject");
  src_rule.source = "RemotePeers";
  p.route_policy = policy_of({rule("Reject", "10.0.1.0/26", "Equal"), prep, src_rule});
  p.route_policy.prefix_communities = {{pfx("10.0.0.0/16"), {parse_community("1:1").value()}}};
  EXPECT_FALSE(send(p, local, "10.0.1.0/26"));
  auto acc = send(p, local, "10.0.2.0/26");
  ASSERT_TRUE(acc);
  // The filter's prepend lands after ours (ours is the export's own, last step), and a
  // deciding Accept ends Calico's export filter before apply_communities().
  EXPECT_EQ(acc->as_path->segments.front().asns, (std::vector<uint32_t>{64512, 64999}));
  EXPECT_TRUE(acc->communities.empty());
  auto plain = send(p, local, "10.0.3.0/26");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->communities, std::vector<uint32_t>{(1u << 16) | 1u});
  EXPECT_FALSE(send(p, ebgp_src, "172.16.0.0/24"));  // RemotePeers: learned routes only
  EXPECT_TRUE(send(p, local, "172.16.0.0/24"));
}

TEST_F(ExportFixture, PolicyIsPartOfTheGroupKey) {
  ExportPolicy a = policy(), b = policy();
  EXPECT_EQ(a.key(), b.key());
  b.route_policy = policy_of({rule("Reject", "10.0.1.0/26", "Equal")});
  EXPECT_NE(a.key(), b.key());
  ExportPolicy c = policy();
  c.route_policy = policy_of({}, {rule("Reject")});  // import rules do not split groups
  EXPECT_EQ(a.key(), c.key());
  c.route_policy.prefix_communities = {{pfx("10.0.0.0/16"), {parse_community("1:1").value()}}};
  EXPECT_NE(a.key(), c.key());
}

// ---- from the resources: which peers get which policy ----

TEST(DesiredRoutePolicy, FiltersByNameInOrderAndPrefixAdvertisementsForAll) {
  const std::string yaml = test::node("n1", "10.0.0.1/24") + test::node("n2", "10.0.0.2/24") +
                           R"(---
apiVersion: projectcalico.org/v3
kind: BGPConfiguration
metadata: {name: default}
spec:
  communities: [{name: tagged, value: "65000:100"}]
  prefixAdvertisements:
  - cidr: 10.65.0.0/16
    communities: [tagged, "65000:1:2"]
---
apiVersion: projectcalico.org/v3
kind: BGPConfiguration
metadata: {name: node.n2}
spec:
  prefixAdvertisements: [{cidr: 10.66.0.0/16, communities: ["7:7"]}]
---
apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata: {name: tor}
spec:
  peerIP: 192.0.2.1
  asNumber: 65001
  filters: [second, first, missing]
---
apiVersion: projectcalico.org/v3
kind: BGPFilter
metadata: {name: first}
spec:
  exportV4: [{action: Reject, cidr: 10.65.0.0/26, matchOperator: Equal}]
---
apiVersion: projectcalico.org/v3
kind: BGPFilter
metadata: {name: second}
spec:
  importV4: [{action: Reject, cidr: 10.0.0.0/8, matchOperator: NotIn}]
)";
  BgpInputs in = test::inputs("n1", yaml);
  for (const auto& doc : conf::parse_documents(yaml, "test.yaml"))
    for (const auto& r : doc.resources)
      if (r.kind->kind == "BGPFilter") in.filters.push_back(*conf::decode<BGPFilter>(r));
  ASSERT_EQ(in.filters.size(), 2u);
  DesiredBgp d = desired_bgp(in);
  const PeerConfig* tor = test::find(d, "Global_192_0_2_1");
  const PeerConfig* mesh = test::find(d, "Mesh_10_0_0_2");
  ASSERT_TRUE(tor && mesh);
  ASSERT_EQ(tor->route_policy.filters.size(), 2u);
  EXPECT_EQ(tor->route_policy.filters[0].name, "second");
  EXPECT_EQ(tor->route_policy.filters[1].name, "first");
  EXPECT_TRUE(tor->route_policy.has_import());
  EXPECT_TRUE(mesh->route_policy.filters.empty());
  bool warned = false;
  for (const auto& w : d.warnings) warned = warned || w.find("missing") != std::string::npos;
  EXPECT_TRUE(warned);
  for (const PeerConfig* p : {tor, mesh}) {
    ASSERT_EQ(p->route_policy.prefix_communities.size(), 1u);
    EXPECT_EQ(p->route_policy.prefix_communities[0].communities.size(), 2u);
    EXPECT_EQ(p->route_policy.prefix_communities[0].communities[0].to_string(), "65000:100");
  }
  // n2's own config replaces the default's prefixAdvertisements.
  in.node_name = "n2";
  DesiredBgp d2 = desired_bgp(in);
  const PeerConfig* m2 = test::find(d2, "Mesh_10_0_0_1");
  ASSERT_TRUE(m2);
  ASSERT_EQ(m2->route_policy.prefix_communities.size(), 1u);
  EXPECT_EQ(m2->route_policy.prefix_communities[0].cidr, pfx("10.66.0.0/16"));
  // Changing only a filter keeps the session (same_session) but not the config.
  PeerConfig changed = *tor;
  changed.route_policy.filters.pop_back();
  EXPECT_TRUE(changed.same_session(*tor));
  EXPECT_FALSE(changed == *tor);
  changed.hold_time = 90;
  EXPECT_FALSE(changed.same_session(*tor));
}

}  // namespace
}  // namespace podnet::bgp
