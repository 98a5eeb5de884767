// Typed Kubernetes kinds podnet reads (Namespace, Pod, ServiceAccount, Secret, Service) and the
// Tigera operator's Installation. Only the fields podnet uses; the documents keep everything else.
#pragma once

#include "conf/types/read.hpp"

namespace podnet::conf::types {

struct Namespace {
  static constexpr const char* kPlural = "namespaces";
  ObjectMeta metadata;
};

// spec.containers[].ports[]: named ones are what policy's named ports resolve against.
struct ContainerPort {
  std::string name;
  std::string protocol = "TCP";
  int64_t container_port = 0;
};

struct Pod {
  static constexpr const char* kPlural = "pods";
  ObjectMeta metadata;
  struct Spec {
    std::string node_name;
    std::string service_account_name = "default";
    bool host_network = false;
    std::vector<ContainerPort> ports;  // every container's, in order
  } spec;
  struct Status {
    std::string phase;
    std::string host_ip;
    std::string pod_ip;
    std::vector<std::string> pod_ips;  // status.podIPs[].ip
  } status;
};

struct ServiceAccount {
  static constexpr const char* kPlural = "serviceaccounts";
  ObjectMeta metadata;
};

struct Secret {
  static constexpr const char* kPlural = "secrets";
  ObjectMeta metadata;
  std::string type;
  std::map<std::string, std::string> data;         // base64, as stored
  std::map<std::string, std::string> string_data;  // plain text
};

// spec.ports[] of a Service. targetPort is a number or the name of a container port of the
// backing pods; absent, it is the service's port (the API server's default).
struct ServicePort {
  std::string name;
  std::string protocol = "TCP";
  int64_t port = 0;
  std::optional<IntOrString> target_port;
  int64_t node_port = 0;  // 0: none (type ClusterIP)
};

// A Kubernetes Service: podnetd implements ClusterIP and NodePort in nftables (no proxy
// process). Its endpoints are the Pods its selector matches in its namespace.
struct Service {
  static constexpr const char* kPlural = "services";
  ObjectMeta metadata;
  struct Spec {
    std::string type = "ClusterIP";  // ClusterIP | NodePort
    std::string cluster_ip;          // "" or "None": no virtual IP
    std::map<std::string, std::string> selector;
    std::vector<ServicePort> ports;
    std::string external_traffic_policy = "Cluster";  // Cluster | Local
  } spec;
};

struct Installation {
  static constexpr const char* kPlural = "installations";
  ObjectMeta metadata;
  struct Pool {
    std::string name, cidr, encapsulation, nat_outgoing, node_selector;
    int64_t block_size = 0;
    bool disable_bgp_export = false;
  };
  std::string bgp = "Enabled";
  std::optional<int64_t> mtu;
  std::vector<Pool> ip_pools;
};

void from_json(const Json& j, Namespace& v);
void from_json(const Json& j, ContainerPort& v);
void from_json(const Json& j, Pod& v);
void from_json(const Json& j, ServiceAccount& v);
void from_json(const Json& j, Secret& v);
void from_json(const Json& j, ServicePort& v);
void from_json(const Json& j, Service& v);
void from_json(const Json& j, Installation::Pool& v);
void from_json(const Json& j, Installation& v);

}  // namespace podnet::conf::types
