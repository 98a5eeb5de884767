// The services table builder: ClusterIP dispatch, NodePort with masquerade mark, Local policy,
// no-endpoint rejects, named target ports resolved to numbers, and chain-level locality of
// changes (an endpoint change touches only that service's chains).
#include <gtest/gtest.h>

#include "policy/services_nat.hpp"

namespace podnet::policy {
namespace {

ServiceFrontend frontend(const std::string& name, const std::string& cip, uint16_t port,
                         std::vector<ServiceEndpoint> eps, uint16_t node_port = 0,
                         bool local_only = false, uint8_t proto = 6) {
  ServiceFrontend f;
  f.ns = "yaobank";
  f.name = name;
  f.cluster_ip = cip;
  f.port = port;
  f.protocol = proto;
  f.node_port = node_port;
  f.local_only = local_only;
  f.endpoints = std::move(eps);
  return f;
}

std::vector<std::string> rules_of(const nft::Table& t, const std::string& chain) {
  std::vector<std::string> out;
  const nft::Chain* c = t.chain(chain);
  if (!c) return {"<no chain " + chain + ">"};
  for (const auto& r : c->rules) out.push_back(nft::dump(r));
  return out;
}

TEST(ServicesNat, BaseChainsHookAtDstnatSrcnatAndBeforeFilterPolicy) {
  auto t = services_table({});
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->family, nft::Family::ip);
  EXPECT_EQ(t->name, "podnet-svc");
  auto hook = [&](const std::string& c) { return *t->chain(c)->base; };
  EXPECT_EQ(hook("prerouting"), (nft::BaseChain{nft::ChainType::nat, nft::Hook::prerouting, -100}));
  EXPECT_EQ(hook("output"), (nft::BaseChain{nft::ChainType::nat, nft::Hook::output, -100}));
  EXPECT_EQ(hook("postrouting"),
            (nft::BaseChain{nft::ChainType::nat, nft::Hook::postrouting, 100}));
  EXPECT_EQ(hook("filter-forward"),
            (nft::BaseChain{nft::ChainType::filter, nft::Hook::forward, -110}));
  EXPECT_EQ(rules_of(*t, "postrouting"),
            std::vector<std::string>{"meta mark & 0x00004000 == 0x00004000 meta mark set meta mark "
                                     "& 0xffffbfff | 0x00000000 masquerade"});
  EXPECT_EQ(rules_of(*t, "services"),
            std::vector<std::string>{"fib daddr type local goto nodeports"});
  EXPECT_TRUE(t->chain("nodeports")->rules.empty());
  EXPECT_TRUE(t->chain("no-endpoints")->rules.empty());
}

TEST(ServicesNat, ClusterIpBalancesOverEndpointChainsThatDnat) {
  auto t = services_table({frontend(
      "summary", "10.96.0.20", 80,
      {{"10.0.1.5", 8080, "yaobank/s1", true}, {"10.0.2.5", 8080, "yaobank/s2", false}})});
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(rules_of(*t, "services"),
            (std::vector<std::string>{
                "ip daddr 10.96.0.20 meta l4proto tcp th dport 80 goto svc-yaobank/summary/tcp/80",
                "fib daddr type local goto nodeports"}));
  EXPECT_EQ(rules_of(*t, "svc-yaobank/summary/tcp/80"),
            std::vector<std::string>{
                "numgen random mod 2 vmap { 0 : goto ep-yaobank/summary/tcp/80__10.0.1.5/8080, 1 : "
                "goto ep-yaobank/summary/tcp/80__10.0.2.5/8080 }"});
  EXPECT_EQ(rules_of(*t, "ep-yaobank/summary/tcp/80__10.0.2.5/8080"),
            (std::vector<std::string>{
                "ip saddr 10.0.2.5 meta mark set meta mark & 0xffffbfff | 0x00004000",
                "meta l4proto tcp dnat ip to 10.0.2.5:8080"}));
  EXPECT_TRUE(t->chain("no-endpoints")->rules.empty());
  EXPECT_TRUE(t->chain("nodeports")->rules.empty());
}

TEST(ServicesNat, NodePortMarksForMasqueradeAndAlsoServesItsClusterIp) {
  auto t = services_table(
      {frontend("customer", "10.96.0.10", 80, {{"10.0.2.9", 80, "yaobank/c", false}}, 30180)});
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(
      rules_of(*t, "nodeports"),
      std::vector<std::string>{"meta l4proto tcp th dport 30180 goto ext-yaobank/customer/tcp/80"});
  EXPECT_EQ(rules_of(*t, "ext-yaobank/customer/tcp/80"),
            std::vector<std::string>{"meta mark set meta mark & 0xffffbfff | 0x00004000 goto "
                                     "svc-yaobank/customer/tcp/80"});
  // One endpoint: a plain goto, no numgen.
  EXPECT_EQ(rules_of(*t, "svc-yaobank/customer/tcp/80"),
            std::vector<std::string>{"goto ep-yaobank/customer/tcp/80__10.0.2.9/80"});
  EXPECT_EQ(rules_of(*t, "services").size(), 2u);
}

TEST(ServicesNat, LocalPolicyUsesLocalEndpointsWithoutMasqueradeOrDrops) {
  std::vector<ServiceEndpoint> eps{{"10.0.1.5", 80, "a", true}, {"10.0.2.5", 80, "b", false}};
  auto t = services_table({frontend("customer", "10.96.0.10", 80, eps, 30180, true)});
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(rules_of(*t, "ext-yaobank/customer/tcp/80"),
            std::vector<std::string>{"goto ep-yaobank/customer/tcp/80__10.0.1.5/80"});
  // The cluster IP still balances over all endpoints.
  EXPECT_NE(rules_of(*t, "svc-yaobank/customer/tcp/80")[0].find("mod 2"), std::string::npos);

  eps[0].local = false;  // no endpoint on this node
  auto none = services_table({frontend("customer", "10.96.0.10", 80, eps, 30180, true)});
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->chain("ext-yaobank/customer/tcp/80"), nullptr);
  EXPECT_TRUE(none->chain("nodeports")->rules.empty());
  EXPECT_EQ(rules_of(*none, "no-endpoints"),
            std::vector<std::string>{"fib daddr type local meta l4proto tcp th dport 30180 drop"});
}

