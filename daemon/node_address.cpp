#include "daemon/node_address.hpp"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

#include <regex>

#include <fmt/format.h>

#include "conf/schema/checks.hpp"
#include "ipam-sync/resource_ops.hpp"

namespace podnet::daemon {

namespace {

// calico-node's default exclusions for first-found: container, tunnel and Calico's own devices.
const std::vector<std::regex>& excluded_interfaces() {
  static const std::vector<std::regex> res = [] {
    std::vector<std::regex> v;
    for (const char* p :
         {"docker.*", "cbr.*", "dummy.*", "virbr.*", "lxcbr.*", "veth.*", "lo", "cali.*", "tunl.*",
          "flannel.*", "kube-ipvs.*", "cni.*", "vxlan\\.calico.*", "vxlan-v6\\.calico.*",
          "wireguard\\.cali", "wg-v6\\.cali", "nodelocaldns.*", "podman.*"})
      v.emplace_back(std::string("^") + p + "$");
    return v;
  }();
  return res;
}

int prefix_len_of(const sockaddr* mask, int family) {
  const auto* bytes =
      family == 4
          ? reinterpret_cast<const uint8_t*>(&reinterpret_cast<const sockaddr_in*>(mask)->sin_addr)
          : reinterpret_cast<const uint8_t*>(
                &reinterpret_cast<const sockaddr_in6*>(mask)->sin6_addr);
  int n = 0;
  for (int i = 0; i < (family == 4 ? 4 : 16); ++i) n += __builtin_popcount(bytes[i]);
  return n;
}

// Loopback and link-local addresses are never a node's address.
bool usable(const InterfaceAddress& a) {
  auto ip = conf::parse_ip(a.address);
  if (!ip) return false;
  const auto& b = ip->bytes;
  if (a.family == 4) return b[0] != 127 && !(b[0] == 169 && b[1] == 254);
  bool loopback = true;
  for (int i = 0; i < 15; ++i) loopback = loopback && b[i] == 0;
  if (loopback && b[15] == 1) return false;
  return !(b[0] == 0xfe && (b[1] & 0xc0) == 0x80);
}

bool in_cidr(const std::string& address, const conf::Cidr& c) {
  auto ip = conf::parse_ip(address);
  if (!ip || ip->family != c.addr.family) return false;
  int bits = c.prefix_len;
  for (int i = 0; bits > 0; ++i, bits -= 8) {
    uint8_t mask = bits >= 8 ? 0xff : static_cast<uint8_t>(0xff << (8 - bits));
    if ((ip->bytes[i] & mask) != (c.addr.bytes[i] & mask)) return false;
  }
  return true;
}

}  // namespace

std::vector<InterfaceAddress> interface_addresses() {
  std::vector<InterfaceAddress> out;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return out;
  for (ifaddrs* i = list; i; i = i->ifa_next) {
    if (!i->ifa_addr || !i->ifa_netmask) continue;
    int fam = i->ifa_addr->sa_family == AF_INET ? 4 : i->ifa_addr->sa_family == AF_INET6 ? 6 : 0;
    if (!fam || !(i->ifa_flags & IFF_UP)) continue;
    char buf[INET6_ADDRSTRLEN] = {};
    const void* src =
        fam == 4
            ? static_cast<const void*>(&reinterpret_cast<const sockaddr_in*>(i->ifa_addr)->sin_addr)
            : static_cast<const void*>(
                  &reinterpret_cast<const sockaddr_in6*>(i->ifa_addr)->sin6_addr);
    ::inet_ntop(fam == 4 ? AF_INET : AF_INET6, src, buf, sizeof buf);
    out.push_back({i->ifa_name, buf, prefix_len_of(i->ifa_netmask, fam), fam});
  }
  ::freeifaddrs(list);
  return out;
}

Result<std::optional<InterfaceAddress>> autodetect(const std::string& method, int family,
                                                   const std::vector<InterfaceAddress>& addrs) {
  if (method == "none") return std::optional<InterfaceAddress>{};
  auto eq = method.find('=');
  const std::string kind = method.substr(0, eq);
  const std::string arg = eq == std::string::npos ? "" : method.substr(eq + 1);
  std::function<bool(const InterfaceAddress&)> accept;
  try {
    if (kind == "first-found" && arg.empty()) {
      accept = [](const InterfaceAddress& a) {
        for (const auto& re : excluded_interfaces())
          if (std::regex_match(a.ifname, re)) return false;
        return true;
      };
    } else if (kind == "interface" && !arg.empty()) {
      std::regex re(arg);  // unanchored, as calico-node's Go regexp.MatchString
      accept = [re](const InterfaceAddress& a) { return std::regex_search(a.ifname, re); };
    } else if (kind == "skip-interface" && !arg.empty()) {
      std::regex re(arg);
      accept = [re](const InterfaceAddress& a) {
        if (std::regex_search(a.ifname, re)) return false;
        for (const auto& x : excluded_interfaces())
          if (std::regex_match(a.ifname, x)) return false;
        return true;
      };
    } else if (kind == "cidr" && !arg.empty()) {
      std::vector<conf::Cidr> cidrs;
      std::size_t start = 0;
      while (start <= arg.size()) {
        auto comma = arg.find(',', start);
        auto part =
            arg.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        auto c = conf::parse_cidr(part);
        if (!c) return make_error(Errc::invalid, fmt::format("'{}': bad CIDR '{}'", method, part));
        cidrs.push_back(*c);
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
      accept = [cidrs](const InterfaceAddress& a) {
        for (const auto& c : cidrs)
          if (in_cidr(a.address, c)) return true;
        return false;
      };
    } else {
      return make_error(Errc::invalid,
                        fmt::format("unknown autodetection method '{}' (first-found, "
                                    "interface=REGEX, skip-interface=REGEX, cidr=CIDR, none)",
                                    method));
    }
  } catch (const std::regex_error& e) {
    return make_error(Errc::invalid,
                      fmt::format("'{}': bad regular expression: {}", method, e.what()));
  }
  for (const auto& a : addrs)
    if (a.family == family && usable(a) && accept(a)) return std::optional<InterfaceAddress>{a};
  return std::optional<InterfaceAddress>{};
}

Result<std::vector<std::string>> ensure_node_address(store::Datastore& ds,
                                                     const ResourceCache& cache,
                                                     const conf::DaemonConfig& config) {
  const std::string key = "nodes/" + config.node_name;
  const conf::Resource* node = nullptr;
  if (auto it = cache.resources().find(key); it != cache.resources().end()) node = &it->second;
  auto has = [&](const char* field) {
    if (!node) return false;
    const auto& d = node->doc;
    return d.contains("spec") && d["spec"].contains("bgp") && d["spec"]["bgp"].contains(field) &&
           !d["spec"]["bgp"][field].get<std::string>().empty();
  };
  const auto addrs = interface_addresses();
  std::vector<std::pair<std::string, std::string>> found;  // field, cidr
  for (auto [field, family, method] : {std::tuple{"ipv4Address", 4, config.autodetection.ipv4},
                                       std::tuple{"ipv6Address", 6, config.autodetection.ipv6}}) {
    if (has(field)) continue;
    auto a = autodetect(method, family, addrs);
    if (!a) return a.error();
    if (*a) found.emplace_back(field, (*a)->cidr());
  }
  std::vector<std::string> written;
  if (found.empty()) return written;
  for (const auto& [field, cidr] : found) written.push_back(fmt::format("{} {}", field, cidr));

  if (!node) {
    nlohmann::json doc = {{"apiVersion", "projectcalico.org/v3"},
                          {"kind", "Node"},
                          {"metadata", {{"name", config.node_name}}},
                          {"spec", {{"bgp", nlohmann::json::object()}}}};
    for (const auto& [field, cidr] : found) doc["spec"]["bgp"][field] = cidr;
    auto r = conf::parse_resource(doc, "<autodetected node>");
    if (!r) return r.error();
    auto w = store::write(ds, *r, store::WriteMode::create);
    if (w) return written;
    if (w.error().code != Errc::already_exists) return w.error();
    // Someone created it meanwhile: fall through and fill in the address.
  }
  auto m = store::modify(ds, key, [&](nlohmann::json& doc) -> Status {
    auto& bgp = doc["spec"]["bgp"];
    if (bgp.is_null()) bgp = nlohmann::json::object();
    for (const auto& [field, cidr] : found)
      if (!bgp.contains(field) || bgp[field].get<std::string>().empty()) bgp[field] = cidr;
    return ok_status();
  });
  if (!m) return m.error();
  return written;
}

}  // namespace podnet::daemon
