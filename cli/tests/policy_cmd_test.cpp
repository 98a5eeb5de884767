// podnetctl show policy / show endpoints / policy test, in-process against a real directory
// datastore in a temp dir, after `apply` of real manifests.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "cli/cli.hpp"
#include "cli/tests/cli_fixture.hpp"
#include "policy/endpoints.hpp"

namespace podnet::cli {
namespace {

namespace fs = std::filesystem;

class PolicyCmdTest : public testing::CliFixture {
 protected:
  void apply(const std::string& yaml) {
    auto r = ctl({"apply", "-f", "-"}, yaml);
    ASSERT_EQ(r.rc, 0) << r.err;
  }
};

constexpr const char* kCluster = R"(apiVersion: v1
kind: Namespace
metadata: {name: yaobank}
---
apiVersion: v1
kind: Pod
metadata: {name: customer, namespace: yaobank, labels: {app: customer}}
spec: {nodeName: node1}
status: {podIPs: [{ip: 198.19.21.1}]}
---
apiVersion: v1
kind: Pod
metadata: {name: database, namespace: yaobank, labels: {app: database}}
spec:
  nodeName: node1
  containers:
  - name: etcd
    ports: [{name: etcd, containerPort: 2379}]
status: {podIPs: [{ip: 198.19.22.2}]}
---
apiVersion: v1
kind: Pod
metadata: {name: summary, namespace: yaobank, labels: {app: summary}}
spec: {nodeName: node2}
status: {podIPs: [{ip: 198.19.22.1}]}
)";

constexpr const char* kDatabasePolicy = R"(kind: NetworkPolicy
apiVersion: networking.k8s.io/v1
metadata:
  name: database-policy
  namespace: yaobank
spec:
  podSelector:
    matchLabels:
      app: database
  ingress:
  - from:
    - podSelector:
        matchLabels:
          app: summary
    ports:
      - protocol: TCP
        port: etcd
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: early}
spec:
  order: 10
  selector: app == "summary"
  types: [Egress]
  egress:
  - action: Log
  - action: Pass
)";

TEST_F(PolicyCmdTest, ShowEndpointsListsPodsWithCalicoInterfaceNames) {
  apply(kCluster);
  auto r = ctl({"show", "endpoints"});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("yaobank/customer"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(policy::workload_interface_name("yaobank", "database")), std::string::npos);
  EXPECT_NE(r.out.find("198.19.22.2"), std::string::npos);
  EXPECT_NE(r.out.find("pcns.projectcalico.org/name=yaobank"), std::string::npos);
  // Sorted by name: customer, database, summary.
  EXPECT_LT(r.out.find("yaobank/customer"), r.out.find("yaobank/database"));
  EXPECT_LT(r.out.find("yaobank/database"), r.out.find("yaobank/summary"));
}

TEST_F(PolicyCmdTest, ShowPolicyInEvaluationOrderAndPerEndpoint) {
  apply(kCluster);
  apply(kDatabasePolicy);
  auto all = ctl({"show", "policy"});
  ASSERT_EQ(all.rc, 0) << all.err;
  auto early = all.out.find("early");
  auto knp = all.out.find("yaobank/knp.default.database-policy");
  ASSERT_NE(early, std::string::npos) << all.out;
  ASSERT_NE(knp, std::string::npos) << all.out;
  EXPECT_LT(early, knp);  // order 10 before 1000

  auto db = ctl({"show", "policy", "--endpoint", "yaobank/database"});
  ASSERT_EQ(db.rc, 0) << db.err;
  EXPECT_NE(db.out.find("yaobank/knp.default.database-policy"), std::string::npos) << db.out;
  EXPECT_EQ(db.out.find("early"), std::string::npos) << db.out;  // selects summary only
  EXPECT_NE(db.out.find("then profiles: kns.yaobank"), std::string::npos);
  auto summary = ctl({"show", "policy", "--endpoint", "yaobank/summary"});
  EXPECT_NE(summary.out.find("early"), std::string::npos);
  EXPECT_EQ(summary.out.find("database-policy"), std::string::npos);

  auto missing = ctl({"show", "policy", "--endpoint", "yaobank/nope"});
  EXPECT_EQ(missing.rc, 1);
}

