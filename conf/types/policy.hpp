// Typed policy resources: Calico NetworkPolicy / GlobalNetworkPolicy with their rules, entity
// rules and ports; Kubernetes NetworkPolicy; (Global)NetworkSet; HostEndpoint; Tier. Selectors
// are kept as text (the policy module parses them).
#pragma once

#include "conf/types/read.hpp"

namespace podnet::conf::types {

// Calico numorstring.Port: a number, a range "lo:hi", or a named port.
struct Port {
  int64_t min = 0, max = 0;  // equal for one port; 0/0 with a name for a named port
  std::string name;
  bool operator==(const Port&) const = default;
};
void from_json(const Json& j, Port& v);

struct ICMPFields {
  std::optional<int64_t> type, code;
};

struct EntityRule {
  std::vector<std::string> nets;
  std::string selector;
  std::string namespace_selector;
  std::optional<std::string> service_name, service_namespace;
  std::vector<Port> ports;
  std::vector<std::string> not_nets;
  std::string not_selector;
  std::vector<Port> not_ports;
  std::vector<std::string> service_account_names;
  std::string service_account_selector;
  bool has_service_accounts = false;
};

struct Rule {
  std::string action;  // Allow | Deny | Log | Pass
  std::optional<int64_t> ip_version;
  std::optional<IntOrString> protocol;  // name (as written) or number
  std::optional<ICMPFields> icmp;
  std::optional<IntOrString> not_protocol;
  std::optional<ICMPFields> not_icmp;
  EntityRule source, destination;
  std::vector<std::string> http_methods;
  std::map<std::string, std::string> metadata_annotations;
};

struct PolicySpec {  // NetworkPolicy and GlobalNetworkPolicy
  std::string tier = "default";
  std::optional<double> order;  // absent sorts last
  std::vector<Rule> ingress, egress;
  std::string selector;
  std::vector<std::string> types;  // always filled by defaulting
  std::string service_account_selector;
  // GlobalNetworkPolicy only
  bool do_not_track = false;
  bool pre_dnat = false;
  bool apply_on_forward = false;
  std::string namespace_selector;
  std::vector<std::string> performance_hints;
};

struct NetworkPolicy {
  static constexpr const char* kPlural = "networkpolicies";
  ObjectMeta metadata;
  PolicySpec spec;
};
struct GlobalNetworkPolicy {
  static constexpr const char* kPlural = "globalnetworkpolicies";
  ObjectMeta metadata;
  PolicySpec spec;
};

// networking.k8s.io/v1
struct LabelSelectorRequirement {
  std::string key, op;  // op: In | NotIn | Exists | DoesNotExist
  std::vector<std::string> values;
};
struct LabelSelector {
  std::map<std::string, std::string> match_labels;
  std::vector<LabelSelectorRequirement> match_expressions;
};
struct K8sPeer {
  std::optional<LabelSelector> pod_selector, namespace_selector;
  std::optional<std::string> ip_block_cidr;
  std::vector<std::string> ip_block_except;
};
struct K8sPort {
  std::string protocol = "TCP";
  std::optional<IntOrString> port;
  std::optional<int64_t> end_port;
};
struct K8sRule {
  std::vector<K8sPeer> peers;  // from (ingress) / to (egress); empty = everyone
  std::vector<K8sPort> ports;  // empty = all ports
};
struct KubernetesNetworkPolicy {
  static constexpr const char* kPlural = "kubernetesnetworkpolicies";
  ObjectMeta metadata;
  struct Spec {
    LabelSelector pod_selector;
    std::vector<K8sRule> ingress, egress;
    std::vector<std::string> policy_types;  // always filled by defaulting
  } spec;
};

struct NetworkSet {
  static constexpr const char* kPlural = "networksets";
  ObjectMeta metadata;
  struct Spec {
    std::vector<std::string> nets;
  } spec;
};
struct GlobalNetworkSet {
  static constexpr const char* kPlural = "globalnetworksets";
  ObjectMeta metadata;
  NetworkSet::Spec spec;
};

struct EndpointPort {
  std::string name;
  IntOrString protocol;
  int64_t port = 0;
};
struct HostEndpoint {
  static constexpr const char* kPlural = "hostendpoints";
  ObjectMeta metadata;
  struct Spec {
    std::string node;
    std::string interface_name;  // "*" = all interfaces
    std::vector<std::string> expected_ips;
    std::vector<std::string> profiles;
    std::vector<EndpointPort> ports;
  } spec;
};

struct Tier {
  static constexpr const char* kPlural = "tiers";
  ObjectMeta metadata;
  struct Spec {
    std::optional<double> order;
    std::string default_action = "Deny";  // Deny | Pass
  } spec;
};

void from_json(const Json& j, ICMPFields& v);
void from_json(const Json& j, EntityRule& v);
void from_json(const Json& j, Rule& v);
void from_json(const Json& j, PolicySpec& v);
void from_json(const Json& j, NetworkPolicy& v);
void from_json(const Json& j, GlobalNetworkPolicy& v);
void from_json(const Json& j, LabelSelectorRequirement& v);
void from_json(const Json& j, LabelSelector& v);
void from_json(const Json& j, K8sPeer& v);
void from_json(const Json& j, K8sPort& v);
void from_json(const Json& j, KubernetesNetworkPolicy& v);
void from_json(const Json& j, NetworkSet& v);
void from_json(const Json& j, GlobalNetworkSet& v);
void from_json(const Json& j, EndpointPort& v);
void from_json(const Json& j, HostEndpoint& v);
void from_json(const Json& j, Tier& v);

}  // namespace podnet::conf::types
