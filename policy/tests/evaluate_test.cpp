// The scenarios of issue 7 item 6, as evaluator cases: each asserts the verdict and what decided
// it (tier, policy, rule), on endpoints built from Pods, Namespaces and ServiceAccounts.
#include <gtest/gtest.h>

#include "policy/tests/policy_fixture.hpp"

namespace podnet::policy {
namespace {

using testing::ns_yaml;
using testing::pod_yaml;
using testing::World;

// Two namespaces of pods, plus kube-system's DNS.
std::string cluster() {
  return ns_yaml("shop", "{team: shop}") + ns_yaml("other", "{team: other}") +
         ns_yaml("kube-system") + pod_yaml("shop", "web", "{app: web}", "10.0.0.1") +
         pod_yaml("shop", "db", "{app: db}", "10.0.0.2") +
         pod_yaml("other", "client", "{app: client}", "10.0.1.1") +
         pod_yaml("kube-system", "dns", "{k8s-app: kube-dns}", "10.0.2.1");
}

std::string knp(const std::string& ns, const std::string& name, const std::string& spec) {
  return "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: " + name +
         "\n  namespace: " + ns + "\nspec:\n" + spec;
}

TEST(Evaluate, NoPolicyMeansTheNamespaceProfileAllows) {
  World w(cluster());
  auto d = w.check("other/client", "shop/web", 80);
  EXPECT_TRUE(d.allowed);
  ASSERT_EQ(d.steps.size(), 2u);  // sender egress, receiver ingress
  EXPECT_EQ(d.steps[0].stage, "egress");
  EXPECT_EQ(d.steps[0].source, Source::profile);
  EXPECT_EQ(d.steps[0].detail, "kns.other");
  EXPECT_EQ(d.deciding().stage, "ingress");
  EXPECT_EQ(d.deciding().detail, "kns.shop");
}

TEST(Evaluate, DefaultDenyIngressThenAllowAll) {
  std::string deny =
      knp("shop", "default-deny-ingress", "  podSelector: {}\n  policyTypes: [Ingress]\n");
  World w(cluster() + deny);
  auto d = w.check("other/client", "shop/web", 80);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.deciding().stage, "ingress");
  EXPECT_EQ(d.deciding().source, Source::end_of_tier);
  EXPECT_EQ(d.deciding().tier, "default");
  EXPECT_EQ(d.deciding().policy, "shop/knp.default.default-deny-ingress");
  // Egress from the shop is not touched, and other namespaces are not either.
  EXPECT_TRUE(w.allowed("shop/web", "other/client", 80));
  EXPECT_TRUE(w.allowed("shop/web", "10.9.9.9", 443));

  World w2(cluster() + deny +
           knp("shop", "allow-all-ingress",
               "  podSelector: {}\n  ingress:\n  - {}\n  policyTypes: [Ingress]\n"));
  auto a = w2.check("other/client", "shop/web", 80);
  EXPECT_TRUE(a.allowed);
  EXPECT_EQ(a.deciding().source, Source::rule);
  EXPECT_EQ(a.deciding().policy, "shop/knp.default.allow-all-ingress");
  EXPECT_EQ(a.deciding().rule, 0);
}

TEST(Evaluate, EgressOnlyAndBothDirections) {
  World w(cluster() +
          knp("shop", "default-deny-egress", "  podSelector: {}\n  policyTypes: [Egress]\n"));
  auto d = w.check("shop/web", "other/client", 80);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.deciding().stage, "egress");
  EXPECT_EQ(d.deciding().endpoint, "shop/web");
  EXPECT_TRUE(w.allowed("other/client", "shop/web", 80));  // ingress untouched

