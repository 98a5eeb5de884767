// Normalising Calico policy as libcalico-go's syncer update processors do
// (networkpolicyprocessor.go, globalnetworkpolicyprocessor.go, rules.go), with the validation
// the Calico API server would have done, and sorting as felix's policy_sorter does.
#include "policy/model.hpp"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "conf/decode.hpp"
#include "policy/selector_text.hpp"

namespace podnet::policy {

const char* action_name(Action a) {
  switch (a) {
    case Action::allow:
      return "Allow";
    case Action::deny:
      return "Deny";
    case Action::pass:
      return "Pass";
    case Action::log:
      return "Log";
  }
  return "?";
}

const char* direction_name(Direction d) {
  return d == Direction::ingress ? "ingress" : "egress";
}

const char* policy_kind_name(PolicyKind k) {
  switch (k) {
    case PolicyKind::kubernetes:
      return "KubernetesNetworkPolicy";
    case PolicyKind::calico:
      return "NetworkPolicy";
    case PolicyKind::global:
      return "GlobalNetworkPolicy";
  }
  return "?";
}

std::string PortMatch::str() const {
  if (!name.empty()) return name;
  return min == max ? std::to_string(min) : fmt::format("{}:{}", min, max);
}

bool EntityMatch::empty() const {
  return nets.empty() && not_nets.empty() && !selector && !not_selector && ports.empty() &&
         not_ports.empty();
}

namespace {

std::string entity_str(const char* side, const EntityMatch& e) {
  std::vector<std::string> parts;
  auto join_nets = [](const std::vector<Cidr>& v) {
    std::vector<std::string> s;
    for (const auto& c : v) s.push_back(c.str());
    return fmt::format("{}", fmt::join(s, ","));
  };
  auto join_ports = [](const std::vector<PortMatch>& v) {
    std::vector<std::string> s;
    for (const auto& p : v) s.push_back(p.str());
    return fmt::format("{}", fmt::join(s, ","));
  };
  if (!e.nets.empty()) parts.push_back("nets=" + join_nets(e.nets));
  if (!e.not_nets.empty()) parts.push_back("notNets=" + join_nets(e.not_nets));
  if (e.selector) parts.push_back(fmt::format("selector=\"{}\"", e.selector->text));
  if (e.not_selector) parts.push_back(fmt::format("notSelector=\"{}\"", e.not_selector->text));
  if (!e.ports.empty()) parts.push_back("ports=" + join_ports(e.ports));
  if (!e.not_ports.empty()) parts.push_back("notPorts=" + join_ports(e.not_ports));
  if (parts.empty()) return "";
  return fmt::format(" {}({})", side, fmt::join(parts, " "));
}

}  // namespace

std::string Rule::str() const {
  std::string s = action_name(action);
  if (ip_version) s += fmt::format(" ipVersion={}", *ip_version);
  if (protocol) s += " protocol=" + protocol_name(*protocol);
  if (not_protocol) s += " notProtocol=" + protocol_name(*not_protocol);
  auto icmp_str = [](const IcmpMatch& m) {
    std::string t = m.type ? std::to_string(*m.type) : "*";
    return m.code ? fmt::format("{}/{}", t, *m.code) : t;
  };
  if (icmp) s += " icmp=" + icmp_str(*icmp);
  if (not_icmp) s += " notICMP=" + icmp_str(*not_icmp);
  s += entity_str("source", source);
  s += entity_str("destination", destination);
  return s;
}

std::string Policy::id() const {
  return ns.empty() ? name : ns + "/" + name;
}

const Policy* Model::find_policy(std::string_view id) const {
  for (const auto& t : tiers)
    for (const auto& p : t.policies)
      if (p.id() == id) return &p;
  return nullptr;
}

std::string ModelError::str() const {
  return field.empty() ? fmt::format("{}: {}", resource, message)
                       : fmt::format("{}: {}: {}", resource, field, message);
}

namespace {

using conf::types::EntityRule;
using conf::types::PolicySpec;

// Collects the errors of one resource; the resource is rejected when there is any.
struct Errors {
  std::string resource;
  std::vector<ModelError> list;
  void add(std::string field, std::string msg) {
    list.push_back({resource, std::move(field), std::move(msg)});
  }
};

std::optional<SelectorMatch> make_selector(const std::string& text, const std::string& field,
                                           Errors& errs) {
  auto s = Selector::parse(text);
  if (!s) {
    errs.add(field, fmt::format("bad selector '{}': {}", text, s.error().message));
    return std::nullopt;
  }
  return SelectorMatch{*s, s->str()};
}

void replace_all(std::string& s, std::string_view from, std::string_view to) {
  for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size()))
    s.replace(p, from.size(), to);
}

