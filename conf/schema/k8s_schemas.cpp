// Kubernetes core kinds podnet reads: Namespace, Pod, ServiceAccount, Secret, Service. Metadata and
// the fields podnet uses are validated; everything else a manifest carries (containers, volumes,
// data...) passes through untouched, as kubectl would store it.
#include <cctype>
#include <set>

#include <fmt/format.h>

#include "conf/schema/checks.hpp"
#include "conf/schema/common.hpp"

namespace podnet::conf::schema {
namespace {

S pod_spec() {
  return obj({
                 {"nodeName", name_ref()},
                 {"serviceAccountName", name_ref()},
                 {"hostNetwork", boolean()},
                 // Only the ports are read (policy's named ports); the rest of a container
                 // passes through as written.
                 {"containers",
                  list(obj({{"ports", list(obj({{"name", str()},
                                                {"containerPort", integer().req().range(1, 65535)},
                                                {"protocol", str().oneof({"TCP", "UDP", "SCTP"})}})
                                               .open())}})
                           .open())},
             })
      .open();
}

S pod_status() {
  return obj({
                 {"phase", str()},
                 {"hostIP", ip()},
                 {"podIP", ip()},
                 {"podIPs", list(obj({{"ip", ip().req()}}))},
             })
      .open();
}

// Kubernetes' IANA_SVC_NAME: what a named targetPort (and a container port's name) may be.
std::string check_port_name(const std::string& s) {
  bool letter = false;
  for (char c : s) {
    if (std::islower(static_cast<unsigned char>(c))) letter = true;
    if (!std::islower(static_cast<unsigned char>(c)) &&
        !std::isdigit(static_cast<unsigned char>(c)) && c != '-')
      return fmt::format("\"{}\" is not a port name (lower case letters, digits and '-')", s);
  }
  if (s.empty() || s.size() > 15)
    return fmt::format("\"{}\" is not a port name (1-15 characters)", s);
  if (!letter) return fmt::format("\"{}\" is not a port name (needs a letter)", s);
  if (s.front() == '-' || s.back() == '-' || s.find("--") != std::string::npos)
    return fmt::format("\"{}\" is not a port name (no leading, trailing or double '-')", s);
  return "";
}

S service_spec() {
  auto target_port = int_or_str().check([](const Json& v) -> std::string {
    if (v.is_number_integer()) {
      auto p = v.get<int64_t>();
      return p >= 1 && p <= 65535 ? "" : fmt::format("{} is out of range 1-65535", p);
    }
    return check_port_name(v.get<std::string>());
  });
  auto port = obj({{"name", str()},
                   {"protocol", str().oneof({"TCP", "UDP", "SCTP"}).def("TCP")},
                   {"appProtocol", str()},
                   {"port", integer().req().range(1, 65535)},
                   {"targetPort", target_port},
                   {"nodePort", integer().range(30000, 32767)}});
  // Only what podnetd implements is accepted: a LoadBalancer or ExternalName service would be
  // stored and silently do nothing.
  return obj({{"type", str().oneof({"ClusterIP", "NodePort"}).def("ClusterIP")},
              {"clusterIP", str().check([](const Json& v) -> std::string {
                 auto s = v.get<std::string>();
                 if (s == "None" || s.empty()) return "";
                 auto ip = parse_ip(s);
                 if (!ip) return fmt::format("\"{}\" is not an IP address (or None)", s);
                 return ip->family == 4 ? "" : "IPv6 cluster IPs are not supported";
               })},
              {"clusterIPs", list(str())},
              {"ipFamilies", list(str())},
              {"ipFamilyPolicy", str()},
              {"selector", labels()},
              {"ports", list(port)},
              {"externalTrafficPolicy", str().oneof({"Cluster", "Local"})},
              {"internalTrafficPolicy", str().oneof({"Cluster", "Local"})},
              {"sessionAffinity", str().oneof({"None", "ClientIP"})},
              {"sessionAffinityConfig", any()},
              {"publishNotReadyAddresses", boolean()}});
}

// Rules that involve several fields, as the API server's validation states them.
std::string text_or(const Json& o, const char* key, const char* dflt) {
  return o.is_object() && o.contains(key) && o[key].is_string() ? o[key].get<std::string>() : dflt;
}

void finish_service(Json& doc, Walk& w) {
  if (!doc.contains("spec") || !doc["spec"].is_object()) return;
  const Json& spec = doc["spec"];
  const std::string type = text_or(spec, "type", "ClusterIP");
  if (has(spec, "externalTrafficPolicy") && type != "NodePort")
    w.error("spec.externalTrafficPolicy", "may only be set when type is NodePort");
  if (!has(spec, "ports") || !spec["ports"].is_array()) return;
  std::set<std::string> names;
  std::set<std::pair<std::string, int64_t>> ports, node_ports;
  const auto& list = spec["ports"];
  for (std::size_t i = 0; i < list.size(); ++i) {
    const Json& p = list[i];
    if (!p.is_object()) continue;
    const std::string path = index("spec.ports", i);
    const std::string name = text_or(p, "name", "");
    const std::string proto = text_or(p, "protocol", "TCP");
    if (list.size() > 1 && name.empty())
      w.error(join(path, "name"), "required when the service has more than one port");
    if (!name.empty()) {
      if (auto why = check_port_name(name); !why.empty()) w.error(join(path, "name"), why);
      if (!names.insert(name).second)
        w.error(join(path, "name"), fmt::format("duplicate port name \"{}\"", name));
    }
    if (p.contains("port") && p["port"].is_number_integer() &&
        !ports.insert({proto, p["port"].get<int64_t>()}).second)
      w.error(join(path, "port"),
              fmt::format("duplicate {} port {}", proto, p["port"].get<int64_t>()));
    if (!has(p, "nodePort")) {
      if (type == "NodePort")
        w.error(join(path, "nodePort"),
                "required for type NodePort (podnet does not allocate node ports)");
      continue;
    }
    if (type != "NodePort") {
      w.error(join(path, "nodePort"), "may only be set when type is NodePort");
      continue;
    }
    if (p["nodePort"].is_number_integer() &&
        !node_ports.insert({proto, p["nodePort"].get<int64_t>()}).second)
      w.error(join(path, "nodePort"),
              fmt::format("duplicate {} node port {}", proto, p["nodePort"].get<int64_t>()));
  }
}

}  // namespace

std::vector<std::pair<std::string, KindSchema>> k8s_schemas() {
  std::vector<std::pair<std::string, KindSchema>> v;
  v.push_back({"namespaces",
               {document(*find_kind("Namespace"), obj({{"finalizers", list(str())}}).open(), any(),
                         true, [](std::string_view n) { return check_dns_label(n); }),
                nullptr}});
  v.push_back({"pods", {document(*find_kind("Pod"), pod_spec(), pod_status(), true), nullptr}});
  v.push_back(
      {"serviceaccounts", {document_no_spec(*find_kind("ServiceAccount"), any(), true), nullptr}});
  v.push_back(
      {"secrets", {document_no_spec(*find_kind("Secret"), any(), true), [](Json& doc, Walk& w) {
                     for (const char* f : {"data", "stringData"}) {
                       if (!has(doc, f)) continue;
                       if (!doc[f].is_object()) {
                         w.error(f, "expected a map of strings");
                         continue;
                       }
                       for (auto& [k, val] : doc[f].items())
                         if (!val.is_string())
                           w.error(std::string(f) + "." + k, "expected a string");
                     }
                   }}});
  v.push_back({"services",
               {document(*find_kind("Service"), service_spec(), any(), true,
                         [](std::string_view n) { return check_dns_label(n); }),
                finish_service}});
  return v;
}

}  // namespace podnet::conf::schema
