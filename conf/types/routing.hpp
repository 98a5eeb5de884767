// Typed routing resources: Node, BGPConfiguration, BGPPeer, BGPFilter, FelixConfiguration,
// KubeControllersConfiguration. Member names are the JSON names in snake_case; defaults are
// Calico's (for FelixConfiguration, felix/config/config_params.go: the stored document holds
// only what the user set, these initialisers fill the rest).
#pragma once

#include "conf/types/read.hpp"

namespace podnet::conf::types {

struct NodeBGPSpec {
  std::optional<int64_t> as_number;
  std::string ipv4_address;  // "198.19.0.2/20": the IP and, by its prefix, the node's subnet
  std::string ipv6_address;
  std::string ipv4_ipip_tunnel_addr;
  std::string route_reflector_cluster_id;
};
struct NodeWireguardSpec {
  std::string interface_ipv4_address;
  std::string interface_ipv6_address;
};
struct OrchRef {
  std::string node_name;
  std::string orchestrator;
};
struct NodeAddress {
  std::string address;
  std::string type;
};
struct Node {
  static constexpr const char* kPlural = "nodes";
  ObjectMeta metadata;
  struct Spec {
    std::optional<NodeBGPSpec> bgp;
    std::string ipv4_vxlan_tunnel_addr;
    std::string vxlan_tunnel_mac_addr;
    std::string ipv6_vxlan_tunnel_addr;
    std::string vxlan_tunnel_mac_addr_v6;
    std::vector<OrchRef> orch_refs;
    std::optional<NodeWireguardSpec> wireguard;
    std::vector<NodeAddress> addresses;
  } spec;
  struct Status {
    std::string wireguard_public_key;
    std::string wireguard_public_key_v6;
    std::vector<std::string> pod_cidrs;
  } status;
};

struct Community {
  std::string name;
  std::string value;
};
struct PrefixAdvertisement {
  std::string cidr;
  std::vector<std::string> communities;
};
struct BGPConfiguration {
  static constexpr const char* kPlural = "bgpconfigurations";
  ObjectMeta metadata;
  struct Spec {
    std::string log_severity_screen = "Info";
    std::optional<bool> node_to_node_mesh_enabled;  // unset on node.<name> configs; default true
    std::optional<int64_t> as_number;               // unset on node.<name> configs; default 64512
    std::vector<std::string> service_load_balancer_ips;  // CIDRs
    std::vector<std::string> service_external_ips;
    std::vector<std::string> service_cluster_ips;
    std::string service_load_balancer_aggregation = "Enabled";
    std::vector<Community> communities;
    std::vector<PrefixAdvertisement> prefix_advertisements;
    std::optional<int64_t> listen_port;  // default 179
    std::optional<SecretSource> node_mesh_password;
    std::string node_mesh_max_restart_time;  // Go duration, "" = BIRD's default (120s)
    std::string bind_mode;                   // None | NodeIP
    std::vector<std::string> ignored_interfaces;
    std::string local_workload_peering_ipv4;
    std::string local_workload_peering_ipv6;
    std::string program_cluster_routes;  // "" = EnabledNoEncapOnly
    int64_t ipv4_normal_route_priority = 1024;
    int64_t ipv6_normal_route_priority = 1024;
  } spec;
};

struct BGPPeer {
  static constexpr const char* kPlural = "bgppeers";
  ObjectMeta metadata;
  struct Spec {
    std::string node;
    std::string node_selector;
    std::string peer_ip;  // "ip", "ip:port" or "[v6]:port"
    std::optional<int64_t> as_number;
    std::optional<int64_t> local_as_number;
    std::string peer_selector;
    bool keep_original_next_hop = false;
    std::string next_hop_mode;  // Auto | Self | Keep ("" = Auto)
    std::optional<SecretSource> password;
    std::string source_address = "UseNodeIP";  // UseNodeIP | None
    std::string max_restart_time;              // Go durations
    std::string keepalive_time;
    std::optional<int64_t> num_allowed_local_as_numbers;
    std::optional<int64_t> ttl_security;
    std::string reachable_by;
    std::vector<std::string> filters;
    std::string local_workload_selector;
    std::string reverse_peering = "Auto";  // Auto | Manual
  } spec;
};

struct BGPFilterRule {
  std::string cidr;
  std::optional<int64_t> prefix_length_min, prefix_length_max;
  std::string source;  // RemotePeers
  std::string interface;
  std::string match_operator;  // Equal | NotEqual | In | NotIn
  std::string peer_type;       // eBGP | iBGP
  std::vector<std::string> communities;
  std::vector<int64_t> as_path_prefix;
  std::optional<int64_t> priority;
  std::string action;  // Accept | Reject
  struct Operation {
    std::optional<std::string> add_community;
    std::vector<int64_t> prepend_as_path;
    std::optional<int64_t> set_priority;
  };
  std::vector<Operation> operations;
};
struct BGPFilter {
  static constexpr const char* kPlural = "bgpfilters";
  ObjectMeta metadata;
  struct Spec {
    std::vector<BGPFilterRule> export_v4, import_v4, export_v6, import_v6;
  } spec;
};

struct FelixConfiguration {
  static constexpr const char* kPlural = "felixconfigurations";
  ObjectMeta metadata;
  struct Spec {
    // WireGuard
    bool wireguard_enabled = false;
    bool wireguard_enabled_v6 = false;
    int64_t wireguard_listening_port = 51820;
    int64_t wireguard_listening_port_v6 = 51821;
    int64_t wireguard_routing_rule_priority = 99;
    std::string wireguard_interface_name = "wireguard.cali";
    std::string wireguard_interface_name_v6 = "wg-v6.cali";
    int64_t wireguard_mtu = 0;  // 0 = auto
    int64_t wireguard_mtu_v6 = 0;
    bool wireguard_host_encryption_enabled = false;
    std::string wireguard_keep_alive = "0";
    // Routing
    struct TableRange {
      int64_t min = 1, max = 250;
    };
    std::vector<TableRange> route_table_ranges;  // empty = [{1, 250}]
    int64_t device_route_protocol = 3;
    bool remove_external_routes = true;
    std::string program_cluster_routes = "EnabledIPIPOnly";
    std::string route_refresh_interval = "90s";
    std::string route_source = "CalicoIPAM";
    int64_t ipv4_normal_route_priority = 1024;
    int64_t ipv4_elevated_route_priority = 512;
    int64_t ipv6_normal_route_priority = 1024;
    int64_t ipv6_elevated_route_priority = 512;
    // Encapsulation
    std::optional<bool> ipip_enabled;
    int64_t ipip_mtu = 0;
    std::optional<bool> vxlan_enabled;
    int64_t vxlan_port = 4789;
    int64_t vxlan_vni = 4096;
    int64_t vxlan_mtu = 0;
    int64_t vxlan_mtu_v6 = 0;
    // NAT and marks
    std::string nat_outgoing_address;
    std::optional<IntOrString> nat_port_range;
    std::string nat_outgoing_exclusions = "IPPoolsOnly";
    int64_t iptables_mark_mask = 0xffff0000;
    int64_t nftables_mark_mask = 0xffff0000;
    std::string nftables_mode = "Auto";
    // Failsafes (protocol, port, optional net)
    struct ProtoPort {
      std::string protocol = "tcp";
      int64_t port = 0;
      std::string net;
    };
    std::optional<std::vector<ProtoPort>> failsafe_inbound_host_ports;
    std::optional<std::vector<ProtoPort>> failsafe_outbound_host_ports;
    // Misc
    std::string log_severity_screen = "Info";
    std::string mtu_iface_pattern;
    bool health_enabled = false;
    int64_t health_port = 9099;
    std::string default_endpoint_to_host_action = "Drop";
  } spec;
};

struct KubeControllersConfiguration {
  static constexpr const char* kPlural = "kubecontrollersconfigurations";
  ObjectMeta metadata;
  struct Spec {
    std::string log_severity_screen = "Info";
    std::string health_checks = "Enabled";
    std::string etcd_v3_compaction_period;
    std::optional<int64_t> prometheus_metrics_port;
    struct {
      bool node_present = false;
      std::string sync_labels = "Enabled";
      std::string host_endpoint_auto_create = "Disabled";
      std::string node_reconciler_period;
    } controllers;
  } spec;
};

void from_json(const Json& j, NodeBGPSpec& v);
void from_json(const Json& j, NodeWireguardSpec& v);
void from_json(const Json& j, OrchRef& v);
void from_json(const Json& j, NodeAddress& v);
void from_json(const Json& j, Node& v);
void from_json(const Json& j, Community& v);
void from_json(const Json& j, PrefixAdvertisement& v);
void from_json(const Json& j, BGPConfiguration& v);
void from_json(const Json& j, BGPPeer& v);
void from_json(const Json& j, BGPFilterRule& v);
void from_json(const Json& j, BGPFilterRule::Operation& v);
void from_json(const Json& j, BGPFilter& v);
void from_json(const Json& j, FelixConfiguration::Spec::TableRange& v);
void from_json(const Json& j, FelixConfiguration::Spec::ProtoPort& v);
void from_json(const Json& j, FelixConfiguration& v);
void from_json(const Json& j, KubeControllersConfiguration& v);

}  // namespace podnet::conf::types
