// The network configuration on stdin, with Calico's CNI option names, and the nodename and MTU
// fallbacks Calico's plugin uses.
#include <unistd.h>

#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "cni/cni.hpp"

namespace podnet::cni {

namespace {

// Calico writes booleans as strings ("true"); accept real booleans too.
bool read_bool(const nlohmann::json& j, const char* key, bool fallback) {
  if (!j.contains(key)) return fallback;
  const auto& v = j.at(key);
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_string()) return v.get<std::string>() == "true";
  throw nlohmann::json::type_error::create(
      302, fmt::format("{} must be \"true\" or \"false\"", key), &v);
}

std::string first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line)) return "";
  while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.pop_back();
  return line;
}

}  // namespace

Outcome<NetConf> parse_net_conf(std::string_view text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return cni_error(kDecodeFailure, "error decoding network configuration",
                     "stdin is not a JSON object");
  NetConf c;
  try {
    c.cni_version = j.value("cniVersion", "");
    if (c.cni_version.empty()) c.cni_version = "0.1.0";  // the spec's default when absent
    if (!is_supported_version(c.cni_version))
      return cni_error(kIncompatibleVersion,
                       fmt::format("incompatible CNI versions: config is \"{}\", plugin supports "
                                   "[\"0.3.0\" \"0.3.1\" \"0.4.0\" \"1.0.0\"]",
                                   c.cni_version));
    c.name = j.value("name", "");
    c.type = j.value("type", "");
    c.nodename = j.value("nodename", "");
    c.nodename_file = j.value("nodename_file", c.nodename_file);
    c.datastore = j.value("datastore", c.datastore);
    c.mtu_file = j.value("mtu_file", c.mtu_file);
    if (j.contains("mtu")) {
      int64_t m = j.at("mtu").get<int64_t>();
      if (m < 0 || m > 65535)
        return cni_error(kInvalidConfig, fmt::format("mtu {} is out of range 0-65535", m));
      if (m > 0) c.mtu = static_cast<uint32_t>(m);
    }
    if (j.contains("ipam")) {
      const auto& ip = j.at("ipam");
      if (!ip.is_object()) return cni_error(kInvalidConfig, "ipam must be an object");
      c.ipam.type = ip.value("type", "");
      c.ipam.assign_ipv4 = read_bool(ip, "assign_ipv4", true);
      c.ipam.assign_ipv6 = read_bool(ip, "assign_ipv6", false);
      c.ipam.ipv4_pools = ip.value("ipv4_pools", std::vector<std::string>{});
      c.ipam.ipv6_pools = ip.value("ipv6_pools", std::vector<std::string>{});
    }
    if (j.contains("prevResult")) c.prev_result = j.at("prevResult");
  } catch (const nlohmann::json::exception& e) {
    return cni_error(kDecodeFailure, "error decoding network configuration", e.what());
  }
  if (c.name.empty()) return cni_error(kInvalidConfig, "network configuration has no name");
  if (c.type.empty()) return cni_error(kInvalidConfig, "network configuration has no type");
  if (!c.ipam.assign_ipv4 && !c.ipam.assign_ipv6)
    return cni_error(kInvalidConfig, "ipam assigns neither IPv4 nor IPv6");
  return c;
}

std::string resolve_nodename(const NetConf& c) {
  if (!c.nodename.empty()) return c.nodename;
  if (auto n = first_line(c.nodename_file); !n.empty()) return n;
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) return "";
  return host;
}

uint32_t resolve_mtu(const NetConf& c) {
  if (c.mtu) return *c.mtu;
  const std::string s = first_line(c.mtu_file);
  if (!s.empty()) {
    try {
      long v = std::stol(s);
      if (v >= 68 && v <= 65535) return static_cast<uint32_t>(v);
    } catch (const std::exception&) {
      // a garbled file is as good as none
    }
  }
  return 1500;
}

}  // namespace podnet::cni
