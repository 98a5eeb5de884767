#include "policy/evaluate.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace podnet::policy {

std::string Step::str() const {
  std::string verdict = !decided ? "no verdict" : allowed ? "allowed" : "denied";
  std::string where = fmt::format("{} {}", stage, endpoint);
  switch (source) {
    case Source::rule:
      return fmt::format("{}: {} by tier {} policy {} rule {}: {}", where, verdict, tier, policy,
                         rule, detail);
    case Source::end_of_tier:
      return fmt::format("{}: {} at the end of tier {} (last applying policy {})", where, verdict,
                         tier, policy);
    case Source::profile:
      return fmt::format("{}: {} by profile {}", where, verdict, detail);
    case Source::no_profile:
      return fmt::format("{}: {}: no policy or profile allows it", where, verdict);
    case Source::failsafe:
      return fmt::format("{}: {} by failsafe {}", where, verdict, detail);
    case Source::not_policed:
      return fmt::format("{}: {}: {}", where, verdict, detail);
  }
  return where;
}

Evaluator::Evaluator(const Model& model, const Endpoints& endpoints, Failsafes failsafes)
    : model_(model), endpoints_(endpoints), failsafes_(std::move(failsafes)) {}

namespace {

bool in_class(const Policy& p, Evaluator::Class c) {
  switch (c) {
    case Evaluator::Class::normal:
      return !p.pre_dnat && !p.do_not_track;
    case Evaluator::Class::forward:
      return p.apply_on_forward && !p.pre_dnat && !p.do_not_track;
    case Evaluator::Class::pre_dnat:
      return p.pre_dnat;
    case Evaluator::Class::untracked:
      return p.do_not_track;
  }
  return false;
}

bool any_net(const std::vector<Cidr>& nets, const IpAddr& ip) {
  return std::any_of(nets.begin(), nets.end(), [&](const Cidr& c) { return c.contains(ip); });
}

}  // namespace

std::vector<const Policy*> Evaluator::applicable(const Endpoint& ep, Direction d, Class c) const {
  std::vector<const Policy*> out;
  // preDNAT and doNotTrack policies exist for host endpoints only (felix renders them there).
  if (ep.kind == Endpoint::Kind::workload && (c == Class::pre_dnat || c == Class::untracked))
    return out;
  for (const auto& t : model_.tiers)
    for (const auto& p : t.policies)
      if (p.has_type(d) && in_class(p, c) && p.selector.selector.matches(ep.labels))
        out.push_back(&p);
  return out;
}

bool Evaluator::ip_matches(const IpAddr& ip, const Selector& sel) const {
  for (const Endpoint* e : endpoints_.with_ip(ip))
    if (sel.matches(e->labels)) return true;
  for (const auto& s : model_.network_sets)
    if (any_net(s.nets, ip) && sel.matches(s.labels)) return true;
  return false;
}

bool Evaluator::named_port_matches(const std::string& name, const std::optional<SelectorMatch>& sel,
                                   const IpAddr& ip, int protocol, int port) const {
  // felix's named-port sets: (ip, protocol, port) of every endpoint that matches the rule's
  // positive selector (all endpoints without one) and has a port of that name.
  for (const Endpoint* e : endpoints_.with_ip(ip)) {
    if (sel && !sel->selector.matches(e->labels)) continue;
    for (const auto& np : e->ports)
      if (np.name == name && np.protocol == protocol && np.port == port) return true;
  }
  return false;
}

bool Evaluator::entity_matches(const EntityMatch& e, const IpAddr& ip, int port,
                               const Packet& p) const {
  if (!e.nets.empty() && !any_net(e.nets, ip)) return false;
  if (any_net(e.not_nets, ip)) return false;
  // As the compiled rules (Felix's per-family rendering): notNets without an entry of the
  // packet's family drop the rule for that family.
  if (!e.not_nets.empty() && std::none_of(e.not_nets.begin(), e.not_nets.end(),
                                          [&](const Cidr& c) { return c.family() == ip.family(); }))
    return false;
  if (e.selector && !ip_matches(ip, e.selector->selector)) return false;
  if (e.not_selector && ip_matches(ip, e.not_selector->selector)) return false;
  auto port_in = [&](const std::vector<PortMatch>& list) {
    for (const auto& pm : list) {
      if (pm.matches_number(port)) return true;
      if (!pm.name.empty() && named_port_matches(pm.name, e.selector, ip, p.protocol, port))
        return true;
    }
    return false;
  };
  if (!e.ports.empty() && !port_in(e.ports)) return false;
  if (!e.not_ports.empty() && port_in(e.not_ports)) return false;
  return true;
}

