// Kubernetes NetworkPolicy -> Calico policy spec, as libcalico-go's
// backend/k8s/conversion/conversion.go K8sNetworkPolicyToCalico does: one Allow rule per
// protocol x peer, ports merged per protocol, ipBlock as nets/notNets, selectors via
// k8s_selector_to_calico. Namespace scoping happens later, in the normaliser, as for any
// namespaced Calico policy.
#include <algorithm>
#include <map>

#include "policy/model.hpp"
#include "policy/selector_text.hpp"

namespace podnet::policy {
namespace {

using conf::types::EntityRule;
using conf::types::IntOrString;
using conf::types::K8sPeer;
using conf::types::K8sPort;
using conf::types::K8sRule;
using conf::types::Port;

// SimplifyPorts: numeric ranges sorted and merged when they overlap or touch; named ports kept.
std::vector<Port> simplify_ports(std::vector<Port> ports) {
  std::vector<Port> named, nums, out;
  for (auto& p : ports) (p.name.empty() ? nums : named).push_back(p);
  std::sort(nums.begin(), nums.end(), [](const Port& a, const Port& b) {
    return a.min != b.min ? a.min < b.min : a.max < b.max;
  });
  for (const auto& p : nums) {
    if (!out.empty() && p.min <= out.back().max + 1)
      out.back().max = std::max(out.back().max, p.max);
    else
      out.push_back(p);
  }
  std::sort(named.begin(), named.end(),
            [](const Port& a, const Port& b) { return a.name < b.name; });
  named.erase(std::unique(named.begin(), named.end()), named.end());
  out.insert(out.end(), named.begin(), named.end());
  return out;
}

void peer_fields(const K8sPeer* peer, EntityRule& e) {
  if (!peer) return;
  if (peer->ip_block_cidr) {
    e.nets = {*peer->ip_block_cidr};
    e.not_nets = peer->ip_block_except;
    return;
  }
  const conf::types::LabelSelector* pod = peer->pod_selector ? &*peer->pod_selector : nullptr;
  e.selector = k8s_selector_to_calico(pod, K8sSelectorKind::pod);
  if (peer->namespace_selector)
    e.namespace_selector = k8s_selector_to_calico(&*peer->namespace_selector, K8sSelectorKind::ns);
}

std::vector<conf::types::Rule> convert_rule(const K8sRule& r, bool ingress) {
  std::vector<const K8sPeer*> peers;
  for (const auto& p : r.peers) peers.push_back(&p);
  if (peers.empty()) peers.push_back(nullptr);
  // protocol ("" = any) -> ports (nullopt = all ports of that protocol)
  std::map<std::string, std::optional<std::vector<Port>>> by_proto;
  bool any = r.ports.empty();
  for (const auto& p : r.ports) {
    std::string proto = p.protocol.empty() ? "TCP" : p.protocol;
    if (!p.port) {
      by_proto[proto] = std::nullopt;
      continue;
    }
    Port port;
    if (p.port->is_int) {
      port.min = p.port->num;
      port.max = p.end_port ? *p.end_port : p.port->num;
    } else {
      port.name = p.port->str;
    }
    auto it = by_proto.find(proto);
    if (it == by_proto.end())
      by_proto[proto] = std::vector<Port>{port};
    else if (it->second)
      it->second->push_back(port);  // a nil (all ports) entry stays nil
  }
  if (any) by_proto = {{"", std::nullopt}};
  std::vector<conf::types::Rule> out;
  for (const auto& [proto, ports] : by_proto) {  // std::map: protocols sorted, as Calico sorts
    for (const K8sPeer* peer : peers) {
      conf::types::Rule rule;
      rule.action = "Allow";
      if (!proto.empty()) rule.protocol = IntOrString{false, 0, proto};
      if (ports) rule.destination.ports = simplify_ports(*ports);
      peer_fields(peer, ingress ? rule.source : rule.destination);
      out.push_back(std::move(rule));
    }
  }
  return out;
}

}  // namespace

conf::types::PolicySpec k8s_policy_to_calico(const conf::types::KubernetesNetworkPolicy& knp) {
  conf::types::PolicySpec spec;
  spec.tier = "default";
  spec.order = 1000;
  spec.selector = k8s_selector_to_calico(&knp.spec.pod_selector, K8sSelectorKind::pod);
  for (const auto& r : knp.spec.ingress)
    for (auto& rule : convert_rule(r, true)) spec.ingress.push_back(std::move(rule));
  for (const auto& r : knp.spec.egress)
    for (auto& rule : convert_rule(r, false)) spec.egress.push_back(std::move(rule));
  bool in = std::count(knp.spec.policy_types.begin(), knp.spec.policy_types.end(), "Ingress") > 0;
  bool eg = std::count(knp.spec.policy_types.begin(), knp.spec.policy_types.end(), "Egress") > 0;
  if (in) spec.types.push_back("Ingress");
  if (eg) spec.types.push_back("Egress");
  // A cluster without policyTypes: the policy is about ingress only.
  if (spec.types.empty()) spec.types.push_back("Ingress");
  return spec;
}

}  // namespace podnet::policy
