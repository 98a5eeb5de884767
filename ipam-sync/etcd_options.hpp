// How podnet reaches etcd, parsed from the datastore spec:
//
//   etcd:URL[,URL...][?option=value&...]
//
//   URL       http://HOST:PORT or https://HOST:PORT (port defaults to 2379); several URLs are
//             members of one cluster, tried in turn when one is unreachable or has no leader.
//   cacert=F  PEM CA bundle that verifies the server (https); default: the system's CAs.
//   cert=F    PEM client certificate, key=F its private key (etcd --client-cert-auth).
//   username=U, password=P   etcd authentication (/v3/auth/authenticate); when the spec has
//             no username, the environment's PODNET_ETCD_USERNAME / PODNET_ETCD_PASSWORD are
//             used, which keeps the password out of config files and process listings.
//   timeout=S seconds one request may take against one member (default 5).
//
// Example:
// etcd:https://10.0.0.1:2379,https://10.0.0.2:2379?cacert=/etc/podnet/ca.pem&cert=/etc/podnet/c.pem&key=/etc/podnet/c.key
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "conf/result.hpp"

namespace podnet::store::etcd {

struct Endpoint {
  bool tls = false;
  std::string host;  // name or address; IPv6 without brackets
  std::string port = "2379";
  std::string url() const;  // "http://127.0.0.1:2379"
};

struct Options {
  std::vector<Endpoint> endpoints;
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  std::string username;
  std::string password;
  std::chrono::milliseconds timeout{5000};

  // "etcd:http://a:2379,http://b:2379" plus the options that are set, never the password.
  std::string describe() const;
};

// Parses the part after "etcd:". Errc::invalid with the reason on a malformed spec.
Result<Options> parse_options(const std::string& spec_after_prefix);

}  // namespace podnet::store::etcd
