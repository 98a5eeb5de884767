// The pure half of WireGuard: configuration from FelixConfiguration, peers from Node resources,
// and what this node publishes in its own Node.
#include <algorithm>
#include <cctype>
#include <map>

#include "conf/types/routing.hpp"
#include "dataplane/wireguard.hpp"

namespace podnet::dataplane {

namespace {

// A Go duration as Felix's wireguardPersistentKeepAlive is written ("0", "25s", "1m30s"), in
// whole seconds. A bare number is seconds.
Result<uint16_t> keepalive_seconds(const std::string& text) {
  auto bad = [&] {
    return make_error(Errc::invalid, "wireguardPersistentKeepAlive: bad duration '" + text + "'");
  };
  if (text.empty()) return uint16_t{0};
  uint64_t total = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t start = i;
    uint64_t n = 0;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
      n = n * 10 + static_cast<uint64_t>(text[i++] - '0');
      if (n > 65535 * 3600ull) return bad();
    }
    if (i == start) return bad();
    std::string unit;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) unit += text[i++];
    if (unit.empty() || unit == "s") {
      total += n;
    } else if (unit == "m") {
      total += n * 60;
    } else if (unit == "h") {
      total += n * 3600;
    } else if (unit == "ms") {
      total += n / 1000;
    } else {
      return bad();
    }
    if (unit.empty() && i != text.size()) return bad();
  }
  if (total > 65535) return bad();
  return static_cast<uint16_t>(total);
}

// "192.168.50.1/24" or "192.168.50.1" -> the address.
std::optional<rib::Address> address_part(const std::string& text) {
  auto slash = text.find('/');
  auto a = rib::Address::parse(text.substr(0, slash));
  if (!a) return std::nullopt;
  return *a;
}

// The per-family fields of a Node and FelixConfiguration.
const std::string& node_key(const conf::types::Node& n, rib::Family f) {
  return f == rib::Family::v4 ? n.status.wireguard_public_key : n.status.wireguard_public_key_v6;
}

std::string node_interface_address(const conf::types::Node& n, rib::Family f) {
  if (!n.spec.wireguard) return "";
  return f == rib::Family::v4 ? n.spec.wireguard->interface_ipv4_address
                              : n.spec.wireguard->interface_ipv6_address;
}

std::string node_bgp_address(const conf::types::Node& n, rib::Family f) {
  if (!n.spec.bgp) return "";
  return f == rib::Family::v4 ? n.spec.bgp->ipv4_address : n.spec.bgp->ipv6_address;
}

const char* v_suffix(rib::Family f) {
  return f == rib::Family::v4 ? "" : "V6";
}

}  // namespace

WireguardConfig wireguard_default_config(rib::Family family) {
  WireguardConfig c;
  if (family == rib::Family::v6) {
    c.interface = kWireguardDeviceV6;
    c.listen_port = kWireguardPortV6;
  }
  return c;
}

Result<WireguardConfig> wireguard_config_from(const conf::types::FelixConfiguration& felix,
                                              const conf::types::Node& self, rib::Family family) {
  const auto& s = felix.spec;
  const bool v4 = family == rib::Family::v4;
  const std::string sfx = v_suffix(family);
  WireguardConfig c = wireguard_default_config(family);
  const std::string& name = v4 ? s.wireguard_interface_name : s.wireguard_interface_name_v6;
  const int64_t port = v4 ? s.wireguard_listening_port : s.wireguard_listening_port_v6;
  const int64_t mtu = v4 ? s.wireguard_mtu : s.wireguard_mtu_v6;
  if (!name.empty()) c.interface = name;
  if (port <= 0 || port > 65535) {
    return make_error(Errc::invalid, "wireguardListeningPort" + sfx + " out of range");
  }
  c.listen_port = static_cast<uint16_t>(port);
  if (s.wireguard_routing_rule_priority < 0 || s.wireguard_routing_rule_priority > 32765) {
    return make_error(Errc::invalid, "wireguardRoutingRulePriority out of range");
  }
  c.rule_priority = static_cast<uint32_t>(s.wireguard_routing_rule_priority);
  c.mtu = mtu > 0 ? static_cast<uint32_t>(mtu) : 0;
  auto ka = keepalive_seconds(s.wireguard_keep_alive);
  if (!ka) return ka.error();
  c.persistent_keepalive = *ka;
  if (const std::string text = node_interface_address(self, family); !text.empty()) {
    auto a = address_part(text);
    if (!a || a->family() != family) {
      return make_error(Errc::invalid, "node " + self.metadata.name +
                                           ": bad spec.wireguard.interfaceIP" + (v4 ? "v4" : "v6") +
                                           "Address");
    }
    c.interface_address = *a;
  }
  return c;
}