  World both(cluster() + knp("shop", "default-deny-all",
                             "  podSelector: {}\n  policyTypes: [Ingress, Egress]\n"));
  EXPECT_FALSE(both.allowed("shop/web", "other/client", 80));
  EXPECT_FALSE(both.allowed("other/client", "shop/web", 80));
  // Pod to pod inside the namespace needs shop/web's egress AND shop/db's ingress.
  World half(
      cluster() +
      knp("shop", "default-deny-all", "  podSelector: {}\n  policyTypes: [Ingress, Egress]\n") +
      knp("shop", "web-out", R"(  podSelector: {matchLabels: {app: web}}
  policyTypes: [Egress]
  egress:
  - to: [{podSelector: {matchLabels: {app: db}}}]
)"));
  auto h = half.check("shop/web", "shop/db", 5432);
  EXPECT_FALSE(h.allowed);
  EXPECT_TRUE(h.steps[0].allowed);
  EXPECT_EQ(h.steps[0].policy, "shop/knp.default.web-out");
  EXPECT_EQ(h.deciding().stage, "ingress");
}

TEST(Evaluate, NamespaceAndPodSelectors) {
  std::string spec = R"(  podSelector: {matchLabels: {app: db}}
  ingress:
  - from:
    - podSelector: {matchLabels: {app: web}}
    - namespaceSelector: {matchLabels: {team: other}}
      podSelector: {matchLabels: {app: client}}
)";
  World w(cluster() + pod_yaml("other", "stranger", "{app: stranger}", "10.0.1.2") +
          pod_yaml("shop", "client", "{app: client}", "10.0.0.3") + knp("shop", "db", spec));
  EXPECT_TRUE(w.allowed("shop/web", "shop/db", 5432));
  auto d = w.check("other/client", "shop/db", 5432);
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.deciding().rule, 1);
  EXPECT_FALSE(w.allowed("other/stranger", "shop/db", 5432));  // right namespace, wrong pod
  EXPECT_FALSE(w.allowed("shop/client", "shop/db", 5432));     // right pod, wrong namespace
  EXPECT_TRUE(w.allowed("10.0.0.1", "shop/db", 5432));         // by IP: it is shop/web
  EXPECT_FALSE(w.allowed("192.0.2.1", "shop/db", 5432));       // not a pod at all
}

TEST(Evaluate, IpBlockWithExcept) {
  World w(cluster() + knp("shop", "cidr", R"(  podSelector: {matchLabels: {app: web}}
  ingress:
  - from:
    - ipBlock: {cidr: 192.0.2.0/24, except: [192.0.2.128/25]}
)"));
  EXPECT_TRUE(w.allowed("192.0.2.10", "shop/web", 80));
  EXPECT_FALSE(w.allowed("192.0.2.200", "shop/web", 80));
  EXPECT_FALSE(w.allowed("198.51.100.1", "shop/web", 80));
  EXPECT_FALSE(w.allowed("other/client", "shop/web", 80));
}

TEST(Evaluate, NamedPortsAndEndPort) {
  std::string ports = R"(  containers:
  - name: api
    ports:
    - {name: api, containerPort: 8443}
)";
  World w(cluster() + pod_yaml("shop", "api", "{app: api}", "10.0.0.9", ports) +
          knp("shop", "api", R"(  podSelector: {matchLabels: {app: api}}
  ingress:
  - ports:
    - port: api
    - port: 9000
      endPort: 9010
)"));
  auto d = w.check("other/client", "shop/api", 8443);
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.deciding().policy, "shop/knp.default.api");
  EXPECT_FALSE(w.allowed("other/client", "shop/api", 8444));
  EXPECT_TRUE(w.allowed("other/client", "shop/api", 9000));
  EXPECT_TRUE(w.allowed("other/client", "shop/api", 9010));
  EXPECT_FALSE(w.allowed("other/client", "shop/api", 9011));
  EXPECT_FALSE(w.allowed("other/client", "shop/api", 8443, 17));  // the named port is TCP
}

constexpr const char* kDefaultAppPolicy = R"(---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: default-app-policy
spec:
  namespaceSelector: has(projectcalico.org/name) && projectcalico.org/name not in {"kube-system", "calico-system"}
  types: [Ingress, Egress]
  egress:
  - action: Allow
    protocol: UDP
    destination:
      selector: k8s-app == "kube-dns"
      ports: [53]
)";