// prefixAndAppendSelector: "(current) && prefixed".
std::string prefix_and_append(const std::string& current, const std::string& added,
                              std::string_view prefix, const std::string& field, Errors& errs) {
  if (added.empty()) return current;
  auto p = prefix_selector_labels(added, prefix);
  if (!p) {
    errs.add(field, fmt::format("bad selector '{}': {}", added, p.error().message));
    return current;
  }
  return current.empty() ? *p : fmt::format("({}) && {}", current, *p);
}

// rules.go getEndpointSelector + parseServiceAccounts.
std::string entity_selector(const EntityRule& e, const std::string& ns, const std::string& field,
                            Errors& errs) {
  std::string ns_sel;
  if (!e.namespace_selector.empty()) {
    auto p = prefix_selector_labels(e.namespace_selector, kNamespacePrefix);
    if (!p) {
      errs.add(field + ".namespaceSelector",
               fmt::format("bad selector '{}': {}", e.namespace_selector, p.error().message));
      return "";
    }
    ns_sel = *p;
    replace_all(ns_sel, "all()", fmt::format("has({})", kLabelNamespace));
    replace_all(ns_sel, "global()", fmt::format("!has({})", kLabelNamespace));
  } else if (!ns.empty()) {
    ns_sel = fmt::format("{} == '{}'", kLabelNamespace, ns);
  }
  std::vector<std::string> sels;
  if (e.has_service_accounts) {
    std::string sa;
    if (!e.service_account_selector.empty()) {
      auto p = prefix_selector_labels(e.service_account_selector, kServiceAccountPrefix);
      if (!p)
        errs.add(
            field + ".serviceAccounts.selector",
            fmt::format("bad selector '{}': {}", e.service_account_selector, p.error().message));
      else
        sa = *p;
    }
    if (!e.service_account_names.empty()) {
      std::string names = fmt::format("{} in {{ '{}' }}", kLabelServiceAccount,
                                      fmt::join(e.service_account_names, "', '"));
      auto c = canonical_selector(names);
      if (!c)
        errs.add(field + ".serviceAccounts.names", c.error().message);
      else
        sa = sa.empty() ? *c : fmt::format("({}) && ({})", sa, *c);
    }
    if (!sa.empty()) sels.push_back(sa);
  }
  if (!e.selector.empty()) sels.push_back(e.selector);
  std::string sel;
  if (sels.size() == 1) sel = sels[0];
  if (sels.size() == 2) sel = fmt::format("({}) && ({})", sels[0], sels[1]);
  if (!ns_sel.empty() && (!sel.empty() || !e.not_selector.empty() || !e.namespace_selector.empty()))
    sel = sel.empty() ? ns_sel : fmt::format("({}) && ({})", ns_sel, sel);
  return sel;
}

bool port_protocol(std::optional<int> p) {
  return p && (*p == 6 || *p == 17 || *p == 132);
}

std::vector<PortMatch> ports_of(const std::vector<conf::types::Port>& in, const std::string& field,
                                Errors& errs) {
  std::vector<PortMatch> out;
  for (size_t i = 0; i < in.size(); ++i) {
    const auto& p = in[i];
    if (p.name.empty() && (p.min < 0 || p.max > 65535 || p.min > p.max))
      errs.add(fmt::format("{}[{}]", field, i), fmt::format("bad port range {}:{}", p.min, p.max));
    out.push_back(PortMatch{static_cast<int>(p.min), static_cast<int>(p.max), p.name});
  }
  return out;
}

