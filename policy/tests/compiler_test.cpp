// The compiler as a pure function: the table's shape (dispatch maps, endpoint chains running
// tiers, per-policy chains, selector and named-port sets), validity for the kernel, stable names
// (a label change moves only set elements), and a policy it cannot render left out with a reason.
#include "policy/compiler.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "policy/tests/policy_fixture.hpp"

namespace podnet::policy {
namespace {

using testing::ns_yaml;
using testing::pod_yaml;
using testing::World;

const std::string kPods = ns_yaml("prod", "{env: prod}") + ns_yaml("dev", "{env: dev}") +
                          pod_yaml("prod", "web", "{app: web}", "10.244.0.10",
                                   "  containers:\n  - name: c\n    ports:\n    - name: http\n"
                                   "      containerPort: 8080\n") +
                          pod_yaml("prod", "db", "{app: db}", "10.244.0.11") +
                          pod_yaml("dev", "client", "{app: client}", "10.244.0.12");

const std::string kWebPolicy = R"(---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web, namespace: prod}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
  - from:
    - podSelector: {matchLabels: {app: db}}
    ports:
    - port: http
)";

CompileResult compile_world(const World& w) {
  CompileOptions o;
  o.node = "node1";
  o.failsafes = w.failsafes;
  return compile(w.built.model, w.endpoints, o);
}

const nft::Set* set_with_prefix(const nft::Table& t, const std::string& prefix) {
  for (const auto& s : t.sets)
    if (s.name.rfind(prefix, 0) == 0) return &s;
  return nullptr;
}

TEST(Compiler, ShapesTheTableAsFelixDoes) {
  World w(kPods + kWebPolicy);
  ASSERT_TRUE(w.built.errors.empty());
  auto c = compile_world(w);
  EXPECT_TRUE(c.errors.empty());
  ASSERT_TRUE(nft::validate(c.table)) << nft::validate(c.table).error().message;
  EXPECT_EQ(c.table.name, "podnet");
  EXPECT_EQ(c.local_endpoints, 3u);
  EXPECT_EQ(c.policies, 1u);
  const nft::Set* to_wl = c.table.set("to-wl");
  ASSERT_NE(to_wl, nullptr);
  EXPECT_EQ(to_wl->elements.size(), 3u);
  const std::string web_if = workload_interface_name("prod", "web");
  const nft::Chain* tw = c.table.chain("tw-" + web_if);
  ASSERT_NE(tw, nullptr);
  // Clear marks, jump to the policy, accept-return, end-of-tier drop, (no profile: never reached
  // in a tier that applies ... but still rendered), final drop.
  std::string text = nft::dump(c.table);
  bool jumps_to_pi = false;
  for (const auto& r : tw->rules)
    for (const auto& s : r.stmt)
      if (auto* v = std::get_if<nft::Verdict>(&s); v && v->chain.rfind("pi-", 0) == 0)
        jumps_to_pi = true;
  EXPECT_TRUE(jumps_to_pi) << text;
  // The db pod's ingress has no policy: profile allow, no policy jump.
  const nft::Chain* tw_db = c.table.chain("tw-" + workload_interface_name("prod", "db"));
  ASSERT_NE(tw_db, nullptr);
  EXPECT_EQ(tw_db->rules.size(), 3u) << text;  // clear marks, profile allow, drop
  // The named port set holds web's (ip, tcp, 8080), the selector set db's address.
  const nft::Set* np = set_with_prefix(c.table, "n4-");
  ASSERT_NE(np, nullptr);
  ASSERT_EQ(np->elements.size(), 1u);
  EXPECT_EQ(np->elements[0].key[0].str(), "10.244.0.10");
  EXPECT_EQ(np->elements[0].key[2].str(), "8080");
  const nft::Set* sel = set_with_prefix(c.table, "s4-");
  ASSERT_NE(sel, nullptr);
  ASSERT_EQ(sel->elements.size(), 1u);
  EXPECT_EQ(sel->elements[0].key[0].str(), "10.244.0.11");
}

TEST(Compiler, OnlyThisNodesEndpointsGetChains) {
  World w(kPods + kWebPolicy);
  CompileOptions o;
  o.node = "node2";
  auto c = compile(w.built.model, w.endpoints, o);
  EXPECT_EQ(c.local_endpoints, 0u);
  EXPECT_TRUE(c.table.set("to-wl")->elements.empty());
  // No local endpoint: the policy is not active here, so neither its chain nor its sets are
  // programmed (it was still checked: no errors).
  EXPECT_EQ(c.policies, 0u);
  EXPECT_TRUE(c.errors.empty());
  EXPECT_EQ(set_with_prefix(c.table, "s4-"), nullptr);
  EXPECT_EQ(set_with_prefix(c.table, "n4-"), nullptr);
  EXPECT_TRUE(nft::validate(c.table));
  // A remote endpoint still fills the sets of a policy active here: the web pod on node1 is
  // policed against db's address, wherever db runs.
  std::string remote_db = kPods;
  remote_db.replace(remote_db.find("nodeName: node1", remote_db.find("name: db")), 15,
                    "nodeName: node2");
  World w2(remote_db + kWebPolicy);
  o.node = "node1";
  auto c2 = compile(w2.built.model, w2.endpoints, o);
  EXPECT_EQ(c2.local_endpoints, 2u);
  ASSERT_NE(set_with_prefix(c2.table, "s4-"), nullptr);
  EXPECT_EQ(set_with_prefix(c2.table, "s4-")->elements.size(), 1u);
}

TEST(Compiler, LabelChangeMovesOnlySetElements) {
  World before(kPods + kWebPolicy);
  std::string changed = kPods;
  changed.replace(changed.find("{app: db}"), 9, "{app: cache}");
  World after(changed + kWebPolicy);
  auto a = compile_world(before), b = compile_world(after);
  EXPECT_EQ(a.table.chains, b.table.chains);
  ASSERT_EQ(a.table.sets.size(), b.table.sets.size());
  int differing = 0;
  for (size_t i = 0; i < a.table.sets.size(); ++i) {
    EXPECT_EQ(a.table.sets[i].name, b.table.sets[i].name);
    if (a.table.sets[i].elements != b.table.sets[i].elements) ++differing;
  }
  EXPECT_EQ(differing, 1);  // the selector set lost db's address
  // Deterministic.
  EXPECT_EQ(compile_world(before).table, a.table);
}

// The seed's egress-lockdown: a Deny with IPv4-only notNets. Felix skips the rule for IPv6
// (notNets "filtered all"); in our one inet table a v6 rendering without an address match would
// drop every packet of the policy's endpoints, v4 included.
TEST(Compiler, NotNetsOfOneFamilyRenderOnlyForThatFamily) {
  const std::string lockdown = R"(---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: egress-lockdown}
spec:
  order: 600
  selector: all()
  types: [Egress]
  egress:
  - action: Deny
    destination:
      notNets: [10.0.0.0/8, 198.18.0.0/15]
)";
  World w(kPods + lockdown);
  auto r = compile_world(w);
  int deny_rules = 0;
  for (const auto& c : r.table.chains) {
    if (c.name.rfind("po-", 0) != 0) continue;
    for (const auto& rule : c.rules) {
      const bool drops = std::any_of(rule.stmt.begin(), rule.stmt.end(), [](const auto& st) {
        const auto* v = std::get_if<nft::Verdict>(&st);
        return v && *v == nft::Verdict::drop();
      });
      if (!drops) continue;
      ++deny_rules;
      const bool has_addr = std::any_of(rule.match.begin(), rule.match.end(), [](const auto& m) {
        return std::holds_alternative<nft::AddrMatch>(m);
      });
      EXPECT_TRUE(has_addr) << "a Deny without its notNets match in " << c.name;
    }
  }
  EXPECT_EQ(deny_rules, 1);  // the IPv4 rendering only
}

