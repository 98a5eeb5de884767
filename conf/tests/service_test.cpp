// The Service kind: what podnetd's ClusterIP / NodePort implementation reads, the API server's
// defaults (type ClusterIP, protocol TCP) and its validation rules, each with a precise error.
#include <gtest/gtest.h>

#include "conf/decode.hpp"
#include "conf/resource.hpp"

namespace podnet::conf {
namespace {

const std::string kHead =
    "apiVersion: v1\nkind: Service\nmetadata:\n  name: customer\n  namespace: yaobank\n"
    "  labels:\n    app: customer\nspec:\n";

std::vector<Diagnostic> errors_of(const std::string& yaml) {
  auto docs = parse_documents(yaml, "svc.yaml");
  EXPECT_EQ(docs.size(), 1u);
  return docs.empty() ? std::vector<Diagnostic>{} : docs[0].errors;
}

std::string first_error(const std::string& spec) {
  auto e = errors_of(kHead + spec);
  return e.empty() ? "" : e.front().str();
}

TEST(ServiceKind, NamesAndAliases) {
  for (const char* n : {"service", "services", "svc", "Service"}) {
    ASSERT_NE(find_kind(n), nullptr) << n;
    EXPECT_EQ(find_kind(n)->plural, "services");
  }
  EXPECT_EQ(find_kind("v1", "Service")->kind, "Service");
  EXPECT_TRUE(find_kind("svc")->namespaced);
}

TEST(ServiceKind, DecodesTheYaobankNodePortWithDefaults) {
  auto docs =
      parse_documents(kHead +
                          "  type: NodePort\n  clusterIP: 10.96.0.10\n"
                          "  selector:\n    app: customer\n"
                          "  ports:\n  - port: 80\n    targetPort: 80\n    nodePort: 30180\n"
                          "  sessionAffinity: None\n",
                      "svc.yaml");
  ASSERT_EQ(docs.size(), 1u);
  ASSERT_TRUE(docs[0].errors.empty()) << docs[0].errors[0].str();
  ASSERT_EQ(docs[0].resources.size(), 1u);
  EXPECT_EQ(docs[0].resources[0].key(), "services/yaobank/customer");
  auto s = decode<types::Service>(docs[0].resources[0]);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->spec.type, "NodePort");
  EXPECT_EQ(s->spec.cluster_ip, "10.96.0.10");
  EXPECT_EQ(s->spec.selector, (std::map<std::string, std::string>{{"app", "customer"}}));
  ASSERT_EQ(s->spec.ports.size(), 1u);
  EXPECT_EQ(s->spec.ports[0].protocol, "TCP");  // defaulted
  EXPECT_EQ(s->spec.ports[0].port, 80);
  ASSERT_TRUE(s->spec.ports[0].target_port);
  EXPECT_TRUE(s->spec.ports[0].target_port->is_int);
  EXPECT_EQ(s->spec.ports[0].node_port, 30180);
  EXPECT_EQ(s->spec.external_traffic_policy, "Cluster");
}

TEST(ServiceKind, ClusterIpDefaultAndNamedTargetPort) {
  auto docs = parse_documents(kHead +
                                  "  clusterIP: 10.96.0.11\n  selector:\n    app: summary\n"
                                  "  ports:\n  - name: http\n    protocol: UDP\n    port: 80\n"
                                  "    targetPort: web\n",
                              "svc.yaml");
  ASSERT_TRUE(docs[0].errors.empty()) << docs[0].errors[0].str();
  auto s = decode<types::Service>(docs[0].resources[0]);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->spec.type, "ClusterIP");
  EXPECT_EQ(s->spec.ports[0].protocol, "UDP");
  ASSERT_TRUE(s->spec.ports[0].target_port);
  EXPECT_FALSE(s->spec.ports[0].target_port->is_int);
  EXPECT_EQ(s->spec.ports[0].target_port->str, "web");
  EXPECT_EQ(s->spec.ports[0].node_port, 0);
}

TEST(ServiceKind, PreciseErrors) {
  EXPECT_EQ(first_error("  type: NodePort\n  ports:\n  - port: 80\n    nodePort: 80\n"),
            "svc.yaml:12:15: Service 'customer': spec.ports[0].nodePort: 80 is out of "
            "range 30000-32767");
  EXPECT_EQ(first_error("  type: LoadBalancer\n"),
            "svc.yaml:9:9: Service 'customer': spec.type: \"LoadBalancer\" is not one of "
            "ClusterIP, NodePort");
  EXPECT_EQ(first_error("  ports:\n  - port: 80\n    nodePort: 30180\n"),
            "svc.yaml:11:15: Service 'customer': spec.ports[0].nodePort: may only be set "
            "when type is NodePort");
  EXPECT_EQ(first_error("  type: NodePort\n  ports:\n  - port: 80\n"),
            "svc.yaml:11:5: Service 'customer': spec.ports[0].nodePort: required for type "
            "NodePort (podnet does not allocate node ports)");
  EXPECT_EQ(first_error("  ports:\n  - port: 80\n    protocol: ICMP\n"),
            "svc.yaml:11:15: Service 'customer': spec.ports[0].protocol: \"ICMP\" is not "
            "one of TCP, UDP, SCTP");
  EXPECT_EQ(first_error("  ports:\n  - port: 80\n    targetPort: Web_1\n"),
            "svc.yaml:11:17: Service 'customer': spec.ports[0].targetPort: \"Web_1\" is "
            "not a port name (lower case letters, digits and '-')");
  EXPECT_EQ(first_error("  ports:\n  - port: 70000\n"),
            "svc.yaml:10:11: Service 'customer': spec.ports[0].port: 70000 is out of "
            "range 1-65535");
  EXPECT_EQ(first_error("  ports:\n  - name: a\n    port: 80\n  - port: 81\n"),
            "svc.yaml:12:5: Service 'customer': spec.ports[1].name: required when the "
            "service has more than one port");
  EXPECT_EQ(first_error("  ports:\n  - name: a\n    port: 80\n  - name: b\n    port: 80\n"),
            "svc.yaml:13:11: Service 'customer': spec.ports[1].port: duplicate TCP port 80");
  EXPECT_EQ(first_error("  type: NodePort\n  ports:\n  - name: a\n    port: 80\n    nodePort: "
                        "30001\n  - name: b\n    port: 81\n    nodePort: 30001\n"),
            "svc.yaml:16:15: Service 'customer': spec.ports[1].nodePort: duplicate TCP "
            "node port 30001");
  EXPECT_EQ(first_error("  externalTrafficPolicy: Local\n"),
            "svc.yaml:9:26: Service 'customer': spec.externalTrafficPolicy: may only be "
            "set when type is NodePort");
  EXPECT_EQ(first_error("  clusterIP: fd00::1\n"),
            "svc.yaml:9:14: Service 'customer': spec.clusterIP: IPv6 cluster IPs are not "
            "supported");
  EXPECT_EQ(first_error("  selector:\n    \"bad key!\": x\n"),
            first_error("  selector:\n    \"bad key!\": x\n"));  // deterministic
  EXPECT_NE(first_error("  selector:\n    \"bad key!\": x\n"), "");
}

}  // namespace
}  // namespace podnet::conf