std::vector<WireguardPeer> wireguard_peers(
    const std::vector<conf::types::Node>& nodes, const std::string& self,
    const std::map<std::string, std::vector<rib::Prefix>>& routed, rib::Family family) {
  std::vector<WireguardPeer> out;
  std::map<wg::Key, int> claims;  // key -> how many nodes publish it (ourselves included)
  for (const auto& n : nodes) {
    auto k = wg::from_base64(node_key(n, family));
    if (k && !wg::is_zero(*k)) ++claims[*k];
  }
  for (const auto& n : nodes) {
    if (n.metadata.name == self) continue;
    auto k = wg::from_base64(node_key(n, family));
    if (!k || wg::is_zero(*k) || claims[*k] != 1) continue;
    auto ip = address_part(node_bgp_address(n, family));
    if (!ip || ip->family() != family) continue;
    WireguardPeer p;
    p.node = n.metadata.name;
    p.public_key = *k;
    p.node_ip = *ip;
    if (auto it = routed.find(n.metadata.name); it != routed.end()) {
      for (const auto& r : it->second)
        if (r.family() == family) p.allowed_ips.push_back(r);
    }
    if (auto a = address_part(node_interface_address(n, family)); a && a->family() == family) {
      if (auto pfx = rib::Prefix::make(*a, family == rib::Family::v4 ? 32 : 128)) {
        p.allowed_ips.push_back(*pfx);
      }
    }
    std::sort(p.allowed_ips.begin(), p.allowed_ips.end());
    p.allowed_ips.erase(std::unique(p.allowed_ips.begin(), p.allowed_ips.end()),
                        p.allowed_ips.end());
    out.push_back(std::move(p));
  }
  std::sort(out.begin(), out.end(),
            [](const WireguardPeer& a, const WireguardPeer& b) { return a.node < b.node; });
  return out;
}

std::vector<rib::Prefix> wireguard_throw_prefixes(
    const std::vector<WireguardPeer>& peers, const std::string& self,
    const std::map<std::string, std::vector<rib::Prefix>>& routed, rib::Family family) {
  std::vector<rib::Prefix> out;
  for (const auto& [node, prefixes] : routed) {
    bool peer = std::any_of(peers.begin(), peers.end(),
                            [&](const WireguardPeer& p) { return p.node == node; });
    if (node != self && peer) continue;
    for (const auto& p : prefixes)
      if (p.family() == family) out.push_back(p);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

bool publish_wireguard(conf::types::Node& node, const std::string& public_key,
                       const std::string& interface_address, rib::Family family) {
  const bool v4 = family == rib::Family::v4;
  bool changed = false;
  std::string& key = v4 ? node.status.wireguard_public_key : node.status.wireguard_public_key_v6;
  if (key != public_key) {
    key = public_key;
    changed = true;
  }
  if (node_interface_address(node, family) != interface_address) {
    if (!node.spec.wireguard) node.spec.wireguard.emplace();
    auto& w = *node.spec.wireguard;
    (v4 ? w.interface_ipv4_address : w.interface_ipv6_address) = interface_address;
    if (w.interface_ipv4_address.empty() && w.interface_ipv6_address.empty()) {
      node.spec.wireguard.reset();
    }
    changed = true;
  }
  return changed;
}

bool publish_wireguard(nlohmann::json& doc, const std::string& public_key,
                       const std::string& interface_address, rib::Family family) {
  if (!doc.is_object()) return false;
  // Sets doc[outer][inner][key] to `value`, or removes it (and emptied parents) for "".
  auto put = [&doc](const char* outer, const char* inner, const char* key,
                    const std::string& value) {
    auto* o = doc.contains(outer) && doc[outer].is_object() ? &doc[outer] : nullptr;
    auto* in =
        o && inner ? (o->contains(inner) && (*o)[inner].is_object() ? &(*o)[inner] : nullptr) : o;
    auto* have = in && in->contains(key) ? &(*in)[key] : nullptr;
    if (value.empty()) {
      if (!have) return false;
      in->erase(key);
      if (inner && in->empty()) o->erase(inner);
      if (o->empty()) doc.erase(outer);
      return true;
    }
    if (have && have->is_string() && have->get<std::string>() == value) return false;
    if (inner) {
      doc[outer][inner][key] = value;
    } else {
      doc[outer][key] = value;
    }
    return true;
  };
  try {
    const bool v4 = family == rib::Family::v4;
    bool a = put("status", nullptr, v4 ? "wireguardPublicKey" : "wireguardPublicKeyV6", public_key);
    bool b = put("spec", "wireguard", v4 ? "interfaceIPv4Address" : "interfaceIPv6Address",
                 interface_address);
    return a || b;
  } catch (const nlohmann::json::exception&) {
    return false;  // status/spec of the wrong type: validation rejects the document anyway
  }
}

}  // namespace podnet::dataplane