std::vector<Cidr> nets_of(const std::vector<std::string>& in, const std::string& field,
                          Errors& errs) {
  std::vector<Cidr> out;
  for (size_t i = 0; i < in.size(); ++i) {
    auto c = Cidr::parse(in[i]);
    if (!c)
      errs.add(fmt::format("{}[{}]", field, i), c.error().message);
    else
      out.push_back(*c);
  }
  return out;
}

EntityMatch entity(const EntityRule& e, const std::string& ns, const std::string& field,
                   Errors& errs) {
  EntityMatch m;
  m.nets = nets_of(e.nets, field + ".nets", errs);
  m.not_nets = nets_of(e.not_nets, field + ".notNets", errs);
  if (!e.selector.empty()) {
    // Report a bad selector as written, before scoping folds it into a longer text.
    auto own = Selector::parse(e.selector);
    if (!own) {
      errs.add(field + ".selector",
               fmt::format("bad selector '{}': {}", e.selector, own.error().message));
      return m;
    }
  }
  std::string sel = entity_selector(e, ns, field, errs);
  if (!sel.empty()) m.selector = make_selector(sel, field + ".selector", errs);
  if (!e.not_selector.empty())
    m.not_selector = make_selector(e.not_selector, field + ".notSelector", errs);
  m.ports = ports_of(e.ports, field + ".ports", errs);
  m.not_ports = ports_of(e.not_ports, field + ".notPorts", errs);
  if (e.service_name) errs.add(field + ".services", "service matches are not supported by podnet");
  return m;
}

std::optional<IcmpMatch> icmp_of(const std::optional<conf::types::ICMPFields>& f,
                                 const std::string& field, Errors& errs) {
  if (!f) return std::nullopt;
  IcmpMatch m;
  if (f->type) m.type = static_cast<int>(*f->type);
  if (f->code) m.code = static_cast<int>(*f->code);
  if (m.type && (*m.type < 0 || *m.type > 254)) errs.add(field + ".type", "must be 0-254");
  if (m.code && (*m.code < 0 || *m.code > 255)) errs.add(field + ".code", "must be 0-255");
  if (m.code && !m.type) errs.add(field + ".code", "an ICMP code needs an ICMP type");
  return m;
}

Rule rule_of(const conf::types::Rule& r, const std::string& ns, const std::string& field,
             Errors& errs) {
  Rule out;
  static const std::map<std::string, Action> actions = {{"Allow", Action::allow},
                                                        {"Deny", Action::deny},
                                                        {"Pass", Action::pass},
                                                        {"Log", Action::log}};
  if (auto it = actions.find(r.action); it != actions.end())
    out.action = it->second;
  else
    errs.add(field + ".action", fmt::format("'{}' is not Allow, Deny, Pass or Log", r.action));
  if (r.ip_version) {
    if (*r.ip_version != 4 && *r.ip_version != 6) errs.add(field + ".ipVersion", "must be 4 or 6");
    out.ip_version = static_cast<int>(*r.ip_version);
  }
  auto proto = [&](const std::optional<conf::types::IntOrString>& p, const char* name) {
    std::optional<int> n;
    if (!p) return n;
    n = protocol_number(p->text());
    if (!n) errs.add(field + "." + name, fmt::format("'{}' is not a protocol", p->text()));
    return n;
  };
  out.protocol = proto(r.protocol, "protocol");
  out.not_protocol = proto(r.not_protocol, "notProtocol");
  out.icmp = icmp_of(r.icmp, field + ".icmp", errs);
  out.not_icmp = icmp_of(r.not_icmp, field + ".notICMP", errs);
  // notICMP is a negative match on the type/code of ICMP packets (felix renders it as
  // `icmp type != t`, which only ICMP packets can match), so like icmp it needs protocol ICMP /
  // ICMPv6, not notProtocol.
  for (auto [m, name] : {std::pair{&out.icmp, "icmp"}, std::pair{&out.not_icmp, "notICMP"}}) {
    if (!*m) continue;
    bool v4 = out.protocol == 1, v6 = out.protocol == 58;
    if (!v4 && !v6)
      errs.add(field + "." + name, fmt::format("{} needs protocol ICMP or ICMPv6", name));
    else if (out.ip_version && *out.ip_version != (v4 ? 4 : 6))
      errs.add(field + ".ipVersion", "ICMP needs ipVersion 4 and ICMPv6 needs ipVersion 6");
  }
  out.source = entity(r.source, ns, field + ".source", errs);
  out.destination = entity(r.destination, ns, field + ".destination", errs);
  for (auto [e, side] :
       {std::pair{&out.source, "source"}, std::pair{&out.destination, "destination"}})
    if ((!e->ports.empty() || !e->not_ports.empty()) && !port_protocol(out.protocol))
      errs.add(field + "." + side + ".ports",
               "rules that specify ports must set protocol to TCP, UDP or SCTP");
  if (!r.http_methods.empty())
    errs.add(field + ".http", "HTTP matches need an application layer podnet does not have");
  return out;
}

