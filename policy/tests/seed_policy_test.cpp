// The seed's yaobank policies (conf/tests/data/seed, extracted from the markdown), applied
// through conf parsing to a yaobank cluster: the outcomes the seed's Scenarios describe.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "policy/tests/policy_fixture.hpp"

namespace podnet::policy {
namespace {

using testing::ns_yaml;
using testing::pod_yaml;
using testing::World;

std::string seed(const std::string& file) {
  const char* src = std::getenv("PODNET_SOURCE_DIR");
  std::filesystem::path p = std::filesystem::path(src ? src : ".") / "conf/tests/data/seed" / file;
  std::ifstream f(p);
  EXPECT_TRUE(f.good()) << p;
  std::stringstream ss;
  ss << f.rdbuf();
  return "---\n" + ss.str();
}

std::string yaobank() {
  return ns_yaml("yaobank") + ns_yaml("kube-system") +
         pod_yaml("yaobank", "customer", "{app: customer}", "198.19.21.1") +
         pod_yaml("yaobank", "summary", "{app: summary}", "198.19.22.1") +
         pod_yaml("yaobank", "database", "{app: database}", "198.19.22.2") +
         pod_yaml("kube-system", "coredns", "{k8s-app: kube-dns}", "198.19.16.2");
}

TEST(SeedYaobank, DatabasePolicyStopsTheCompromisedCustomer) {
  World before(yaobank());
  EXPECT_TRUE(before.allowed("yaobank/customer", "yaobank/database", 2379));
  World w(yaobank() + seed("06-database-policy.yaml"));
  ASSERT_TRUE(w.built.errors.empty());
  auto d = w.check("yaobank/customer", "yaobank/database", 2379);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.deciding().policy, "yaobank/knp.default.database-policy");
  EXPECT_EQ(d.deciding().source, Source::end_of_tier);
  auto s = w.check("yaobank/summary", "yaobank/database", 2379);
  EXPECT_TRUE(s.allowed);
  EXPECT_EQ(s.deciding().policy, "yaobank/knp.default.database-policy");
  EXPECT_FALSE(w.allowed("yaobank/summary", "yaobank/database", 2380));
  // egress: "- to: []" is a rule with no peers: in Kubernetes (and Calico's conversion) that
  // matches every destination, so the database's egress stays open.
  auto out = w.check("yaobank/database", "yaobank/summary", 80);
  EXPECT_TRUE(out.allowed);
  EXPECT_EQ(out.steps[0].policy, "yaobank/knp.default.database-policy");
  EXPECT_EQ(out.steps[0].rule, 0);
}

TEST(SeedYaobank, DefaultAppPolicyThenAppPoliciesThenEgressLockdown) {
  std::string base =
      yaobank() + seed("06-database-policy.yaml") + seed("08-default-app-policy.yaml");
  World w(base);
  ASSERT_TRUE(w.built.errors.empty()) << w.built.errors[0].str();
  // Everything in yaobank is denied except DNS to kube-dns.
  EXPECT_FALSE(w.allowed("yaobank/customer", "yaobank/summary", 80));
  EXPECT_TRUE(w.allowed("yaobank/customer", "kube-system/coredns", 53, 17));
  EXPECT_FALSE(w.allowed("yaobank/customer", "kube-system/coredns", 53, 6));

  World apps(base + seed("09-customer-policy.yaml"));
  ASSERT_TRUE(apps.built.errors.empty());
  // customer's egress ("to: []": everywhere), then summary's ingress from customer on TCP 80.
  auto c2s = apps.check("yaobank/customer", "yaobank/summary", 80);
  EXPECT_TRUE(c2s.allowed);
  EXPECT_EQ(c2s.steps[0].policy, "yaobank/knp.default.customer-policy");
  EXPECT_EQ(c2s.deciding().policy, "yaobank/knp.default.summary-policy");
  EXPECT_FALSE(apps.allowed("yaobank/database", "yaobank/summary", 80));  // summary's ingress
  EXPECT_FALSE(apps.allowed("yaobank/customer", "yaobank/summary", 81));
  EXPECT_TRUE(apps.allowed("yaobank/summary", "yaobank/database", 2379));
  EXPECT_TRUE(apps.allowed("198.51.100.9", "yaobank/customer", 80));
  EXPECT_FALSE(apps.allowed("198.51.100.9", "yaobank/summary", 80));

  // Egress lockdown at order 600 applies before the Kubernetes policies at 1000.
  World lock(base + seed("10-egress-lockdown.yaml") +
             "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n"
             "  name: lazy\n  namespace: yaobank\nspec:\n  podSelector: {}\n  egress:\n  - {}\n");
  ASSERT_TRUE(lock.built.errors.empty());
  auto out = lock.check("yaobank/customer", "8.8.8.8", 443);
  EXPECT_FALSE(out.allowed);
  EXPECT_EQ(out.deciding().policy, "egress-lockdown");
  auto internal = lock.check("yaobank/customer", "10.1.2.3", 443);
  EXPECT_TRUE(internal.allowed);
  EXPECT_EQ(internal.deciding().policy, "yaobank/knp.default.lazy");
}

TEST(SeedYaobank, NodePolicyAndNodePortLockdown) {
  std::string nodes = seed("14-node1.yaml") + R"(---
apiVersion: projectcalico.org/v3
kind: KubeControllersConfiguration
metadata: {name: default}
spec:
  controllers:
    node:
      hostEndpoint: {autoCreate: Enabled}
)";
  World w(yaobank() + nodes + seed("11-default-node-policy.yaml") +
          seed("13-nodeport-policy.yaml"));
  ASSERT_TRUE(w.built.errors.empty()) << w.built.errors[0].str();
  const Endpoint* hep = w.endpoints.find("node1-auto-hep");
  ASSERT_NE(hep, nullptr);
  // ssh stays open (failsafe), other ports are closed to the outside, open from localhost.
  EXPECT_TRUE(w.allowed("198.19.15.254", "198.19.0.2", 22));
  EXPECT_FALSE(w.allowed("198.19.15.254", "198.19.0.2", 8080));
  EXPECT_TRUE(w.allowed("127.0.0.1", "198.19.0.2", 8080));
  auto nodeport = [&](const std::string& client, int port) {
    Flow f;
    f.src = w.end(client);
    f.dst = w.end("yaobank/customer");
    f.dst_port = 80;
    f.ingress_host_endpoint = hep;
    f.pre_dnat_ip = *IpAddr::parse("198.19.0.2");
    f.pre_dnat_port = port;
    return Evaluator(w.built.model, w.endpoints, w.failsafes).evaluate(f).allowed;
  };
  EXPECT_TRUE(nodeport("198.19.15.254", 30180));   // host1 may reach the customer front end
  EXPECT_FALSE(nodeport("198.19.15.253", 30180));  // nobody else
  EXPECT_FALSE(nodeport("198.19.15.254", 30181));  // nor another node port
}

}  // namespace
}  // namespace podnet::policy
