#include "policy/nat_outgoing.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace podnet::policy {

namespace {

using namespace nft;

bool load_balancer_only(const conf::types::IPPool& p) {
  const auto& u = p.spec.allowed_uses;
  return !u.empty() &&
         std::all_of(u.begin(), u.end(), [](const std::string& s) { return s == "LoadBalancer"; });
}

Set addr_set(const std::string& name, IpVersion v) {
  Set s;
  s.name = name;
  s.key = {v == IpVersion::v4 ? KeyType::ipv4_addr : KeyType::ipv6_addr};
  s.interval = true;
  return s;
}

Status add_to(Table& t, const std::string& v4, const std::string& v6, const std::string& cidr,
              const std::string& what) {
  auto k = KeyPart::addr(cidr);
  if (!k) return make_error(Errc::invalid, fmt::format("{}: {}", what, k.error().message));
  t.set(k->type == KeyType::ipv4_addr ? v4 : v6)->elements.push_back(Element{{*k}, std::nullopt});
  return ok_status();
}

}  // namespace

Result<Table> nat_outgoing_table(const std::vector<conf::types::IPPool>& pools,
                                 const std::vector<std::string>& host_ips,
                                 const conf::types::FelixConfiguration::Spec& felix,
                                 const std::string& table_name) {
  const bool exclude_hosts = felix.nat_outgoing_exclusions == "IPPoolsAndHostIPs";
  if (!exclude_hosts && felix.nat_outgoing_exclusions != "IPPoolsOnly")
    return make_error(Errc::invalid,
                      "natOutgoingExclusions must be IPPoolsOnly or IPPoolsAndHostIPs");
  std::optional<KeyPart> snat_addr;
  if (!felix.nat_outgoing_address.empty()) {
    auto a = KeyPart::addr(felix.nat_outgoing_address);
    if (!a || !a->single())
      return make_error(Errc::invalid,
                        "natOutgoingAddress is not an IP address: " + felix.nat_outgoing_address);
    snat_addr = *a;
  }

  Table t;
  t.family = Family::inet;
  t.name = table_name;
  t.sets = {
      addr_set("masq-ipam-pools-v4", IpVersion::v4), addr_set("masq-ipam-pools-v6", IpVersion::v6),
      addr_set("all-ipam-pools-v4", IpVersion::v4), addr_set("all-ipam-pools-v6", IpVersion::v6)};
  if (exclude_hosts)
    for (auto v : {IpVersion::v4, IpVersion::v6})
      t.sets.push_back(addr_set(v == IpVersion::v4 ? "all-hosts-net-v4" : "all-hosts-net-v6", v));

  for (const auto& p : pools) {
    const std::string what = "IPPool " + p.metadata.name;
    if (!load_balancer_only(p))
      if (Status st = add_to(t, "all-ipam-pools-v4", "all-ipam-pools-v6", p.spec.cidr, what); !st)
        return st.error();
    if (p.spec.nat_outgoing)
      if (Status st = add_to(t, "masq-ipam-pools-v4", "masq-ipam-pools-v6", p.spec.cidr, what); !st)
        return st.error();
  }
  if (exclude_hosts)
    for (const auto& h : host_ips)
      if (Status st = add_to(t, "all-hosts-net-v4", "all-hosts-net-v6", h, "host IP " + h); !st)
        return st.error();

  // (Built step by step: GCC 12 warns falsely on nested braced variants here.)
  Chain post;
  post.name = "postrouting";
  post.base = BaseChain{ChainType::nat, Hook::postrouting, 110, false};
  Rule jump;
  jump.stmt.emplace_back(Verdict::jump("nat-outgoing"));
  post.rules.push_back(std::move(jump));
  Chain out;
  out.name = "nat-outgoing";
  for (auto v : {IpVersion::v4, IpVersion::v6}) {
    const std::string sfx = v == IpVersion::v4 ? "-v4" : "-v6";
    Rule r;
    r.match.push_back(AddrMatch{v, AddrField::saddr, Values{{}, "masq-ipam-pools" + sfx}, false});
    r.match.push_back(AddrMatch{v, AddrField::daddr, Values{{}, "all-ipam-pools" + sfx}, true});
    if (exclude_hosts)
      r.match.push_back(AddrMatch{v, AddrField::daddr, Values{{}, "all-hosts-net" + sfx}, true});
    const bool snat = snat_addr && (snat_addr->type == KeyType::ipv4_addr) == (v == IpVersion::v4);
    r.stmt.emplace_back(Counter{});
    if (snat)
      r.stmt.emplace_back(Snat{felix.nat_outgoing_address});
    else
      r.stmt.emplace_back(Masquerade{});
    out.rules.push_back(std::move(r));
  }
  t.chains = {std::move(post), std::move(out)};
  return t;
}

}  // namespace podnet::policy