TEST(Compiler, TiersPassAndEndOfTierFollowTheModel) {
  World w(kPods + R"(---
apiVersion: projectcalico.org/v3
kind: Tier
metadata: {name: security}
spec: {order: 100}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: security.pass-all}
spec:
  tier: security
  order: 10
  selector: all()
  types: [Ingress]
  ingress: [{action: Pass}]
)" + kWebPolicy);
  ASSERT_TRUE(w.built.errors.empty()) << w.built.errors[0].str();
  auto c = compile_world(w);
  ASSERT_TRUE(nft::validate(c.table));
  const nft::Chain* tw = c.table.chain("tw-" + workload_interface_name("prod", "web"));
  ASSERT_NE(tw, nullptr);
  // Two tiers apply: two policy jumps and two end-of-tier drops, one pass-clear between tiers.
  int jumps = 0, drops = 0, pass_clears = 0;
  for (const auto& r : tw->rules) {
    for (const auto& s : r.stmt) {
      if (auto* v = std::get_if<nft::Verdict>(&s)) {
        if (v->kind == nft::VerdictKind::jump) ++jumps;
        if (v->kind == nft::VerdictKind::drop && !r.match.empty()) ++drops;
      }
      if (auto* m = std::get_if<nft::SetMark>(&s); m && m->clear == kMarkPass) ++pass_clears;
    }
  }
  EXPECT_EQ(jumps, 2);
  EXPECT_EQ(drops, 2);
  EXPECT_EQ(pass_clears, 1);
  // The Pass rule sets the pass mark and returns.
  bool pass_rule = false;
  for (const auto& ch : c.table.chains)
    if (ch.name.rfind("pi-", 0) == 0)
      for (const auto& r : ch.rules)
        if (r.stmt.size() == 2 && r.stmt[0] == nft::Statement{nft::SetMark{0, kMarkPass}})
          pass_rule = true;
  EXPECT_TRUE(pass_rule);
}

