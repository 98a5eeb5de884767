// podnet-ipam and the protocol frame of both binaries, invoked as a runtime invokes them, against
// a temp-directory datastore (no kernel work: these run unprivileged).
#include <gtest/gtest.h>

#include "cni/ipam_plugin.hpp"
#include "cni/tests/runtime.hpp"
#include "conf/decode.hpp"
#include "conf/types/ipam.hpp"
#include "ipam-sync/ipam_net.hpp"
#include "ipam-sync/resource_ops.hpp"

namespace podnet::cni::testing {
namespace {

class IpamPluginTest : public ::testing::Test {
 protected:
  void SetUp() override { store.apply(pool_yaml("pool-a", "10.65.0.0/24")); }
  Invocation ipam(const std::string& command, const std::string& cid, const nlohmann::json& conf,
                  const std::string& ns = "yaobank", const std::string& pod = "customer") {
    return invoke(ipam_path(), cni_env(command, cid, "/var/run/netns/unused", ns, pod),
                  conf.dump());
  }
  std::vector<std::string> held(const std::string& cid) {
    auto h = handle_addresses(store.ds(), "k8s-pod-network." + cid);
    EXPECT_TRUE(h.ok());
    return h.ok() ? *h : std::vector<std::string>{};
  }
  TestStore store;
};

bool in(const std::string& cidr, const std::string& address) {
  auto n = ipam::parse_net(cidr);
  auto a = ipam::parse_addr(address.substr(0, address.find('/')));
  return n && a && n->contains(a->value);
}

TEST_F(IpamPluginTest, AddAssignsUnderTheHandleWithCalicoAttributesAndIsIdempotent) {
  auto conf = net_conf(store.dir());
  auto r = ipam("ADD", "c1", conf);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  auto j = r.json();
  ASSERT_EQ(j["ips"].size(), 1u) << r.out;
  const std::string addr = j["ips"][0]["address"];
  EXPECT_TRUE(in("10.65.0.0/24", addr)) << addr;
  EXPECT_EQ(addr.substr(addr.find('/')), "/32");
  EXPECT_FALSE(j["ips"][0].contains("version"));  // 1.0.0 format
  EXPECT_EQ(held("c1"), std::vector<std::string>{addr.substr(0, addr.find('/'))});

  // The block records the owner as Calico's CNI does.
  auto blocks = store.ds().list("ipamblocks/");
  ASSERT_TRUE(blocks.ok());
  ASSERT_EQ(blocks->entries.size(), 1u);
  auto b = store::load(store.ds(), blocks->entries[0].key);
  ASSERT_TRUE(b.ok());
  auto typed = conf::decode<conf::types::IPAMBlock>(*b);
  ASSERT_TRUE(typed.ok());
  EXPECT_EQ(typed->spec.affinity, "host:node1");
  bool found = false;
  for (const auto& a : typed->spec.attributes)
    if (a.handle_id == "k8s-pod-network.c1") {
      found = true;
      EXPECT_EQ(a.secondary.at("node"), "node1");
      EXPECT_EQ(a.secondary.at("namespace"), "yaobank");
      EXPECT_EQ(a.secondary.at("pod"), "customer");
    }
  EXPECT_TRUE(found);

  // A retried ADD gets the same address, not a second one.
  auto again = ipam("ADD", "c1", conf);
  ASSERT_EQ(again.exit_code, 0) << again.out;
  EXPECT_EQ(again.json()["ips"][0]["address"], addr);
  EXPECT_EQ(held("c1").size(), 1u);

  // Another container gets another address.
  auto other = ipam("ADD", "c2", conf, "yaobank", "summary");
  ASSERT_EQ(other.exit_code, 0) << other.out;
  EXPECT_NE(other.json()["ips"][0]["address"], addr);
}

TEST_F(IpamPluginTest, CheckComparesPrevResultWithTheHandle) {
  auto conf = net_conf(store.dir());
  auto add = ipam("ADD", "c1", conf);
  ASSERT_EQ(add.exit_code, 0) << add.out;
  conf["prevResult"] = add.json();
  auto ok = ipam("CHECK", "c1", conf);
  EXPECT_EQ(ok.exit_code, 0) << ok.out;
  EXPECT_TRUE(ok.out.empty());

  conf["prevResult"]["ips"][0]["address"] = "10.65.0.200/32";
  auto bad = ipam("CHECK", "c1", conf);
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_EQ(bad.json()["code"], kCheckFailed) << bad.out;
  EXPECT_NE(bad.json()["msg"].get<std::string>().find("10.65.0.200"), std::string::npos);

  auto none = ipam("CHECK", "c-unknown", conf);
  EXPECT_EQ(none.json()["code"], kCheckFailed) << none.out;
}

TEST_F(IpamPluginTest, DelReleasesAndIsIdempotent) {
  auto conf = net_conf(store.dir());
  ASSERT_EQ(ipam("ADD", "c1", conf).exit_code, 0);
  ASSERT_EQ(held("c1").size(), 1u);
  for (int i = 0; i < 2; ++i) {
    auto del = ipam("DEL", "c1", conf);
    EXPECT_EQ(del.exit_code, 0) << del.out;
    EXPECT_TRUE(del.out.empty());
    EXPECT_TRUE(held("c1").empty());
  }
  EXPECT_EQ(store.ds().get("ipamhandles/k8s-pod-network.c1").error().code, Errc::not_found);
}

TEST_F(IpamPluginTest, PoolsFromConfigNamespaceAndPodAnnotations) {
  store.apply(pool_yaml("pool-b", "10.66.0.0/24") + "---\n" + pool_yaml("pool-c", "10.67.0.0/24"));
  auto conf = net_conf(store.dir());
  // No annotation: the first pool that selects the node.
  // Namespace annotation.
  store.apply(
      "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: yaobank\n  annotations:\n"
      "    cni.projectcalico.org/ipv4pools: '[\"pool-b\"]'\n");
  auto r1 = ipam("ADD", "c1", conf);
  ASSERT_EQ(r1.exit_code, 0) << r1.out;
  EXPECT_TRUE(in("10.66.0.0/24", r1.json()["ips"][0]["address"])) << r1.out;
  // A Pod's annotation wins over its Namespace's.
  store.apply(
      "apiVersion: v1\nkind: Pod\nmetadata:\n  name: summary\n  namespace: yaobank\n"
      "  annotations:\n    cni.projectcalico.org/ipv4pools: '[\"10.67.0.0/24\"]'\n"
      "spec:\n  nodeName: node1\n");
  auto r2 = ipam("ADD", "c2", conf, "yaobank", "summary");
  ASSERT_EQ(r2.exit_code, 0) << r2.out;
  EXPECT_TRUE(in("10.67.0.0/24", r2.json()["ips"][0]["address"])) << r2.out;
  // The config's ipv4_pools win over both.
  conf["ipam"]["ipv4_pools"] = {"pool-a"};
  auto r3 = ipam("ADD", "c3", conf);
  ASSERT_EQ(r3.exit_code, 0) << r3.out;
  EXPECT_TRUE(in("10.65.0.0/24", r3.json()["ips"][0]["address"])) << r3.out;
}

TEST_F(IpamPluginTest, DualStackAndLegacyFormat) {
  store.apply(pool_yaml("pool-v6", "fd00:65::/120", 122));
  auto conf = net_conf(store.dir(), "0.3.1");
  conf["ipam"]["assign_ipv6"] = "true";
  auto r = ipam("ADD", "c1", conf);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  auto j = r.json();
  EXPECT_EQ(j["cniVersion"], "0.3.1");
  ASSERT_EQ(j["ips"].size(), 2u);
  EXPECT_EQ(j["ips"][0]["version"], "4");
  EXPECT_EQ(j["ips"][1]["version"], "6");
  const std::string v6 = j["ips"][1]["address"];
  EXPECT_TRUE(in("fd00:65::/120", v6)) << v6;
  EXPECT_EQ(v6.substr(v6.find('/')), "/128");
  EXPECT_EQ(held("c1").size(), 2u);
}

TEST_F(IpamPluginTest, Ipv6FailureReleasesTheIpv4Address) {
  auto conf = net_conf(store.dir());
  conf["ipam"]["assign_ipv6"] = "true";  // no IPv6 pool
  auto r = ipam("ADD", "c1", conf);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.json()["code"], kIpamFailure) << r.out;
  EXPECT_TRUE(held("c1").empty());
}

TEST_F(IpamPluginTest, ErrorsCarryTheSpecCodes) {
  auto conf = net_conf(store.dir());
  conf["ipam"]["ipv4_pools"] = {"no-such-pool"};
  auto nopool = ipam("ADD", "c1", conf);
  EXPECT_EQ(nopool.exit_code, 1);
  EXPECT_EQ(nopool.json()["code"], kIpamFailure) << nopool.out;
  EXPECT_EQ(nopool.json()["cniVersion"], "1.0.0");
  EXPECT_TRUE(nopool.json().contains("details")) << nopool.out;

  auto badjson = invoke(ipam_path(), cni_env("ADD", "c1", "/x", "", ""), "{");
  EXPECT_EQ(badjson.json()["code"], kDecodeFailure) << badjson.out;

  auto noenv = invoke(ipam_path(), {{"CNI_COMMAND", "ADD"}}, net_conf(store.dir()).dump());
  EXPECT_EQ(noenv.exit_code, 1);
  EXPECT_EQ(noenv.json()["code"], kInvalidEnv) << noenv.out;

  auto old = net_conf(store.dir(), "0.3.1");
  auto check = invoke(ipam_path(), cni_env("CHECK", "c1", "/x", "", ""), old.dump());
  EXPECT_EQ(check.json()["code"], kIncompatibleVersion) << check.out;
  EXPECT_EQ(check.json()["cniVersion"], "0.3.1");

  auto bad_store = net_conf(store.dir());
  bad_store["datastore"] = "etcd:not a url";
  auto bs = ipam("ADD", "c1", bad_store);
  EXPECT_EQ(bs.json()["code"], kInvalidConfig) << bs.out;
}

TEST_F(IpamPluginTest, BorrowsFromAnotherNodesBlockWhenNoBlockIsFree) {
  // One /26 pool of one block: node2 claims it, node1 can only borrow.
  store.apply(pool_yaml("pool-small", "10.68.0.0/26", 26));
  auto conf = net_conf(store.dir());
  conf["ipam"]["ipv4_pools"] = {"pool-small"};
  conf["nodename"] = "node2";
  auto owner = ipam("ADD", "c-owner", conf, "yaobank", "database");
  ASSERT_EQ(owner.exit_code, 0) << owner.out;
  conf["nodename"] = "node1";
  auto borrower = ipam("ADD", "c-borrower", conf);
  ASSERT_EQ(borrower.exit_code, 0) << borrower.out;
  const std::string addr = borrower.json()["ips"][0]["address"];
  EXPECT_TRUE(in("10.68.0.0/26", addr)) << addr;
  auto b = store::load(store.ds(), "ipamblocks/10-68-0-0-26");
  ASSERT_TRUE(b.ok());
  auto typed = conf::decode<conf::types::IPAMBlock>(*b);
  ASSERT_TRUE(typed.ok());
  EXPECT_EQ(typed->spec.affinity, "host:node2");  // still node2's block
  bool borrowed = false;
  for (const auto& a : typed->spec.attributes)
    if (a.handle_id == "k8s-pod-network.c-borrower") borrowed = a.secondary.at("node") == "node1";
  EXPECT_TRUE(borrowed);
  EXPECT_EQ(ipam("DEL", "c-borrower", conf).exit_code, 0);
  EXPECT_TRUE(held("c-borrower").empty());
}

TEST(PluginBinaries, VersionListsSupportedVersions) {
  for (const auto& bin : {plugin_path(), ipam_path()}) {
    auto r = invoke(bin, {{"CNI_COMMAND", "VERSION"}}, "");
    ASSERT_EQ(r.exit_code, 0) << bin << r.out;
    EXPECT_EQ(r.json()["cniVersion"], "1.0.0");
    EXPECT_EQ(r.json()["supportedVersions"],
              nlohmann::json::parse(R"(["0.3.0","0.3.1","0.4.0","1.0.0"])"));
    auto v04 = invoke(bin, {{"CNI_COMMAND", "VERSION"}}, R"({"cniVersion":"0.4.0"})");
    EXPECT_EQ(v04.json()["cniVersion"], "0.4.0");
  }
}

TEST(PluginBinaries, NetworkAddWithoutSandboxAllocatesNothing) {
  TestStore store;
  store.apply(pool_yaml("pool-a", "10.65.0.0/24"));
  auto r = invoke(plugin_path(),
                  cni_env("ADD", "c1", "/var/run/netns/podnet-no-such-ns", "yaobank", "customer"),
                  net_conf(store.dir()).dump());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.json()["code"], kUnknownContainer) << r.out;
  auto blocks = store.ds().list("ipamblocks/");
  ASSERT_TRUE(blocks.ok());
  EXPECT_TRUE(blocks->entries.empty());
  // A missing IPAM plugin is an invalid configuration.
  auto conf = net_conf(store.dir());
  conf["ipam"]["type"] = "no-such-ipam";
  auto del = invoke(plugin_path(), cni_env("DEL", "c1", "", "yaobank", "customer"), conf.dump());
  EXPECT_EQ(del.json()["code"], kInvalidConfig) << del.out;
}

}  // namespace
}  // namespace podnet::cni::testing
