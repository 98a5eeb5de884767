// podnetd's own configuration file (YAML). Unknown keys and wrong types are errors with
// file:line:column, like the resources. A new setting is one member here plus one line in the
// field table of daemon_config.cpp.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "conf/result.hpp"

namespace podnet::conf {

struct DaemonConfig {
  std::string node_name;  // nodeName; default: the host name
  struct Datastore {
    std::string type = "directory";                  // type: directory | etcdv3
    std::string path = "/var/lib/podnet/datastore";  // path (directory)
    std::vector<std::string> etcd_endpoints;         // etcdEndpoints (etcdv3): http(s)://host:port
  } datastore;
  std::string control_socket = "/run/podnet/podnetd.sock";  // controlSocket
  std::string health_listen = "127.0.0.1:9099";             // healthListen (host:port)
  std::string log_level = "info";                           // logLevel: trace debug info warn error
  // Calico's IP_AUTODETECTION_METHOD / IP6_AUTODETECTION_METHOD, used when the Node resource
  // has no address: first-found | interface=REGEX | skip-interface=REGEX | cidr=CIDR[,CIDR] | none
  struct Autodetection {
    std::string ipv4 = "first-found";  // addressAutodetection.ipv4
    std::string ipv6 = "none";         // addressAutodetection.ipv6
  } autodetection;
  // Where what the RIB selects goes in the kernel (BIRD's kernel protocol for Calico).
  struct KernelRoutes {
    bool enabled = true;  // kernelRoutes.enabled: program the kernel at all
    int protocol = 12;    // kernelRoutes.protocol: rtm_protocol (12 shows as "proto bird")
    int table = 254;      // kernelRoutes.table: main
    int metric = 1024;    // kernelRoutes.metric: Calico's normal route priority
  } kernel_routes;
  struct Bgp {
    bool enabled = true;    // bgp.enabled: run the BGP speaker at all
    std::string router_id;  // bgp.routerId: IPv4 text; default: the node's IPv4 address
    int hold_time = 0;      // bgp.holdTime: seconds (0 or 3-65535); 0: Calico's (BIRD's) 240
    // bgp.staticRoutes: prefixes this node announces on its own (besides its IPAM blocks).
    std::vector<std::string> static_routes;
  } bgp;
  // The node's dataplane besides BGP routes (Felix's part).
  struct Dataplane {
    bool overlay = true;  // dataplane.overlay: VXLAN/IPIP devices and the encapsulation choice
    // dataplane.mtuFile: the pod MTU for the CNI plugin ("" = not written), as Calico's
    std::string mtu_file = "/var/lib/calico/mtu";
  } dataplane;
  // Network policy in nftables (table inet podnet). On by default, as Felix always polices: traffic
  // of cali* interfaces without a Pod resource is dropped, as Felix drops traffic of unknown
  // workload interfaces, and a pod no policy applies to is allowed by its namespace profile.
  struct Policy {
    bool enabled = true;  // policy.enabled
  } policy;
  bool nat_outgoing = true;  // natOutgoing: NAT outgoing for pools with natOutgoing (podnet-nat)

  std::string datastore_spec() const;  // "dir:PATH" or "etcd:URL,..." (what open_datastore takes)
};

// Errors: "file:line:col: what is wrong" (one per line when there are several).
Result<DaemonConfig> load_daemon_config(const std::string& path);
Result<DaemonConfig> parse_daemon_config(std::string_view yaml, std::string_view source);

}  // namespace podnet::conf
