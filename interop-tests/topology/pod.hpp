// A Kubernetes pod as Calico wires it, for the labs: a network namespace joined to its node by a
// veth pair whose host end is named cali<11 hex digits>, the pod's /32 on its eth0, a /32 route
// to it on the node (scope link, via the cali device), and 169.254.1.1 as the pod's gateway,
// answered by the node's proxy ARP (reference: the seed's "How Pods See the Network").
#pragma once

#include <map>
#include <string>

#include "conf/result.hpp"
#include "interop-tests/topology/topology.hpp"

namespace podnet::interop {

struct Pod {
  std::string host;            // the Topology host name of the pod's namespace = the pod's name
  std::string node;            // the node host it hangs off = the Kubernetes node name
  std::string ip;              // "10.244.1.5"
  std::string host_if;         // "cali1eaab2bfc77"
  std::string ns = "default";  // the pod's Kubernetes namespace
};

// Calico's CNI host-side interface name: "cali" + the first 11 hex digits of
// SHA-1("<namespace>.<pod>") (policy::workload_interface_name), so that podnetd, which derives
// the name from the Pod resource, finds the device the lab made.
std::string cali_name(const std::string& ns, const std::string& pod);

// Adds the pod's namespace to `topo` (as host `pod_host`, also the pod's name in Kubernetes
// namespace `ns`) and wires it to `node`. The node gets IPv4 forwarding, proxy ARP on the cali
// device, and (if it has none) a default route out of `node_uplink`, which proxy ARP for
// 169.254.1.1 needs.
Result<Pod> add_pod(Topology& topo, const std::string& node, const std::string& node_uplink,
                    const std::string& pod_host, const std::string& ip,
                    const std::string& ns = "default");

// Registers `pod` as a Kubernetes Pod resource (namespace, name, labels, spec.nodeName,
// spec.serviceAccountName, status.podIPs) in the directory datastore at `store_dir`, as the API
// server would hold it, and its Namespace if the store has none: with policy on, podnetd drops
// traffic of cali devices that no Pod explains. Writing again replaces the labels.
Status register_pod(const std::string& store_dir, const Pod& pod,
                    const std::map<std::string, std::string>& labels = {},
                    const std::string& service_account = "default");

}  // namespace podnet::interop
