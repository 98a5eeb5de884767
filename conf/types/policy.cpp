#include "conf/types/policy.hpp"

#include <cstdlib>

namespace podnet::conf::types {

void from_json(const Json& j, Port& v) {
  v = Port{};
  if (j.is_number_integer()) {
    v.min = v.max = j.get<int64_t>();
    return;
  }
  std::string s = j.get<std::string>();
  auto colon = s.find(':');
  if (colon != std::string::npos) {
    v.min = std::atoll(s.substr(0, colon).c_str());
    v.max = std::atoll(s.substr(colon + 1).c_str());
  } else if (!s.empty() && s.find_first_not_of("0123456789") == std::string::npos) {
    v.min = v.max = std::atoll(s.c_str());
  } else {
    v.name = s;
  }
}

void from_json(const Json& j, ICMPFields& v) {
  field(j, "type", v.type);
  field(j, "code", v.code);
}

void from_json(const Json& j, EntityRule& v) {
  field(j, "nets", v.nets);
  field(j, "selector", v.selector);
  field(j, "namespaceSelector", v.namespace_selector);
  if (j.contains("services")) {
    field(j["services"], "name", v.service_name);
    field(j["services"], "namespace", v.service_namespace);
  }
  field(j, "ports", v.ports);
  field(j, "notNets", v.not_nets);
  field(j, "notSelector", v.not_selector);
  field(j, "notPorts", v.not_ports);
  if (j.contains("serviceAccounts")) {
    v.has_service_accounts = true;
    field(j["serviceAccounts"], "names", v.service_account_names);
    field(j["serviceAccounts"], "selector", v.service_account_selector);
  }
}

void from_json(const Json& j, Rule& v) {
  field(j, "action", v.action);
  field(j, "ipVersion", v.ip_version);
  field(j, "protocol", v.protocol);
  field(j, "icmp", v.icmp);
  field(j, "notProtocol", v.not_protocol);
  field(j, "notICMP", v.not_icmp);
  field(j, "source", v.source);
  field(j, "destination", v.destination);
  if (j.contains("http")) field(j["http"], "methods", v.http_methods);
  if (j.contains("metadata")) field(j["metadata"], "annotations", v.metadata_annotations);
}

void from_json(const Json& j, PolicySpec& v) {
  field(j, "tier", v.tier);
  field(j, "order", v.order);
  field(j, "ingress", v.ingress);
  field(j, "egress", v.egress);
  field(j, "selector", v.selector);
  field(j, "types", v.types);
  field(j, "serviceAccountSelector", v.service_account_selector);
  field(j, "doNotTrack", v.do_not_track);
  field(j, "preDNAT", v.pre_dnat);
  field(j, "applyOnForward", v.apply_on_forward);
  field(j, "namespaceSelector", v.namespace_selector);
  field(j, "performanceHints", v.performance_hints);
}

void from_json(const Json& j, NetworkPolicy& v) {
  field(j, "metadata", v.metadata);
  field(j, "spec", v.spec);
}
void from_json(const Json& j, GlobalNetworkPolicy& v) {
  field(j, "metadata", v.metadata);
  field(j, "spec", v.spec);
}

void from_json(const Json& j, LabelSelectorRequirement& v) {
  field(j, "key", v.key);
  field(j, "operator", v.op);
  field(j, "values", v.values);
}
void from_json(const Json& j, LabelSelector& v) {
  field(j, "matchLabels", v.match_labels);
  field(j, "matchExpressions", v.match_expressions);
}
void from_json(const Json& j, K8sPeer& v) {
  field(j, "podSelector", v.pod_selector);
  field(j, "namespaceSelector", v.namespace_selector);
  if (j.contains("ipBlock")) {
    field(j["ipBlock"], "cidr", v.ip_block_cidr);
    field(j["ipBlock"], "except", v.ip_block_except);
  }
}
void from_json(const Json& j, K8sPort& v) {
  field(j, "protocol", v.protocol);
  field(j, "port", v.port);
  field(j, "endPort", v.end_port);
}

namespace {
std::vector<K8sRule> k8s_rules(const Json& s, const char* dir, const char* peers) {
  std::vector<K8sRule> out;
  if (!s.contains(dir)) return out;
  for (const auto& r : s[dir]) {
    K8sRule rule;
    field(r, peers, rule.peers);
    field(r, "ports", rule.ports);
    out.push_back(std::move(rule));
  }
  return out;
}
}  // namespace

void from_json(const Json& j, KubernetesNetworkPolicy& v) {
  field(j, "metadata", v.metadata);
  if (!j.contains("spec")) return;
  const Json& s = j["spec"];
  field(s, "podSelector", v.spec.pod_selector);
  v.spec.ingress = k8s_rules(s, "ingress", "from");
  v.spec.egress = k8s_rules(s, "egress", "to");
  field(s, "policyTypes", v.spec.policy_types);
}

void from_json(const Json& j, NetworkSet& v) {
  field(j, "metadata", v.metadata);
  if (j.contains("spec")) field(j["spec"], "nets", v.spec.nets);
}
void from_json(const Json& j, GlobalNetworkSet& v) {
  field(j, "metadata", v.metadata);
  if (j.contains("spec")) field(j["spec"], "nets", v.spec.nets);
}

void from_json(const Json& j, EndpointPort& v) {
  field(j, "name", v.name);
  field(j, "protocol", v.protocol);
  field(j, "port", v.port);
}
void from_json(const Json& j, HostEndpoint& v) {
  field(j, "metadata", v.metadata);
  if (!j.contains("spec")) return;
  const Json& s = j["spec"];
  field(s, "node", v.spec.node);
  field(s, "interfaceName", v.spec.interface_name);
  field(s, "expectedIPs", v.spec.expected_ips);
  field(s, "profiles", v.spec.profiles);
  field(s, "ports", v.spec.ports);
}

void from_json(const Json& j, Tier& v) {
  field(j, "metadata", v.metadata);
  if (!j.contains("spec")) return;
  field(j["spec"], "order", v.spec.order);
  field(j["spec"], "defaultAction", v.spec.default_action);
}

}  // namespace podnet::conf::types