std::optional<Policy> normalise(PolicyKind kind, const std::string& name, const std::string& ns,
                                const PolicySpec& spec, const std::set<std::string>& tiers,
                                Errors& errs) {
  Policy p;
  p.kind = kind;
  p.name = name;
  p.ns = ns;
  p.resource = errs.resource;
  p.tier = spec.tier.empty() ? "default" : spec.tier;
  p.order = spec.order;
  if (!tiers.count(p.tier)) errs.add("spec.tier", fmt::format("tier '{}' does not exist", p.tier));

  // Types: what the resource says, else Calico's API defaulting from the rules present.
  std::vector<std::string> types = spec.types;
  if (types.empty()) {
    if (!spec.egress.empty() && spec.ingress.empty())
      types = {"Egress"};
    else if (!spec.egress.empty())
      types = {"Ingress", "Egress"};
    else
      types = {"Ingress"};
  }
  for (const auto& t : types) {
    if (t == "Ingress")
      p.ingress = true;
    else if (t == "Egress")
      p.egress = true;
    else
      errs.add("spec.types", fmt::format("'{}' is not Ingress or Egress", t));
  }
  if (kind != PolicyKind::kubernetes) {
    if (!spec.ingress.empty() && !p.ingress)
      errs.add("spec.ingress", "ingress rules are given but types does not include Ingress");
    if (!spec.egress.empty() && !p.egress)
      errs.add("spec.egress", "egress rules are given but types does not include Egress");
  }

  // The policy selector (networkpolicyprocessor.go / globalnetworkpolicyprocessor.go).
  std::string sel = spec.selector;
  if (kind == PolicyKind::global) {
    if (!spec.namespace_selector.empty()) {
      sel = prefix_and_append(sel, spec.namespace_selector, kNamespacePrefix,
                              "spec.namespaceSelector", errs);
      replace_all(sel, "all()", fmt::format("has({})", kLabelNamespace));
    }
    if (!spec.service_account_selector.empty()) {
      sel = prefix_and_append(sel, spec.service_account_selector, kServiceAccountPrefix,
                              "spec.serviceAccountSelector", errs);
      replace_all(sel, "all()", fmt::format("has({})", kLabelServiceAccount));
    }
  } else {
    std::string ns_sel = fmt::format("{} == '{}'", kLabelNamespace, ns);
    sel = sel.empty() ? ns_sel : fmt::format("({}) && {}", sel, ns_sel);
    sel = prefix_and_append(sel, spec.service_account_selector, kServiceAccountPrefix,
                            "spec.serviceAccountSelector", errs);
  }
  if (!spec.selector.empty()) {
    // Report a bad spec.selector as itself, not as the combined text.
    auto own = Selector::parse(spec.selector);
    if (!own)
      errs.add("spec.selector",
               fmt::format("bad selector '{}': {}", spec.selector, own.error().message));
  }
  if (errs.list.empty()) {
    if (auto s = make_selector(sel.empty() ? "all()" : sel, "spec.selector", errs)) p.selector = *s;
  }

  // GlobalNetworkPolicy-only flags; a namespaced policy always applies on forward.
  if (kind == PolicyKind::global) {
    p.do_not_track = spec.do_not_track;
    p.pre_dnat = spec.pre_dnat;
    p.apply_on_forward = spec.apply_on_forward;
    if (p.do_not_track && p.pre_dnat)
      errs.add("spec.preDNAT", "preDNAT and doNotTrack cannot both be true");
    if (p.do_not_track && !p.apply_on_forward)
      errs.add("spec.doNotTrack", "applyOnForward must be true when doNotTrack is true");
    if (p.pre_dnat && !p.apply_on_forward)
      errs.add("spec.preDNAT", "applyOnForward must be true when preDNAT is true");
    if (p.pre_dnat && (p.egress || !spec.egress.empty()))
      errs.add("spec.egress", "preDNAT policies take ingress rules only");
  } else {
    p.apply_on_forward = true;
    // Calico has these flags on GlobalNetworkPolicy only (they act on host endpoints).
    if (spec.do_not_track)
      errs.add("spec.doNotTrack", "doNotTrack is only valid on a GlobalNetworkPolicy");
    if (spec.pre_dnat) errs.add("spec.preDNAT", "preDNAT is only valid on a GlobalNetworkPolicy");
  }

  const std::string rule_ns = kind == PolicyKind::global ? "" : ns;
  if (p.ingress)
    for (size_t i = 0; i < spec.ingress.size(); ++i)
      p.ingress_rules.push_back(
          rule_of(spec.ingress[i], rule_ns, fmt::format("spec.ingress[{}]", i), errs));
  if (p.egress)
    for (size_t i = 0; i < spec.egress.size(); ++i)
      p.egress_rules.push_back(
          rule_of(spec.egress[i], rule_ns, fmt::format("spec.egress[{}]", i), errs));
  if (!errs.list.empty()) return std::nullopt;
  return p;
}