TEST(Evaluate, GlobalDefaultDenyExcludesSystemNamespaces) {
  World w(cluster() + pod_yaml("kube-system", "metrics", "{app: metrics}", "10.0.2.2") +
          kDefaultAppPolicy);
  auto d = w.check("shop/web", "shop/db", 5432);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.deciding().stage, "egress");
  EXPECT_EQ(d.deciding().source, Source::end_of_tier);
  EXPECT_EQ(d.deciding().policy, "default-app-policy");
  auto dns = w.check("shop/web", "kube-system/dns", 53, 17);
  EXPECT_TRUE(dns.allowed);
  EXPECT_EQ(dns.steps[0].policy, "default-app-policy");
  EXPECT_EQ(dns.steps[0].rule, 0);
  EXPECT_EQ(dns.deciding().detail, "kns.kube-system");  // kube-system is not policed
  EXPECT_FALSE(w.allowed("shop/web", "kube-system/dns", 53, 6));
  EXPECT_TRUE(w.allowed("kube-system/metrics", "kube-system/dns", 80));
  EXPECT_FALSE(w.allowed("kube-system/metrics", "shop/web", 80));  // shop's ingress is denied
}

constexpr const char* kEgressLockdown = R"(---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: egress-lockdown
spec:
  order: 600
  namespaceSelector: has(projectcalico.org/name) && projectcalico.org/name not in {"kube-system", "calico-system"}
  serviceAccountSelector: internet-egress not in {"allowed"}
  types: [Egress]
  egress:
  - action: Deny
    destination:
      notNets: [10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 198.18.0.0/15]
)";

TEST(Evaluate, OrderedDenyBeatsKubernetesAllowAndServiceAccountsUnlockIt) {
  std::string allow_out = knp("shop", "allow-out", "  podSelector: {}\n  egress:\n  - {}\n");
  std::string sa = R"(---
apiVersion: v1
kind: ServiceAccount
metadata: {name: web, namespace: shop, labels: {internet-egress: allowed}}
)";
  std::string web_sa = R"(  serviceAccountName: web
)";
  World w(cluster() + allow_out + kEgressLockdown);
  auto d = w.check("shop/web", "8.8.8.8", 443);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.deciding().policy, "egress-lockdown");
  EXPECT_EQ(d.deciding().rule, 0);
  auto inside = w.check("shop/web", "10.0.1.1", 443);
  EXPECT_TRUE(inside.allowed);
  EXPECT_EQ(inside.steps[0].policy, "shop/knp.default.allow-out");

  // The seed's scenario 5: label the service account and the pod may leave the cluster.
  World ok(ns_yaml("shop") + sa + pod_yaml("shop", "web", "{app: web}", "10.0.0.1", web_sa) +
           pod_yaml("shop", "db", "{app: db}", "10.0.0.2") + allow_out + kEgressLockdown);
  auto a = ok.check("shop/web", "8.8.8.8", 443);
  EXPECT_TRUE(a.allowed);
  EXPECT_EQ(a.deciding().policy, "shop/knp.default.allow-out");
  EXPECT_FALSE(ok.allowed("shop/db", "8.8.8.8", 443));  // its service account is "default"
}

TEST(Evaluate, PassHandsOverToTheNextTier) {
  std::string tiers = R"(---
apiVersion: projectcalico.org/v3
kind: Tier
metadata: {name: security}
spec: {order: 100}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: security.guard}
spec:
  tier: security
  selector: projectcalico.org/namespace == "shop"
  types: [Ingress]
  ingress:
  - action: Deny
    source: {nets: [192.0.2.0/24]}
  - action: Log
  - action: Pass
    protocol: TCP
)";
  World w(cluster() + tiers + knp("shop", "web", R"(  podSelector: {matchLabels: {app: web}}
  ingress:
  - ports: [{port: 80}]
)"));
  auto denied = w.check("192.0.2.5", "shop/web", 80);
  EXPECT_FALSE(denied.allowed);
  EXPECT_EQ(denied.deciding().tier, "security");
  EXPECT_EQ(denied.deciding().rule, 0);
  auto passed = w.check("other/client", "shop/web", 80);
  EXPECT_TRUE(passed.allowed);
  EXPECT_EQ(passed.deciding().tier, "default");
  EXPECT_EQ(passed.deciding().policy, "shop/knp.default.web");
  // Not passed (UDP): end of the security tier drops it.
  auto udp = w.check("other/client", "shop/web", 80, 17);
  EXPECT_FALSE(udp.allowed);
  EXPECT_EQ(udp.deciding().source, Source::end_of_tier);
  EXPECT_EQ(udp.deciding().tier, "security");
  // shop/db: the security tier passes TCP, no default-tier policy applies: the profile allows.
  auto db = w.check("other/client", "shop/db", 5432);
  EXPECT_TRUE(db.allowed);
  EXPECT_EQ(db.deciding().source, Source::profile);
}

