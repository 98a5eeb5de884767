// Shared by the policy model tests: resources from YAML through conf (validation and defaulting
// included, as the datastore would hold them), and flows between named endpoints.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "conf/resource.hpp"
#include "policy/evaluate.hpp"

namespace podnet::policy::testing {

inline std::vector<conf::Resource> parse(const std::string& yaml) {
  std::vector<conf::Resource> out;
  for (const auto& d : conf::parse_documents(yaml, "test.yaml")) {
    for (const auto& e : d.errors) ADD_FAILURE() << e.str();
    out.insert(out.end(), d.resources.begin(), d.resources.end());
  }
  return out;
}

// A namespace, and a pod with labels, IP and optional extra spec YAML (indented 2).
inline std::string ns_yaml(const std::string& name, const std::string& labels = "{}") {
  return "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: " + name +
         "\n  labels: " + labels + "\n";
}
inline std::string pod_yaml(const std::string& ns, const std::string& name,
                            const std::string& labels, const std::string& ip,
                            const std::string& extra_spec = "") {
  return "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: " + name + "\n  namespace: " + ns +
         "\n  labels: " + labels + "\nspec:\n  nodeName: node1\n" + extra_spec +
         "status:\n  podIPs:\n  - ip: " + ip + "\n";
}

// Everything built once from a resource set, the way podnetctl does.
struct World {
  std::vector<conf::Resource> resources;
  BuildResult built;
  Endpoints endpoints;
  Failsafes failsafes;
  explicit World(const std::string& yaml)
      : resources(parse(yaml)),
        built(build_model(resources)),
        endpoints(build_endpoints(resources)),
        failsafes(failsafes_from(resources)) {}

  FlowEnd end(const std::string& what) const {
    FlowEnd e;
    if (const Endpoint* ep = endpoints.find(what)) {
      e.endpoint = ep;
      e.ip = ep->ips.at(0);
      return e;
    }
    auto ip = IpAddr::parse(what);
    EXPECT_TRUE(ip.ok()) << what;
    if (ip) {
      e.ip = *ip;
      auto owners = endpoints.with_ip(*ip);
      if (!owners.empty()) e.endpoint = owners.front();
    }
    return e;
  }
  Decision check(const std::string& from, const std::string& to, int port, int protocol = 6) const {
    Flow f;
    f.src = end(from);
    f.dst = end(to);
    f.dst_port = port;
    f.src_port = 40000;
    f.protocol = protocol;
    return Evaluator(built.model, endpoints, failsafes).evaluate(f);
  }
  bool allowed(const std::string& from, const std::string& to, int port, int protocol = 6) const {
    return check(from, to, port, protocol).allowed;
  }
};

}  // namespace podnet::policy::testing
