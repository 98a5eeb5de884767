#include "policy/compiler.hpp"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

namespace podnet::policy {

namespace {

using nft::KeyPart;
using nft::KeyType;
using nft::Verdict;

enum class Class { normal, forward, pre_dnat, untracked };

bool in_class(const Policy& p, Class c) {
  switch (c) {
    case Class::normal:
      return !p.pre_dnat && !p.do_not_track;
    case Class::forward:
      return p.apply_on_forward && !p.pre_dnat && !p.do_not_track;
    case Class::pre_dnat:
      return p.pre_dnat;
    case Class::untracked:
      return p.do_not_track;
  }
  return false;
}

// One alternative of an OR (numeric ports or named ports): its matches are ANDed.
using Matches = std::vector<nft::Match>;

struct PolicyChains {
  std::string in, out;  // chain names; empty when the policy has no such type
};

nft::Rule rule(Matches m, std::vector<nft::Statement> s) {
  return nft::Rule{std::move(m), std::move(s)};
}
nft::MarkMatch mark_is(uint32_t bit, bool set) {
  return nft::MarkMatch{bit, set ? bit : 0u, false};
}

class Compiler {
 public:
  Compiler(const Model& m, const Endpoints& eps, const CompileOptions& o, CompileIndex* index)
      : model_(m), endpoints_(eps), opts_(o), index_(index) {}

  CompileResult run();
  // One local workload's fw-/tw- chains from an index's rendered policies.
  std::vector<nft::Chain> workload(const Endpoint& ep, const CompileIndex& index);

 private:
  // Sets.
  std::string selector_set(const SelectorMatch& sel, int fam);
  std::string named_port_set(const std::optional<SelectorMatch>& sel,
                             const std::vector<std::string>& names, int fam);
  void fill_set(const std::string& name, nft::Set s, const SetSource& src);
  // Rules.
  Result<std::vector<Matches>> entity(const EntityMatch& e, bool source, int fam,
                                      std::optional<int> proto);
  Result<std::vector<nft::Rule>> translate(const Rule& r, const Policy& p, int fam);
  Status policy_chain(const Policy& p, Direction d, const std::string& name);
  // Endpoint chains: true when at least one policy applied.
  bool endpoint_chain(const Endpoint& ep, Direction d, Class c, const std::string& name);
  // Selector matching once per endpoint, for all its chains.
  void select_for(const Endpoint& ep) {
    matching_.clear();
    for (const auto& [p, chains] : rendered_)
      if (p->selector.selector.matches(ep.labels)) matching_.insert(p);
  }

