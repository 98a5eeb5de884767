#include "cni/pod_record.hpp"

#include <fmt/format.h>

#include "conf/kinds.hpp"
#include "conf/resource.hpp"
#include "ipam-sync/resource_ops.hpp"

namespace podnet::cni {

namespace {

const conf::KindInfo& pod_kind() {
  return *conf::find_kind("v1", "Pod");
}

std::string bare(const std::string& cidr) {
  return cidr.substr(0, cidr.find('/'));
}

void set_ips(nlohmann::json& doc, const std::string& container_id,
             const std::vector<std::string>& ips) {
  auto& ann = doc["metadata"]["annotations"];
  if (!ann.is_object()) ann = nlohmann::json::object();
  ann[kAnnotationContainerID] = container_id;
  ann[kAnnotationPodIP] = ips.empty() ? "" : ips.front();
  ann[kAnnotationPodIPs] = fmt::format("{}", fmt::join(ips, ","));
  auto& st = doc["status"];
  if (!st.is_object()) st = nlohmann::json::object();
  st["podIP"] = ips.empty() ? "" : bare(ips.front());
  auto list = nlohmann::json::array();
  for (const auto& ip : ips) list.push_back({{"ip", bare(ip)}});
  st["podIPs"] = list;
}

}  // namespace

Status record_pod_ips(store::Datastore& ds, const std::string& ns, const std::string& pod,
                      const std::string& node, const std::string& container_id,
                      const std::vector<std::string>& ips) {
  const std::string key = store::make_key(pod_kind(), ns, pod);
  auto mutate = [&](nlohmann::json& doc) -> Status {
    set_ips(doc, container_id, ips);
    auto& spec = doc["spec"];
    if (!spec.is_object()) spec = nlohmann::json::object();
    if (!spec.contains("nodeName") || spec["nodeName"].get<std::string>().empty())
      spec["nodeName"] = node;
    return ok_status();
  };
  // A create racing another writer's create ends in a modify on the next turn.
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto m = store::modify(ds, key, mutate);
    if (m) return ok_status();
    if (m.error().code != Errc::not_found) return m.error();
    nlohmann::json doc = {{"apiVersion", "v1"},
                          {"kind", "Pod"},
                          {"metadata", {{"name", pod}, {"namespace", ns}}},
                          {"spec", {{"nodeName", node}}}};
    set_ips(doc, container_id, ips);
    auto r = conf::parse_resource(doc, "cni");
    if (!r) return r.error();
    auto w = store::write(ds, *r, store::WriteMode::create);
    if (w) return ok_status();
    if (w.error().code != Errc::already_exists) return w.error();
  }
  return make_error(Errc::conflict, fmt::format("Pod {}/{} keeps changing", ns, pod));
}

Status clear_pod_ips(store::Datastore& ds, const std::string& ns, const std::string& pod,
                     const std::string& container_id) {
  const std::string key = store::make_key(pod_kind(), ns, pod);
  bool mine = false;
  auto m = store::modify(ds, key, [&](nlohmann::json& doc) -> Status {
    const auto& ann = doc["metadata"]["annotations"];
    mine = ann.is_object() && ann.value(kAnnotationContainerID, "") == container_id;
    if (!mine) return make_error(Errc::already_exists, "recorded by another container");
    for (const char* a : {kAnnotationContainerID, kAnnotationPodIP, kAnnotationPodIPs})
      doc["metadata"]["annotations"].erase(a);
    if (doc.contains("status") && doc["status"].is_object()) {
      doc["status"].erase("podIP");
      doc["status"].erase("podIPs");
    }
    return ok_status();
  });
  if (m || m.error().code == Errc::not_found) return ok_status();
  if (!mine && m.error().code == Errc::already_exists) return ok_status();
  return m.error();
}

}  // namespace podnet::cni
