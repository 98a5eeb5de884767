#include "ipam-sync/etcd_keys.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <array>
#include <set>
#include <string_view>

#include "ipam-sync/store_key.hpp"

namespace podnet::store::etcd {
namespace {

constexpr std::string_view kResources = "/calico/resources/v3/projectcalico.org/";
constexpr std::string_view kK8sResources = "/calico/resources/v3/k8s/";
constexpr std::string_view kBlocks = "/calico/ipam/v2/assignment/";
constexpr std::string_view kHosts = "/calico/ipam/v2/host/";
constexpr std::string_view kHandles = "/calico/ipam/v2/handle/";
constexpr std::string_view kConfig = "/calico/ipam/v2/config";

// Kinds that are not projectcalico.org resources: Calico reads these from the Kubernetes API,
// so its etcd layout has no place for them.
bool is_k8s_plural(std::string_view plural) {
  static const std::set<std::string_view> k8s{"namespaces",      "pods",
                                              "serviceaccounts", "secrets",
                                              "installations",   "kubernetesnetworkpolicies",
                                              "services"};
  return k8s.count(plural) > 0;
}

bool is_ipam_plural(std::string_view plural) {
  return plural == "ipamblocks" || plural == "blockaffinities" || plural == "ipamhandles" ||
         plural == "ipamconfigs";
}

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t p = s.find(sep, start);
    out.emplace_back(s.substr(start, p == std::string_view::npos ? p : p - start));
    if (p == std::string_view::npos) return out;
    start = p + 1;
  }
}

std::optional<int> parse_prefix_len(std::string_view s, int max) {
  if (s.empty() || s.size() > 3) return std::nullopt;
  int v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  if (v > max || (s.size() > 1 && s[0] == '0')) return std::nullopt;
  return v;
}

// Canonical text of an address (inet_ntop), nullopt unless addr is one of family af.
std::optional<std::string> canonical_addr(int af, const std::string& addr) {
  std::array<unsigned char, 16> buf{};
  if (::inet_pton(af, addr.c_str(), buf.data()) != 1) return std::nullopt;
  char out[INET6_ADDRSTRLEN];
  if (!::inet_ntop(af, buf.data(), out, sizeof out)) return std::nullopt;
  return std::string(out);
}

struct Cidr {
  int version = 4;
  std::string addr;  // canonical
  int len = 0;
  std::string path() const { return fmt::format("{}-{}", addr, len); }  // etcd form
};

// "10.244.1.0/26" or "10.244.1.0-26" (etcd form) -> Cidr, canonical only.
std::optional<Cidr> parse_cidr(const std::string& s, char sep) {
  auto p = s.rfind(sep);
  if (p == std::string::npos) return std::nullopt;
  std::string addr = s.substr(0, p);
  for (int af : {AF_INET, AF_INET6}) {
    auto canon = canonical_addr(af, addr);
    if (!canon || *canon != addr) continue;
    auto len = parse_prefix_len(std::string_view(s).substr(p + 1), af == AF_INET ? 32 : 128);
    if (!len) return std::nullopt;
    return Cidr{af == AF_INET ? 4 : 6, addr, *len};
  }
  return std::nullopt;
}

std::string name_of(const Cidr& c) {
  return cidr_to_block_name(c.addr + "/" + std::to_string(c.len));
}

// Block name -> Cidr, for a canonical name only (so the mapping inverts exactly).
std::optional<Cidr> parse_block_name(const std::string& name) {
  auto cidr = block_name_to_cidr(name);
  if (!cidr) return std::nullopt;
  auto c = parse_cidr(*cidr, '/');
  if (!c || name_of(*c) != name) return std::nullopt;
  return c;
}

std::string block_path(const Cidr& c) {
  return fmt::format("{}ipv{}/block/{}", kBlocks, c.version, c.path());
}

std::string host_path(const std::string& node, const Cidr& c) {
  return fmt::format("{}{}/ipv{}/block/{}", kHosts, node, c.version, c.path());
}

// Readings of an affinity name "<node>-<block name>" as (node, cidr).
std::vector<std::pair<std::string, Cidr>> affinity_readings(const std::string& name) {
  std::vector<std::pair<std::string, Cidr>> out;
  auto parts = split(name, '-');
  // IPv4: the last five parts, node the rest.
  if (parts.size() >= 6) {
    std::string tail;
    for (size_t i = parts.size() - 5; i < parts.size(); ++i)
      tail += (tail.empty() ? "" : "-") + parts[i];
    if (auto c = parse_block_name(tail); c && c->version == 4) {
      std::string node = name.substr(0, name.size() - tail.size() - 1);
      if (valid_segment(node)) out.emplace_back(node, *c);
      return out;
    }
  }
  // IPv6: every split point whose tail is a canonical IPv6 block name.
  for (size_t p = name.find('-'); p != std::string::npos; p = name.find('-', p + 1)) {
    std::string node = name.substr(0, p);
    auto c = parse_block_name(name.substr(p + 1));
    if (c && c->version == 6 && valid_segment(node)) out.emplace_back(node, *c);
  }
  return out;
}

}  // namespace

