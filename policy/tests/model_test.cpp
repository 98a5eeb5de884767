#include <gtest/gtest.h>

#include "conf/kinds.hpp"
#include "policy/model.hpp"
#include "policy/selector_text.hpp"
#include "policy/tests/policy_fixture.hpp"

namespace podnet::policy {
namespace {

using testing::parse;

std::string canon(const std::string& s) {
  auto c = canonical_selector(s);
  EXPECT_TRUE(c.ok()) << s;
  return c ? *c : "";
}

// A resource as it might come from elsewhere than conf's parser (no validation), so the model's
// own checks are what is tested.
conf::Resource raw(const char* kind, const std::string& json) {
  conf::Resource r;
  r.kind = conf::find_kind(kind);
  r.doc = nlohmann::ordered_json::parse(json);
  return r;
}

TEST(K8sConversion, SelectorsAsCalicoWritesThem) {
  conf::types::LabelSelector s;
  s.match_labels = {{"b", "2"}, {"a", "1"}};
  s.match_expressions = {{"tier", "In", {"x", "y"}},
                         {"env", "NotIn", {"dev"}},
                         {"k", "Exists", {}},
                         {"gone", "DoesNotExist", {}}};
  EXPECT_EQ(k8s_selector_to_calico(&s, K8sSelectorKind::pod),
            "projectcalico.org/orchestrator == 'k8s' && a == '1' && b == '2' && "
            "tier in { 'x', 'y' } && env not in { 'dev' } && has(k) && ! has(gone)");
  conf::types::LabelSelector empty;
  EXPECT_EQ(k8s_selector_to_calico(&empty, K8sSelectorKind::ns), "all()");
  EXPECT_EQ(k8s_selector_to_calico(&empty, K8sSelectorKind::pod),
            "projectcalico.org/orchestrator == 'k8s'");
  EXPECT_EQ(k8s_selector_to_calico(nullptr, K8sSelectorKind::ns), "");
}

TEST(K8sConversion, EveryFieldOfAKubernetesPolicy) {
  auto built = build_model(parse(R"(apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: web
  namespace: shop
spec:
  podSelector:
    matchLabels: {app: web}
  ingress:
  - from:
    - podSelector: {matchLabels: {app: front}}
      namespaceSelector: {matchLabels: {team: a}}
    - namespaceSelector: {}
    - ipBlock:
        cidr: 10.0.0.0/8
        except: [10.1.0.0/16]
    ports:
    - port: 80
    - port: 81
    - protocol: UDP
      port: 53
    - port: 8000
      endPort: 8080
    - port: http
  egress:
  - {}
)"));
  ASSERT_TRUE(built.errors.empty()) << built.errors[0].str();
  const Policy* p = built.model.find_policy("shop/knp.default.web");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->kind, PolicyKind::kubernetes);
  EXPECT_EQ(p->tier, "default");
  EXPECT_EQ(p->order, 1000.0);
  EXPECT_TRUE(p->ingress);
  EXPECT_TRUE(p->egress);  // policyTypes defaulted: egress rules are present
  EXPECT_EQ(p->selector.text, canon("(projectcalico.org/orchestrator == 'k8s' && app == 'web') && "
                                    "projectcalico.org/namespace == 'shop'"));
  // 2 protocols x 3 peers, TCP first (sorted), then UDP.
  ASSERT_EQ(p->ingress_rules.size(), 6u);
  const Rule& r0 = p->ingress_rules[0];
  EXPECT_EQ(r0.action, Action::allow);
  EXPECT_EQ(r0.protocol, 6);
  ASSERT_EQ(r0.destination.ports.size(), 3u);  // 80-81 merged, 8000-8080, http
  EXPECT_EQ(r0.destination.ports[0].str(), "80:81");
  EXPECT_EQ(r0.destination.ports[1].str(), "8000:8080");
  EXPECT_EQ(r0.destination.ports[2].name, "http");
  ASSERT_TRUE(r0.source.selector.has_value());
  EXPECT_EQ(r0.source.selector->text,
            canon("(pcns.team == 'a') && (projectcalico.org/orchestrator == 'k8s' && app == "
                  "'front')"));
  const Rule& r1 = p->ingress_rules[1];  // namespaceSelector {} only: every namespace's pods
  EXPECT_EQ(r1.source.selector->text,
            canon("(has(projectcalico.org/namespace)) && (projectcalico.org/orchestrator == "
                  "'k8s')"));
  const Rule& r2 = p->ingress_rules[2];  // ipBlock: nets only, no selector
  EXPECT_FALSE(r2.source.selector.has_value());
  ASSERT_EQ(r2.source.nets.size(), 1u);
  EXPECT_EQ(r2.source.nets[0].str(), "10.0.0.0/8");
  ASSERT_EQ(r2.source.not_nets.size(), 1u);
  EXPECT_EQ(r2.source.not_nets[0].str(), "10.1.0.0/16");
  EXPECT_EQ(p->ingress_rules[3].protocol, 17);
  EXPECT_EQ(p->ingress_rules[3].destination.ports[0].str(), "53");
  ASSERT_EQ(p->egress_rules.size(), 1u);  // {}: allow everything
  EXPECT_FALSE(p->egress_rules[0].protocol.has_value());
  EXPECT_TRUE(p->egress_rules[0].destination.empty());
}

TEST(K8sConversion, PodSelectorPeerIsScopedToThePolicysNamespace) {
  auto built = build_model(parse(R"(apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db, namespace: bank}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - to:
    - podSelector: {matchLabels: {app: db}}
)"));
  ASSERT_TRUE(built.errors.empty());
  const Policy* p = built.model.find_policy("bank/knp.default.db");
  ASSERT_NE(p, nullptr);
  EXPECT_FALSE(p->ingress);
  EXPECT_TRUE(p->egress);
  EXPECT_EQ(p->egress_rules[0].destination.selector->text,
            canon("(projectcalico.org/namespace == 'bank') && (projectcalico.org/orchestrator == "
                  "'k8s' && app == 'db')"));
}

TEST(CalicoPolicy, ScopingPrefixesAndServiceAccounts) {
  auto built = build_model(parse(R"(apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: lockdown}
spec:
  order: 600
  namespaceSelector: has(projectcalico.org/name) && projectcalico.org/name not in {"kube-system"}
  serviceAccountSelector: internet-egress not in {"allowed"}
  types: [Egress]
  egress:
  - action: Deny
    destination:
      notNets: [10.0.0.0/8]
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: np, namespace: ns1}
spec:
  selector: app == "a"
  ingress:
  - action: Allow
    source:
      serviceAccounts: {names: [sa1, sa2], selector: team == "x"}
  - action: Allow
    source:
      namespaceSelector: global()
  - action: Allow
    source:
      nets: [192.168.0.0/16]
  - action: Deny
    source:
      notSelector: app == "b"
)"));
  ASSERT_TRUE(built.errors.empty()) << built.errors[0].str();
  const Policy* g = built.model.find_policy("lockdown");
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(g->kind, PolicyKind::global);
  EXPECT_EQ(g->selector.text,
            canon("((has(pcns.projectcalico.org/name) && pcns.projectcalico.org/name not in "
                  "{\"kube-system\"})) && pcsa.internet-egress not in {\"allowed\"}"));
  EXPECT_FALSE(g->ingress);
  EXPECT_TRUE(g->egress);
  EXPECT_FALSE(g->apply_on_forward);

  const Policy* n = built.model.find_policy("ns1/np");
  ASSERT_NE(n, nullptr);
  EXPECT_TRUE(n->apply_on_forward);  // namespaced policies always apply on forward
  EXPECT_EQ(n->selector.text, canon("(app == 'a') && projectcalico.org/namespace == 'ns1'"));
  ASSERT_EQ(n->ingress_rules.size(), 4u);
  EXPECT_EQ(n->ingress_rules[0].source.selector->text,
            canon("(projectcalico.org/namespace == 'ns1') && ((pcsa.team == 'x') && "
                  "(projectcalico.org/serviceaccount in {'sa1', 'sa2'}))"));
  EXPECT_EQ(n->ingress_rules[1].source.selector->text, canon("!has(projectcalico.org/namespace)"));
  EXPECT_FALSE(n->ingress_rules[2].source.selector.has_value());  // nets only: any IP
  // notSelector: kept as written, and the namespace scoping lands on the positive selector.
  EXPECT_EQ(n->ingress_rules[3].source.not_selector->text, canon("app == 'b'"));
  EXPECT_EQ(n->ingress_rules[3].source.selector->text,
            canon("projectcalico.org/namespace == 'ns1'"));
}

TEST(CalicoPolicy, TiersAndPoliciesInEvaluationOrder) {
  auto built = build_model(parse(R"(apiVersion: projectcalico.org/v3
kind: Tier
metadata: {name: security}
spec: {order: 100}
---
apiVersion: projectcalico.org/v3
kind: Tier
metadata: {name: platform}
spec: {order: 200, defaultAction: Pass}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: b}
spec: {tier: security, order: 10, selector: all()}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: a}
spec: {tier: security, order: 10, selector: all()}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: first}
spec: {tier: security, order: 1, selector: all()}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: unordered}
spec: {tier: security, selector: all()}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: p}
spec: {tier: platform, selector: all()}
)"));
  ASSERT_TRUE(built.errors.empty()) << built.errors[0].str();
  std::vector<std::string> tiers;
  for (const auto& t : built.model.tiers) tiers.push_back(t.name);
  EXPECT_EQ(tiers, (std::vector<std::string>{"security", "platform", "kube-admin", "default",
                                             "kube-baseline"}));
  std::vector<std::string> order;
  for (const auto& p : built.model.tiers[0].policies) order.push_back(p.name);
  EXPECT_EQ(order, (std::vector<std::string>{"first", "a", "b", "unordered"}));
  EXPECT_EQ(built.model.tiers[1].default_action, Action::pass);
  EXPECT_EQ(built.model.tiers[0].default_action, Action::deny);
}