bool Evaluator::rule_matches(const Rule& r, const Packet& p) const {
  if (r.ip_version && *r.ip_version != p.src.family()) return false;
  if (r.protocol && *r.protocol != p.protocol) return false;
  if (r.not_protocol && *r.not_protocol == p.protocol) return false;
  auto icmp_in = [&](const IcmpMatch& m) {
    if (m.type && (!p.icmp_type || *p.icmp_type != *m.type)) return false;
    if (m.code && (!p.icmp_code || *p.icmp_code != *m.code)) return false;
    return true;
  };
  if (r.icmp && !icmp_in(*r.icmp)) return false;
  // notICMP excludes the ICMP packets of that type (and code): NOT (type == t && code == c).
  // The rule's protocol (ICMP / ICMPv6, which the model requires) was checked above.
  if (r.not_icmp && icmp_in(*r.not_icmp)) return false;
  if (!entity_matches(r.source, p.src, p.src_port, p)) return false;
  if (!entity_matches(r.destination, p.dst, p.dst_port, p)) return false;
  return true;
}

Step Evaluator::run(const Endpoint& ep, Direction d, Class c, const Packet& p,
                    std::string stage) const {
  Step s;
  s.stage = std::move(stage);
  s.endpoint = ep.name;
  bool any_applied = false;
  for (const auto& t : model_.tiers) {
    const Policy* last = nullptr;
    bool passed = false;
    for (const auto& pol : t.policies) {
      if (!pol.has_type(d) || !in_class(pol, c) || !pol.selector.selector.matches(ep.labels))
        continue;
      if (ep.kind == Endpoint::Kind::workload && (c == Class::pre_dnat || c == Class::untracked))
        continue;
      last = &pol;
      const auto& rules = pol.rules(d);
      for (size_t i = 0; i < rules.size() && !passed; ++i) {
        const Rule& r = rules[i];
        if (r.action == Action::log || !rule_matches(r, p)) continue;
        if (r.action == Action::pass) {
          passed = true;
          break;
        }
        s.allowed = r.action == Action::allow;
        s.source = Source::rule;
        s.tier = t.name;
        s.policy = pol.id();
        s.rule = static_cast<int>(i);
        s.detail = r.str();
        return s;
      }
      if (passed) break;
    }
    if (!last) continue;  // no policy of this tier applies: the tier is skipped
    any_applied = true;
    if (passed) continue;
    // The untracked and preDNAT chains have no end-of-tier drop.
    if (c == Class::pre_dnat || c == Class::untracked) continue;
    if (t.default_action == Action::pass) continue;
    s.allowed = false;
    s.source = Source::end_of_tier;
    s.tier = t.name;
    s.policy = last->id();
    return s;
  }
  if (c == Class::pre_dnat || c == Class::untracked) {
    s.decided = false;
    s.allowed = true;
    s.source = Source::not_policed;
    s.detail = any_applied ? "no rule matched; on to the next stage" : "no policy applies";
    return s;
  }
  if (c == Class::forward && !any_applied) {
    s.allowed = true;
    s.source = Source::not_policed;
    s.detail = "no applyOnForward policy applies to this host endpoint";
    return s;
  }
  for (const auto& prof : ep.profiles) {
    // kns.<ns> allows everything (conversion.go NamespaceToProfile), as does the built-in
    // projectcalico-default-allow; ksa.* profiles have no rules.
    if (prof.rfind("kns.", 0) == 0 || prof == "projectcalico-default-allow") {
      s.allowed = true;
      s.source = Source::profile;
      s.detail = prof;
      return s;
    }
  }
  s.allowed = false;
  s.source = Source::no_profile;
  return s;
}

