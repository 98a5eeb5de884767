#include "policy/services_nat.hpp"

#include <fmt/format.h>

namespace podnet::policy {

namespace {

using namespace nft;

Rule rule(std::vector<Match> m, std::vector<Statement> s) {
  Rule r;
  r.match = std::move(m);
  r.stmt = std::move(s);
  return r;
}

Chain base_chain(const std::string& name, ChainType type, Hook hook, int32_t prio) {
  Chain c;
  c.name = name;
  c.base = BaseChain{type, hook, prio, false};
  return c;
}

Chain regular(const std::string& name) {
  Chain c;
  c.name = name;
  return c;
}

Match proto_is(uint8_t p) {
  return L4ProtoMatch{{p}, false};
}
Match dport_is(uint16_t port) {
  return PortMatch{PortField::dport, Values{{KeyPart::port(port)}, {}}, false};
}
Match local_daddr() {
  return FibAddrTypeMatch{AddrField::daddr, AddrType::local, false};
}

std::string ep_chain(const ServiceFrontend& f, const ServiceEndpoint& e) {
  return fmt::format("ep-{}__{}/{}", f.id(), e.ip, e.port);
}

// One verdict among `chains` (a plain goto when there is one).
Statement pick(const std::vector<std::string>& chains) {
  if (chains.size() == 1) return Verdict::goto_(chains[0]);
  NumgenVmap n;
  for (const auto& c : chains) n.verdicts.push_back(Verdict::goto_(c));
  return n;
}

Statement reject_for(uint8_t proto) {
  return Reject{proto == 6};
}

}  // namespace

Result<Table> services_table(const std::vector<ServiceFrontend>& frontends,
                             const std::string& table_name) {
  Table t;
  t.family = Family::ip;
  t.name = table_name;

  Chain pre = base_chain("prerouting", ChainType::nat, Hook::prerouting, -100);
  Chain out = base_chain("output", ChainType::nat, Hook::output, -100);
  Chain post = base_chain("postrouting", ChainType::nat, Hook::postrouting, 100);
  for (Chain* c : {&pre, &out}) c->rules.push_back(rule({}, {Verdict::jump("services")}));
  post.rules.push_back(rule({MarkMatch{kServiceMasqMark, kServiceMasqMark, false}},
                            {SetMark{kServiceMasqMark, 0}, Masquerade{}}));
  std::vector<Chain> filters;
  for (auto [name, hook] :
       {std::pair{"filter-input", Hook::input}, std::pair{"filter-forward", Hook::forward},
        std::pair{"filter-output", Hook::output}}) {
    Chain c = base_chain(name, ChainType::filter, hook, -110);
    c.rules.push_back(rule({CtStateMatch{ct::new_, false}}, {Verdict::jump("no-endpoints")}));
    filters.push_back(std::move(c));
  }

  Chain services = regular("services"), nodeports = regular("nodeports"),
        no_eps = regular("no-endpoints");
  std::vector<Chain> per_service;
  for (const auto& f : frontends) {
    const std::string svc = "svc-" + f.id();
    std::vector<std::string> all, local;
    for (const auto& e : f.endpoints) {
      auto addr = KeyPart::addr(e.ip);
      if (!addr || !addr->single() || addr->type != KeyType::ipv4_addr)
        return make_error(
            Errc::invalid,
            fmt::format("service {}: endpoint {} is not an IPv4 address", f.id(), e.ip));
      Chain ep = regular(ep_chain(f, e));
      // Hairpin: a pod reaching itself through the service must see the node as the source.
      ep.rules.push_back(
          rule({AddrMatch{IpVersion::v4, AddrField::saddr, Values{{*addr}, {}}, false}},
               {SetMark{0, kServiceMasqMark}}));
      ep.rules.push_back(rule({proto_is(f.protocol)}, {Dnat{e.ip, e.port}}));
      all.push_back(ep.name);
      if (e.local) local.push_back(ep.name);
      per_service.push_back(std::move(ep));
    }
    if (!all.empty()) {
      Chain s = regular(svc);
      s.rules.push_back(rule({}, {pick(all)}));
      per_service.push_back(std::move(s));
    }

    if (!f.cluster_ip.empty()) {
      auto cip = KeyPart::addr(f.cluster_ip);
      if (!cip || !cip->single() || cip->type != KeyType::ipv4_addr)
        return make_error(Errc::invalid, fmt::format("service {}: cluster IP {} is not IPv4",
                                                     f.id(), f.cluster_ip));
      std::vector<Match> m{AddrMatch{IpVersion::v4, AddrField::daddr, Values{{*cip}, {}}, false},
                           proto_is(f.protocol), dport_is(f.port)};
      if (all.empty())
        no_eps.rules.push_back(rule(m, {reject_for(f.protocol)}));
      else
        services.rules.push_back(rule(m, {Verdict::goto_(svc)}));
    }

    if (f.node_port) {
      std::vector<Match> m{proto_is(f.protocol), dport_is(f.node_port)};
      const std::vector<std::string>& targets = f.local_only ? local : all;
      if (targets.empty()) {
        // Cluster: nobody serves it (reject); Local: nobody here does (drop, so a load balancer
        // health check would move on, as kube-proxy does).
        std::vector<Match> lm{local_daddr()};
        lm.insert(lm.end(), m.begin(), m.end());
        no_eps.rules.push_back(rule(
            std::move(lm), {f.local_only ? Statement{Verdict::drop()} : reject_for(f.protocol)}));
        continue;
      }
      Chain ext = regular("ext-" + f.id());
      if (f.local_only)
        ext.rules.push_back(rule({}, {pick(local)}));
      else
        ext.rules.push_back(rule({}, {SetMark{0, kServiceMasqMark}, Verdict::goto_(svc)}));
      nodeports.rules.push_back(rule(m, {Verdict::goto_(ext.name)}));
      per_service.push_back(std::move(ext));
    }
  }
  services.rules.push_back(rule({local_daddr()}, {Verdict::goto_("nodeports")}));

  t.chains = {std::move(pre), std::move(out), std::move(post)};
  for (auto& c : filters) t.chains.push_back(std::move(c));
  t.chains.push_back(std::move(services));
  t.chains.push_back(std::move(nodeports));
  t.chains.push_back(std::move(no_eps));
  for (auto& c : per_service) t.chains.push_back(std::move(c));
  if (Status st = validate(t); !st) return st.error();
  return t;
}

}  // namespace podnet::policy
