// Endpoints from Pods: selector in the service's namespace, named target ports, finished pods,
// local vs remote, and conflicts between services (the later one is left out with a reason).
#include <gtest/gtest.h>

#include "policy/service_endpoints.hpp"

namespace podnet::policy {
namespace {

using conf::types::Pod;
using conf::types::Service;
using conf::types::ServicePort;

Pod pod(const std::string& ns, const std::string& name, const std::string& ip,
        const std::string& node, std::map<std::string, std::string> labels) {
  Pod p;
  p.metadata.namespace_ = ns;
  p.metadata.name = name;
  p.metadata.labels = std::move(labels);
  p.spec.node_name = node;
  p.status.pod_ips = {ip};
  p.status.phase = "Running";
  return p;
}

Service service(const std::string& ns, const std::string& name, const std::string& cip,
                std::map<std::string, std::string> sel, std::vector<ServicePort> ports) {
  Service s;
  s.metadata.namespace_ = ns;
  s.metadata.name = name;
  s.spec.cluster_ip = cip;
  s.spec.selector = std::move(sel);
  s.spec.ports = std::move(ports);
  return s;
}

ServicePort port(int64_t p, std::optional<conf::types::IntOrString> target = std::nullopt,
                 int64_t node_port = 0, std::string name = "") {
  ServicePort sp;
  sp.name = std::move(name);
  sp.port = p;
  sp.target_port = std::move(target);
  sp.node_port = node_port;
  return sp;
}

conf::types::IntOrString num(int64_t n) {
  return {true, n, ""};
}
conf::types::IntOrString named(std::string s) {
  return {false, 0, std::move(s)};
}

std::vector<std::string> endpoints(const ServiceFrontend& f) {
  std::vector<std::string> out;
  for (const auto& e : f.endpoints)
    out.push_back(e.ip + ":" + std::to_string(e.port) + (e.local ? " local" : ""));
  return out;
}

TEST(ServiceEndpoints, SelectorMatchesPodsOfItsNamespaceOnly) {
  std::vector<Pod> pods{
      pod("yaobank", "summary-1", "10.0.1.5", "node1", {{"app", "summary"}}),
      pod("yaobank", "summary-2", "10.0.2.5", "node2", {{"app", "summary"}, {"version", "v2"}}),
      pod("other", "summary-x", "10.0.2.9", "node2", {{"app", "summary"}}),
      pod("yaobank", "database", "10.0.2.7", "node2", {{"app", "database"}})};
  auto r = resolve_services(
      {service("yaobank", "summary", "10.96.0.20", {{"app", "summary"}}, {port(80, num(8080))})},
      pods, "node1");
  ASSERT_TRUE(r.problems.empty());
  ASSERT_EQ(r.frontends.size(), 1u);
  const auto& f = r.frontends[0];
  EXPECT_EQ(f.id(), "yaobank/summary/tcp/80");
  EXPECT_EQ(f.cluster_ip, "10.96.0.20");
  EXPECT_EQ(f.node_port, 0);
  EXPECT_EQ(endpoints(f), (std::vector<std::string>{"10.0.1.5:8080 local", "10.0.2.5:8080"}));
}

TEST(ServiceEndpoints, TargetPortDefaultsNamedAndMissingName) {
  Pod a = pod("ns", "a", "10.0.0.1", "n", {{"app", "x"}});
  a.spec.ports = {{"web", "TCP", 8081}, {"dns", "UDP", 53}};
  Pod b = pod("ns", "b", "10.0.0.2", "n", {{"app", "x"}});
  b.spec.ports = {{"web", "TCP", 9090}};
  Pod c = pod("ns", "c", "10.0.0.3", "n", {{"app", "x"}});  // no port named web
  auto r =
      resolve_services({service("ns", "x", "10.96.0.1", {{"app", "x"}},
                                {port(80, named("web"), 0, "http"), port(81, {}, 0, "plain")})},
                       {a, b, c}, "other");
  ASSERT_EQ(r.frontends.size(), 2u);
  EXPECT_EQ(endpoints(r.frontends[0]),
            (std::vector<std::string>{"10.0.0.1:8081", "10.0.0.2:9090"}));
  EXPECT_EQ(endpoints(r.frontends[1]),
            (std::vector<std::string>{"10.0.0.1:81", "10.0.0.2:81", "10.0.0.3:81"}));
  // A named port matches only a container port of the same protocol.
  ServicePort udp = port(53, named("web"));
  udp.protocol = "UDP";
  auto u = resolve_services({service("ns", "u", "10.96.0.2", {{"app", "x"}}, {udp})}, {a}, "n");
  ASSERT_EQ(u.frontends.size(), 1u);
  EXPECT_TRUE(u.frontends[0].endpoints.empty());
  EXPECT_EQ(u.frontends[0].protocol, 17);
}

TEST(ServiceEndpoints, FinishedPodsV6AndEmptySelectorsServeNothing) {
  Pod done = pod("ns", "done", "10.0.0.1", "n", {{"app", "x"}});
  done.status.phase = "Succeeded";
  Pod v6 = pod("ns", "v6", "fd00::1", "n", {{"app", "x"}});
  Pod pending = pod("ns", "p", "", "n", {{"app", "x"}});
  pending.status.pod_ips.clear();
  auto r = resolve_services({service("ns", "x", "10.96.0.1", {{"app", "x"}}, {port(80)}),
                             service("ns", "y", "10.96.0.2", {}, {port(80)})},
                            {done, v6, pending}, "n");
  ASSERT_EQ(r.frontends.size(), 2u);
  EXPECT_TRUE(r.frontends[0].endpoints.empty());
  EXPECT_TRUE(r.frontends[1].endpoints.empty());
}

TEST(ServiceEndpoints, ConflictsLeaveTheLaterServiceOut) {
  Service a = service("ns", "a", "10.96.0.1", {{"app", "x"}}, {port(80, {}, 30080)});
  a.spec.type = "NodePort";
  Service b = service("ns", "b", "10.96.0.2", {{"app", "x"}}, {port(80, {}, 30080)});
  b.spec.type = "NodePort";
  b.spec.external_traffic_policy = "Local";
  Service c = service("ns", "c", "10.96.0.1", {{"app", "x"}}, {port(80)});
  Service d = service("ns", "d", "10.96.0.1", {{"app", "x"}}, {port(81)});
  auto r = resolve_services({d, c, b, a}, {}, "n");  // order of input does not matter
  ASSERT_EQ(r.problems.size(), 2u);
  EXPECT_EQ(r.problems[0].service, "ns/b");
  EXPECT_EQ(r.problems[0].message, "node port 30080/tcp is already service ns/a's");
  EXPECT_EQ(r.problems[1].service, "ns/c");
  EXPECT_EQ(r.problems[1].message, "10.96.0.1:80/tcp is already service ns/a's");
  ASSERT_EQ(r.frontends.size(), 2u);
  EXPECT_EQ(r.frontends[0].id(), "ns/a/tcp/80");
  EXPECT_EQ(r.frontends[0].node_port, 30080);
  EXPECT_FALSE(r.frontends[0].local_only);
  EXPECT_EQ(r.frontends[1].id(), "ns/d/tcp/81");
}

}  // namespace
}  // namespace podnet::policy