constexpr const char* kHost = R"(---
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata:
  name: node1-eth0
  labels: {kubernetes.io/hostname: node1}
spec:
  node: node1
  interfaceName: eth0
  expectedIPs: [198.19.0.2]
)";

TEST(Evaluate, HostEndpointDefaultDenyKeepsFailsafes) {
  std::string node_policy = R"(---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: default-node-policy}
spec:
  selector: has(kubernetes.io/hostname)
  ingress:
  - action: Allow
    protocol: TCP
    source: {nets: [127.0.0.1/32]}
)";
  World w(cluster() + kHost + node_policy);
  auto ssh = w.check("192.0.2.1", "198.19.0.2", 22);
  EXPECT_TRUE(ssh.allowed);
  EXPECT_EQ(ssh.deciding().source, Source::failsafe);
  EXPECT_EQ(ssh.deciding().detail, "TCP:22");
  auto web = w.check("192.0.2.1", "198.19.0.2", 8080);
  EXPECT_FALSE(web.allowed);
  EXPECT_EQ(web.deciding().stage, "host-ingress");
  EXPECT_EQ(web.deciding().policy, "default-node-policy");
  EXPECT_TRUE(w.allowed("127.0.0.1", "198.19.0.2", 8080));
  // A host endpoint with no policy and no profile drops all but failsafes.
  World bare(cluster() + kHost);
  EXPECT_FALSE(bare.allowed("192.0.2.1", "198.19.0.2", 8080));
  EXPECT_EQ(bare.check("192.0.2.1", "198.19.0.2", 8080).deciding().source, Source::no_profile);
  EXPECT_TRUE(bare.allowed("192.0.2.1", "198.19.0.2", 179));
  // Outbound failsafe: DNS from the host.
  EXPECT_TRUE(bare.allowed("198.19.0.2", "192.0.2.53", 53, 17));
  EXPECT_FALSE(bare.allowed("198.19.0.2", "192.0.2.53", 80));
}

TEST(Evaluate, PreDnatPolicySeesTheNodePortBeforeDnat) {
  std::string nodeport = R"(---
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
)";
  World w(cluster() + kHost + nodeport);
  const Endpoint* hep = w.endpoints.find("node1-eth0");
  ASSERT_NE(hep, nullptr);
  auto via_nodeport = [&](const std::string& client, int port) {
    Flow f;
    f.src = w.end(client);
    f.dst = w.end("shop/web");  // after DNAT: the backing pod
    f.dst_port = 80;
    f.ingress_host_endpoint = hep;
    f.pre_dnat_ip = *IpAddr::parse("198.19.0.2");
    f.pre_dnat_port = port;
    return Evaluator(w.built.model, w.endpoints, w.failsafes).evaluate(f);
  };
  auto host1 = via_nodeport("198.19.15.254", 30180);
  EXPECT_TRUE(host1.allowed);
  EXPECT_EQ(host1.steps[0].stage, "preDNAT");
  EXPECT_EQ(host1.steps[0].rule, 0);
  auto other = via_nodeport("198.19.15.1", 30180);
  EXPECT_FALSE(other.allowed);
  EXPECT_EQ(other.deciding().stage, "preDNAT");
  EXPECT_EQ(other.deciding().rule, 1);
  // The pod's own port (80) is not what the preDNAT rules see: no preDNAT verdict, on to the
  // forward stage (no applyOnForward policy applies) and the pod's ingress.
  auto direct = via_nodeport("198.19.15.1", 80);
  EXPECT_TRUE(direct.allowed);
  EXPECT_FALSE(direct.steps[0].decided);
}

TEST(Evaluate, NetworkSetsAreMatchedBySelectors) {
  World w(cluster() + R"(---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkSet
metadata: {name: bad-actors, labels: {role: bad}}
spec: {nets: [203.0.113.0/24]}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: block-bad}
spec:
  order: 10
  selector: all()
  types: [Ingress]
  ingress:
  - action: Deny
    source: {selector: role == "bad"}
  - action: Allow
)");
  auto d = w.check("203.0.113.7", "shop/web", 80);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.deciding().policy, "block-bad");
  EXPECT_TRUE(w.allowed("198.51.100.7", "shop/web", 80));
}

}  // namespace
}  // namespace podnet::policy