  const Model& model_;
  const Endpoints& endpoints_;
  const CompileOptions& opts_;
  CompileIndex* index_;  // filled when an incremental caller asks for it
  CompileResult out_;
  std::map<std::string, nft::Set> sets_;
  std::vector<std::string> new_sets_;  // sets the policy being rendered created
  // Rendered policies whose selector matches the endpoint being compiled, in model order.
  std::set<const Policy*> matching_;
  std::vector<nft::Chain> policy_chains_;
  std::map<const Policy*, PolicyChains> rendered_;
  std::set<const Policy*> failed_;
};

std::string fam_tag(int fam) {
  return fam == 4 ? "4" : "6";
}
nft::IpVersion version(int fam) {
  return fam == 4 ? nft::IpVersion::v4 : nft::IpVersion::v6;
}
KeyType addr_type(int fam) {
  return fam == 4 ? KeyType::ipv4_addr : KeyType::ipv6_addr;
}

std::string Compiler::selector_set(const SelectorMatch& sel, int fam) {
  std::string name = "s" + fam_tag(fam) + "-" + short_hash(sel.text);
  if (sets_.count(name)) return name;
  fill_set(name, nft::Set{name, {addr_type(fam)}, true, false, {}}, SetSource{sel, {}, fam});
  return name;
}

// Endpoints' and NetworkSets' contributions; recorded per endpoint for incremental updates.
void Compiler::fill_set(const std::string& name, nft::Set s, const SetSource& src) {
  CompileIndex::IndexedSet* ix = nullptr;
  if (index_) {
    ix = &index_->sets[name];
    ix->source = src;
  }
  for (const auto& ep : endpoints_.endpoints) {
    auto el = set_elements_of(src, ep);
    if (el.empty()) continue;
    s.elements.insert(s.elements.end(), el.begin(), el.end());
    if (ix) ix->members[ep.name] = std::move(el);
  }
  if (src.port_names.empty())
    for (const auto& ns : model_.network_sets) {
      auto el = set_elements_of(src, ns);
      s.elements.insert(s.elements.end(), el.begin(), el.end());
      if (ix) ix->fixed.insert(ix->fixed.end(), el.begin(), el.end());
    }
  s.elements = nft::normalized_elements(s);
  if (ix) ix->set = s;
  sets_.emplace(name, std::move(s));
  new_sets_.push_back(name);
}

std::string Compiler::named_port_set(const std::optional<SelectorMatch>& sel,
                                     const std::vector<std::string>& names, int fam) {
  std::string id = sel ? sel->text : "<any>";
  for (const auto& n : names) id += "|" + n;
  std::string name = "n" + fam_tag(fam) + "-" + short_hash(id);
  if (sets_.count(name)) return name;
  fill_set(
      name,
      nft::Set{
          name, {addr_type(fam), KeyType::inet_proto, KeyType::inet_service}, false, false, {}},
      SetSource{sel, names, fam});
  return name;
}

bool supports_ports(std::optional<int> proto) {
  return proto && (*proto == 6 || *proto == 17 || *proto == 132);
}

Result<std::vector<Matches>> Compiler::entity(const EntityMatch& e, bool source, int fam,
                                              std::optional<int> proto) {
  const auto field = source ? nft::AddrField::saddr : nft::AddrField::daddr;
  const auto pfield = source ? nft::PortField::sport : nft::PortField::dport;
  Matches common;
  auto cidrs = [&](const std::vector<Cidr>& list) {
    nft::Values v;
    for (const auto& c : list)
      if (c.family() == fam)
        if (auto k = KeyPart::addr(c.str())) v.literal.push_back(*k);
    return v;
  };
  if (!e.nets.empty()) common.push_back(nft::AddrMatch{version(fam), field, cidrs(e.nets), false});
  if (auto v = cidrs(e.not_nets); !v.literal.empty())
    common.push_back(nft::AddrMatch{version(fam), field, v, true});
  if (e.selector)
    common.push_back(nft::AddrMatch{version(fam), field,
                                    nft::Values{{}, selector_set(*e.selector, fam)}, false});
  if (e.not_selector)
    common.push_back(nft::AddrMatch{version(fam), field,
                                    nft::Values{{}, selector_set(*e.not_selector, fam)}, true});
  if ((!e.ports.empty() || !e.not_ports.empty()) && !supports_ports(proto))
    return make_error(Errc::invalid, "ports need protocol TCP, UDP or SCTP");
  auto split = [](const std::vector<PortMatch>& list, nft::Values& nums,
                  std::vector<std::string>& named) {
    for (const auto& p : list) {
      if (!p.name.empty())
        named.push_back(p.name);
      else
        nums.literal.push_back(
            KeyPart::port_range(static_cast<uint16_t>(p.min), static_cast<uint16_t>(p.max)));
    }
  };
  nft::Values not_nums;
  std::vector<std::string> not_named;
  split(e.not_ports, not_nums, not_named);
  if (!not_nums.literal.empty()) common.push_back(nft::PortMatch{pfield, not_nums, true});
  if (!not_named.empty())
    common.push_back(nft::AddrProtoPortMatch{version(fam), field, pfield,
                                             named_port_set(e.selector, not_named, fam), true});
  if (e.ports.empty()) return std::vector<Matches>{common};
  nft::Values nums;
  std::vector<std::string> named;
  split(e.ports, nums, named);
  // ports is an OR of numbers and names: one alternative for each kind present.
  std::vector<Matches> alts;
  if (!nums.literal.empty()) {
    alts.push_back(common);
    alts.back().push_back(nft::PortMatch{pfield, nums, false});
  }
  if (!named.empty()) {
    alts.push_back(common);
    alts.back().push_back(nft::AddrProtoPortMatch{version(fam), field, pfield,
                                                  named_port_set(e.selector, named, fam), false});
  }
  return alts;
}

bool has_family(const std::vector<Cidr>& nets, int fam) {
  return std::any_of(nets.begin(), nets.end(), [&](const Cidr& c) { return c.family() == fam; });
}
bool negates_all(const std::vector<Cidr>& nets, int fam) {
  return std::any_of(nets.begin(), nets.end(),
                     [&](const Cidr& c) { return c.family() == fam && c.len == 0; });
}

Result<std::vector<nft::Rule>> Compiler::translate(const Rule& r, const Policy& p, int fam) {
  std::vector<nft::Rule> out;
  // Felix renders a rule per family and skips the family its nets or ipVersion exclude.
  if (r.ip_version && *r.ip_version != fam) return out;
  if (!r.source.nets.empty() && !has_family(r.source.nets, fam)) return out;
  if (!r.destination.nets.empty() && !has_family(r.destination.nets, fam)) return out;
  // notNets with none of this family: Felix skips the rule for the family too (filterNets
  // "filtered all", felix/rules/policy.go). Rendering it without the match would hit every packet.
  if (!r.source.not_nets.empty() && !has_family(r.source.not_nets, fam)) return out;
  if (!r.destination.not_nets.empty() && !has_family(r.destination.not_nets, fam)) return out;
  if (negates_all(r.source.not_nets, fam) || negates_all(r.destination.not_nets, fam)) return out;
  const int icmp_proto = fam == 4 ? 1 : 58;
  if (r.protocol && (*r.protocol == 1 || *r.protocol == 58) && *r.protocol != icmp_proto)
    return out;
  if ((r.icmp || r.not_icmp) && r.protocol != icmp_proto) {
    if (r.protocol == 1 || r.protocol == 58) return out;  // the other family's ICMP
    return make_error(Errc::invalid, "icmp / notICMP need protocol ICMP or ICMPv6");
  }

  Matches head;
  if (r.protocol) head.push_back(nft::L4ProtoMatch{{static_cast<uint8_t>(*r.protocol)}, false});
  if (r.not_protocol)
    head.push_back(nft::L4ProtoMatch{{static_cast<uint8_t>(*r.not_protocol)}, true});
  auto icmp = [&](const IcmpMatch& m, bool negate) -> std::optional<nft::IcmpMatch> {
    if (!m.type) return std::nullopt;
    nft::IcmpMatch im{version(fam), static_cast<uint8_t>(*m.type), std::nullopt, negate};
    if (m.code) im.code = static_cast<uint8_t>(*m.code);
    return im;
  };
  if (r.icmp)
    if (auto m = icmp(*r.icmp, false)) head.push_back(*m);
  if (r.not_icmp)
    if (auto m = icmp(*r.not_icmp, true)) head.push_back(*m);

  auto src = entity(r.source, true, fam, r.protocol);
  if (!src) return src.error();
  auto dst = entity(r.destination, false, fam, r.protocol);
  if (!dst) return dst.error();

  std::vector<nft::Statement> action;
  switch (r.action) {
    case Action::allow:
      action = {nft::SetMark{0, kMarkAccept}, Verdict::ret()};
      break;
    case Action::pass:
      action = {nft::SetMark{0, kMarkPass}, Verdict::ret()};
      break;
    case Action::deny:
      action = {nft::Counter{}, Verdict::drop()};
      break;
    case Action::log:
      action = {nft::Log{fmt::format("podnet {} ", short_hash(p.resource, 8))}};
      break;
  }
  for (const auto& s : *src)
    for (const auto& d : *dst) {
      Matches m = head;
      m.insert(m.end(), s.begin(), s.end());
      m.insert(m.end(), d.begin(), d.end());
      out.push_back(rule(std::move(m), action));
    }
  return out;
}

bool named_ports(const std::vector<PortMatch>& l) {
  return std::any_of(l.begin(), l.end(), [](const PortMatch& p) { return !p.name.empty(); });
}
bool family_specific(const Rule& r) {
  auto entity = [](const EntityMatch& e) {
    return !e.nets.empty() || !e.not_nets.empty() || e.selector || e.not_selector ||
           named_ports(e.ports) || named_ports(e.not_ports);
  };
  return r.ip_version || r.icmp || r.not_icmp || r.protocol == 1 || r.protocol == 58 ||
         entity(r.source) || entity(r.destination);
}

Status Compiler::policy_chain(const Policy& p, Direction d, const std::string& name) {
  nft::Chain c{name, std::nullopt, {}};
  const auto& rules = p.rules(d);
  for (size_t i = 0; i < rules.size(); ++i)
    for (int fam : {4, 6}) {
      // A rule without addresses, ICMP or ipVersion matches both families as one inet rule.
      if (fam == 6 && !family_specific(rules[i])) break;
      auto rs = translate(rules[i], p, fam);
      if (!rs)
        return make_error(Errc::invalid,
                          fmt::format("{} rule {}: {}", direction_name(d), i, rs.error().message));
      c.rules.insert(c.rules.end(), rs->begin(), rs->end());
    }
  policy_chains_.push_back(std::move(c));
  return ok_status();
}

bool Compiler::endpoint_chain(const Endpoint& ep, Direction d, Class c, const std::string& name) {
  nft::Chain ch{name, std::nullopt, {}};
  ch.rules.push_back(rule({}, {nft::SetMark{kMarkAccept | kMarkPass, 0}}));
  // preDNAT and untracked (raw) chains end without a verdict: what no policy decided goes on.
  const bool pre = c == Class::pre_dnat || c == Class::untracked;
  bool any = false;
  for (const auto& t : model_.tiers) {
    bool applies = false;
    for (const auto& p : t.policies) {
      if (!p.has_type(d) || !in_class(p, c) || !matching_.count(&p)) continue;
      const auto& pc = rendered_.at(&p);
      const std::string& target = d == Direction::ingress ? pc.in : pc.out;
      if (!applies && any) ch.rules.push_back(rule({}, {nft::SetMark{kMarkPass, 0}}));
      applies = true;
      ch.rules.push_back(rule({mark_is(kMarkPass, false)}, {Verdict::jump(target)}));
      if (pre)
        ch.rules.push_back(rule(
            {mark_is(kMarkAccept, true)},
            {nft::SetMark{0, c == Class::untracked ? kMarkUntrackedAllowed : kMarkPreDnatAllowed},
             Verdict::ret()}));
      else
        ch.rules.push_back(rule({mark_is(kMarkAccept, true)}, {Verdict::ret()}));
    }
    if (!applies) continue;  // a tier with no policy for the endpoint is skipped
    any = true;
    // End of tier: drop what no policy passed (preDNAT has no end-of-tier drop).
    if (!pre && t.default_action != Action::pass)
      ch.rules.push_back(rule({mark_is(kMarkPass, false)}, {nft::Counter{}, Verdict::drop()}));
  }
  if (pre) {  // no verdict: on to the next stage
    out_.table.chains.push_back(std::move(ch));
    return any;
  }
  for (const auto& prof : ep.profiles)
    if (prof.rfind("kns.", 0) == 0 || prof == "projectcalico-default-allow") {
      ch.rules.push_back(rule({}, {nft::SetMark{0, kMarkAccept}, Verdict::ret()}));
      break;
    }
  ch.rules.push_back(rule({}, {nft::Counter{}, Verdict::drop()}));
  out_.table.chains.push_back(std::move(ch));
  return any;
}

nft::Chain base(const std::string& name, nft::Hook hook, int32_t prio) {
  return nft::Chain{name, nft::BaseChain{nft::ChainType::filter, hook, prio, false}, {}};
}
void conntrack(nft::Chain& c) {
  c.rules.push_back(rule({nft::CtStateMatch{nft::ct::established | nft::ct::related, false}},
                         {Verdict::accept()}));
  c.rules.push_back(rule({nft::CtStateMatch{nft::ct::invalid, false}}, {Verdict::drop()}));
}
nft::Set vmap(const std::string& name) {
  return nft::Set{name, {KeyType::ifname}, false, true, {}};
}
void failsafe_rules(nft::Chain& c, const std::vector<FailsafePort>& list, bool inbound,
                    std::vector<nft::Statement> action) {
  for (const auto& f : list) {
    Matches m{
        nft::IfNameMatch{inbound ? nft::Dir::in : nft::Dir::out, "lo", true},
        nft::L4ProtoMatch{{static_cast<uint8_t>(f.protocol)}, false},
        nft::PortMatch{nft::PortField::dport,
                       nft::Values{{KeyPart::port(static_cast<uint16_t>(f.port))}, {}}, false}};
    if (f.net)
      if (auto k = KeyPart::addr(f.net->str()))
        m.push_back(nft::AddrMatch{version(f.net->family()),
                                   inbound ? nft::AddrField::saddr : nft::AddrField::daddr,
                                   nft::Values{{*k}, {}}, false});
    c.rules.push_back(rule(std::move(m), action));
  }
}

std::vector<nft::Chain> Compiler::workload(const Endpoint& ep, const CompileIndex& index) {
  for (const auto& [p, names] : index.rendered)
    rendered_[p] = PolicyChains{names.first, names.second};
  select_for(ep);
  endpoint_chain(ep, Direction::egress, Class::normal, "fw-" + ep.interface);
  endpoint_chain(ep, Direction::ingress, Class::normal, "tw-" + ep.interface);
  return std::move(out_.table.chains);
}

CompileResult Compiler::run() {
  out_.table.family = nft::Family::inet;
  out_.table.name = opts_.table;

  // Per-policy chains first: a policy that cannot be rendered is left out everywhere.
  for (const auto& t : model_.tiers)
    for (const auto& p : t.policies) {
      PolicyChains pc;
      const std::string id = short_hash(policy_kind_name(p.kind) + ("/" + p.ns) + "/" + p.name);
      new_sets_.clear();
      auto chains_before = policy_chains_.size();
      Status st = ok_status();
      if (p.ingress) st = policy_chain(p, Direction::ingress, pc.in = "pi-" + id);
      if (st && p.egress) st = policy_chain(p, Direction::egress, pc.out = "po-" + id);
      if (!st) {
        out_.errors.push_back({p.id(), p.resource, st.error().message});
        failed_.insert(&p);
        for (const auto& n : new_sets_) {  // the sets only this policy used
          sets_.erase(n);
          if (index_) index_->sets.erase(n);
        }
        policy_chains_.resize(chains_before);
        continue;
      }
      rendered_[&p] = pc;
      if (index_) index_->rendered[&p] = {pc.in, pc.out};
    }

  // Which interfaces each host endpoint governs: its interfaceName, unless Felix's resolution
  // gives that interface to another one; for one with expectedIPs only, those resolved to it.
  const auto governed = resolve_host_interfaces(endpoints_, opts_.node, opts_.host_interfaces);
  auto interfaces_of = [&](const Endpoint& ep) {
    std::vector<std::string> out;
    if (!ep.interface.empty()) {
      auto w = governed.find(ep.interface);
      if (w == governed.end() || w->second == ep.name) out.push_back(ep.interface);
      return out;
    }
    for (const auto& [ifc, name] : governed)
      if (name == ep.name) out.push_back(ifc);
    return out;
  };
  std::vector<const Endpoint*> workloads, heps;
  for (const auto& ep : endpoints_.endpoints) {
    if (ep.node != opts_.node) continue;
    if (ep.kind == Endpoint::Kind::workload && !ep.interface.empty()) workloads.push_back(&ep);
    if (ep.kind == Endpoint::Kind::host && !interfaces_of(ep).empty()) heps.push_back(&ep);
  }
  out_.local_endpoints = workloads.size() + heps.size();

  nft::Set from_wl = vmap("from-wl"), to_wl = vmap("to-wl");
  for (const Endpoint* ep : workloads) {
    select_for(*ep);
    std::string fw = "fw-" + ep->interface, tw = "tw-" + ep->interface;
    // Order and names as workload() renders them for incremental updates.
    endpoint_chain(*ep, Direction::egress, Class::normal, fw);
    endpoint_chain(*ep, Direction::ingress, Class::normal, tw);
    from_wl.elements.push_back({{KeyPart::ifname(ep->interface)}, Verdict::jump(fw)});
    to_wl.elements.push_back({{KeyPart::ifname(ep->interface)}, Verdict::jump(tw)});
  }

  // Host endpoints: named interfaces through maps, "*" after them.
  nft::Set from_hep = vmap("from-hep"), to_hep = vmap("to-hep"), fwd_hep = vmap("fwd-hep"),
           pre_hep = vmap("pre-hep"), raw_in_hep = vmap("raw-in-hep"),
           raw_out_hep = vmap("raw-out-hep");
  std::string star_in, star_out, star_fwd, star_pre, star_raw_in, star_raw_out;
  for (const Endpoint* ep : heps) {
    const std::string id = short_hash(ep->name, 10);
    select_for(*ep);
    const bool star = ep->interface == "*";
    std::string fh = "fh-" + id, th = "th-" + id, fhfw = "fhfw-" + id, pre = "pre-" + id;
    endpoint_chain(*ep, Direction::ingress, Class::normal, fh);
    endpoint_chain(*ep, Direction::egress, Class::normal, th);
    // Forwarded traffic is policed only when applyOnForward policy applies to the endpoint.
    bool fwd = endpoint_chain(*ep, Direction::ingress, Class::forward, fhfw);
    if (!fwd) out_.table.chains.pop_back();
    bool pre_any = endpoint_chain(*ep, Direction::ingress, Class::pre_dnat, pre);
    if (!pre_any) out_.table.chains.pop_back();
    // doNotTrack policy, in the raw hooks: ui- for ingress, ue- for egress.
    const std::string ui = "ui-" + id, ue = "ue-" + id;
    bool ui_any = endpoint_chain(*ep, Direction::ingress, Class::untracked, ui);
    if (!ui_any) out_.table.chains.pop_back();
    bool ue_any = endpoint_chain(*ep, Direction::egress, Class::untracked, ue);
    if (!ue_any) out_.table.chains.pop_back();
    if (star) {
      star_in = fh;
      star_out = th;
      if (fwd) star_fwd = fhfw;
      if (pre_any) star_pre = pre;
      if (ui_any) star_raw_in = ui;
      if (ue_any) star_raw_out = ue;
    } else {
      for (const std::string& ifc : interfaces_of(*ep)) {
        from_hep.elements.push_back({{KeyPart::ifname(ifc)}, Verdict::jump(fh)});
        to_hep.elements.push_back({{KeyPart::ifname(ifc)}, Verdict::jump(th)});
        if (fwd) fwd_hep.elements.push_back({{KeyPart::ifname(ifc)}, Verdict::jump(fhfw)});
        if (pre_any) pre_hep.elements.push_back({{KeyPart::ifname(ifc)}, Verdict::jump(pre)});
        if (ui_any) raw_in_hep.elements.push_back({{KeyPart::ifname(ifc)}, Verdict::jump(ui)});
        if (ue_any) raw_out_hep.elements.push_back({{KeyPart::ifname(ifc)}, Verdict::jump(ue)});
      }
    }
  }

  // forward
  nft::Chain fwd = base("forward", nft::Hook::forward, 0);
  conntrack(fwd);
  fwd.rules.push_back(rule({}, {nft::SetMark{kMarkAccept | kMarkPass, 0}}));
  if (!fwd_hep.elements.empty())
    fwd.rules.push_back(
        rule({mark_is(kMarkPreDnatAllowed, false)}, {nft::VmapLookup{nft::Dir::in, "fwd-hep"}}));
  if (!star_fwd.empty())
    fwd.rules.push_back(
        rule({mark_is(kMarkPreDnatAllowed, false), nft::IfNameMatch{nft::Dir::in, "cali*", true}},
             {Verdict::jump(star_fwd)}));
  fwd.rules.push_back(rule({nft::IfNameMatch{nft::Dir::in, "cali*", false}},
                           {nft::VmapLookup{nft::Dir::in, "from-wl"}}));
  // A workload chain returns only with the accept mark; an unknown cali* device is dropped.
  fwd.rules.push_back(
      rule({nft::IfNameMatch{nft::Dir::in, "cali*", false}, mark_is(kMarkAccept, false)},
           {nft::Counter{}, Verdict::drop()}));
  fwd.rules.push_back(rule({}, {nft::SetMark{kMarkAccept | kMarkPass, 0}}));
  fwd.rules.push_back(rule({nft::IfNameMatch{nft::Dir::out, "cali*", false}},
                           {nft::VmapLookup{nft::Dir::out, "to-wl"}}));
  fwd.rules.push_back(
      rule({nft::IfNameMatch{nft::Dir::out, "cali*", false}, mark_is(kMarkAccept, false)},
           {nft::Counter{}, Verdict::drop()}));

  // input: workloads to the host run their egress policy; host endpoints their ingress.
  nft::Chain in = base("input", nft::Hook::input, 0);
  conntrack(in);
  in.rules.push_back(rule({}, {nft::SetMark{kMarkAccept | kMarkPass, 0}}));
  in.rules.push_back(rule({nft::IfNameMatch{nft::Dir::in, "cali*", false}},
                          {nft::VmapLookup{nft::Dir::in, "from-wl"}}));
  in.rules.push_back(
      rule({nft::IfNameMatch{nft::Dir::in, "cali*", false}, mark_is(kMarkAccept, false)},
           {nft::Counter{}, Verdict::drop()}));
  if (opts_.endpoint_to_host != CompileOptions::EndpointToHost::return_)
    in.rules.push_back(
        rule({nft::IfNameMatch{nft::Dir::in, "cali*", false}},
             {opts_.endpoint_to_host == CompileOptions::EndpointToHost::accept ? Verdict::accept()
                                                                               : Verdict::drop()}));

  nft::Chain outc = base("output", nft::Hook::output, 0);
  if (!heps.empty()) {
    in.rules.push_back(rule({mark_is(kMarkPreDnatAllowed, true)}, {Verdict::accept()}));
    failsafe_rules(in, opts_.failsafes.inbound, true, {Verdict::accept()});
    // The maps exist only with named interfaces in them (a table of "*" endpoints has none).
    if (!from_hep.elements.empty()) {
      in.rules.push_back(rule({}, {nft::VmapLookup{nft::Dir::in, "from-hep"}}));
      in.rules.push_back(rule({mark_is(kMarkAccept, true)}, {Verdict::accept()}));
    }
    if (!star_in.empty()) {
      in.rules.push_back(
          rule({nft::IfNameMatch{nft::Dir::in, "lo", true}}, {Verdict::jump(star_in)}));
      in.rules.push_back(rule({mark_is(kMarkAccept, true)}, {Verdict::accept()}));
    }
    conntrack(outc);
    outc.rules.push_back(rule({}, {nft::SetMark{kMarkAccept | kMarkPass, 0}}));
    outc.rules.push_back(
        rule({nft::IfNameMatch{nft::Dir::out, "cali*", false}}, {Verdict::accept()}));
    failsafe_rules(outc, opts_.failsafes.outbound, false, {Verdict::accept()});
    if (!to_hep.elements.empty()) {
      outc.rules.push_back(rule({}, {nft::VmapLookup{nft::Dir::out, "to-hep"}}));
      outc.rules.push_back(rule({mark_is(kMarkAccept, true)}, {Verdict::accept()}));
    }
    if (!star_out.empty()) {
      outc.rules.push_back(
          rule({nft::IfNameMatch{nft::Dir::out, "lo", true}}, {Verdict::jump(star_out)}));
      outc.rules.push_back(rule({mark_is(kMarkAccept, true)}, {Verdict::accept()}));
    }
  }

  // prerouting, before DNAT (-100): preDNAT policy sees the original destination. A failsafe or
  // a preDNAT Allow marks the flow so that the host endpoint's other policy skips it.
  nft::Chain prer = base("prerouting", nft::Hook::prerouting, -150);
  const bool has_pre = !pre_hep.elements.empty() || !star_pre.empty();
  if (has_pre) {
    prer.rules.push_back(rule({nft::CtStateMatch{nft::ct::established | nft::ct::related, false}},
                              {Verdict::accept()}));
    failsafe_rules(prer, opts_.failsafes.inbound, true,
                   {nft::SetMark{0, kMarkPreDnatAllowed}, Verdict::accept()});
    if (!pre_hep.elements.empty())
      prer.rules.push_back(rule({}, {nft::VmapLookup{nft::Dir::in, "pre-hep"}}));
    if (!star_pre.empty())
      prer.rules.push_back(rule({nft::IfNameMatch{nft::Dir::in, "lo", true},
                                 nft::IfNameMatch{nft::Dir::in, "cali*", true}},
                                {Verdict::jump(star_pre)}));
  }

  // raw (-300, before conntrack at -200): doNotTrack policy. Failsafes go on to the tracked path;
  // what the untracked chains allowed (their mark) is not tracked and accepted; Deny dropped it
  // in the policy chain; anything else continues to normal (tracked) policy. The filter chains
  // then accept the marked packets first thing: untracked policy decided for them.
  const bool has_raw_in = !raw_in_hep.elements.empty() || !star_raw_in.empty();
  const bool has_raw_out = !raw_out_hep.elements.empty() || !star_raw_out.empty();
  nft::Chain raw_pre = base("raw-prerouting", nft::Hook::prerouting, -300);
  nft::Chain raw_out = base("raw-output", nft::Hook::output, -300);
  auto raw_chain = [&](nft::Chain& c, bool inbound, const nft::Set& map, const std::string& star) {
    const auto dir = inbound ? nft::Dir::in : nft::Dir::out;
    c.rules.push_back(rule({}, {nft::SetMark{kMarkAccept | kMarkPass | kMarkUntrackedAllowed, 0}}));
    failsafe_rules(c, inbound ? opts_.failsafes.inbound : opts_.failsafes.outbound, inbound,
                   {Verdict::accept()});
    if (!map.elements.empty()) c.rules.push_back(rule({}, {nft::VmapLookup{dir, map.name}}));
    if (!star.empty())
      c.rules.push_back(rule({nft::IfNameMatch{dir, "lo", true},
                              nft::IfNameMatch{dir, "cali*", true}, mark_is(kMarkAccept, false)},
                             {Verdict::jump(star)}));
    c.rules.push_back(
        rule({mark_is(kMarkUntrackedAllowed, true)}, {nft::Notrack{}, Verdict::accept()}));
  };
  if (has_raw_in) raw_chain(raw_pre, true, raw_in_hep, star_raw_in);
  if (has_raw_out) raw_chain(raw_out, false, raw_out_hep, star_raw_out);
  if (has_raw_in || has_raw_out) {
    auto accept_untracked = [](nft::Chain& c) {
      c.rules.insert(c.rules.begin(),
                     rule({mark_is(kMarkUntrackedAllowed, true)}, {Verdict::accept()}));
    };
    for (nft::Chain* c : {&fwd, &in, &outc}) accept_untracked(*c);
    if (has_pre) accept_untracked(prer);
  }

  // Assemble: sets, maps, base chains, endpoint chains, then the policy chains actually used.
  // Like felix, only policies active on this node's endpoints are programmed (every policy is
  // still rendered above, so a bad one is reported wherever it applies); only their sets too.
  std::set<std::string> used_chains, used_sets;
  for (const auto& c : out_.table.chains)
    for (const auto& r : c.rules)
      for (const auto& st : r.stmt)
        if (auto* v = std::get_if<Verdict>(&st); v && v->kind == nft::VerdictKind::jump)
          used_chains.insert(v->chain);
  if (index_)
    for (const auto& c : policy_chains_) index_->policy_chains[c.name] = c;
  std::erase_if(policy_chains_, [&](const nft::Chain& c) { return !used_chains.count(c.name); });
  for (const auto& c : policy_chains_)
    for (const auto& r : c.rules)
      for (const auto& m : r.match) {
        if (auto* a = std::get_if<nft::AddrMatch>(&m); a && !a->values.set.empty())
          used_sets.insert(a->values.set);
        if (auto* n = std::get_if<nft::AddrProtoPortMatch>(&m)) used_sets.insert(n->set);
      }
  for (auto& [name, s] : sets_)
    if (used_sets.count(name)) out_.table.sets.push_back(std::move(s));
  for (auto* m :
       {&from_wl, &to_wl, &from_hep, &to_hep, &fwd_hep, &pre_hep, &raw_in_hep, &raw_out_hep}) {
    if (m->name != "from-wl" && m->name != "to-wl" && m->elements.empty()) continue;
    m->elements = nft::normalized_elements(*m);
    out_.table.sets.push_back(std::move(*m));
  }
  std::vector<nft::Chain> chains{std::move(fwd), std::move(in)};
  if (!heps.empty()) chains.push_back(std::move(outc));
  if (has_pre) chains.push_back(std::move(prer));
  if (has_raw_in) chains.push_back(std::move(raw_pre));
  if (has_raw_out) chains.push_back(std::move(raw_out));
  for (auto& c : out_.table.chains) chains.push_back(std::move(c));
  for (auto& c : policy_chains_) chains.push_back(std::move(c));
  out_.table.chains = std::move(chains);
  out_.policies = policy_chains_.size();
  for (const auto& c : out_.table.chains) out_.rules += c.rules.size();
  for (const auto& s : out_.table.sets) out_.elements += s.elements.size();
  return std::move(out_);
}

}  // namespace

std::string short_hash(std::string_view text, std::size_t len) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a
  for (unsigned char c : text) h = (h ^ c) * 1099511628211ull;
  std::string hex = fmt::format("{:016x}", h);
  return hex.substr(0, std::min<std::size_t>(len, 16));
}