std::optional<Step> Evaluator::failsafe(const std::vector<FailsafePort>& list, const Packet& p,
                                        bool inbound, const Endpoint& ep, std::string stage) const {
  const IpAddr& remote = inbound ? p.src : p.dst;
  for (const auto& f : list) {
    if (f.protocol != p.protocol || f.port != p.dst_port) continue;
    if (f.net && !f.net->contains(remote)) continue;
    Step s;
    s.stage = std::move(stage);
    s.endpoint = ep.name;
    s.allowed = true;
    s.source = Source::failsafe;
    s.detail = fmt::format("{}:{}{}", protocol_name(f.protocol), f.port,
                           f.net ? " from " + f.net->str() : "");
    return s;
  }
  return std::nullopt;
}

Decision Evaluator::evaluate(const Flow& flow) const {
  Decision d;
  Packet post{flow.src.ip,   flow.dst.ip,    flow.protocol, flow.src_port,
              flow.dst_port, flow.icmp_type, flow.icmp_code};
  Packet pre = post;
  if (flow.pre_dnat_ip) pre.dst = *flow.pre_dnat_ip;
  if (flow.pre_dnat_port) pre.dst_port = *flow.pre_dnat_port;
  const Endpoint* src = flow.src.endpoint;
  const Endpoint* dst = flow.dst.endpoint;
  bool to_host = dst && dst->kind == Endpoint::Kind::host;
  auto push = [&](Step s) {
    bool stop = s.decided && !s.allowed;
    d.steps.push_back(std::move(s));
    return stop;
  };

  // Entering through a host endpoint: raw (doNotTrack), then mangle (preDNAT), both seeing the
  // original destination; failsafes come first in each.
  bool skip_host_policy = false;
  if (const Endpoint* in = flow.ingress_host_endpoint) {
    if (auto f = failsafe(failsafes_.inbound, pre, true, *in, "untracked")) {
      push(*f);
      skip_host_policy = true;
    } else {
      Step u = run(*in, Direction::ingress, Class::untracked, pre, "untracked");
      if (u.decided) {
        if (push(u)) return d;
        skip_host_policy = true;  // allowed untracked skips preDNAT and normal policy
      } else {
        // Recorded even without a verdict, so `policy test` shows the stage was consulted.
        Step pd = run(*in, Direction::ingress, Class::pre_dnat, pre, "preDNAT");
        if (push(pd)) return d;
        // Allowed by preDNAT skips the host endpoint's normal and forward policy.
        if (pd.decided) skip_host_policy = true;
      }
    }
  }

  // The sender.
  if (src && src->kind == Endpoint::Kind::workload) {
    if (push(run(*src, Direction::egress, Class::normal, post, "egress"))) return d;
  } else if (src && src->kind == Endpoint::Kind::host) {
    if (auto f = failsafe(failsafes_.outbound, post, false, *src, "host-egress")) {
      push(*f);
    } else if (push(run(*src, Direction::egress, Class::normal, post, "host-egress"))) {
      return d;
    }
  }

  // The host endpoint the flow enters by, for forwarded traffic (applyOnForward policy).
  if (flow.ingress_host_endpoint && !to_host && !skip_host_policy)
    if (push(run(*flow.ingress_host_endpoint, Direction::ingress, Class::forward, post, "forward")))
      return d;

  // The receiver.
  if (dst && dst->kind == Endpoint::Kind::workload) {
    if (push(run(*dst, Direction::ingress, Class::normal, post, "ingress"))) return d;
  } else if (to_host && !(skip_host_policy && flow.ingress_host_endpoint == dst)) {
    if (auto f = failsafe(failsafes_.inbound, post, true, *dst, "host-ingress")) {
      push(*f);
    } else if (push(run(*dst, Direction::ingress, Class::normal, post, "host-ingress"))) {
      return d;
    }
  }

  if (d.steps.empty()) {
    Step s;
    s.stage = "none";
    s.endpoint = "-";
    s.allowed = true;
    s.source = Source::not_policed;
    s.detail = "neither end is an endpoint podnet polices";
    d.steps.push_back(s);
  }
  d.allowed = true;
  return d;
}

}  // namespace podnet::policy
