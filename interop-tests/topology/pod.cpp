#include "interop-tests/topology/pod.hpp"

#include <fmt/format.h>

#include <functional>

#include <nlohmann/json.hpp>

#include "conf/kinds.hpp"
#include "conf/resource.hpp"
#include "ipam-sync/directory_store.hpp"
#include "ipam-sync/resource_ops.hpp"
#include "policy/endpoints.hpp"

namespace podnet::interop {

namespace {

Status in_ns(Topology& topo, const std::string& host, const std::vector<std::string>& argv) {
  auto r = topo.exec(host, argv);
  if (r.exit_code == 0) return ok_status();
  std::string what;
  for (const auto& a : argv) what += " " + a;
  return make_error(Errc::io, fmt::format("{}:{}: {}", host, what, r.err + r.out));
}

}  // namespace

std::string cali_name(const std::string& ns, const std::string& pod) {
  return policy::workload_interface_name(ns, pod);
}

Result<Pod> add_pod(Topology& topo, const std::string& node, const std::string& node_uplink,
                    const std::string& pod_host, const std::string& ip, const std::string& ns) {
  Pod pod{pod_host, node, ip, cali_name(ns, pod_host), ns};
  if (auto s = topo.add_host(pod_host); !s) return s.error();
  const std::string pod_ns = topo.ns(pod_host);
  for (const auto& argv : std::vector<std::vector<std::string>>{
           {"ip", "link", "add", pod.host_if, "type", "veth", "peer", "name", "eth0", "netns",
            pod_ns},
           // Calico gives every cali device the same MAC; the pod only ever talks to the gateway.
           {"ip", "link", "set", pod.host_if, "address", "ee:ee:ee:ee:ee:ee", "up"},
           {"sysctl", "-qw", "net.ipv4.ip_forward=1",
            fmt::format("net.ipv4.conf.{}.proxy_arp=1", pod.host_if),
            fmt::format("net.ipv4.neigh.{}.proxy_delay=0", pod.host_if)},
           {"ip", "route", "replace", ip + "/32", "dev", pod.host_if, "scope", "link"},
       }) {
    if (auto s = in_ns(topo, node, argv); !s) return s.error();
  }
  // Proxy ARP answers for 169.254.1.1 only if the node has a route to it out of another device.
  auto routes = topo.exec(node, {"ip", "route", "show", "default"});
  if (routes.out.empty())
    if (auto s = in_ns(topo, node, {"ip", "route", "add", "default", "dev", node_uplink}); !s)
      return s.error();
  for (const auto& argv : std::vector<std::vector<std::string>>{
           {"ip", "addr", "add", ip + "/32", "dev", "eth0"},
           {"ip", "link", "set", "eth0", "up"},
           {"ip", "route", "add", "169.254.1.1", "dev", "eth0", "scope", "link"},
           {"ip", "route", "add", "default", "via", "169.254.1.1", "dev", "eth0"},
       }) {
    if (auto s = in_ns(topo, pod_host, argv); !s) return s.error();
  }
  return pod;
}

namespace {

Status write_doc(store::Datastore& ds, const nlohmann::json& doc) {
  auto r = conf::parse_resource(doc, "<lab>");
  if (!r) return r.error();
  if (auto w = store::write(ds, std::move(*r), store::WriteMode::apply); !w) return w.error();
  return ok_status();
}

}  // namespace

Status register_pod(const std::string& store_dir, const Pod& pod,
                    const std::map<std::string, std::string>& labels,
                    const std::string& service_account) {
  auto ds = store::DirectoryStore::open(store_dir);
  if (!ds) return ds.error();
  if (auto ns = (*ds)->get(store::make_key(*conf::find_kind("Namespace"), "", pod.ns)); !ns) {
    if (ns.error().code != Errc::not_found) return ns.error();
    nlohmann::json doc = {
        {"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", pod.ns}}}};
    if (auto s = write_doc(**ds, doc); !s) return s;
  }
  nlohmann::json doc = {
      {"apiVersion", "v1"},
      {"kind", "Pod"},
      {"metadata", {{"name", pod.host}, {"namespace", pod.ns}, {"labels", nlohmann::json(labels)}}},
      {"spec", {{"nodeName", pod.node}, {"serviceAccountName", service_account}}},
      {"status",
       {{"phase", "Running"},
        {"podIP", pod.ip},
        {"podIPs", nlohmann::json::array({{{"ip", pod.ip}}})}}}};
  return write_doc(**ds, doc);
}

}  // namespace podnet::interop
