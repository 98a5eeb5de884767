// Kubernetes Services resolved to what the dataplane programs: one frontend per service port
// (cluster IP:port and/or node port, protocol) with its endpoints (pod IP:target port), computed
// here from the Pods the service's selector matches in its namespace — the job of the endpoints
// controller, so no Endpoints / EndpointSlice resources are needed.
//
// Pure: (services, pods, this node) -> frontends + problems. A service port that cannot be
// programmed (its cluster IP:port or node port already taken by an earlier service, in
// namespace/name order) is left out and named in `problems`; the others are unaffected.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "conf/types/k8s.hpp"

namespace podnet::policy {

struct ServiceEndpoint {
  std::string ip;  // IPv4 (the services table is IPv4)
  uint16_t port = 0;
  std::string pod;     // namespace/name, for status
  bool local = false;  // the pod runs on this node
  friend auto operator<=>(const ServiceEndpoint&, const ServiceEndpoint&) = default;
};

struct ServiceFrontend {
  std::string ns, name, port_name;
  uint8_t protocol = 6;    // IPPROTO_TCP / UDP / SCTP
  std::string cluster_ip;  // "" when headless / none
  uint16_t port = 0;
  uint16_t node_port = 0;                  // 0: not a NodePort
  bool local_only = false;                 // externalTrafficPolicy: Local
  std::vector<ServiceEndpoint> endpoints;  // sorted

  // "yaobank/customer/tcp/80": unique per frontend, used in chain names.
  std::string id() const;
  friend bool operator==(const ServiceFrontend&, const ServiceFrontend&) = default;
};

struct ServiceProblem {
  std::string service;  // namespace/name
  std::string message;
};

struct ResolvedServices {
  std::vector<ServiceFrontend> frontends;  // in namespace/name/port order
  std::vector<ServiceProblem> problems;
};

// "TCP" -> 6, "UDP" -> 17, "SCTP" -> 132; 0 for anything else.
uint8_t service_protocol(const std::string& name);
const char* service_protocol_name(uint8_t proto);

ResolvedServices resolve_services(const std::vector<conf::types::Service>& services,
                                  const std::vector<conf::types::Pod>& pods,
                                  const std::string& node_name);

}  // namespace podnet::policy