// doNotTrack: the raw hooks (-300) run the host endpoint's untracked chains; Allow marks, the
// raw chain then notracks and accepts; the filter chains accept the marked packets first.
TEST(Compiler, DoNotTrackPolicyRunsInTheRawHooks) {
  World w(kPods + kWebPolicy + R"(---
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata: {name: node1-eth0, labels: {role: node}}
spec: {node: node1, interfaceName: eth0, expectedIPs: [172.31.0.1]}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: untracked}
spec:
  selector: role == 'node'
  doNotTrack: true
  applyOnForward: true
  ingress:
  - {action: Deny, protocol: TCP, destination: {ports: [9000]}}
  - {action: Allow, protocol: TCP, destination: {ports: [8080]}}
  egress:
  - {action: Allow, protocol: TCP, source: {ports: [8080]}}
)");
  ASSERT_TRUE(w.built.errors.empty()) << w.built.errors[0].str();
  auto c = compile_world(w);
  ASSERT_TRUE(c.errors.empty()) << c.errors[0].str();
  ASSERT_TRUE(nft::validate(c.table)) << nft::validate(c.table).error().message;
  EXPECT_EQ(c.policies, 3u);  // web's ingress, untracked's ingress and egress
  const nft::Chain* raw_pre = c.table.chain("raw-prerouting");
  const nft::Chain* raw_out = c.table.chain("raw-output");
  ASSERT_NE(raw_pre, nullptr);
  ASSERT_NE(raw_out, nullptr);
  EXPECT_EQ(raw_pre->base->priority, -300);
  EXPECT_EQ(raw_pre->base->hook, nft::Hook::prerouting);
  EXPECT_EQ(raw_out->base->hook, nft::Hook::output);
  ASSERT_NE(c.table.set("raw-in-hep"), nullptr);
  ASSERT_NE(c.table.set("raw-out-hep"), nullptr);
  const std::string text = nft::dump(c.table);
  EXPECT_NE(text.find("meta mark & 0x00040000 == 0x00040000 notrack accept"), std::string::npos)
      << text;
  // The untracked endpoint chain has no end-of-tier drop and no final verdict.
  const std::string id = short_hash("node1-eth0", 10);
  const nft::Chain* ui = c.table.chain("ui-" + id);
  ASSERT_NE(ui, nullptr);
  for (const auto& r : ui->rules)
    for (const auto& st : r.stmt)
      if (auto* v = std::get_if<nft::Verdict>(&st)) {
        EXPECT_NE(v->kind, nft::VerdictKind::drop);
      }
  // Filter chains accept what untracked policy allowed, before anything else.
  for (const char* name : {"forward", "input", "output"}) {
    const nft::Chain* ch = c.table.chain(name);
    ASSERT_NE(ch, nullptr) << name;
    EXPECT_EQ(nft::dump(ch->rules.front()), "meta mark & 0x00040000 == 0x00040000 accept") << name;
  }
  // Without doNotTrack policy there are no raw chains.
  World plain(kPods + kWebPolicy);
  auto p = compile_world(plain);
  EXPECT_EQ(p.table.chain("raw-prerouting"), nullptr);
  EXPECT_EQ(p.table.chain("raw-output"), nullptr);
}

