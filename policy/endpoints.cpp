#include "policy/endpoints.hpp"

#include <openssl/sha.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include <fmt/format.h>

#include "conf/decode.hpp"
#include "policy/selector_text.hpp"

namespace podnet::policy {

std::string workload_interface_name(std::string_view ns, std::string_view pod) {
  std::string id = fmt::format("{}.{}", ns, pod);
  unsigned char digest[SHA_DIGEST_LENGTH];
  ::SHA1(reinterpret_cast<const unsigned char*>(id.data()), id.size(), digest);
  std::string hex;
  for (unsigned char b : digest) hex += fmt::format("{:02x}", b);
  return "cali" + hex.substr(0, 11);
}

std::optional<int> protocol_number(std::string_view name) {
  std::string l;
  for (char c : name) l += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  static const std::map<std::string, int> names = {{"tcp", 6},     {"udp", 17},   {"icmp", 1},
                                                   {"icmpv6", 58}, {"sctp", 132}, {"udplite", 136}};
  if (auto it = names.find(l); it != names.end()) return it->second;
  if (!l.empty() && l.size() <= 3 && std::all_of(l.begin(), l.end(), ::isdigit)) {
    int n = std::stoi(l);
    if (n >= 1 && n <= 255) return n;
  }
  return std::nullopt;
}

std::string protocol_name(int number) {
  switch (number) {
    case 6:
      return "TCP";
    case 17:
      return "UDP";
    case 132:
      return "SCTP";
    case 1:
      return "ICMP";
    case 58:
      return "ICMPv6";
    case 136:
      return "UDPLite";
  }
  return std::to_string(number);
}

const Endpoint* Endpoints::find(std::string_view name) const {
  for (const auto& e : endpoints)
    if (e.name == name) return &e;
  return nullptr;
}

std::vector<const Endpoint*> Endpoints::with_ip(const IpAddr& ip) const {
  std::vector<const Endpoint*> out;
  for (const auto& e : endpoints)
    if (std::find(e.ips.begin(), e.ips.end(), ip) != e.ips.end()) out.push_back(&e);
  return out;
}

namespace {

void add_ips(const std::vector<std::string>& texts, std::vector<IpAddr>& ips,
             std::vector<std::string>* bad) {
  for (const auto& t : texts) {
    if (t.empty()) continue;
    // Node addresses may carry a prefix length ("198.19.0.2/20").
    auto ip = IpAddr::parse(t.substr(0, t.find('/')));
    if (!ip) {
      if (bad) bad->push_back(t);
      continue;
    }
    if (std::find(ips.begin(), ips.end(), *ip) == ips.end()) ips.push_back(*ip);
  }
}

}  // namespace

std::optional<Endpoint> workload_endpoint(const conf::types::Pod& pod,
                                          const conf::types::Namespace* ns,
                                          const conf::types::ServiceAccount* sa,
                                          std::vector<std::string>* bad_ips) {
  if (pod.spec.host_network) return std::nullopt;
  Endpoint e;
  e.kind = Endpoint::Kind::workload;
  e.ns = pod.metadata.namespace_.empty() ? "default" : pod.metadata.namespace_;
  e.pod = pod.metadata.name;
  e.name = e.ns + "/" + e.pod;
  e.service_account = pod.spec.service_account_name;
  e.node = pod.spec.node_name;
  e.interface = workload_interface_name(e.ns, e.pod);
  // Profile labels first (kns.<ns>: pcns.*, ksa.<ns>.<sa>: pcsa.*); the endpoint's own labels
  // win on a clash, as felix's label inheritance does.
  std::string nsp(kNamespacePrefix), sap(kServiceAccountPrefix);
  if (ns)
    for (const auto& [k, v] : ns->metadata.labels) e.labels[nsp + k] = v;
  e.labels[nsp + std::string(kLabelName)] = e.ns;
  if (sa)
    for (const auto& [k, v] : sa->metadata.labels) e.labels[sap + k] = v;
  e.labels[sap + std::string(kLabelName)] = e.service_account;
  for (const auto& [k, v] : pod.metadata.labels) e.labels[k] = v;
  e.labels[std::string(kLabelNamespace)] = e.ns;
  e.labels[std::string(kLabelOrchestrator)] = "k8s";
  e.labels[std::string(kLabelServiceAccount)] = e.service_account;
  std::vector<std::string> ips = pod.status.pod_ips;
  if (ips.empty() && !pod.status.pod_ip.empty()) ips.push_back(pod.status.pod_ip);
  add_ips(ips, e.ips, bad_ips);
  for (const auto& p : pod.spec.ports) {
    if (p.name.empty()) continue;
    e.ports.push_back(NamedPort{p.name, protocol_number(p.protocol).value_or(6),
                                static_cast<int>(p.container_port)});
  }
  e.profiles = {"kns." + e.ns, "ksa." + e.ns + "." + e.service_account};
  return e;
}

std::map<std::string, std::string> resolve_host_interfaces(
    const Endpoints& endpoints, const std::string& node,
    const std::map<std::string, std::vector<IpAddr>>& interfaces) {
  std::map<std::string, std::string> out;
  for (const auto& [ifc, addrs] : interfaces) {
    const Endpoint* best = nullptr;
    for (const auto& e : endpoints.endpoints) {
      if (e.kind != Endpoint::Kind::host || e.node != node || e.interface == "*") continue;
      if (best && best->name < e.name) continue;
      // A HostEndpoint naming another interface never matches this one by address.
      const bool match =
          e.interface.empty()
              ? std::any_of(e.ips.begin(), e.ips.end(),
                            [&](const IpAddr& ip) {
                              return std::find(addrs.begin(), addrs.end(), ip) != addrs.end();
                            })
              : e.interface == ifc;
      if (match) best = &e;
    }
    if (best) out[ifc] = best->name;
  }
  return out;
}

Endpoint host_endpoint(const conf::types::HostEndpoint& hep, std::vector<std::string>* bad_ips) {
  Endpoint e;
  e.kind = Endpoint::Kind::host;
  e.name = hep.metadata.name;
  e.node = hep.spec.node;
  e.interface = hep.spec.interface_name;
  e.labels = hep.metadata.labels;
  add_ips(hep.spec.expected_ips, e.ips, bad_ips);
  for (const auto& p : hep.spec.ports)
    e.ports.push_back(NamedPort{p.name, protocol_number(p.protocol.text()).value_or(6),
                                static_cast<int>(p.port)});
  e.profiles = hep.spec.profiles;
  return e;
}

std::vector<conf::types::HostEndpoint> auto_host_endpoints(
    const std::vector<conf::types::Node>& nodes,
    const conf::types::KubeControllersConfiguration* kcc) {
  std::vector<conf::types::HostEndpoint> out;
  if (!kcc || kcc->spec.controllers.host_endpoint_auto_create != "Enabled") return out;
  for (const auto& n : nodes) {
    conf::types::HostEndpoint h;
    h.metadata.name = n.metadata.name + "-auto-hep";
    h.metadata.labels = n.metadata.labels;
    h.spec.node = n.metadata.name;
    h.spec.interface_name = "*";
    // kube-controllers' autohostendpoints: the node's BGP, tunnel and WireGuard addresses and
    // its spec.addresses, without prefix lengths, each once.
    std::vector<std::string> addrs;
    if (n.spec.bgp) {
      addrs.push_back(n.spec.bgp->ipv4_address);
      addrs.push_back(n.spec.bgp->ipv6_address);
      addrs.push_back(n.spec.bgp->ipv4_ipip_tunnel_addr);
    }
    addrs.push_back(n.spec.ipv4_vxlan_tunnel_addr);
    addrs.push_back(n.spec.ipv6_vxlan_tunnel_addr);
    if (n.spec.wireguard) {
      addrs.push_back(n.spec.wireguard->interface_ipv4_address);
      addrs.push_back(n.spec.wireguard->interface_ipv6_address);
    }
    for (const auto& a : n.spec.addresses) addrs.push_back(a.address);
    std::set<std::string> seen;
    for (auto a : addrs) {
      a = a.substr(0, a.find('/'));
      if (!a.empty() && seen.insert(a).second) h.spec.expected_ips.push_back(a);
    }
    h.spec.profiles = {"projectcalico-default-allow"};
    out.push_back(std::move(h));
  }
  return out;
}

namespace {

template <class T>
std::vector<std::pair<std::string, T>> decode_all(const std::vector<conf::Resource>& resources,
                                                  std::vector<EndpointError>* errors) {
  std::vector<std::pair<std::string, T>> out;
  for (const auto& r : resources) {
    if (!r.kind || r.kind->plural != T::kPlural) continue;
    auto v = conf::decode<T>(r);
    if (v)
      out.emplace_back(r.key(), std::move(*v));
    else if (errors)
      errors->push_back({r.key(), v.error().message});
  }
  return out;
}

}  // namespace

Endpoints build_endpoints(const std::vector<conf::Resource>& resources) {
  Endpoints out;
  using namespace conf::types;
  std::map<std::string, Namespace> namespaces;
  for (auto& [key, n] : decode_all<Namespace>(resources, &out.errors))
    namespaces[n.metadata.name] = n;
  std::map<std::pair<std::string, std::string>, ServiceAccount> sas;
  for (auto& [key, s] : decode_all<ServiceAccount>(resources, &out.errors))
    sas[{s.metadata.namespace_.empty() ? "default" : s.metadata.namespace_, s.metadata.name}] = s;
  for (auto& [key, pod] : decode_all<Pod>(resources, &out.errors)) {
    std::string ns = pod.metadata.namespace_.empty() ? "default" : pod.metadata.namespace_;
    auto n = namespaces.find(ns);
    auto s = sas.find({ns, pod.spec.service_account_name});
    std::vector<std::string> bad;
    auto e = workload_endpoint(pod, n == namespaces.end() ? nullptr : &n->second,
                               s == sas.end() ? nullptr : &s->second, &bad);
    for (const auto& b : bad)
      out.errors.push_back({key, fmt::format("status.podIPs: '{}' is not an IP", b)});
    if (e) out.endpoints.push_back(std::move(*e));
  }
  std::vector<HostEndpoint> heps;
  std::vector<std::string> hep_keys;
  for (auto& [key, h] : decode_all<HostEndpoint>(resources, &out.errors)) {
    hep_keys.push_back(key);
    heps.push_back(std::move(h));
  }
  std::vector<Node> nodes;
  for (auto& [key, n] : decode_all<Node>(resources, &out.errors)) nodes.push_back(std::move(n));
  const KubeControllersConfiguration* kcc = nullptr;
  auto kccs = decode_all<KubeControllersConfiguration>(resources, &out.errors);
  for (const auto& [key, k] : kccs)
    if (k.metadata.name == "default") kcc = &k;
  for (auto& h : auto_host_endpoints(nodes, kcc)) {
    // A HostEndpoint the datastore already holds under that name is the controller's earlier
    // output (or the user's): it stands.
    bool exists = std::any_of(heps.begin(), heps.end(), [&](const HostEndpoint& x) {
      return x.metadata.name == h.metadata.name;
    });
    if (exists) continue;
    hep_keys.push_back("hostendpoints/" + h.metadata.name);
    heps.push_back(std::move(h));
  }
  for (size_t i = 0; i < heps.size(); ++i) {
    std::vector<std::string> bad;
    out.endpoints.push_back(host_endpoint(heps[i], &bad));
    for (const auto& b : bad)
      out.errors.push_back({hep_keys[i], fmt::format("spec.expectedIPs: '{}' is not an IP", b)});
  }
  std::stable_sort(out.endpoints.begin(), out.endpoints.end(),
                   [](const Endpoint& a, const Endpoint& b) {
                     if (a.kind != b.kind) return a.kind == Endpoint::Kind::workload;
                     return a.name < b.name;
                   });
  return out;
}

Failsafes default_failsafes() {
  Failsafes f;
  for (auto [proto, port] : {std::pair{6, 22},
                             {17, 68},
                             {6, 179},
                             {6, 2379},
                             {6, 2380},
                             {6, 5473},
                             {6, 6443},
                             {6, 6666},
                             {6, 6667}})
    f.inbound.push_back({proto, port, std::nullopt});
  for (auto [proto, port] : {std::pair{17, 53},
                             {17, 67},
                             {6, 179},
                             {6, 2379},
                             {6, 2380},
                             {6, 5473},
                             {6, 6443},
                             {6, 6666},
                             {6, 6667}})
    f.outbound.push_back({proto, port, std::nullopt});
  return f;
}

Failsafes failsafes_from(const std::vector<conf::Resource>& resources) {
  Failsafes f = default_failsafes();
  for (auto& [key, fc] : decode_all<conf::types::FelixConfiguration>(resources, nullptr)) {
    if (fc.metadata.name != "default") continue;
    auto convert = [](const std::vector<conf::types::FelixConfiguration::Spec::ProtoPort>& in) {
      std::vector<FailsafePort> out;
      for (const auto& p : in) {
        FailsafePort fp{protocol_number(p.protocol).value_or(6), static_cast<int>(p.port),
                        std::nullopt};
        if (!p.net.empty())
          if (auto c = Cidr::parse(p.net)) fp.net = *c;
        out.push_back(fp);
      }
      return out;
    };
    if (fc.spec.failsafe_inbound_host_ports)
      f.inbound = convert(*fc.spec.failsafe_inbound_host_ports);
    if (fc.spec.failsafe_outbound_host_ports)
      f.outbound = convert(*fc.spec.failsafe_outbound_host_ports);
  }
  return f;
}

}  // namespace podnet::policy
