// Result, error and version documents, in the format of each supported cniVersion: 1.0.0 drops
// the per-IP "version" field that 0.3.x and 0.4.0 carry; everything else podnet emits is the same.
#include <fmt/format.h>

#include "cni/cni.hpp"

namespace podnet::cni {

const std::vector<std::string>& supported_versions() {
  static const std::vector<std::string> v{"0.3.0", "0.3.1", "0.4.0", "1.0.0"};
  return v;
}

bool is_supported_version(std::string_view v) {
  for (const auto& s : supported_versions())
    if (s == v) return true;
  return false;
}

bool version_has_check(std::string_view v) {
  return v == "0.4.0" || v == "1.0.0";
}

CniError from_error(const Error& e, int code, const std::string& what) {
  if (e.code == Errc::unavailable || e.code == Errc::conflict) code = kTryAgainLater;
  return cni_error(code, what, e.message);
}

int IpConfig::family() const {
  return address.find(':') == std::string::npos ? 4 : 6;
}

nlohmann::ordered_json result_json(const AddResult& r, const std::string& version) {
  const bool legacy = version != "1.0.0";
  nlohmann::ordered_json j;
  j["cniVersion"] = version;
  if (!r.interfaces.empty()) {
    auto& a = j["interfaces"] = nlohmann::ordered_json::array();
    for (const auto& i : r.interfaces) {
      nlohmann::ordered_json o;
      o["name"] = i.name;
      if (!i.mac.empty()) o["mac"] = i.mac;
      if (!i.sandbox.empty()) o["sandbox"] = i.sandbox;
      a.push_back(o);
    }
  }
  auto& ips = j["ips"] = nlohmann::ordered_json::array();
  for (const auto& ip : r.ips) {
    nlohmann::ordered_json o;
    if (legacy) o["version"] = std::to_string(ip.family());
    o["address"] = ip.address;
    if (!ip.gateway.empty()) o["gateway"] = ip.gateway;
    if (ip.interface) o["interface"] = *ip.interface;
    ips.push_back(o);
  }
  if (!r.routes.empty()) {
    auto& a = j["routes"] = nlohmann::ordered_json::array();
    for (const auto& rt : r.routes) {
      nlohmann::ordered_json o;
      o["dst"] = rt.dst;
      if (!rt.gw.empty()) o["gw"] = rt.gw;
      a.push_back(o);
    }
  }
  j["dns"] = nlohmann::ordered_json::object();
  return j;
}

Outcome<AddResult> parse_result(const nlohmann::json& j) {
  if (!j.is_object()) return cni_error(kDecodeFailure, "a CNI result must be a JSON object");
  AddResult r;
  try {
    for (const auto& i : j.value("interfaces", nlohmann::json::array()))
      r.interfaces.push_back(
          {i.at("name").get<std::string>(), i.value("mac", ""), i.value("sandbox", "")});
    for (const auto& i : j.value("ips", nlohmann::json::array())) {
      IpConfig ip;
      ip.address = i.at("address").get<std::string>();
      ip.gateway = i.value("gateway", "");
      if (i.contains("interface")) ip.interface = i.at("interface").get<int>();
      if (ip.address.find('/') == std::string::npos)
        return cni_error(kDecodeFailure,
                         fmt::format("ip address '{}' has no prefix length", ip.address));
      r.ips.push_back(ip);
    }
    for (const auto& i : j.value("routes", nlohmann::json::array()))
      r.routes.push_back({i.at("dst").get<std::string>(), i.value("gw", "")});
  } catch (const nlohmann::json::exception& e) {
    return cni_error(kDecodeFailure, "error decoding a CNI result", e.what());
  }
  return r;
}

nlohmann::ordered_json error_json(const CniError& e, const std::string& version) {
  nlohmann::ordered_json j;
  j["cniVersion"] = version;
  j["code"] = e.code;
  j["msg"] = e.msg;
  if (!e.details.empty()) j["details"] = e.details;
  return j;
}

nlohmann::ordered_json version_json(const std::string& version) {
  nlohmann::ordered_json j;
  j["cniVersion"] = version;
  j["supportedVersions"] = supported_versions();
  return j;
}

}  // namespace podnet::cni
