#include "conf/types/k8s.hpp"

namespace podnet::conf::types {

void from_json(const Json& j, Namespace& v) {
  field(j, "metadata", v.metadata);
}

void from_json(const Json& j, ContainerPort& v) {
  field(j, "name", v.name);
  field(j, "protocol", v.protocol);
  field(j, "containerPort", v.container_port);
}

void from_json(const Json& j, Pod& v) {
  field(j, "metadata", v.metadata);
  if (j.contains("spec")) {
    field(j["spec"], "nodeName", v.spec.node_name);
    field(j["spec"], "serviceAccountName", v.spec.service_account_name);
    field(j["spec"], "hostNetwork", v.spec.host_network);
    if (j["spec"].contains("containers") && j["spec"]["containers"].is_array())
      for (const auto& c : j["spec"]["containers"]) {
        std::vector<ContainerPort> ports;
        field(c, "ports", ports);
        v.spec.ports.insert(v.spec.ports.end(), ports.begin(), ports.end());
      }
  }
  if (j.contains("status")) {
    const Json& s = j["status"];
    field(s, "phase", v.status.phase);
    field(s, "hostIP", v.status.host_ip);
    field(s, "podIP", v.status.pod_ip);
    if (s.contains("podIPs"))
      for (const auto& p : s["podIPs"]) v.status.pod_ips.push_back(p.value("ip", ""));
  }
}

void from_json(const Json& j, ServiceAccount& v) {
  field(j, "metadata", v.metadata);
}

void from_json(const Json& j, Secret& v) {
  field(j, "metadata", v.metadata);
  field(j, "type", v.type);
  field(j, "data", v.data);
  field(j, "stringData", v.string_data);
}

void from_json(const Json& j, ServicePort& v) {
  field(j, "name", v.name);
  field(j, "protocol", v.protocol);
  field(j, "port", v.port);
  field(j, "targetPort", v.target_port);
  field(j, "nodePort", v.node_port);
}

void from_json(const Json& j, Service& v) {
  field(j, "metadata", v.metadata);
  if (!j.contains("spec")) return;
  const Json& s = j["spec"];
  field(s, "type", v.spec.type);
  field(s, "clusterIP", v.spec.cluster_ip);
  field(s, "selector", v.spec.selector);
  field(s, "ports", v.spec.ports);
  field(s, "externalTrafficPolicy", v.spec.external_traffic_policy);
}

void from_json(const Json& j, Installation::Pool& v) {
  field(j, "name", v.name);
  field(j, "cidr", v.cidr);
  field(j, "encapsulation", v.encapsulation);
  field(j, "natOutgoing", v.nat_outgoing);
  field(j, "nodeSelector", v.node_selector);
  field(j, "blockSize", v.block_size);
  field(j, "disableBGPExport", v.disable_bgp_export);
}

void from_json(const Json& j, Installation& v) {
  field(j, "metadata", v.metadata);
  const Json* net = j.contains("spec") && j["spec"].contains("calicoNetwork")
                        ? &j["spec"]["calicoNetwork"]
                        : nullptr;
  if (!net) return;
  field(*net, "bgp", v.bgp);
  field(*net, "mtu", v.mtu);
  field(*net, "ipPools", v.ip_pools);
}

}  // namespace podnet::conf::types
