// The incremental compiler against the full compile: after every step of seeded random sequences
// of pod changes (labels, addresses, named ports, node, added, deleted) the kept table equals
// what compile() makes of the same resources from scratch, and the delta it returned is what
// turned the previous table into the new one.
#include "policy/incremental.hpp"

#include <gtest/gtest.h>

#include <random>

#include "policy/tests/policy_fixture.hpp"

namespace podnet::policy {
namespace {

using testing::ns_yaml;
using testing::parse;

struct PodState {
  std::string ns, name, app, tier, ip, node;
  bool named_port = false;
};

std::string pod_yaml(const PodState& p) {
  std::string y = "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: " + p.name +
                  "\n  namespace: " + p.ns + "\n  labels: {app: " + p.app +
                  (p.tier.empty() ? "" : ", tier: " + p.tier) + "}\nspec:\n  nodeName: " + p.node +
                  "\n";
  if (p.named_port)
    y += "  containers:\n  - name: c\n    ports:\n    - name: http\n      containerPort: 8080\n";
  return y + "status:\n  podIPs:\n  - ip: " + p.ip + "\n";
}

// Policies over the labels the steps change: pod selectors, rule selectors, a named port, a
// NetworkSet matched by a rule selector, tiers with Pass, and a policy no pod matches at first.
const std::string kPolicies = R"(---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: web, namespace: a}
spec:
  order: 10
  selector: app == 'web'
  ingress:
  - action: Allow
    protocol: TCP
    source: {selector: tier == 'front', namespaceSelector: all()}
    destination: {ports: [http, 443]}
  egress:
  - action: Allow
    destination: {selector: app == 'db'}
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: db, namespace: b}
spec:
  order: 20
  selector: app == 'db'
  ingress:
  - action: Deny
    source: {selector: tier == 'blocked'}
  - action: Allow
    source: {selector: has(tier), namespaceSelector: all()}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: rare}
spec:
  order: 5
  selector: app == 'rare'
  types: [Ingress]
  ingress:
  - action: Allow
    source: {selector: role == 'partner'}
---
apiVersion: projectcalico.org/v3
kind: Tier
metadata: {name: security}
spec: {order: 100}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: security.pass-front}
spec:
  tier: security
  order: 1
  selector: tier == 'front'
  ingress:
  - action: Pass
  egress:
  - action: Pass
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkSet
metadata: {name: partners, labels: {role: partner}}
spec: {nets: [192.0.2.0/24]}
)";

class Sequence {
 public:
  explicit Sequence(unsigned seed) : rng_(seed) {
    for (int i = 0; i < 24; ++i) pods_.push_back(random_pod(i));
    next_ = 24;
  }

  std::string yaml() const {
    std::string y = ns_yaml("a") + ns_yaml("b") + kPolicies;
    for (const auto& p : pods_) y += pod_yaml(p);
    return y;
  }

  // One random change; returns a description for failure messages.
  std::string step() {
    const int what = pick(6);
    if (what == 0 || pods_.size() < 4) {
      pods_.push_back(random_pod(next_++));
      return "add " + pods_.back().name;
    }
    const std::size_t i = static_cast<std::size_t>(pick(static_cast<int>(pods_.size())));
    PodState& p = pods_[i];
    switch (what) {
      case 1: {
        std::string name = p.name;
        pods_.erase(pods_.begin() + static_cast<long>(i));
        return "delete " + name;
      }
      case 2:
        p.app = apps()[pick(4)];
        return "app of " + p.name + " = " + p.app;
      case 3:
        p.tier = tiers()[pick(4)];
        return "tier of " + p.name + " = " + p.tier;
      case 4:
        p.named_port = !p.named_port;
        p.ip = "10.1." + std::to_string(pick(4)) + "." + std::to_string(1 + pick(250));
        return "port/ip of " + p.name;
      default:
        p.node = p.node == "node1" ? "node2" : "node1";
        return "node of " + p.name + " = " + p.node;
    }
  }

 private:
  static const std::vector<std::string>& apps() {
    static const std::vector<std::string> v{"web", "db", "rare", "misc"};
    return v;
  }
  static const std::vector<std::string>& tiers() {
    static const std::vector<std::string> v{"", "front", "blocked", "back"};
    return v;
  }
  int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }
  PodState random_pod(int i) {
    PodState p;
    p.ns = pick(2) ? "a" : "b";
    p.name = "pod-" + std::to_string(i);
    p.app = apps()[pick(4)];
    p.tier = tiers()[pick(4)];
    p.ip = "10.1." + std::to_string(pick(4)) + "." + std::to_string(1 + pick(250));
    p.node = pick(4) ? "node1" : "node2";
    p.named_port = pick(2);
    return p;
  }

  std::mt19937 rng_;
  std::vector<PodState> pods_;
  int next_ = 0;
};

CompileOptions options() {
  CompileOptions o;
  o.node = "node1";
  return o;
}

