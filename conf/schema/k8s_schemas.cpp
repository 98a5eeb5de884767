// Kubernetes core kinds podnet reads: Namespace, Pod, ServiceAccount, Secret. Metadata and the
// fields podnet uses are validated; everything else a manifest carries (containers, volumes,
// data...) passes through untouched, as kubectl would store it.
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
  return v;
}

}  // namespace podnet::conf::schema