TEST_F(PolicyCmdTest, PolicyTestSaysAllowedOrDeniedAndWhy) {
  apply(kCluster);
  apply(kDatabasePolicy);
  auto denied = ctl({"policy", "test", "--from", "yaobank/customer", "--to", "yaobank/database",
                     "--port", "2379", "--protocol", "TCP"});
  ASSERT_EQ(denied.rc, 0) << denied.err;
  EXPECT_EQ(denied.out.substr(0, 7), "denied\n") << denied.out;
  EXPECT_NE(denied.out.find("end of tier default"), std::string::npos) << denied.out;
  EXPECT_NE(denied.out.find("yaobank/knp.default.database-policy"), std::string::npos);

  // By IP, through the named port "etcd"; the summary's egress passes through tier default.
  auto allowed = ctl(
      {"policy", "test", "--from", "198.19.22.1", "--to", "yaobank/database", "--port", "2379"});
  ASSERT_EQ(allowed.rc, 0) << allowed.err;
  EXPECT_EQ(allowed.out.substr(0, 8), "allowed\n") << allowed.out;
  EXPECT_NE(allowed.out.find("policy yaobank/knp.default.database-policy rule 0"),
            std::string::npos)
      << allowed.out;
  EXPECT_NE(allowed.out.find("egress yaobank/summary: allowed by profile kns.yaobank"),
            std::string::npos)
      << allowed.out;

  auto other_port = ctl({"policy", "test", "--from", "yaobank/summary", "--to", "yaobank/database",
                         "--port", "2380"});
  EXPECT_EQ(other_port.out.substr(0, 7), "denied\n");

  // Bad arguments: exit 2.
  EXPECT_EQ(ctl({"policy", "test", "--from", "yaobank/nope", "--to", "1.2.3.4", "--port", "1"}).rc,
            2);
  EXPECT_EQ(ctl({"policy", "test", "--from", "1.2.3.4", "--to", "1.2.3.5", "--port", "1",
                 "--protocol", "bogus"})
                .rc,
            2);
  EXPECT_EQ(ctl({"policy", "test", "--from", "1.2.3.4", "--to", "1.2.3.5"}).rc, 2);  // no port
  EXPECT_EQ(ctl({"policy", "test", "--to", "1.2.3.5", "--port", "1"}).rc, 2);
  EXPECT_EQ(ctl({"policy", "test", "--from", "1.2.3.4", "--to", "fd00::1", "--port", "1"}).rc, 2);
  // ICMP needs no port.
  auto icmp = ctl(
      {"policy", "test", "--from", "1.2.3.4", "--to", "yaobank/customer", "--protocol", "ICMP"});
  EXPECT_EQ(icmp.rc, 0) << icmp.err;
  EXPECT_EQ(icmp.out.substr(0, 8), "allowed\n");
}

TEST_F(PolicyCmdTest, NodePortThroughAHostEndpointIsJudgedBeforeDnat) {
  apply(kCluster);
  apply(R"(apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata: {name: node1-eth0, labels: {kubernetes.io/hostname: node1}}
spec: {node: node1, interfaceName: eth0, expectedIPs: [198.19.0.2]}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: nodeport-policy}
spec:
  order: 100
  selector: has(kubernetes.io/hostname)
  applyOnForward: true
  preDNAT: true
  ingress:
  - action: Allow
    protocol: TCP
    destination: {ports: [30180]}
    source: {nets: [198.19.15.254/32]}
  - action: Deny
    protocol: TCP
    destination: {ports: ["30000:32767"]}
)");
  auto nodeport = [&](const std::string& client) {
    return ctl({"policy", "test", "--from", client, "--to", "yaobank/customer", "--port", "80",
                "--via", "node1-eth0", "--original-to", "198.19.0.2", "--original-port", "30180"});
  };
  auto host1 = nodeport("198.19.15.254");
  ASSERT_EQ(host1.rc, 0) << host1.err;
  EXPECT_EQ(host1.out.substr(0, 8), "allowed\n") << host1.out;
  EXPECT_NE(host1.out.find("preDNAT node1-eth0: allowed by tier default policy nodeport-policy "
                           "rule 0"),
            std::string::npos)
      << host1.out;
  auto other = nodeport("198.19.15.1");
  EXPECT_EQ(other.out.substr(0, 7), "denied\n") << other.out;
  EXPECT_NE(other.out.find("rule 1"), std::string::npos) << other.out;
  // The host itself: ssh is a failsafe, 8080 has no policy and no profile.
  auto ssh = ctl({"policy", "test", "--from", "192.0.2.1", "--to", "198.19.0.2", "--port", "22"});
  EXPECT_NE(ssh.out.find("allowed\ndeciding: host-ingress node1-eth0: allowed by failsafe TCP:22"),
            std::string::npos)
      << ssh.out;
  auto web = ctl({"policy", "test", "--from", "192.0.2.1", "--to", "198.19.0.2", "--port", "8080"});
  EXPECT_EQ(web.out.substr(0, 7), "denied\n") << web.out;
  EXPECT_EQ(ctl({"policy", "test", "--from", "1.2.3.4", "--to", "yaobank/customer", "--port", "80",
                 "--via", "yaobank/customer"})
                .rc,
            2);
}

}  // namespace
}  // namespace podnet::cli