std::optional<std::string> block_name_to_cidr(const std::string& name) {
  auto p = name.rfind('-');
  if (p == std::string::npos || p == 0) return std::nullopt;
  std::string addr = name.substr(0, p);
  std::string len = name.substr(p + 1);
  auto parts = split(addr, '-');
  bool v4 = parts.size() == 4;
  for (auto& part : parts) {
    if (part.empty() || part.find_first_not_of("0123456789") != std::string::npos) v4 = false;
  }
  if (v4 && !parse_prefix_len(len, 32)) v4 = false;
  for (char& c : addr) c = c == '-' ? (v4 ? '.' : ':') : c;
  return addr + "/" + len;
}

std::string cidr_to_block_name(const std::string& cidr) {
  std::string s = cidr;
  for (char& c : s)
    if (c == '.' || c == ':' || c == '/') c = '-';
  return s;
}

Result<std::string> affinity_etcd_key(const std::string& node, const std::string& cidr) {
  auto c = parse_cidr(cidr, '/');
  if (!c || !valid_segment(node)) {
    return make_error(Errc::invalid,
                      fmt::format("block affinity node \"{}\" cidr \"{}\": not a node and a "
                                  "canonical CIDR",
                                  node, cidr));
  }
  return host_path(node, *c);
}

std::vector<std::string> affinity_candidates(const std::string& key) {
  std::vector<std::string> out;
  if (!key.starts_with("blockaffinities/")) return out;
  for (auto& [node, c] : affinity_readings(key.substr(16))) out.push_back(host_path(node, c));
  return out;
}

Result<std::string> to_etcd_key(const std::string& key) {
  if (auto st = validate_key(key); !st.ok()) return st.error();
  auto slash = key.find('/');
  std::string plural = key.substr(0, slash);
  std::string rest = key.substr(slash + 1);
  bool namespaced = rest.find('/') != std::string::npos;
  auto bad = [&](const char* why) {
    return make_error(Errc::invalid, fmt::format("datastore key \"{}\": {}", key, why));
  };
  if (is_ipam_plural(plural) && namespaced) return bad("IPAM resources are not namespaced");
  if (plural == "ipamblocks") {
    auto c = parse_block_name(rest);
    if (!c) return bad("an IPAM block's name is its canonical CIDR with '.', ':', '/' as '-'");
    return block_path(*c);
  }
  if (plural == "blockaffinities") {
    auto r = affinity_readings(rest);
    if (r.empty()) return bad("a block affinity's name is <node>-<block name>");
    if (r.size() > 1) return bad("ambiguous IPv6 block affinity name (node or address?)");
    return host_path(r[0].first, r[0].second);
  }
  if (plural == "ipamhandles") return std::string(kHandles) + rest;
  if (plural == "ipamconfigs") {
    if (rest != "default") return bad("the only IPAMConfig is \"default\"");
    return std::string(kConfig);
  }
  if (is_k8s_plural(plural)) return std::string(kK8sResources) + key;
  return std::string(kResources) + key;
}

std::optional<std::string> from_etcd_key(const std::string& ek) {
  std::optional<std::string> key;
  std::string_view v(ek);
  if (v.starts_with(kResources)) {
    std::string k(v.substr(kResources.size()));
    auto plural = k.substr(0, k.find('/'));
    if (!is_k8s_plural(plural) && !is_ipam_plural(plural)) key = k;
  } else if (v.starts_with(kK8sResources)) {
    std::string k(v.substr(kK8sResources.size()));
    if (is_k8s_plural(k.substr(0, k.find('/')))) key = k;
  } else if (v.starts_with(kBlocks)) {
    // ipv4/block/10.244.1.0-26
    auto parts = split(v.substr(kBlocks.size()), '/');
    if (parts.size() == 3 && parts[1] == "block") {
      auto c = parse_cidr(parts[2], '-');
      if (c && parts[0] == fmt::format("ipv{}", c->version)) key = "ipamblocks/" + name_of(*c);
    }
  } else if (v.starts_with(kHosts)) {
    // <node>/ipv4/block/10.244.1.0-26
    auto parts = split(v.substr(kHosts.size()), '/');
    if (parts.size() == 4 && parts[2] == "block" && valid_segment(parts[0])) {
      auto c = parse_cidr(parts[3], '-');
      if (c && parts[1] == fmt::format("ipv{}", c->version))
        key = "blockaffinities/" + parts[0] + "-" + name_of(*c);
    }
  } else if (v.starts_with(kHandles)) {
    key = "ipamhandles/" + std::string(v.substr(kHandles.size()));
  } else if (v == kConfig) {
    key = "ipamconfigs/default";
  }
  // Only keys that map back to the same etcd key are ours (affinities: one of the readings).
  if (!key || !validate_key(*key).ok()) return std::nullopt;
  if (key->starts_with("blockaffinities/")) {
    for (auto& c : affinity_candidates(*key))
      if (c == ek) return key;
    return std::nullopt;
  }
  auto back = to_etcd_key(*key);
  if (!back.ok() || back.value() != ek) return std::nullopt;
  return key;
}

std::string etcd_prefix_for(const std::string& prefix) {
  auto slash = prefix.find('/');
  if (slash == std::string::npos) return kRoot;
  std::string plural = prefix.substr(0, slash);
  std::string rest = prefix.substr(slash + 1);
  if (plural == "ipamblocks") return std::string(kBlocks);
  if (plural == "blockaffinities") return std::string(kHosts);
  if (plural == "ipamhandles") return std::string(kHandles) + rest;
  if (plural == "ipamconfigs") return std::string(kConfig);
  if (is_k8s_plural(plural)) return std::string(kK8sResources) + prefix;
  return std::string(kResources) + prefix;
}

}  // namespace podnet::store::etcd
