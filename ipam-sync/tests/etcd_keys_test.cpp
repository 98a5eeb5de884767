// The pure parts of the etcd backend: our keys <-> Calico's etcd layout (both ways, IPv6,
// ambiguity, foreign keys), the spec parser, and the gateway's base64.
#include <gtest/gtest.h>
#include <stdlib.h>

#include "ipam-sync/etcd_json.hpp"
#include "ipam-sync/etcd_keys.hpp"
#include "ipam-sync/etcd_options.hpp"

namespace podnet::store::etcd {
namespace {

TEST(EtcdKeys, CalicoLayoutBothWays) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"ippools/default-ipv4-ippool",
       "/calico/resources/v3/projectcalico.org/ippools/default-ipv4-ippool"},
      {"networkpolicies/yaobank/db",
       "/calico/resources/v3/projectcalico.org/networkpolicies/yaobank/db"},
      {"nodes/node-1", "/calico/resources/v3/projectcalico.org/nodes/node-1"},
      {"ipamblocks/10-244-1-0-26", "/calico/ipam/v2/assignment/ipv4/block/10.244.1.0-26"},
      {"ipamblocks/fd00-10-244---122", "/calico/ipam/v2/assignment/ipv6/block/fd00:10:244::-122"},
      {"blockaffinities/node-1-10-244-1-0-26",
       "/calico/ipam/v2/host/node-1/ipv4/block/10.244.1.0-26"},
      {"ipamhandles/k8s-pod-network.abc", "/calico/ipam/v2/handle/k8s-pod-network.abc"},
      {"ipamconfigs/default", "/calico/ipam/v2/config"},
      {"pods/yaobank/db-0", "/calico/resources/v3/k8s/pods/yaobank/db-0"},
      {"namespaces/yaobank", "/calico/resources/v3/k8s/namespaces/yaobank"},
      {"services/yaobank/customer", "/calico/resources/v3/k8s/services/yaobank/customer"},
      {"kubernetesnetworkpolicies/ns/np",
       "/calico/resources/v3/k8s/kubernetesnetworkpolicies/ns/np"},
  };
  for (const auto& [ours, theirs] : cases) {
    auto e = to_etcd_key(ours);
    ASSERT_TRUE(e.ok()) << ours << ": " << e.error().message;
    EXPECT_EQ(e.value(), theirs);
    EXPECT_EQ(from_etcd_key(theirs), ours) << theirs;
  }
}

TEST(EtcdKeys, UnplaceableKeysAreInvalid) {
  for (std::string k :
       {"ipamblocks/not-a-cidr", "ipamblocks/10-244-1-0-33",
        "ipamblocks/010-244-1-0-26",  // not canonical: would not map back
        "ipamblocks/fd00-0-0-0-0-0-0-0-122", "ipamconfigs/other", "ipamblocks/ns/10-0-0-0-26",
        "blockaffinities/10-0-0-0-26", "ippools/a b"}) {
    auto e = to_etcd_key(k);
    ASSERT_FALSE(e.ok()) << k << " -> " << e.value();
    EXPECT_EQ(e.error().code, Errc::invalid) << k;
  }
}

TEST(EtcdKeys, ForeignKeysUnderCalicoAreNotOurs) {
  for (std::string k :
       {"/calico/felix/v1/host/n1/status", "/calico/resources/v3/projectcalico.org/ipamblocks/x",
        "/calico/resources/v3/projectcalico.org/pods/ns/p", "/calico/resources/v3/k8s/ippools/a",
        "/calico/ipam/v2/assignment/ipv6/block/10.0.0.0-26",
        "/calico/ipam/v2/assignment/ipv4/block/10.0.0.00-26",
        "/calico/ipam/v2/host/n1/ipv4/block/10.0.0.0-26/extra", "/calico/ipam/v2/handle/a/b",
        "/calico/ipam/v2/configx", "/other/x"}) {
    EXPECT_FALSE(from_etcd_key(k).has_value()) << k;
  }
}

TEST(EtcdKeys, Ipv6AffinityNamesAreAmbiguousAndResolvedByNodeAndCidr) {
  // "node-a-fd00---122": node "node-a" with fd00::/122, or node "node" with a:fd00::/122.
  std::string key = "blockaffinities/node-a-fd00---122";
  auto direct = to_etcd_key(key);
  ASSERT_FALSE(direct.ok());
  EXPECT_EQ(direct.error().code, Errc::invalid);
  auto c = affinity_candidates(key);
  EXPECT_EQ(c, (std::vector<std::string>{"/calico/ipam/v2/host/node/ipv6/block/a:fd00::-122",
                                         "/calico/ipam/v2/host/node-a/ipv6/block/fd00::-122"}));
  auto e = affinity_etcd_key("node-a", "fd00::/122");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e.value(), c[1]);
  EXPECT_EQ(from_etcd_key(c[0]), key);
  EXPECT_EQ(from_etcd_key(c[1]), key);
  // IPv4 tails are never ambiguous; an unambiguous IPv6 one maps directly.
  EXPECT_EQ(affinity_candidates("blockaffinities/a-b-10-0-0-0-26").size(), 1u);
  EXPECT_EQ(to_etcd_key("blockaffinities/node-fd00---122").value(),
            "/calico/ipam/v2/host/node/ipv6/block/fd00::-122");
  EXPECT_FALSE(affinity_etcd_key("n1", "fd00:0::/122").ok());  // not canonical
}

