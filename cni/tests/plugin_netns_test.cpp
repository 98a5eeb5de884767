// The network plugin in real network namespaces, invoked as a runtime invokes it: a "node"
// namespace where the plugin runs (with an uplink whose default route lets proxy ARP answer for
// 169.254.1.1), pod namespaces it wires, a temp-directory datastore with an IPPool.
#include <gtest/gtest.h>

#include <filesystem>

#include "cni/ipam_plugin.hpp"
#include "cni/network_plugin.hpp"
#include "cni/tests/runtime.hpp"
#include "conf/resource.hpp"
#include "interop-tests/harness/harness.hpp"
#include "ipam-sync/ipam_net.hpp"
#include "ipam-sync/resource_ops.hpp"
#include "policy/endpoints.hpp"

namespace podnet::cni::testing {
namespace {

using harness::Netns;

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

class PluginNetnsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!harness::is_root()) GTEST_FAIL() << "the netns tests need root";
    store.apply(pool_yaml("pool-a", "10.65.0.0/24"));
    node = std::make_unique<Netns>("cni-node");
    for (const char* cmd :
         {"ip link set lo up", "sysctl -qw net.ipv4.ip_forward=1",
          "sysctl -qw net.ipv6.conf.all.forwarding=1", "ip link add up0 type veth peer name up0p",
          "ip link set up0p up", "ip link set up0 up", "ip addr add 192.0.2.1/24 dev up0",
          "ip -6 addr add 2001:db8::1/64 dev up0 nodad",
          "ip route add default via 192.0.2.254 dev up0"})
      ASSERT_EQ(in_node(cmd).exit_code, 0) << cmd;
  }

  harness::CommandResult in_node(const std::string& script) {
    return harness::sh("ip netns exec " + node->name() + " sh -c '" + script + "'");
  }
  harness::CommandResult in_pod(const Netns& pod, const std::string& script) {
    return harness::sh("ip netns exec " + pod.name() + " sh -c '" + script + "'");
  }
  static std::string path(const Netns& ns) { return "/var/run/netns/" + ns.name(); }

  Invocation run(const std::string& command, const std::string& cid, const std::string& netns,
                 const std::string& pod, const nlohmann::json& conf) {
    return invoke(plugin_path(), cni_env(command, cid, netns, "yaobank", pod), conf.dump(),
                  node->name());
  }
  std::vector<std::string> held(const std::string& cid) {
    auto h = handle_addresses(store.ds(), "k8s-pod-network." + cid);
    EXPECT_TRUE(h.ok());
    return h.ok() ? *h : std::vector<std::string>{};
  }
  bool node_has_link(const std::string& name) {
    return in_node("ip link show dev " + name + " >/dev/null 2>&1").exit_code == 0;
  }

  TestStore store;
  std::unique_ptr<Netns> node;
  std::string cid_prefix = "c" + std::to_string(::getpid()) + "-";
};