TEST(Compiler, HostEndpointsGetFailsafesAndChains) {
  World w(kPods + R"(---
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata: {name: node1-eth0, labels: {role: node}}
spec: {node: node1, interfaceName: eth0, expectedIPs: [172.31.0.1]}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: pre}
spec:
  selector: role == 'node'
  preDNAT: true
  applyOnForward: true
  types: [Ingress]
  ingress: [{action: Deny, protocol: TCP, destination: {ports: [30080]}}]
)");
  ASSERT_TRUE(w.built.errors.empty()) << w.built.errors[0].str();
  auto c = compile_world(w);
  ASSERT_TRUE(nft::validate(c.table)) << nft::validate(c.table).error().message;
  ASSERT_NE(c.table.chain("input"), nullptr);
  ASSERT_NE(c.table.chain("output"), nullptr);
  const nft::Chain* pre = c.table.chain("prerouting");
  ASSERT_NE(pre, nullptr);
  EXPECT_EQ(pre->base->priority, -150);
  ASSERT_NE(c.table.set("pre-hep"), nullptr);
  ASSERT_NE(c.table.set("from-hep"), nullptr);
  EXPECT_EQ(c.table.set("from-hep")->elements.size(), 1u);
  // Failsafe tcp:22 is accepted in input before the host endpoint dispatch.
  int failsafe22 = -1, dispatch = -1;
  const auto& in = c.table.chain("input")->rules;
  for (size_t i = 0; i < in.size(); ++i) {
    for (const auto& m : in[i].match)
      if (auto* pm = std::get_if<nft::PortMatch>(&m);
          pm && pm->values.literal == std::vector<nft::KeyPart>{nft::KeyPart::port(22)})
        failsafe22 = static_cast<int>(i);
    for (const auto& s : in[i].stmt)
      if (auto* v = std::get_if<nft::VmapLookup>(&s); v && v->map == "from-hep")
        dispatch = static_cast<int>(i);
  }
  EXPECT_GE(failsafe22, 0);
  EXPECT_LT(failsafe22, dispatch);
}