// Calico's doNotTrack rules: GlobalNetworkPolicy only, applyOnForward required, not with
// preDNAT; a valid one is in the model with its flag.
TEST(CalicoPolicy, DoNotTrackRulesAreEnforcedWithReasons) {
  std::vector<conf::Resource> rs = {
      raw("GlobalNetworkPolicy",
          R"J({"apiVersion":"projectcalico.org/v3","kind":"GlobalNetworkPolicy",
              "metadata":{"name":"noforward"},
              "spec":{"doNotTrack":true,"types":["Ingress"],"selector":"all()"}})J"),
      raw("NetworkPolicy",
          R"J({"apiVersion":"projectcalico.org/v3","kind":"NetworkPolicy",
              "metadata":{"name":"ns","namespace":"prod"},
              "spec":{"doNotTrack":true,"applyOnForward":true,"types":["Ingress"]}})J"),
      raw("GlobalNetworkPolicy",
          R"J({"apiVersion":"projectcalico.org/v3","kind":"GlobalNetworkPolicy",
              "metadata":{"name":"ok"},
              "spec":{"doNotTrack":true,"applyOnForward":true,"types":["Ingress"],
                      "ingress":[{"action":"Allow"}]}})J"),
  };
  auto built = build_model(rs);
  std::vector<std::string> errs;
  for (const auto& e : built.errors) errs.push_back(e.str());
  auto has = [&](const std::string& s) {
    return std::find(errs.begin(), errs.end(), s) != errs.end();
  };
  EXPECT_TRUE(
      has("globalnetworkpolicies/noforward: spec.doNotTrack: applyOnForward must be "
          "true when doNotTrack is true"))
      << ::testing::PrintToString(errs);
  EXPECT_TRUE(
      has("networkpolicies/prod/ns: spec.doNotTrack: doNotTrack is only valid on a "
          "GlobalNetworkPolicy"))
      << ::testing::PrintToString(errs);
  const Policy* ok = built.model.find_policy("ok");
  ASSERT_NE(ok, nullptr);
  EXPECT_TRUE(ok->do_not_track);
  EXPECT_TRUE(ok->apply_on_forward);
}

