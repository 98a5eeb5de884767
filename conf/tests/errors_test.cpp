// Bad manifests: each error names the document, the field path, and the line and column where
// the problem was written; a bad document in a stream is rejected alone.
#include <gtest/gtest.h>

#include "conf/resource.hpp"

namespace podnet::conf {
namespace {

struct Expect {
  int line, column;
  std::string message;  // exact Diagnostic::message
};

void expect_error(const std::string& yaml, const Expect& e) {
  auto docs = parse_documents(yaml, "bad.yaml");
  ASSERT_EQ(docs.size(), 1u);
  ASSERT_FALSE(docs[0].errors.empty()) << "accepted:\n" << yaml;
  EXPECT_TRUE(docs[0].resources.empty());
  const Diagnostic& d = docs[0].errors[0];
  EXPECT_EQ(d.message, e.message);
  EXPECT_EQ(d.line, e.line) << d.str();
  EXPECT_EQ(d.column, e.column) << d.str();
  EXPECT_EQ(d.source, "bad.yaml");
  EXPECT_EQ(d.str(), "bad.yaml:" + std::to_string(e.line) + ":" + std::to_string(e.column) + ": " +
                         e.message);
}

const std::string kPool =
    "apiVersion: projectcalico.org/v3\n"
    "kind: IPPool\n"
    "metadata:\n"
    "  name: pool-a\n"
    "spec:\n";

TEST(Errors, UnknownField) {
  expect_error(kPool + "  cidr: 10.0.0.0/16\n  blockSise: 26\n",
               {7, 3, "IPPool 'pool-a': spec.blockSise: unknown field"});
  expect_error(
      "apiVersion: projectcalico.org/v3\nkind: BGPPeer\nmetadata:\n  name: p\n  colour: red\n",
      {5, 3, "BGPPeer 'p': metadata.colour: unknown field"});
}

TEST(Errors, WrongType) {
  expect_error(
      kPool + "  cidr: 10.0.0.0/16\n  natOutgoing: yes-please\n",
      {7, 16, "IPPool 'pool-a': spec.natOutgoing: expected a boolean, got string yes-please"});
  expect_error(kPool + "  cidr: 10.0.0.0/16\n  blockSize: \"26\"\n",
               {7, 14, "IPPool 'pool-a': spec.blockSize: expected an integer, got string 26"});
  expect_error(kPool + "  cidr: [10.0.0.0/16]\n",
               {6, 9, "IPPool 'pool-a': spec.cidr: expected a string, got a list"});
}

TEST(Errors, OutOfRange) {
  expect_error(
      kPool + "  cidr: 10.0.0.0/16\n  blockSize: 40\n",
      {7, 14, "IPPool 'pool-a': spec.blockSize: 40 is out of range 20-32 for an IPv4 pool"});
  expect_error(kPool + "  cidr: 10.0.0.0/28\n",
               {6, 9,
                "IPPool 'pool-a': spec.cidr: pool 10.0.0.0/28 is smaller than its blocks (/26); "
                "use a prefix of /26 or shorter, or a larger blockSize"});
  expect_error(
      "apiVersion: projectcalico.org/v3\nkind: BGPConfiguration\nmetadata:\n  name: default\n"
      "spec:\n  listenPort: 70000\n",
      {6, 15, "BGPConfiguration 'default': spec.listenPort: 70000 is out of range 1-65535"});
  expect_error(
      kPool + "  cidr: 10.0.0.0/16\n  ipipMode: Sometimes\n",
      {7, 13,
       "IPPool 'pool-a': spec.ipipMode: \"Sometimes\" is not one of Never, Always, CrossSubnet"});
}

TEST(Errors, BadCidrAndIp) {
  expect_error(kPool + "  cidr: 10.0.0.300/16\n",
               {6, 9, "IPPool 'pool-a': spec.cidr: \"10.0.0.300/16\" is not a valid CIDR"});
  expect_error(kPool + "  cidr: 10.0.0.1/16\n",
               {6, 9,
                "IPPool 'pool-a': spec.cidr: \"10.0.0.1/16\" is not strictly masked (did you mean "
                "10.0.0.0/16?)"});
  expect_error(
      "apiVersion: projectcalico.org/v3\nkind: BGPPeer\nmetadata:\n  name: tor\nspec:\n"
      "  peerIP: 10.0.0.1:99999\n",
      {6, 11, "BGPPeer 'tor': spec.peerIP: \"10.0.0.1:99999\": port must be 1-65535"});
  expect_error(
      "apiVersion: projectcalico.org/v3\nkind: Node\nmetadata:\n  name: n1\nspec:\n  bgp:\n"
      "    ipv4Address: 2001:db8::1/64\n",
      {7, 18, "Node 'n1': spec.bgp.ipv4Address: \"2001:db8::1/64\" is not an IPv4 CIDR"});
  expect_error(
      "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata:\n  name: g\nspec:\n"
      "  ingress:\n  - action: Allow\n    source:\n      nets:\n      - 10.0.0.0/8\n      - "
      "300.1.1.1\n",
      {11, 9,
       "GlobalNetworkPolicy 'g': spec.ingress[0].source.nets[1]: \"300.1.1.1\" is not a valid "
       "CIDR"});
}

TEST(Errors, MissingNameAndRequiredFields) {
  expect_error(
      "apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  labels: {a: b}\nspec:\n  cidr: "
      "10.0.0.0/16\n",
      {4, 3, "IPPool (unnamed): metadata.name: required field is missing"});
  expect_error("apiVersion: projectcalico.org/v3\nkind: IPPool\nspec:\n  cidr: 10.0.0.0/16\n",
               {1, 1, "IPPool (unnamed): metadata: required field is missing"});
  expect_error(
      "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata:\n  name: p\nspec:\n"
      "  ingress:\n  - protocol: TCP\n",
      {7, 5, "NetworkPolicy 'p': spec.ingress[0].action: required field is missing"});
  expect_error(
      "apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: Pool_A\nspec:\n  cidr: "
      "10.0.0.0/16\n",
      {4, 9,
       "IPPool 'Pool_A': metadata.name: \"Pool_A\": must consist of lower case alphanumeric "
       "characters, '-' or '.' (DNS-1123 subdomain)"});
}

TEST(Errors, BadLabels) {
  expect_error(
      kPool.substr(0, kPool.size() - 6) +
          "  labels:\n    bad key!: x\nspec:\n  cidr: 10.0.0.0/16\n",
      {6, 5,
       "IPPool 'pool-a': metadata.labels.bad key!: invalid key \"bad key!\": key must consist "
       "of alphanumeric characters, '-', '_' or '.'"});
  expect_error(
      kPool.substr(0, kPool.size() - 6) + "  labels:\n    app: -bad-\nspec:\n  cidr: 10.0.0.0/16\n",
      {6, 10,
       "IPPool 'pool-a': metadata.labels.app: \"-bad-\": value must start and end with an "
       "alphanumeric character"});
  expect_error(
      kPool.substr(0, kPool.size() - 6) +
          "  labels:\n    replicas: 3\nspec:\n  cidr: 10.0.0.0/16\n",
      {6, 15, "IPPool 'pool-a': metadata.labels.replicas: expected a string, got integer 3"});
}

TEST(Errors, KindAndApiVersion) {
  expect_error("apiVersion: projectcalico.org/v3\nkind: IPPoool\nmetadata:\n  name: x\n",
               {2, 7, "document 1: kind: unknown kind \"IPPoool\" (projectcalico.org/v3)"});
  expect_error("apiVersion: v1\nkind: IPPool\nmetadata:\n  name: x\n",
               {1, 13, "document 1: apiVersion: IPPool is projectcalico.org/v3, not v1"});
  expect_error("kind: IPPool\nmetadata:\n  name: x\n",
               {1, 1, "document 1: apiVersion: required field is missing"});
  expect_error("just a string\n",
               {1, 1, "document 1: expected a map with apiVersion, kind and metadata"});
}

TEST(Errors, PolicyRules) {
  const std::string gnp =
      "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata:\n  name: g\nspec:\n";
  expect_error(
      gnp + "  ingress:\n  - action: Allow\n    destination:\n      ports: [80]\n",
      {9, 14,
       "GlobalNetworkPolicy 'g': spec.ingress[0].destination.ports: rules that specify ports "
       "must set protocol to TCP, UDP or SCTP"});
  expect_error(gnp + "  preDNAT: true\n  ingress:\n  - action: Deny\n",
               {6, 12,
                "GlobalNetworkPolicy 'g': spec.preDNAT: applyOnForward must be true when "
                "preDNAT is true"});
  expect_error(
      gnp +
          "  ingress:\n  - action: Allow\n    protocol: TCP\n    destination:\n      ports: "
          "[\"30000:20000\"]\n",
      {10, 15,
       "GlobalNetworkPolicy 'g': spec.ingress[0].destination.ports[0]: port range \"30000:20000\" "
       "is invalid (0-65535, lo <= hi)"});
  // notICMP narrows an ICMP rule like icmp does: it needs protocol ICMP, not notProtocol.
  expect_error(
      gnp + "  ingress:\n  - action: Deny\n    notProtocol: ICMP\n    notICMP:\n      type: 8\n",
      {10, 7,
       "GlobalNetworkPolicy 'g': spec.ingress[0].notICMP: notICMP needs protocol ICMP or "
       "ICMPv6"});
  auto ok = parse_documents(
      gnp + "  ingress:\n  - action: Deny\n    protocol: ICMP\n    notICMP:\n      type: 8\n",
      "ok.yaml");
  ASSERT_EQ(ok.size(), 1u);
  EXPECT_TRUE(ok[0].errors.empty()) << ok[0].errors[0].str();
  expect_error(gnp + "  ingress:\n  - action: Permit\n",
               {7, 13,
                "GlobalNetworkPolicy 'g': spec.ingress[0].action: \"Permit\" is not one of Allow, "
                "Deny, Log, Pass"});
}

TEST(Errors, YamlSyntax) {
  expect_error("apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: [x\n",
               {5, 1, "document 1: YAML syntax error: end of sequence flow not found"});
}

TEST(Errors, OneBadDocumentInAStreamIsRejectedAlone) {
  const std::string text =
      "# pools\n"
      "apiVersion: projectcalico.org/v3\n"  // 2
      "kind: IPPool\n"
      "metadata:\n  name: good-1\n"
      "spec:\n  cidr: 10.1.0.0/16\n"
      "---\n"                               // 8
      "apiVersion: projectcalico.org/v3\n"  // 9
      "kind: IPPool\n"
      "metadata:\n  name: bad\n"
      "spec:\n  cidr: 10.2.0.0/16\n  blockSize: 19\n"  // 15
      "---\n"
      "apiVersion: projectcalico.org/v3\n"  // 17
      "kind: IPPool\n"
      "metadata:\n  name: good-2\n"
      "spec:\n  cidr: 10.3.0.0/16\n"
      "--- \n"
      "key: [unclosed\n"  // 24
      "---\n"
      "# only a comment\n"
      "---\n"
      "apiVersion: projectcalico.org/v3\n"  // 28
      "kind: Tier\n"
      "metadata:\n  name: platform\n";
  auto docs = parse_documents(text, "stream.yaml");
  ASSERT_EQ(docs.size(), 5u);
  EXPECT_TRUE(docs[0].errors.empty());
  EXPECT_EQ(docs[0].description, "IPPool good-1");
  EXPECT_EQ(docs[0].line, 2);
  ASSERT_EQ(docs[1].errors.size(), 1u);
  EXPECT_TRUE(docs[1].resources.empty());
  EXPECT_EQ(docs[1].index, 1);
  EXPECT_EQ(docs[1].line, 9);
  EXPECT_EQ(docs[1].description, "IPPool bad");
  EXPECT_EQ(
      docs[1].errors[0].str(),
      "stream.yaml:15:14: IPPool 'bad': spec.blockSize: 19 is out of range 20-32 for an IPv4 pool");
  EXPECT_TRUE(docs[2].errors.empty());
  EXPECT_EQ(docs[2].resources.at(0).name(), "good-2");
  ASSERT_FALSE(docs[3].errors.empty());
  EXPECT_EQ(docs[3].description, "document 4");
  EXPECT_EQ(docs[3].errors[0].line, 25);
  EXPECT_TRUE(docs[4].errors.empty());
  EXPECT_EQ(docs[4].index, 4);
  EXPECT_EQ(docs[4].resources.at(0).doc["spec"]["defaultAction"], "Deny");
}

TEST(Errors, AllProblemsOfADocumentAreReported) {
  auto docs =
      parse_documents(kPool + "  cidr: 10.0.0.0/16\n  colour: red\n  natOutgoing: 1\n", "x.yaml");
  ASSERT_EQ(docs.size(), 1u);
  ASSERT_EQ(docs[0].errors.size(), 2u);
  EXPECT_EQ(docs[0].errors[0].line, 7);
  EXPECT_EQ(docs[0].errors[1].line, 8);
}

}  // namespace
}  // namespace podnet::conf
