// A Kubernetes pod as Calico wires it, for the labs: a network namespace joined to its node by a
// veth pair whose host end is named cali<11 hex digits>, the pod's /32 on its eth0, a /32 route
// to it on the node (scope link, via the cali device), and 169.254.1.1 as the pod's gateway,
// answered by the node's proxy ARP (reference: the seed's "How Pods See the Network").
#pragma once

#include <string>

#include "conf/result.hpp"
#include "interop-tests/topology/topology.hpp"

namespace podnet::interop {

struct Pod {
  std::string host;     // the Topology host name of the pod's namespace
  std::string node;     // the node host it hangs off
  std::string ip;       // "10.244.1.5"
  std::string host_if;  // "cali1eaab2bfc77"
};

// Calico's host-side interface name for a pod: "cali" + the first 11 hex digits of a hash of
// "<namespace>.<pod>" (Calico uses SHA-1; any stable hash keeps names unique and short).
std::string cali_name(const std::string& ns_and_pod);

// Adds the pod's namespace to `topo` (as host `pod_host`) and wires it to `node`. The node gets
// IPv4 forwarding, proxy ARP on the cali device, and (if it has none) a default route out of
// `node_uplink`, which proxy ARP for 169.254.1.1 needs.
Result<Pod> add_pod(Topology& topo, const std::string& node, const std::string& node_uplink,
                    const std::string& pod_host, const std::string& ip);

}  // namespace podnet::interop
