// podnet, the network plugin: wires a pod the way Calico's CNI plugin does. ADD asks the IPAM
// plugin (ipam.type, delegated) for addresses, creates the veth pair (eth0 in the pod, cali<11
// hex> on the host with MAC ee:ee:ee:ee:ee:ee), gives the pod its /32 (/128) with 169.254.1.1
// (fe80::ecee:eeff:feee:eeee) as gateway, turns on proxy ARP and forwarding on the host side,
// routes the address to the veth, and records the Pod's IPs in the datastore. Any failure after
// the allocation undoes everything done so far (veth, Pod record, addresses). DEL undoes ADD and
// is idempotent; CHECK verifies that ADD's work is still in place.
#pragma once

#include <string>

#include "cni/cni.hpp"

namespace podnet::cni {

inline constexpr const char* kHostMac = "ee:ee:ee:ee:ee:ee";
inline constexpr const char* kGatewayV4 = "169.254.1.1";
inline constexpr const char* kGatewayV6 = "fe80::ecee:eeff:feee:eeee";

// "cali" + the first 11 hex digits of SHA-1("<ns>.<pod>") for a Kubernetes pod (CNI_ARGS names
// it); "cali" + the first 11 characters of the container id otherwise, as Calico does.
std::string host_veth_name(const Env& env);

Outcome<AddResult> network_add(const Env& env, const NetConf& c, const std::string& stdin_text);
Done network_del(const Env& env, const NetConf& c, const std::string& stdin_text);
Done network_check(const Env& env, const NetConf& c, const std::string& stdin_text);

Handlers network_handlers();

}  // namespace podnet::cni
