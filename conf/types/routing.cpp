#include "conf/types/routing.hpp"

namespace podnet::conf::types {

void from_json(const Json& j, NodeBGPSpec& v) {
  field(j, "asNumber", v.as_number);
  field(j, "ipv4Address", v.ipv4_address);
  field(j, "ipv6Address", v.ipv6_address);
  field(j, "ipv4IPIPTunnelAddr", v.ipv4_ipip_tunnel_addr);
  field(j, "routeReflectorClusterID", v.route_reflector_cluster_id);
}
void from_json(const Json& j, NodeWireguardSpec& v) {
  field(j, "interfaceIPv4Address", v.interface_ipv4_address);
  field(j, "interfaceIPv6Address", v.interface_ipv6_address);
}
void from_json(const Json& j, OrchRef& v) {
  field(j, "nodeName", v.node_name);
  field(j, "orchestrator", v.orchestrator);
}
void from_json(const Json& j, NodeAddress& v) {
  field(j, "address", v.address);
  field(j, "type", v.type);
}
void from_json(const Json& j, Node& v) {
  field(j, "metadata", v.metadata);
  if (!j.contains("spec")) return;
  const Json& s = j["spec"];
  field(s, "bgp", v.spec.bgp);
  field(s, "ipv4VXLANTunnelAddr", v.spec.ipv4_vxlan_tunnel_addr);
  field(s, "vxlanTunnelMACAddr", v.spec.vxlan_tunnel_mac_addr);
  field(s, "ipv6VXLANTunnelAddr", v.spec.ipv6_vxlan_tunnel_addr);
  field(s, "vxlanTunnelMACAddrV6", v.spec.vxlan_tunnel_mac_addr_v6);
  field(s, "orchRefs", v.spec.orch_refs);
  field(s, "wireguard", v.spec.wireguard);
  field(s, "addresses", v.spec.addresses);
  if (j.contains("status")) {
    const Json& st = j["status"];
    field(st, "wireguardPublicKey", v.status.wireguard_public_key);
    field(st, "wireguardPublicKeyV6", v.status.wireguard_public_key_v6);
    field(st, "podCIDRs", v.status.pod_cidrs);
  }
}

void from_json(const Json& j, Community& v) {
  field(j, "name", v.name);
  field(j, "value", v.value);
}
void from_json(const Json& j, PrefixAdvertisement& v) {
  field(j, "cidr", v.cidr);
  field(j, "communities", v.communities);
}

namespace {
std::vector<std::string> cidrs(const Json& s, const char* key) {
  std::vector<std::string> out;
  if (s.contains(key))
    for (const auto& b : s[key])
      if (b.contains("cidr")) out.push_back(b["cidr"].get<std::string>());
  return out;
}
}  // namespace

void from_json(const Json& j, BGPConfiguration& v) {
  field(j, "metadata", v.metadata);
  if (!j.contains("spec")) return;
  const Json& s = j["spec"];
  auto& o = v.spec;
  field(s, "logSeverityScreen", o.log_severity_screen);
  field(s, "nodeToNodeMeshEnabled", o.node_to_node_mesh_enabled);
  field(s, "asNumber", o.as_number);
  o.service_load_balancer_ips = cidrs(s, "serviceLoadBalancerIPs");
  o.service_external_ips = cidrs(s, "serviceExternalIPs");
  o.service_cluster_ips = cidrs(s, "serviceClusterIPs");
  field(s, "serviceLoadBalancerAggregation", o.service_load_balancer_aggregation);
  field(s, "communities", o.communities);
  field(s, "prefixAdvertisements", o.prefix_advertisements);
  field(s, "listenPort", o.listen_port);
  field(s, "nodeMeshPassword", o.node_mesh_password);
  field(s, "nodeMeshMaxRestartTime", o.node_mesh_max_restart_time);
  field(s, "bindMode", o.bind_mode);
  field(s, "ignoredInterfaces", o.ignored_interfaces);
  field(s, "localWorkloadPeeringIPV4", o.local_workload_peering_ipv4);
  field(s, "localWorkloadPeeringIPV6", o.local_workload_peering_ipv6);
  field(s, "programClusterRoutes", o.program_cluster_routes);
  field(s, "ipv4NormalRoutePriority", o.ipv4_normal_route_priority);
  field(s, "ipv6NormalRoutePriority", o.ipv6_normal_route_priority);
}

void from_json(const Json& j, BGPPeer& v) {
  field(j, "metadata", v.metadata);
  if (!j.contains("spec")) return;
  const Json& s = j["spec"];
  auto& o = v.spec;
  field(s, "node", o.node);
  field(s, "nodeSelector", o.node_selector);
  field(s, "peerIP", o.peer_ip);
  field(s, "asNumber", o.as_number);
  field(s, "localASNumber", o.local_as_number);
  field(s, "peerSelector", o.peer_selector);
  field(s, "keepOriginalNextHop", o.keep_original_next_hop);
  field(s, "nextHopMode", o.next_hop_mode);
  field(s, "password", o.password);
  field(s, "sourceAddress", o.source_address);
  field(s, "maxRestartTime", o.max_restart_time);
  field(s, "keepaliveTime", o.keepalive_time);
  field(s, "numAllowedLocalASNumbers", o.num_allowed_local_as_numbers);
  field(s, "ttlSecurity", o.ttl_security);
  field(s, "reachableBy", o.reachable_by);
  field(s, "filters", o.filters);
  field(s, "localWorkloadSelector", o.local_workload_selector);
  field(s, "reversePeering", o.reverse_peering);
}

void from_json(const Json& j, BGPFilterRule::Operation& v) {
  if (j.contains("addCommunity")) field(j["addCommunity"], "value", v.add_community);
  if (j.contains("prependASPath")) field(j["prependASPath"], "prefix", v.prepend_as_path);
  if (j.contains("setPriority")) field(j["setPriority"], "value", v.set_priority);
}
void from_json(const Json& j, BGPFilterRule& v) {
  field(j, "cidr", v.cidr);
  if (j.contains("prefixLength")) {
    field(j["prefixLength"], "min", v.prefix_length_min);
    field(j["prefixLength"], "max", v.prefix_length_max);
  }
  field(j, "source", v.source);
  field(j, "interface", v.interface);
  field(j, "matchOperator", v.match_operator);
  field(j, "peerType", v.peer_type);
  if (j.contains("communities")) field(j["communities"], "values", v.communities);
  field(j, "asPathPrefix", v.as_path_prefix);
  field(j, "priority", v.priority);
  field(j, "action", v.action);
  field(j, "operations", v.operations);
}
void from_json(const Json& j, BGPFilter& v) {
  field(j, "metadata", v.metadata);
  if (!j.contains("spec")) return;
  const Json& s = j["spec"];
  field(s, "exportV4", v.spec.export_v4);
  field(s, "importV4", v.spec.import_v4);
  field(s, "exportV6", v.spec.export_v6);
  field(s, "importV6", v.spec.import_v6);
}

void from_json(const Json& j, FelixConfiguration::Spec::TableRange& v) {
  field(j, "min", v.min);
  field(j, "max", v.max);
}
void from_json(const Json& j, FelixConfiguration::Spec::ProtoPort& v) {
  field(j, "protocol", v.protocol);
  field(j, "port", v.port);
  field(j, "net", v.net);
}
void from_json(const Json& j, FelixConfiguration& v) {
  field(j, "metadata", v.metadata);
  if (!j.contains("spec")) return;
  const Json& s = j["spec"];
  auto& o = v.spec;
  field(s, "wireguardEnabled", o.wireguard_enabled);
  field(s, "wireguardEnabledV6", o.wireguard_enabled_v6);
  field(s, "wireguardListeningPort", o.wireguard_listening_port);
  field(s, "wireguardListeningPortV6", o.wireguard_listening_port_v6);
  field(s, "wireguardRoutingRulePriority", o.wireguard_routing_rule_priority);
  field(s, "wireguardInterfaceName", o.wireguard_interface_name);
  field(s, "wireguardInterfaceNameV6", o.wireguard_interface_name_v6);
  field(s, "wireguardMTU", o.wireguard_mtu);
  field(s, "wireguardMTUV6", o.wireguard_mtu_v6);
  field(s, "wireguardHostEncryptionEnabled", o.wireguard_host_encryption_enabled);
  field(s, "wireguardKeepAlive", o.wireguard_keep_alive);
  field(s, "routeTableRanges", o.route_table_ranges);
  if (o.route_table_ranges.empty()) o.route_table_ranges.push_back({});
  field(s, "deviceRouteProtocol", o.device_route_protocol);
  field(s, "removeExternalRoutes", o.remove_external_routes);
  field(s, "programClusterRoutes", o.program_cluster_routes);
  field(s, "routeRefreshInterval", o.route_refresh_interval);
  field(s, "routeSource", o.route_source);
  field(s, "ipv4NormalRoutePriority", o.ipv4_normal_route_priority);
  field(s, "ipv4ElevatedRoutePriority", o.ipv4_elevated_route_priority);
  field(s, "ipv6NormalRoutePriority", o.ipv6_normal_route_priority);
  field(s, "ipv6ElevatedRoutePriority", o.ipv6_elevated_route_priority);
  field(s, "ipipEnabled", o.ipip_enabled);
  field(s, "ipipMTU", o.ipip_mtu);
  field(s, "vxlanEnabled", o.vxlan_enabled);
  field(s, "vxlanPort", o.vxlan_port);
  field(s, "vxlanVNI", o.vxlan_vni);
  field(s, "vxlanMTU", o.vxlan_mtu);
  field(s, "vxlanMTUV6", o.vxlan_mtu_v6);
  field(s, "natOutgoingAddress", o.nat_outgoing_address);
  field(s, "natPortRange", o.nat_port_range);
  field(s, "natOutgoingExclusions", o.nat_outgoing_exclusions);
  field(s, "iptablesMarkMask", o.iptables_mark_mask);
  field(s, "nftablesMarkMask", o.nftables_mark_mask);
  field(s, "nftablesMode", o.nftables_mode);
  field(s, "failsafeInboundHostPorts", o.failsafe_inbound_host_ports);
  field(s, "failsafeOutboundHostPorts", o.failsafe_outbound_host_ports);
  field(s, "logSeverityScreen", o.log_severity_screen);
  field(s, "mtuIfacePattern", o.mtu_iface_pattern);
  field(s, "healthEnabled", o.health_enabled);
  field(s, "healthPort", o.health_port);
  field(s, "defaultEndpointToHostAction", o.default_endpoint_to_host_action);
}

void from_json(const Json& j, KubeControllersConfiguration& v) {
  field(j, "metadata", v.metadata);
  if (!j.contains("spec")) return;
  const Json& s = j["spec"];
  auto& o = v.spec;
  field(s, "logSeverityScreen", o.log_severity_screen);
  field(s, "healthChecks", o.health_checks);
  field(s, "etcdV3CompactionPeriod", o.etcd_v3_compaction_period);
  field(s, "prometheusMetricsPort", o.prometheus_metrics_port);
  const Json* node = s.contains("controllers") && s["controllers"].contains("node")
                         ? &s["controllers"]["node"]
                         : nullptr;
  if (node) {
    o.controllers.node_present = true;
    field(*node, "syncLabels", o.controllers.sync_labels);
    field(*node, "reconcilerPeriod", o.controllers.node_reconciler_period);
    if (node->contains("hostEndpoint"))
      field((*node)["hostEndpoint"], "autoCreate", o.controllers.host_endpoint_auto_create);
  }
}

}  // namespace podnet::conf::types
