// The lab's pod wiring on the real kernel: pods on one node reach each other through their /32
// routes and proxy ARP for 169.254.1.1, and pods on two nodes do once the nodes have routes to
// each other's blocks (here written by hand; in the labs, podnetd programs them).
#include <gtest/gtest.h>

#include "interop-tests/harness/harness.hpp"
#include "interop-tests/topology/pod.hpp"

namespace podnet::interop {
namespace {

bool ping(Topology& topo, const std::string& from, const std::string& to) {
  return topo.exec(from, {"ping", "-c", "1", "-W", "2", to}).exit_code == 0;
}

TEST(Pods, WiredAsCalicoDoesAndReachableAcrossNodes) {
  if (!harness::is_root()) GTEST_SKIP() << "needs root for network namespaces";
  Topology topo("pnpod");
  ASSERT_TRUE(topo.add_host("n1"));
  ASSERT_TRUE(topo.add_host("n2"));
  auto link = topo.add_link({"n1", "eth0", {"10.0.0.1/24"}}, {"n2", "eth0", {"10.0.0.2/24"}});
  ASSERT_TRUE(link) << link.error().message;
  ASSERT_TRUE(topo.up());
  auto a = add_pod(topo, "n1", "eth0", "n1-a", "10.244.1.1");
  auto b = add_pod(topo, "n1", "eth0", "n1-b", "10.244.1.2");
  auto c = add_pod(topo, "n2", "eth0", "n2-c", "10.244.2.1");
  ASSERT_TRUE(a) << a.error().message;
  ASSERT_TRUE(b) << b.error().message;
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(a->host_if.rfind("cali", 0), 0u);
  EXPECT_EQ(a->host_if.size(), 15u);
  EXPECT_NE(a->host_if, b->host_if);
  // What the pod sees: its /32 and the 169.254.1.1 gateway.
  auto routes = topo.exec("n1-a", {"ip", "route"});
  EXPECT_NE(routes.out.find("default via 169.254.1.1 dev eth0"), std::string::npos) << routes.out;

  EXPECT_TRUE(ping(topo, "n1-a", "10.244.1.2"));   // same node
  EXPECT_FALSE(ping(topo, "n1-a", "10.244.2.1"));  // other node: no route to its block yet
  ASSERT_EQ(topo.exec("n1", {"ip", "route", "add", "10.244.2.0/26", "via", "10.0.0.2"}).exit_code,
            0);
  ASSERT_EQ(topo.exec("n2", {"ip", "route", "add", "10.244.1.0/26", "via", "10.0.0.1"}).exit_code,
            0);
  EXPECT_TRUE(ping(topo, "n1-a", "10.244.2.1"));
  EXPECT_TRUE(ping(topo, "n2-c", "10.244.1.2"));
}

}  // namespace
}  // namespace podnet::interop