TEST(EtcdKeys, PrefixesCoverTheirKeys) {
  EXPECT_EQ(etcd_prefix_for(""), "/calico/");
  EXPECT_EQ(etcd_prefix_for("n"), "/calico/");
  EXPECT_EQ(etcd_prefix_for("ippools/"), "/calico/resources/v3/projectcalico.org/ippools/");
  EXPECT_EQ(etcd_prefix_for("networkpolicies/ns/d"),
            "/calico/resources/v3/projectcalico.org/networkpolicies/ns/d");
  EXPECT_EQ(etcd_prefix_for("ipamblocks/10-"), "/calico/ipam/v2/assignment/");
  EXPECT_EQ(etcd_prefix_for("blockaffinities/n"), "/calico/ipam/v2/host/");
  EXPECT_EQ(etcd_prefix_for("ipamhandles/k8s"), "/calico/ipam/v2/handle/k8s");
  EXPECT_EQ(etcd_prefix_for("pods/ns/"), "/calico/resources/v3/k8s/pods/ns/");
  for (std::string k : {"ippools/a", "ipamblocks/10-0-0-0-26", "blockaffinities/n-10-0-0-0-26",
                        "ipamhandles/h", "ipamconfigs/default", "pods/ns/p"}) {
    for (size_t n = 0; n <= k.size(); ++n) {
      EXPECT_TRUE(to_etcd_key(k).value().starts_with(etcd_prefix_for(k.substr(0, n))))
          << k << " prefix " << k.substr(0, n);
    }
  }
}

TEST(EtcdOptions, ParsesEndpointsAndOptions) {
  ::unsetenv("PODNET_ETCD_USERNAME");
  auto o = parse_options(
      "https://10.0.0.1:2379,https://[fd00::1]:2380,http://etcd.local?cacert=/ca.pem&cert=/c.pem&"
      "key=/c.key&username=podnet&password=s3cret&timeout=1.5");
  ASSERT_TRUE(o.ok()) << o.error().message;
  ASSERT_EQ(o->endpoints.size(), 3u);
  EXPECT_TRUE(o->endpoints[0].tls);
  EXPECT_EQ(o->endpoints[0].host, "10.0.0.1");
  EXPECT_EQ(o->endpoints[1].host, "fd00::1");
  EXPECT_EQ(o->endpoints[1].port, "2380");
  EXPECT_FALSE(o->endpoints[2].tls);
  EXPECT_EQ(o->endpoints[2].port, "2379");
  EXPECT_EQ(o->ca_file, "/ca.pem");
  EXPECT_EQ(o->cert_file, "/c.pem");
  EXPECT_EQ(o->key_file, "/c.key");
  EXPECT_EQ(o->username, "podnet");
  EXPECT_EQ(o->password, "s3cret");
  EXPECT_EQ(o->timeout, std::chrono::milliseconds(1500));
  // The password never shows.
  EXPECT_EQ(o->describe(),
            "etcd:https://10.0.0.1:2379,https://[fd00::1]:2380,http://etcd.local:2379?cacert=/"
            "ca.pem&cert=/c.pem&key=/c.key&username=podnet");
}

TEST(EtcdOptions, CredentialsFromEnvironment) {
  ::setenv("PODNET_ETCD_USERNAME", "envuser", 1);
  ::setenv("PODNET_ETCD_PASSWORD", "envpw", 1);
  auto o = parse_options("http://127.0.0.1:2379");
  auto explicit_user = parse_options("http://127.0.0.1:2379?username=u&password=p");
  ::unsetenv("PODNET_ETCD_USERNAME");
  ::unsetenv("PODNET_ETCD_PASSWORD");
  ASSERT_TRUE(o.ok() && explicit_user.ok());
  EXPECT_EQ(o->username, "envuser");
  EXPECT_EQ(o->password, "envpw");
  EXPECT_EQ(explicit_user->username, "u");
  EXPECT_EQ(explicit_user->password, "p");
}

TEST(EtcdOptions, RejectsMalformedSpecs) {
  for (std::string s :
       {"", "127.0.0.1:2379", "ftp://h", "http://", "http://h:0", "http://h:99999",
        "http://h:2379/path", "http://u:p@h", "http://[::1", "http://h?bogus=1", "http://h?cert=/c",
        "http://h?timeout=-1", "http://h?cacert", "http://a,,http://b"}) {
    auto o = parse_options(s);
    ASSERT_FALSE(o.ok()) << s;
    EXPECT_EQ(o.error().code, Errc::invalid) << s;
  }
}

TEST(EtcdJson, Base64RoundTripAndRejects) {
  for (const std::string& s : std::vector<std::string>{
           "", "a", "ab", "abc", "abcd", "/calico/ipam/v2/config", std::string("\0\xff\x80", 3)}) {
    auto d = base64_decode(base64_encode(s));
    ASSERT_TRUE(d.has_value()) << s;
    EXPECT_EQ(*d, s);
  }
  EXPECT_EQ(base64_encode("/calico"), "L2NhbGljbw==");
  EXPECT_FALSE(base64_decode("abc").has_value());
  EXPECT_FALSE(base64_decode("ab=c").has_value());
  EXPECT_FALSE(base64_decode("a*bc").has_value());
  EXPECT_EQ(prefix_range_end("/calico/"), "/calico0");
  EXPECT_EQ(prefix_range_end(std::string("a\xff", 2)), "b");
}

}  // namespace
}  // namespace podnet::store::etcd