CompileResult compile(const Model& model, const Endpoints& endpoints, const CompileOptions& opts) {
  return Compiler(model, endpoints, opts, nullptr).run();
}

CompileResult compile(const Model& model, const Endpoints& endpoints, const CompileOptions& opts,
                      CompileIndex* index) {
  if (index) *index = CompileIndex{};
  return Compiler(model, endpoints, opts, index).run();
}

std::vector<nft::Chain> workload_chains(const Model& model, const Endpoint& ep,
                                        const CompileIndex& index, const CompileOptions& opts) {
  static const Endpoints none;
  return Compiler(model, none, opts, nullptr).workload(ep, index);
}

std::vector<nft::Element> set_elements_of(const SetSource& src, const Endpoint& ep) {
  std::vector<nft::Element> out;
  if (src.selector && !src.selector->selector.matches(ep.labels)) return out;
  if (src.port_names.empty()) {
    if (!src.selector) return out;
    for (const auto& ip : ep.ips)
      if (ip.family() == src.family)
        if (auto k = KeyPart::addr(ip.str())) out.push_back({{*k}, std::nullopt});
    return out;
  }
  // felix's rule scanner: (ip, protocol, port) of every endpoint matching the rule's positive
  // selector (all endpoints without one) that has a port of one of these names.
  const auto& names = src.port_names;
  for (const auto& np : ep.ports) {
    if (std::find(names.begin(), names.end(), np.name) == names.end()) continue;
    for (const auto& ip : ep.ips)
      if (ip.family() == src.family)
        if (auto k = KeyPart::addr(ip.str()))
          out.push_back({{*k, KeyPart::proto(static_cast<uint8_t>(np.protocol)),
                          KeyPart::port(static_cast<uint16_t>(np.port))},
                         std::nullopt});
  }
  return out;
}

std::vector<nft::Element> set_elements_of(const SetSource& src, const NetworkSet& ns) {
  std::vector<nft::Element> out;
  if (!src.port_names.empty() || !src.selector || !src.selector->selector.matches(ns.labels))
    return out;
  for (const auto& c : ns.nets)
    if (c.family() == src.family)
      if (auto k = KeyPart::addr(c.str())) out.push_back({{*k}, std::nullopt});
  return out;
}

}  // namespace podnet::policy