bool order_less(const std::optional<double>& a, const std::optional<double>& b) {
  if (a && b) return *a < *b;
  return a.has_value() && !b.has_value();
}

}  // namespace

BuildResult build_model(const std::vector<conf::Resource>& resources) {
  BuildResult out;
  using namespace conf::types;

  // Tiers: the fixed ones (api/pkg/apis/projectcalico/v3/tier.go), then Tier resources.
  std::map<std::string, Tier> tiers;
  tiers["default"] = Tier{"default", 1000000.0, Action::deny, {}};
  tiers["kube-admin"] = Tier{"kube-admin", 1000.0, Action::pass, {}};
  tiers["kube-baseline"] = Tier{"kube-baseline", 10000000.0, Action::pass, {}};
  for (const auto& r : resources) {
    if (!r.kind || r.kind->plural != conf::types::Tier::kPlural) continue;
    auto t = conf::decode<conf::types::Tier>(r);
    if (!t) {
      out.errors.push_back({r.key(), "", t.error().message});
      continue;
    }
    Tier tier{t->metadata.name, t->spec.order, Action::deny, {}};
    if (t->spec.default_action == "Pass")
      tier.default_action = Action::pass;
    else if (t->spec.default_action != "Deny")
      out.errors.push_back({r.key(), "spec.defaultAction",
                            fmt::format("'{}' is not Deny or Pass", t->spec.default_action)});
    if (!tier.order && tiers.count(tier.name)) tier.order = tiers[tier.name].order;
    tiers[tier.name] = tier;
  }
  // Namespace labels, for the profile labels namespaced network sets inherit.
  std::map<std::string, Labels> ns_labels;
  for (const auto& r : resources)
    if (r.kind && r.kind->plural == Namespace::kPlural)
      if (auto n = conf::decode<Namespace>(r)) ns_labels[n->metadata.name] = n->metadata.labels;

  std::set<std::string> tier_names;
  for (const auto& [n, t] : tiers) tier_names.insert(n);

  for (const auto& r : resources) {
    if (!r.kind) continue;
    const std::string& plural = r.kind->plural;
    Errors errs{r.key(), {}};
    std::optional<Policy> p;
    if (plural == KubernetesNetworkPolicy::kPlural) {
      auto k = conf::decode<KubernetesNetworkPolicy>(r);
      if (!k) {
        errs.add("", k.error().message);
      } else {
        std::string ns = k->metadata.namespace_.empty() ? "default" : k->metadata.namespace_;
        p = normalise(PolicyKind::kubernetes, "knp.default." + k->metadata.name, ns,
                      k8s_policy_to_calico(*k), tier_names, errs);
      }
    } else if (plural == conf::types::NetworkPolicy::kPlural) {
      auto c = conf::decode<conf::types::NetworkPolicy>(r);
      if (!c) {
        errs.add("", c.error().message);
      } else {
        std::string ns = c->metadata.namespace_.empty() ? "default" : c->metadata.namespace_;
        p = normalise(PolicyKind::calico, c->metadata.name, ns, c->spec, tier_names, errs);
      }
    } else if (plural == GlobalNetworkPolicy::kPlural) {
      auto g = conf::decode<GlobalNetworkPolicy>(r);
      if (!g)
        errs.add("", g.error().message);
      else
        p = normalise(PolicyKind::global, g->metadata.name, "", g->spec, tier_names, errs);
    } else if (plural == conf::types::NetworkSet::kPlural || plural == GlobalNetworkSet::kPlural) {
      bool global = plural == GlobalNetworkSet::kPlural;
      policy::NetworkSet set;
      std::vector<std::string> nets;
      if (global) {
        auto g = conf::decode<GlobalNetworkSet>(r);
        if (!g) {
          out.errors.push_back({r.key(), "", g.error().message});
          continue;
        }
        set.name = g->metadata.name;
        set.labels = g->metadata.labels;
        nets = g->spec.nets;
      } else {
        auto n = conf::decode<conf::types::NetworkSet>(r);
        if (!n) {
          out.errors.push_back({r.key(), "", n.error().message});
          continue;
        }
        set.name = n->metadata.name;
        set.ns = n->metadata.namespace_.empty() ? "default" : n->metadata.namespace_;
        set.labels = n->metadata.labels;
        // felix sees a namespaced set with its namespace label, so namespaced rules (scoped by
        // projectcalico.org/namespace) can select it.
        set.labels[std::string(kLabelNamespace)] = set.ns;
        // ... and those of its namespace's profile (kns.<ns>), so namespaceSelectors match it.
        std::string nsp(kNamespacePrefix);
        for (const auto& [k, v] : ns_labels[set.ns]) set.labels.emplace(nsp + k, v);
        set.labels.emplace(nsp + std::string(kLabelName), set.ns);
        nets = n->spec.nets;
      }
      set.nets = nets_of(nets, "spec.nets", errs);
      if (errs.list.empty())
        out.model.network_sets.push_back(std::move(set));
      else
        out.errors.insert(out.errors.end(), errs.list.begin(), errs.list.end());
      continue;
    } else {
      continue;
    }
    if (p)
      tiers[p->tier].policies.push_back(std::move(*p));
    else
      out.errors.insert(out.errors.end(), errs.list.begin(), errs.list.end());
  }

  for (auto& [name, t] : tiers) {
    // policy_sorter.go PolKVLess: order (absent = +Inf), then the name.
    std::sort(t.policies.begin(), t.policies.end(), [](const Policy& a, const Policy& b) {
      if (a.order != b.order) return order_less(a.order, b.order);
      return std::tie(a.name, a.ns) < std::tie(b.name, b.ns);
    });
    out.model.tiers.push_back(std::move(t));
  }
  std::sort(out.model.tiers.begin(), out.model.tiers.end(), [](const Tier& a, const Tier& b) {
    if (a.order != b.order) return order_less(a.order, b.order);
    return a.name < b.name;
  });
  std::sort(out.model.network_sets.begin(), out.model.network_sets.end(),
            [](const policy::NetworkSet& a, const policy::NetworkSet& b) {
              return std::tie(a.ns, a.name) < std::tie(b.ns, b.name);
            });
  return out;
}

}  // namespace podnet::policy