TEST_F(PluginNetnsTest, AddWiresTwoPodsThatReachEachOtherThenCheckAndDel) {
  Netns pod1("cni-pod1"), pod2("cni-pod2");
  auto conf = net_conf(store.dir());
  conf["mtu"] = 1400;
  const std::string c1 = cid_prefix + "1", c2 = cid_prefix + "2";
  auto r1 = run("ADD", c1, path(pod1), "customer", conf);
  ASSERT_EQ(r1.exit_code, 0) << r1.out;
  auto r2 = run("ADD", c2, path(pod2), "summary", conf);
  ASSERT_EQ(r2.exit_code, 0) << r2.out;

  // The result, CNI 1.0.
  auto j = r1.json();
  const std::string cali1 = policy::workload_interface_name("yaobank", "customer");
  const std::string cali2 = policy::workload_interface_name("yaobank", "summary");
  ASSERT_EQ(j["interfaces"].size(), 2u) << r1.out;
  EXPECT_EQ(j["interfaces"][0]["name"], cali1);
  EXPECT_EQ(j["interfaces"][0]["mac"], "ee:ee:ee:ee:ee:ee");
  EXPECT_EQ(j["interfaces"][1]["name"], "eth0");
  EXPECT_EQ(j["interfaces"][1]["sandbox"], path(pod1));
  ASSERT_EQ(j["ips"].size(), 1u);
  EXPECT_EQ(j["ips"][0]["interface"], 1);
  const std::string cidr1 = j["ips"][0]["address"];
  const std::string ip1 = cidr1.substr(0, cidr1.find('/'));
  const std::string ip2 = [&] {
    std::string c = r2.json()["ips"][0]["address"];
    return c.substr(0, c.find('/'));
  }();
  EXPECT_EQ(cidr1, ip1 + "/32");
  EXPECT_EQ(held(c1), std::vector<std::string>{ip1});

  // The kernel, host side: the cali veth with Calico's MAC, MTU, proxy ARP, forwarding and a
  // /32 link route; pod side: eth0 with the /32, MTU and the routes via 169.254.1.1.
  auto link = in_node("ip -o link show dev " + cali1);
  ASSERT_EQ(link.exit_code, 0);
  EXPECT_NE(link.out.find("mtu 1400"), std::string::npos) << link.out;
  EXPECT_NE(link.out.find("ee:ee:ee:ee:ee:ee"), std::string::npos) << link.out;
  EXPECT_NE(link.out.find("UP"), std::string::npos) << link.out;
  EXPECT_EQ(trim(in_node("cat /proc/sys/net/ipv4/conf/" + cali1 + "/proxy_arp").out), "1");
  EXPECT_EQ(trim(in_node("cat /proc/sys/net/ipv4/conf/" + cali1 + "/forwarding").out), "1");
  EXPECT_EQ(trim(in_node("ip route show " + ip1 + "/32").out),
            ip1 + " dev " + cali1 + " scope link");
  EXPECT_NE(in_pod(pod1, "ip -o link show dev eth0").out.find("mtu 1400"), std::string::npos);
  EXPECT_NE(in_pod(pod1, "ip -o addr show dev eth0").out.find("inet " + ip1 + "/32"),
            std::string::npos);
  EXPECT_EQ(trim(in_pod(pod1, "ip route show default").out), "default via 169.254.1.1 dev eth0");
  EXPECT_EQ(trim(in_pod(pod1, "ip route show 169.254.1.1").out), "169.254.1.1 dev eth0 scope link");
  EXPECT_EQ(j["interfaces"][1]["mac"], trim(in_pod(pod1, "cat /sys/class/net/eth0/address").out));

  // Traffic: pod to pod across the node, and pod to the node's own address.
  EXPECT_EQ(in_pod(pod1, "ping -c1 -W2 " + ip2).exit_code, 0);
  EXPECT_EQ(in_pod(pod2, "ping -c1 -W2 " + ip1).exit_code, 0);
  EXPECT_EQ(in_pod(pod1, "ping -c1 -W2 192.0.2.1").exit_code, 0);

  // The Pod resource (created minimal: it did not exist) carries the IPs.
  auto pod = store::load(store.ds(), "pods/yaobank/customer");
  ASSERT_TRUE(pod.ok());
  EXPECT_EQ(pod->doc["status"]["podIPs"][0]["ip"], ip1);
  EXPECT_EQ(pod->doc["status"]["podIP"], ip1);
  EXPECT_EQ(pod->doc["spec"]["nodeName"], "node1");
  EXPECT_EQ(pod->doc["metadata"]["annotations"]["cni.projectcalico.org/containerID"], c1);
  EXPECT_EQ(pod->doc["metadata"]["annotations"]["cni.projectcalico.org/podIP"], ip1 + "/32");

  // CHECK: fine as ADD left it; the host route gone, it says so.
  auto check_conf = conf;
  check_conf["prevResult"] = j;
  auto ok = run("CHECK", c1, path(pod1), "customer", check_conf);
  EXPECT_EQ(ok.exit_code, 0) << ok.out;
  ASSERT_EQ(in_node("ip route del " + ip1 + "/32 dev " + cali1).exit_code, 0);
  auto bad = run("CHECK", c1, path(pod1), "customer", check_conf);
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_EQ(bad.json()["code"], kCheckFailed) << bad.out;
  EXPECT_EQ(bad.json()["msg"], "host route " + ip1 + "/32 dev " + cali1 + " missing");
  ASSERT_EQ(in_pod(pod2, "ip route del default").exit_code, 0);
  auto check_conf2 = conf;
  check_conf2["prevResult"] = r2.json();
  auto bad2 = run("CHECK", c2, path(pod2), "summary", check_conf2);
  EXPECT_EQ(bad2.json()["msg"], "default route via 169.254.1.1 dev eth0 missing in the pod")
      << bad2.out;

  // DEL: veth, route, address and Pod record gone; again (idempotent); and with the sandbox
  // gone too.
  for (int i = 0; i < 2; ++i) {
    auto del = run("DEL", c1, path(pod1), "customer", conf);
    EXPECT_EQ(del.exit_code, 0) << del.out;
    EXPECT_TRUE(del.out.empty()) << del.out;
  }
  EXPECT_FALSE(node_has_link(cali1));
  EXPECT_EQ(in_pod(pod1, "ip link show dev eth0 2>/dev/null").exit_code, 1);
  EXPECT_TRUE(held(c1).empty());
  pod = store::load(store.ds(), "pods/yaobank/customer");
  ASSERT_TRUE(pod.ok());
  EXPECT_FALSE(pod->doc["status"].contains("podIPs"));
  EXPECT_FALSE(pod->doc["metadata"]["annotations"].contains("cni.projectcalico.org/containerID"));
  auto del_gone = run("DEL", c1, "/var/run/netns/podnet-cni-gone", "customer", conf);
  EXPECT_EQ(del_gone.exit_code, 0) << del_gone.out;
  auto del_nons = run("DEL", c2, "", "summary", conf);  // no CNI_NETNS at all
  EXPECT_EQ(del_nons.exit_code, 0) << del_nons.out;
  EXPECT_TRUE(held(c2).empty());
}

