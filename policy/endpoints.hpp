// Endpoints as felix sees them: workload endpoints built from Pods joined with their Namespace
// and ServiceAccount (with the labels Calico adds), and host endpoints (HostEndpoint resources,
// and the <node>-auto-hep ones kube-controllers would create). One Endpoint type for both, since
// selectors, sets and the evaluator treat them alike; `kind` tells them apart.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "conf/resource.hpp"
#include "conf/types/k8s.hpp"
#include "conf/types/policy.hpp"
#include "conf/types/routing.hpp"
#include "policy/ip.hpp"
#include "policy/selector.hpp"

namespace podnet::policy {

struct NamedPort {
  std::string name;
  int protocol = 6;  // IP protocol number
  int port = 0;
  friend bool operator==(const NamedPort&, const NamedPort&) = default;
};

struct Endpoint {
  enum class Kind { workload, host };
  Kind kind = Kind::workload;
  std::string name;             // workload: "<ns>/<pod>"; host: the HostEndpoint's name
  std::string ns;               // workload only
  std::string pod;              // workload only
  std::string service_account;  // workload only
  std::string node;
  std::string interface;  // workload: host side "cali..."; host: interfaceName ("*" = all)
  Labels labels;          // effective: own labels plus those inherited from profiles
  std::vector<IpAddr> ips;
  std::vector<NamedPort> ports;
  // workload: kns.<ns>, ksa.<ns>.<sa>; host: spec.profiles.
  std::vector<std::string> profiles;
};

// Calico's CNI host-side veth name: "cali" + first 11 hex chars of SHA-1("<ns>.<pod>").
std::string workload_interface_name(std::string_view ns, std::string_view pod);

// Protocol names as Calico accepts them (TCP, udp, ICMPv6, 132...): the IP protocol number, or
// nullopt when not a protocol.
std::optional<int> protocol_number(std::string_view name);
std::string protocol_name(int number);  // "TCP", "UDP", "SCTP", "ICMP", "ICMPv6", else the number

struct EndpointError {
  std::string resource;  // datastore key
  std::string message;
  std::string str() const { return resource + ": " + message; }
};

struct Endpoints {
  std::vector<Endpoint> endpoints;  // workloads sorted by name, then host endpoints sorted by name
  std::vector<EndpointError> errors;
  const Endpoint* find(std::string_view name) const;  // "ns/pod" or a host endpoint's name
  std::vector<const Endpoint*> with_ip(const IpAddr& ip) const;
};

// The workload endpoint of one pod. Pods on the host network have none (nullopt), as in Calico.
std::optional<Endpoint> workload_endpoint(const conf::types::Pod& pod,
                                          const conf::types::Namespace* ns,
                                          const conf::types::ServiceAccount* sa,
                                          std::vector<std::string>* bad_ips = nullptr);
Endpoint host_endpoint(const conf::types::HostEndpoint& hep, std::vector<std::string>* bad_ips);

// kube-controllers' node controller with hostEndpoint.autoCreate: Enabled: one "<node>-auto-hep"
// per Node (interfaceName "*", expectedIPs = the node's addresses, the node's labels, profile
// projectcalico-default-allow). Empty when autoCreate is not Enabled or kcc is null.
std::vector<conf::types::HostEndpoint> auto_host_endpoints(
    const std::vector<conf::types::Node>& nodes,
    const conf::types::KubeControllersConfiguration* kcc);

// Felix's host endpoint resolution on `node`: each of its non-workload interfaces (name -> its
// addresses) is governed by at most one of the node's HostEndpoints: of those that name it, or
// name no interface and expect one of its addresses (expectedIPs), the one with the lowest name.
// Returns interface -> HostEndpoint name. "*" endpoints are not part of it (they cover the rest).
std::map<std::string, std::string> resolve_host_interfaces(
    const Endpoints& endpoints, const std::string& node,
    const std::map<std::string, std::vector<IpAddr>>& interfaces);

// Every endpoint the resources describe: Pods (+ Namespaces, ServiceAccounts), HostEndpoints, and
// auto host endpoints when a KubeControllersConfiguration enables them.
Endpoints build_endpoints(const std::vector<conf::Resource>& resources);

// Failsafe ports (felix FailsafeInboundHostPorts / FailsafeOutboundHostPorts).
struct FailsafePort {
  int protocol = 6;
  int port = 0;
  std::optional<Cidr> net;  // remote side restriction, when given
};
struct Failsafes {
  std::vector<FailsafePort> inbound, outbound;
};
Failsafes default_failsafes();
// The FelixConfiguration "default" overrides the defaults list by list, when it sets them.
Failsafes failsafes_from(const std::vector<conf::Resource>& resources);

}  // namespace podnet::policy
