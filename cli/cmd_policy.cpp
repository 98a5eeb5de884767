// show policy, show endpoints, policy test: the policy model computed here from the datastore
// (no daemon involved), so a user can see which policies apply to a pod and what they do with a
// flow before any packet is sent.
#include <algorithm>
#include <ostream>

#include <fmt/format.h>

#include "cli/cmd_common.hpp"
#include "cli/commands.hpp"
#include "ipam-sync/resource_ops.hpp"
#include "policy/evaluate.hpp"

namespace podnet::cli {
namespace {

struct PolicyWorld {
  std::vector<conf::Resource> resources;
  policy::BuildResult built;
  policy::Endpoints endpoints;
  policy::Failsafes failsafes;
};

Result<PolicyWorld> load_world(const Globals& g) {
  auto ds = open_store(g);
  if (!ds) return ds.error();
  PolicyWorld w;
  for (const auto& kind : conf::all_kinds()) {
    auto all = store::load_all(**ds, kind, "");
    if (!all) return all.error();
    for (auto& r : *all) w.resources.push_back(std::move(r));
  }
  w.built = policy::build_model(w.resources);
  w.endpoints = policy::build_endpoints(w.resources);
  w.failsafes = policy::failsafes_from(w.resources);
  return w;
}

// Resources the model could not take are reported, not fatal: the rest is still shown.
void report_errors(const PolicyWorld& w, std::ostream& err) {
  for (const auto& e : w.built.errors) err << "podnetctl: rejected: " << e.str() << "\n";
  for (const auto& e : w.endpoints.errors) err << "podnetctl: rejected: " << e.str() << "\n";
}

std::string join_ips(const policy::Endpoint& e) {
  std::vector<std::string> s;
  for (const auto& ip : e.ips) s.push_back(ip.str());
  return s.empty() ? "-" : fmt::format("{}", fmt::join(s, ","));
}

std::string order_str(const std::optional<double>& o) {
  return o ? fmt::format("{}", *o) : "-";
}

std::string types_str(const policy::Policy& p) {
  if (p.ingress && p.egress) return "Ingress,Egress";
  return p.ingress ? "Ingress" : "Egress";
}

std::string flags_str(const policy::Policy& p) {
  std::vector<std::string> f;
  if (p.pre_dnat) f.push_back("preDNAT");
  if (p.do_not_track) f.push_back("doNotTrack");
  if (p.apply_on_forward && p.kind == policy::PolicyKind::global) f.push_back("applyOnForward");
  return f.empty() ? "-" : fmt::format("{}", fmt::join(f, ","));
}

int load_or_fail(const Globals& g, Io io, PolicyWorld& w) {
  auto loaded = load_world(g);
  if (!loaded) {
    io.err << "podnetctl: datastore " << g.datastore << ": " << loaded.error().message << "\n";
    return kNotFound;
  }
  w = std::move(*loaded);
  report_errors(w, io.err);
  return kOk;
}

}  // namespace

int cmd_show_endpoints(const Globals& g, Io io) {
  PolicyWorld w;
  if (int rc = load_or_fail(g, io, w); rc != kOk) return rc;
  io.out << fmt::format("{:<9} {:<32} {:<10} {:<16} {:<28} {}\n", "KIND", "NAME", "NODE",
                        "INTERFACE", "IPS", "LABELS");
  for (const auto& e : w.endpoints.endpoints) {
    std::vector<std::string> labels;
    for (const auto& [k, v] : e.labels) labels.push_back(k + "=" + v);
    io.out << fmt::format("{:<9} {:<32} {:<10} {:<16} {:<28} {}\n",
                          e.kind == policy::Endpoint::Kind::workload ? "workload" : "host", e.name,
                          e.node.empty() ? "-" : e.node, e.interface.empty() ? "-" : e.interface,
                          join_ips(e), fmt::join(labels, ","));
  }
  return kOk;
}

int cmd_show_policy(const Globals& g, const ShowPolicyArgs& a, Io io) {
  PolicyWorld w;
  if (int rc = load_or_fail(g, io, w); rc != kOk) return rc;
  const policy::Endpoint* ep = nullptr;
  if (!a.endpoint.empty()) {
    ep = w.endpoints.find(a.endpoint);
    if (!ep) {
      io.err << fmt::format("podnetctl: no endpoint {} (NS/POD or a host endpoint's name)\n",
                            a.endpoint);
      return kNotFound;
    }
    io.out << fmt::format(
        "policies applying to {} {}, in evaluation order:\n",
        ep->kind == policy::Endpoint::Kind::workload ? "workload" : "host endpoint", ep->name);
  }
  io.out << fmt::format("{:<14} {:<8} {:<44} {:<24} {:<15} {:<16} {}\n", "TIER", "ORDER", "POLICY",
                        "KIND", ep ? "APPLIES" : "TYPES", "FLAGS", "SELECTOR");
  policy::Evaluator ev(w.built.model, w.endpoints, w.failsafes);
  for (const auto& t : w.built.model.tiers) {
    for (const auto& p : t.policies) {
      std::string col = types_str(p);
      if (ep) {
        std::vector<std::string> dirs;
        for (auto d : {policy::Direction::ingress, policy::Direction::egress}) {
          bool any = false;
          for (auto c : {policy::Evaluator::Class::normal, policy::Evaluator::Class::pre_dnat,
                         policy::Evaluator::Class::untracked}) {
            auto ps = ev.applicable(*ep, d, c);
            any = any || std::find(ps.begin(), ps.end(), &p) != ps.end();
          }
          if (any) dirs.push_back(d == policy::Direction::ingress ? "Ingress" : "Egress");
        }
        if (dirs.empty()) continue;
        col = fmt::format("{}", fmt::join(dirs, ","));
      }
      io.out << fmt::format("{:<14} {:<8} {:<44} {:<24} {:<15} {:<16} {}\n", t.name,
                            order_str(p.order), p.id(), policy::policy_kind_name(p.kind), col,
                            flags_str(p), p.selector.text);
    }
  }
  if (ep && ep->kind == policy::Endpoint::Kind::workload)
    io.out << fmt::format("then profiles: {}\n", fmt::join(ep->profiles, ", "));
  return kOk;
}

namespace {

Result<policy::FlowEnd> resolve_end(const policy::Endpoints& eps, const std::string& what,
                                    const char* flag) {
  policy::FlowEnd end;
  if (auto ip = policy::IpAddr::parse(what)) {
    end.ip = *ip;
    auto owners = eps.with_ip(*ip);
    if (!owners.empty()) end.endpoint = owners.front();
    return end;
  }
  const policy::Endpoint* e = eps.find(what);
  if (!e)
    return make_error(
        Errc::invalid,
        fmt::format("{} {}: not an IP address nor a known endpoint (NS/POD)", flag, what));
  if (e->ips.empty())
    return make_error(Errc::invalid,
                      fmt::format("{} {}: the endpoint has no IP address", flag, what));
  end.endpoint = e;
  end.ip = e->ips.front();
  return end;
}

}  // namespace

int cmd_policy_test(const Globals& g, const PolicyTestArgs& a, Io io) {
  auto proto = policy::protocol_number(a.protocol);
  if (!proto) {
    io.err << fmt::format(
        "podnetctl: --protocol {}: not a protocol (TCP, UDP, SCTP, ICMP, 1-255)\n", a.protocol);
    return kBadInput;
  }
  bool ports = *proto == 6 || *proto == 17 || *proto == 132;
  if (ports && (a.port < 1 || a.port > 65535)) {
    io.err << "podnetctl: --port: a port 1-65535 is needed for " << policy::protocol_name(*proto)
           << "\n";
    return kBadInput;
  }
  PolicyWorld w;
  if (int rc = load_or_fail(g, io, w); rc != kOk) return rc;
  auto from = resolve_end(w.endpoints, a.from, "--from");
  auto to = resolve_end(w.endpoints, a.to, "--to");
  for (const auto* r : {&from, &to})
    if (!*r) {
      io.err << "podnetctl: " << r->error().message << "\n";
      return kBadInput;
    }
  if (from->ip.v6 != to->ip.v6) {
    io.err << "podnetctl: --from and --to are of different IP families\n";
    return kBadInput;
  }
  policy::Flow flow;
  flow.src = *from;
  flow.dst = *to;
  flow.protocol = *proto;
  flow.dst_port = ports ? a.port : 0;
  if (!a.via.empty()) {
    const policy::Endpoint* hep = w.endpoints.find(a.via);
    if (!hep || hep->kind != policy::Endpoint::Kind::host) {
      io.err << fmt::format("podnetctl: --via {}: not a host endpoint\n", a.via);
      return kBadInput;
    }
    flow.ingress_host_endpoint = hep;
  }
  if (!a.original_to.empty()) {
    auto ip = policy::IpAddr::parse(a.original_to);
    if (!ip || a.via.empty()) {
      io.err << fmt::format("podnetctl: --original-to {}: needs --via and an IP address\n",
                            a.original_to);
      return kBadInput;
    }
    flow.pre_dnat_ip = *ip;
  }
  if (a.original_port != 0) {
    if (a.original_port < 1 || a.original_port > 65535 || a.via.empty()) {
      io.err << "podnetctl: --original-port: needs --via and a port 1-65535\n";
      return kBadInput;
    }
    flow.pre_dnat_port = a.original_port;
  }
  auto d = policy::Evaluator(w.built.model, w.endpoints, w.failsafes).evaluate(flow);
  io.out << (d.allowed ? "allowed" : "denied") << "\n";
  io.out << "deciding: " << d.deciding().str() << "\n";
  for (const auto& s : d.steps) io.out << "  " << s.str() << "\n";
  return kOk;
}

}  // namespace podnet::cli