TEST_F(PluginNetnsTest, ExistingPodKeepsLabelsAndStaleRecordsOfOtherSandboxesStay) {
  store.apply(
      "apiVersion: v1\nkind: Pod\nmetadata:\n  name: database\n  namespace: yaobank\n"
      "  labels:\n    app: database\nspec:\n  nodeName: node1\n");
  Netns pod("cni-pod");
  auto conf = net_conf(store.dir());
  const std::string c1 = cid_prefix + "db";
  auto r = run("ADD", c1, path(pod), "database", conf);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  auto doc = store::load(store.ds(), "pods/yaobank/database");
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ(doc->doc["metadata"]["labels"]["app"], "database");
  EXPECT_EQ(doc->doc["status"]["podIPs"].size(), 1u);
  // A DEL for an older sandbox of the same pod leaves this one's record alone.
  auto old = run("DEL", cid_prefix + "older", "", "database", conf);
  EXPECT_EQ(old.exit_code, 0) << old.out;
  doc = store::load(store.ds(), "pods/yaobank/database");
  EXPECT_EQ(doc->doc["status"]["podIPs"].size(), 1u);
  EXPECT_EQ(run("DEL", c1, path(pod), "database", conf).exit_code, 0);
}

TEST_F(PluginNetnsTest, MtuComesFromTheDataplaneFile) {
  Netns pod("cni-pod");
  auto conf = net_conf(store.dir());
  harness::write_file(store.dir() + "/mtu", "1430\n");
  conf["mtu_file"] = store.dir() + "/mtu";
  const std::string c1 = cid_prefix + "mtu";
  auto r = run("ADD", c1, path(pod), "mtu", conf);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(in_pod(pod, "ip -o link show dev eth0").out.find("mtu 1430"), std::string::npos);
  EXPECT_NE(in_node("ip -o link show dev " + policy::workload_interface_name("yaobank", "mtu"))
                .out.find("mtu 1430"),
            std::string::npos);
  EXPECT_EQ(run("DEL", c1, path(pod), "mtu", conf).exit_code, 0);
}