TEST(CalicoPolicy, InvalidPoliciesAreRejectedWithPreciseErrorsAndTheRestBuilds) {
  std::vector<conf::Resource> rs = {
      raw("GlobalNetworkPolicy",
          R"J({"apiVersion":"projectcalico.org/v3","kind":"GlobalNetworkPolicy",
              "metadata":{"name":"pre"},
              "spec":{"preDNAT":true,"types":["Ingress"],"selector":"all()"}})J"),
      raw("GlobalNetworkPolicy",
          R"J({"apiVersion":"projectcalico.org/v3","kind":"GlobalNetworkPolicy",
              "metadata":{"name":"both"},
              "spec":{"preDNAT":true,"doNotTrack":true,"applyOnForward":true,
                      "types":["Ingress","Egress"]}})J"),
      raw("GlobalNetworkPolicy",
          R"J({"apiVersion":"projectcalico.org/v3","kind":"GlobalNetworkPolicy",
              "metadata":{"name":"badsel"},
              "spec":{"types":["Ingress"],"ingress":[{"action":"Allow",
                      "source":{"selector":"app ==== 'x'"}}]}})J"),
      raw("GlobalNetworkPolicy",
          R"J({"apiVersion":"projectcalico.org/v3","kind":"GlobalNetworkPolicy",
              "metadata":{"name":"ports"},
              "spec":{"types":["Ingress"],"ingress":[{"action":"Allow",
                      "destination":{"ports":[80]}}]}})J"),
      raw("GlobalNetworkPolicy",
          R"J({"apiVersion":"projectcalico.org/v3","kind":"GlobalNetworkPolicy",
              "metadata":{"name":"notier"},
              "spec":{"tier":"nope","types":["Ingress"]}})J"),
      raw("GlobalNetworkPolicy",
          R"J({"apiVersion":"projectcalico.org/v3","kind":"GlobalNetworkPolicy",
              "metadata":{"name":"good"},"spec":{"types":["Ingress"]}})J"),
  };
  auto built = build_model(rs);
  std::vector<std::string> errs;
  for (const auto& e : built.errors) errs.push_back(e.str());
  auto has = [&](const std::string& s) {
    return std::any_of(errs.begin(), errs.end(), [&](const std::string& e) { return e == s; });
  };
  EXPECT_TRUE(
      has("globalnetworkpolicies/pre: spec.preDNAT: applyOnForward must be true when "
          "preDNAT is true"))
      << ::testing::PrintToString(errs);
  EXPECT_TRUE(
      has("globalnetworkpolicies/both: spec.preDNAT: preDNAT and doNotTrack cannot both "
          "be true"));
  EXPECT_TRUE(
      has("globalnetworkpolicies/both: spec.egress: preDNAT policies take ingress rules "
          "only"));
  EXPECT_TRUE(std::any_of(errs.begin(), errs.end(), [](const std::string& e) {
    return e.rfind(
               "globalnetworkpolicies/badsel: spec.ingress[0].source.selector: bad selector "
               "'app ==== 'x''",
               0) == 0;
  })) << ::testing::PrintToString(errs);
  EXPECT_TRUE(
      has("globalnetworkpolicies/ports: spec.ingress[0].destination.ports: rules that "
          "specify ports must set protocol to TCP, UDP or SCTP"));
  EXPECT_TRUE(has("globalnetworkpolicies/notier: spec.tier: tier 'nope' does not exist"));
  // Only the good one is in the model.
  size_t n = 0;
  for (const auto& t : built.model.tiers) n += t.policies.size();
  EXPECT_EQ(n, 1u);
  EXPECT_NE(built.model.find_policy("good"), nullptr);
}

TEST(CalicoPolicy, NetworkSetsCarryTheirLabels) {
  auto built = build_model(parse(R"(apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {team: s}}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkSet
metadata: {name: internet, labels: {role: external}}
spec: {nets: [0.0.0.0/0]}
---
apiVersion: projectcalico.org/v3
kind: NetworkSet
metadata: {name: partners, namespace: shop, labels: {role: partner}}
spec: {nets: [203.0.113.0/24, 2001:db8::/32]}
)"));
  ASSERT_TRUE(built.errors.empty());
  ASSERT_EQ(built.model.network_sets.size(), 2u);
  EXPECT_EQ(built.model.network_sets[0].name, "internet");
  EXPECT_EQ(built.model.network_sets[1].labels.at("projectcalico.org/namespace"), "shop");
  EXPECT_EQ(built.model.network_sets[1].labels.at("pcns.projectcalico.org/name"), "shop");
  EXPECT_EQ(built.model.network_sets[1].labels.at("pcns.team"), "s");
  EXPECT_EQ(built.model.network_sets[0].labels.count("pcns.projectcalico.org/name"), 0u);
  EXPECT_EQ(built.model.network_sets[1].nets.size(), 2u);
}

}  // namespace
}  // namespace podnet::policy
