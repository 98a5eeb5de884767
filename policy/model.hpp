// The policy model: every Kubernetes NetworkPolicy, Calico NetworkPolicy and
// GlobalNetworkPolicy normalised the way felix receives them from the syncer — Kubernetes
// policies converted (order 1000, tier default, "knp.default.<name>"), selectors scoped to their
// namespace and prefixed (pcns./pcsa.), types defaulted, protocols as numbers, nets parsed — and
// arranged as felix evaluates them: tiers by order, policies by order then name. NetworkSets are
// labelled IP sets that rule selectors match. A compiler walks Model::tiers in order.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "conf/resource.hpp"
#include "policy/endpoints.hpp"
#include "policy/ip.hpp"
#include "policy/selector.hpp"

namespace podnet::policy {

enum class Action { allow, deny, pass, log };
const char* action_name(Action a);  // "Allow", "Deny", "Pass", "Log"

enum class Direction { ingress, egress };
const char* direction_name(Direction d);  // "ingress", "egress"

// One entry of ports / notPorts: a range (min == max for one port) or a named port.
struct PortMatch {
  int min = 0, max = 0;
  std::string name;  // non-empty: a named port, resolved against endpoints' named ports
  bool matches_number(int port) const { return name.empty() && port >= min && port <= max; }
  std::string str() const;  // "80", "30000:32767", "http"
};

struct SelectorMatch {
  Selector selector;
  std::string text;  // canonical, after scoping; what the compiler names its set after
};

// source / destination after conversion. Every present criterion must hold.
struct EntityMatch {
  std::vector<Cidr> nets, not_nets;
  std::optional<SelectorMatch> selector;      // scoped: namespace, service accounts folded in
  std::optional<SelectorMatch> not_selector;  // as written (Calico does not scope it)
  std::vector<PortMatch> ports, not_ports;
  bool empty() const;
};

struct IcmpMatch {
  std::optional<int> type, code;
};

struct Rule {
  Action action = Action::allow;
  std::optional<int> ip_version;
  std::optional<int> protocol, not_protocol;  // IP protocol numbers
  std::optional<IcmpMatch> icmp, not_icmp;
  EntityMatch source, destination;
  std::string str() const;  // one line, calicoctl-like, for podnetctl
};

enum class PolicyKind { kubernetes, calico, global };
const char* policy_kind_name(PolicyKind k);  // "KubernetesNetworkPolicy", "NetworkPolicy", ...

struct Policy {
  PolicyKind kind = PolicyKind::calico;
  std::string name;      // felix's name: "knp.default.<name>" for Kubernetes policies
  std::string ns;        // "" for GlobalNetworkPolicy
  std::string resource;  // the datastore key it came from
  std::string tier = "default";
  std::optional<double> order;  // absent sorts last
  SelectorMatch selector;       // scoped (namespace, namespaceSelector, serviceAccountSelector)
  bool ingress = false, egress = false;  // types
  std::vector<Rule> ingress_rules, egress_rules;
  bool do_not_track = false, pre_dnat = false, apply_on_forward = false;
  std::string id() const;  // "<ns>/<name>" or "<name>", what podnetctl prints
  const std::vector<Rule>& rules(Direction d) const {
    return d == Direction::ingress ? ingress_rules : egress_rules;
  }
  bool has_type(Direction d) const { return d == Direction::ingress ? ingress : egress; }
};

struct Tier {
  std::string name;
  std::optional<double> order;
  Action default_action = Action::deny;  // deny or pass
  std::vector<Policy> policies;          // sorted: order (absent last), then name
};

struct NetworkSet {
  std::string name;
  std::string ns;  // "" for GlobalNetworkSet
  Labels labels;   // with projectcalico.org/namespace for namespaced sets, as felix sees them
  std::vector<Cidr> nets;
};

struct Model {
  std::vector<Tier> tiers;  // sorted: order (absent last), then name
  std::vector<NetworkSet> network_sets;
  const Policy* find_policy(std::string_view id) const;
};

struct ModelError {
  std::string resource;  // datastore key, e.g. "globalnetworkpolicies/nodeport-policy"
  std::string field;     // e.g. "spec.ingress[0].source.selector"
  std::string message;
  std::string str() const;  // "<resource>: <field>: <message>"
};

struct BuildResult {
  Model model;
  std::vector<ModelError> errors;  // each rejected resource, with why; the rest still builds
};

// The pure function from conf resources (any kinds; the policy ones are used) to the model.
BuildResult build_model(const std::vector<conf::Resource>& resources);

// Conversion steps, exposed for tests and for podnetctl.
conf::types::PolicySpec k8s_policy_to_calico(const conf::types::KubernetesNetworkPolicy& knp);

}  // namespace podnet::policy
