// The lab's pod wiring on the real kernel: pods on one node reach each other through their /32
// routes and proxy ARP for 169.254.1.1, and pods on two nodes do once the nodes have routes to
// each other's blocks (here written by hand; in the labs, podnetd programs them).
#include <gtest/gtest.h>

#include "conf/kinds.hpp"
#include "interop-tests/harness/harness.hpp"
#include "interop-tests/topology/pod.hpp"
#include "ipam-sync/directory_store.hpp"
#include "ipam-sync/resource_ops.hpp"
#include "policy/endpoints.hpp"

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

// The lab's pod names its device as Calico's CNI plugin does, and registered in a datastore it is
// the workload endpoint podnetd derives from the Pod: same interface, node, address and labels.
TEST(Pods, RegisteredPodIsTheEndpointPodnetdPolices) {
  // Calico's SHA-1 naming (the value calico-node computes for namespace/podname).
  EXPECT_EQ(cali_name("namespace", "podname"), "cali82111e10a96");
  if (!harness::is_root()) GTEST_SKIP() << "needs root for network namespaces";
  Topology topo("pnreg");
  ASSERT_TRUE(topo.add_host("n1"));
  ASSERT_TRUE(topo.add_host("n2"));
  ASSERT_TRUE(topo.add_link({"n1", "eth0", {"10.0.0.1/24"}}, {"n2", "eth0", {"10.0.0.2/24"}}));
  ASSERT_TRUE(topo.up());
  auto a = add_pod(topo, "n1", "eth0", "web-1", "10.244.1.7", "shop");
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->host_if, cali_name("shop", "web-1"));
  EXPECT_EQ(topo.exec("n1", {"ip", "link", "show", a->host_if}).exit_code, 0);

  harness::TempDir dir{"podnet-pod-reg"};
  const std::string store_dir = dir.file("store");
  ASSERT_TRUE(register_pod(store_dir, *a, {{"app", "web"}}, "web-sa"));
  ASSERT_TRUE(register_pod(store_dir, *a, {{"app", "web"}, {"tier", "front"}}));  // relabel
  auto ds = store::DirectoryStore::open(store_dir);
  ASSERT_TRUE(ds);
  std::vector<conf::Resource> all;
  for (const char* kind : {"Pod", "Namespace"}) {
    auto list = store::load_all(**ds, *conf::find_kind(kind), "");
    ASSERT_TRUE(list) << list.error().message;
    all.insert(all.end(), list->begin(), list->end());
  }
  ASSERT_EQ(all.size(), 2u);  // the pod, once, and its namespace
  auto eps = policy::build_endpoints(all);
  ASSERT_TRUE(eps.errors.empty()) << eps.errors.front().str();
  const policy::Endpoint* e = eps.find("shop/web-1");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->interface, a->host_if);
  EXPECT_EQ(e->node, "n1");
  ASSERT_EQ(e->ips.size(), 1u);
  EXPECT_EQ(e->ips.front().str(), "10.244.1.7");
  EXPECT_EQ(e->labels.at("tier"), "front");
  EXPECT_EQ(e->service_account, "default");
}

}  // namespace
}  // namespace podnet::interop