// The workload changes from one endpoint list to the next, by name.
std::vector<IncrementalCompiler::Change> changes(const Endpoints& before, const Endpoints& after) {
  std::map<std::string, const Endpoint*> a, b;
  for (const auto& e : before.endpoints) a[e.name] = &e;
  for (const auto& e : after.endpoints) b[e.name] = &e;
  std::vector<IncrementalCompiler::Change> out;
  for (const auto& [name, e] : a)
    if (!b.count(name)) out.push_back({name, std::nullopt});
  for (const auto& [name, e] : b) {
    auto it = a.find(name);
    if (it == a.end() || it->second->labels != e->labels || it->second->ips != e->ips ||
        it->second->ports != e->ports || it->second->node != e->node)
      out.push_back({name, *e});
  }
  return out;
}

TEST(Incremental, RandomPodChangesMatchTheFullCompile) {
  for (unsigned seed : {1u, 2u, 3u}) {
    Sequence seq(seed);
    auto res = parse(seq.yaml());
    auto built = build_model(res);
    ASSERT_TRUE(built.errors.empty()) << built.errors[0].str();
    Endpoints eps = build_endpoints(res);
    IncrementalCompiler inc;
    const auto& first = inc.rebuild(built.model, eps, options());
    ASSERT_TRUE(first.errors.empty()) << first.errors[0].str();
    std::size_t nonempty = 0;
    for (int step = 0; step < 40; ++step) {
      const std::string what = seq.step();
      auto now = parse(seq.yaml());
      Endpoints next = build_endpoints(now);
      const nft::Table before = inc.table();
      auto d = inc.update(changes(eps, next));
      ASSERT_TRUE(d.ok()) << d.error().message;
      nonempty += !d->empty();
      auto full = compile(build_model(now).model, next, options());
      ASSERT_EQ(nft::sorted(inc.table()), nft::sorted(full.table))
          << "seed " << seed << " step " << step << ": " << what << "\nincremental:\n"
          << nft::dump(nft::sorted(inc.table())) << "\nfull:\n"
          << nft::dump(nft::sorted(full.table));
      EXPECT_EQ(inc.result().rules, full.rules);
      EXPECT_EQ(inc.result().elements, full.elements);
      EXPECT_EQ(inc.result().policies, full.policies);
      EXPECT_EQ(inc.result().local_endpoints, full.local_endpoints);
      // The delta alone turns the previous table into the new one.
      nft::Table replay = before;
      nft::apply_delta(replay, *d);
      ASSERT_EQ(nft::sorted(replay), nft::sorted(full.table)) << what;
      ASSERT_TRUE(nft::validate(inc.table())) << what;
      eps = std::move(next);
    }
    EXPECT_GT(nonempty, 15u) << "the sequence should change the table most of the time";
  }
}

TEST(Incremental, LabelChangeTouchesOnlyAffectedSetsAndChains) {
  auto res = parse(ns_yaml("a") + ns_yaml("b") + kPolicies +
                   pod_yaml({"a", "w", "web", "", "10.2.0.1", "node1", true}) +
                   pod_yaml({"b", "d", "db", "", "10.2.0.2", "node1", false}) +
                   pod_yaml({"b", "c", "misc", "", "10.2.0.3", "node1", false}));
  IncrementalCompiler inc;
  inc.rebuild(build_model(res).model, build_endpoints(res), options());
  // c gains tier=front: the sets selecting tier == 'front' / has(tier) gain its address, and c's
  // own chains now run the security tier's pass policy; web's and db's chains stay.
  Endpoints e = inc.endpoints();
  Endpoint c = *e.find("b/c");
  c.labels["tier"] = "front";
  auto d = inc.update({{"b/c", c}});
  ASSERT_TRUE(d.ok());
  const std::string cif = workload_interface_name("b", "c");
  std::set<std::string> chains;
  for (const auto& ch : d->chains_put) chains.insert(ch.name);
  EXPECT_TRUE(chains.count("fw-" + cif));
  EXPECT_TRUE(chains.count("tw-" + cif));
  for (const auto& n : chains)
    EXPECT_EQ(n.find(workload_interface_name("a", "w")), std::string::npos) << n;
  EXPECT_FALSE(d->sets_put.empty());
  for (const auto& s : d->sets_put) EXPECT_EQ(s.name.substr(0, 1), "s") << s.name;
  EXPECT_TRUE(d->sets_removed.empty());
  EXPECT_TRUE(d->chains_removed.empty());
  // Nothing changes: nothing in the delta.
  auto again = inc.update({{"b/c", c}});
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->empty());
}

TEST(Incremental, HostEndpointChangesAreRefused) {
  auto res = parse(ns_yaml("a") + kPolicies);
  IncrementalCompiler inc;
  EXPECT_FALSE(inc.update({}).ok());  // nothing compiled yet
  inc.rebuild(build_model(res).model, build_endpoints(res), options());
  Endpoint h;
  h.kind = Endpoint::Kind::host;
  h.name = "node1-eth0";
  EXPECT_FALSE(inc.update({{"node1-eth0", h}}).ok());
}

}  // namespace
}  // namespace podnet::policy