TEST_F(PluginNetnsTest, FailureHalfWayLeavesNothingBehind) {
  auto conf = net_conf(store.dir());
  // The sandbox already has an eth0: the veth cannot be created after the allocation.
  Netns pod("cni-pod");
  ASSERT_EQ(in_pod(pod, "ip link add eth0 type veth peer name eth0p").exit_code, 0);
  const std::string c1 = cid_prefix + "clash";
  auto r = run("ADD", c1, path(pod), "clash", conf);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.json()["code"], kKernelFailure) << r.out;
  const std::string cali = policy::workload_interface_name("yaobank", "clash");
  EXPECT_FALSE(node_has_link(cali));
  EXPECT_TRUE(held(c1).empty());
  EXPECT_EQ(store.ds().get("pods/yaobank/clash").error().code, Errc::not_found);
  EXPECT_EQ(trim(in_node("ip route show | grep -c 10.65 || true").out), "0");

  // A host device of the cali name that is not a veth is not ours to replace.
  Netns pod2("cni-pod2");
  const std::string cali2 = policy::workload_interface_name("yaobank", "clash2");
  ASSERT_EQ(in_node("ip link add " + cali2 + " type bridge").exit_code, 0);
  auto r2 = run("ADD", c1, path(pod2), "clash2", conf);
  EXPECT_EQ(r2.exit_code, 1);
  EXPECT_NE(r2.json()["msg"].get<std::string>().find("is not a veth"), std::string::npos) << r2.out;
  EXPECT_TRUE(node_has_link(cali2));
  EXPECT_EQ(in_pod(pod2, "ip link show dev eth0 2>/dev/null").exit_code, 1);
  EXPECT_TRUE(held(c1).empty());

  // Every block is empty again: nothing leaked.
  auto blocks = store.ds().list("ipamblocks/");
  ASSERT_TRUE(blocks.ok());
  for (const auto& e : blocks->entries) {
    auto b = store::load(store.ds(), e.key);
    ASSERT_TRUE(b.ok());
    for (const auto& a : b->doc["spec"]["allocations"]) EXPECT_TRUE(a.is_null()) << e.key;
  }
}

TEST_F(PluginNetnsTest, DualStackPodsReachEachOtherOverIpv6) {
  store.apply(pool_yaml("pool-v6", "fd00:65::/120", 122));
  Netns pod1("cni-pod1"), pod2("cni-pod2");
  auto conf = net_conf(store.dir());
  conf["ipam"]["assign_ipv6"] = "true";
  auto r1 = run("ADD", cid_prefix + "v6a", path(pod1), "v6a", conf);
  ASSERT_EQ(r1.exit_code, 0) << r1.out;
  auto r2 = run("ADD", cid_prefix + "v6b", path(pod2), "v6b", conf);
  ASSERT_EQ(r2.exit_code, 0) << r2.out;
  ASSERT_EQ(r2.json()["ips"].size(), 2u);
  const std::string v6b = [&] {
    std::string c = r2.json()["ips"][1]["address"];
    return c.substr(0, c.find('/'));
  }();
  EXPECT_NE(in_pod(pod1, "ip -6 route show default").out.find("via fe80::ecee:eeff:feee:eeee"),
            std::string::npos);
  EXPECT_NE(in_pod(pod2, "ip -o -6 addr show dev eth0").out.find(v6b + "/128"), std::string::npos);
  const std::string cali2 = policy::workload_interface_name("yaobank", "v6b");
  EXPECT_EQ(trim(in_node("ip -6 route show " + v6b + "/128").out),
            v6b + " dev " + cali2 + " metric 1024 pref medium");
  // The host side's link-local address finishes DAD a moment after the link comes up.
  EXPECT_TRUE(
      harness::wait_until([&] { return in_pod(pod1, "ping -6 -c1 -W1 " + v6b).exit_code == 0; },
                          std::chrono::seconds(10)));
  auto check_conf = conf;
  check_conf["prevResult"] = r2.json();
  EXPECT_EQ(run("CHECK", cid_prefix + "v6b", path(pod2), "v6b", check_conf).exit_code, 0);
  EXPECT_EQ(run("DEL", cid_prefix + "v6a", path(pod1), "v6a", conf).exit_code, 0);
  EXPECT_EQ(run("DEL", cid_prefix + "v6b", path(pod2), "v6b", conf).exit_code, 0);
  EXPECT_TRUE(held(cid_prefix + "v6b").empty());
}

}  // namespace
}  // namespace podnet::cni::testing
