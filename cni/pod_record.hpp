// The Pod's addresses in the datastore, as the kubelet and Calico's CNI leave them on a real
// cluster: status.podIP / podIPs and the cni.projectcalico.org/podIP, podIPs and containerID
// annotations. podnetd reads them to police the pod (policy endpoints) and to know its
// workload. A Pod that does not exist yet is created minimal (namespace, name, nodeName) so a
// lab can run the plugin before or after applying labelled Pods.
#pragma once

#include <string>
#include <vector>

#include "conf/result.hpp"
#include "ipam-sync/datastore.hpp"

namespace podnet::cni {

inline constexpr const char* kAnnotationPodIP = "cni.projectcalico.org/podIP";
inline constexpr const char* kAnnotationPodIPs = "cni.projectcalico.org/podIPs";
inline constexpr const char* kAnnotationContainerID = "cni.projectcalico.org/containerID";

// ips are CIDRs ("10.244.1.5/32"); status carries the bare addresses.
Status record_pod_ips(store::Datastore& ds, const std::string& ns, const std::string& pod,
                      const std::string& node, const std::string& container_id,
                      const std::vector<std::string>& ips);
// Clears what record_pod_ips wrote, if container_id is the one recorded (a newer sandbox's
// record stays). A missing Pod is success.
Status clear_pod_ips(store::Datastore& ds, const std::string& ns, const std::string& pod,
                     const std::string& container_id);

}  // namespace podnet::cni