TEST(ServicesNat, NoEndpointsRejectsTcpWithResetOthersWithIcmp) {
  auto t = services_table({frontend("db", "10.96.0.30", 2379, {}, 30379),
                           frontend("dns", "10.96.0.53", 53, {}, 0, false, 17)});
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(rules_of(*t, "no-endpoints"),
            (std::vector<std::string>{
                "ip daddr 10.96.0.30 meta l4proto tcp th dport 2379 reject with tcp reset",
                "fib daddr type local meta l4proto tcp th dport 30379 reject with tcp reset",
                "ip daddr 10.96.0.53 meta l4proto udp th dport 53 reject"}));
  EXPECT_EQ(rules_of(*t, "services"),
            std::vector<std::string>{"fib daddr type local goto nodeports"});
  EXPECT_EQ(t->chain("svc-yaobank/db/tcp/2379"), nullptr);
  for (const char* c : {"filter-input", "filter-forward", "filter-output"})
    EXPECT_EQ(rules_of(*t, c), std::vector<std::string>{"ct state new jump no-endpoints"});
}

TEST(ServicesNat, NamedTargetPortIsDnattedToThePodsNumber) {
  // resolve_services turned targetPort "web" into each pod's own number.
  auto t =
      services_table({frontend("summary", "10.96.0.20", 80,
                               {{"10.0.1.5", 8081, "a", true}, {"10.0.1.6", 9090, "b", true}})});
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(rules_of(*t, "ep-yaobank/summary/tcp/80__10.0.1.5/8081")[1],
            "meta l4proto tcp dnat ip to 10.0.1.5:8081");
  EXPECT_EQ(rules_of(*t, "ep-yaobank/summary/tcp/80__10.0.1.6/9090")[1],
            "meta l4proto tcp dnat ip to 10.0.1.6:9090");
}

TEST(ServicesNat, AnEndpointChangeTouchesOnlyThatServicesChains) {
  std::vector<ServiceFrontend> fs{frontend("a", "10.96.0.1", 80, {{"10.0.0.1", 80, "p1", true}}),
                                  frontend("b", "10.96.0.2", 80, {{"10.0.0.2", 80, "p2", true}})};
  auto before = services_table(fs);
  fs[1].endpoints.push_back({"10.0.0.3", 80, "p3", false});
  auto after = services_table(fs);
  ASSERT_TRUE(before.ok() && after.ok());
  std::set<std::string> changed;
  for (const auto& c : after->chains) {
    const nft::Chain* old = before->chain(c.name);
    if (!old || !(*old == c)) changed.insert(c.name);
  }
  EXPECT_EQ(changed,
            (std::set<std::string>{"svc-yaobank/b/tcp/80", "ep-yaobank/b/tcp/80__10.0.0.3/80"}));
}

TEST(ServicesNat, BadAddressesAreErrorsNotTables) {
  auto t = services_table({frontend("a", "10.96.0.1", 80, {{"fd00::1", 80, "p", true}})});
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().message, "service yaobank/a/tcp/80: endpoint fd00::1 is not an IPv4 address");
}

TEST(NftIr, NewStatementsValidate) {
  nft::Table t;
  t.family = nft::Family::ip;
  t.name = "x";
  nft::Chain pre;
  pre.name = "pre";
  pre.base = nft::BaseChain{nft::ChainType::filter, nft::Hook::prerouting, 0, false};
  nft::Rule r;
  r.stmt.emplace_back(nft::Reject{true});
  pre.rules.push_back(r);
  t.chains.push_back(pre);
  auto st = nft::validate(t);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("reject outside the input/forward/output hooks"),
            std::string::npos);
  t.chains[0].rules[0].stmt = {nft::NumgenVmap{{nft::Verdict::goto_("nowhere")}}};
  st = nft::validate(t);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("targets no regular chain"), std::string::npos);
  t.chains[0].rules[0].stmt = {nft::Dnat{"10.0.0.1", 80}};
  st = nft::validate(t);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("NAT in a filter base chain"), std::string::npos);
  t.chains[0].rules[0].stmt = {nft::Dnat{"10.0.0.x", 80}};
  EXPECT_FALSE(nft::validate(t).ok());
}

}  // namespace
}  // namespace podnet::policy