// Auto host endpoints (interfaceName "*") only: no named interface, so no from-hep / to-hep
// map; input and output jump to the "*" endpoint's chains instead (and must not look up a map
// that is not there: the kernel, and validate(), refuse the whole table).
TEST(Compiler, WildcardHostEndpointsAloneMakeAValidTable) {
  World w(kPods + R"(---
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata: {name: node1-auto-hep, labels: {kubernetes.io/hostname: node1}}
spec: {node: node1, interfaceName: "*", expectedIPs: [172.31.0.1]}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: default-node-policy}
spec:
  selector: has(kubernetes.io/hostname)
  ingress: [{action: Allow, protocol: TCP, source: {nets: [127.0.0.1/32]}}]
)");
  ASSERT_TRUE(w.built.errors.empty()) << w.built.errors[0].str();
  auto c = compile_world(w);
  ASSERT_TRUE(nft::validate(c.table)) << nft::validate(c.table).error().message;
  EXPECT_EQ(c.table.set("from-hep"), nullptr);
  EXPECT_EQ(c.table.set("to-hep"), nullptr);
  for (const char* base : {"input", "output"}) {
    ASSERT_NE(c.table.chain(base), nullptr) << base;
    bool jumps_to_endpoint = false;
    for (const auto& r : c.table.chain(base)->rules)
      for (const auto& st : r.stmt)
        if (auto* v = std::get_if<nft::Verdict>(&st);
            v && v->kind == nft::VerdictKind::jump &&
            (v->chain.rfind("fh-", 0) == 0 || v->chain.rfind("th-", 0) == 0))
          jumps_to_endpoint = true;
    EXPECT_TRUE(jumps_to_endpoint) << base << " does not reach the * endpoint's chain";
  }
}

// A HostEndpoint with expectedIPs only is dispatched from the interfaces carrying one of them
// (CompileOptions::host_interfaces); without them it polices nothing, as Felix on a node where no
// interface has the address.
TEST(Compiler, HostEndpointByExpectedIpsIsDispatchedFromTheInterfaceWithTheAddress) {
  World w(kPods + R"(---
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata: {name: node1-lan}
spec: {node: node1, expectedIPs: [172.31.0.1]}
)");
  ASSERT_TRUE(w.built.errors.empty()) << w.built.errors[0].str();
  CompileOptions o;
  o.node = "node1";
  auto none = compile(w.built.model, w.endpoints, o);
  EXPECT_EQ(none.table.set("from-hep"), nullptr);
  EXPECT_EQ(none.table.chain("output"), nullptr);
  o.host_interfaces = {{"lo", {*IpAddr::parse("127.0.0.1")}},
                       {"ens5", {*IpAddr::parse("172.31.0.1")}},
                       {"ens6", {*IpAddr::parse("172.31.9.9")}}};
  auto c = compile(w.built.model, w.endpoints, o);
  ASSERT_TRUE(nft::validate(c.table)) << nft::validate(c.table).error().message;
  for (const char* map : {"from-hep", "to-hep"}) {
    const nft::Set* s = c.table.set(map);
    ASSERT_NE(s, nullptr) << map;
    ASSERT_EQ(s->elements.size(), 1u) << map;
    EXPECT_EQ(s->elements[0].key, std::vector<nft::KeyPart>{nft::KeyPart::ifname("ens5")});
  }
  EXPECT_NE(c.table.chain("output"), nullptr);
}

TEST(Compiler, EndpointToHostActionEndsTheWorkloadPathInInput) {
  World w(kPods);
  auto last_cali_rule = [&](CompileOptions::EndpointToHost a) {
    CompileOptions o;
    o.node = "node1";
    o.endpoint_to_host = a;
    auto c = compile(w.built.model, w.endpoints, o);
    std::optional<nft::Verdict> v;
    for (const auto& r : c.table.chain("input")->rules)
      if (r.match.size() == 1 &&
          r.match[0] == nft::Match{nft::IfNameMatch{nft::Dir::in, "cali*", false}})
        if (auto* verdict = std::get_if<nft::Verdict>(&r.stmt.back())) v = *verdict;
    return v;
  };
  EXPECT_EQ(last_cali_rule(CompileOptions::EndpointToHost::accept), nft::Verdict::accept());
  EXPECT_EQ(last_cali_rule(CompileOptions::EndpointToHost::drop), nft::Verdict::drop());
  EXPECT_EQ(last_cali_rule(CompileOptions::EndpointToHost::return_), std::nullopt);
}

}  // namespace
}  // namespace podnet::policy
