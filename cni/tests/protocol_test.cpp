// The protocol half: CNI_* environment, network configuration, result / error / version
// documents in each supported version's format, and the host-side interface name.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "cni/cni.hpp"
#include "cni/network_plugin.hpp"

namespace podnet::cni {
namespace {

Getenv env_of(const std::map<std::string, std::string>& m) {
  return [m](const char* n) -> const char* {
    auto it = m.find(n);
    return it == m.end() ? nullptr : it->second.c_str();
  };
}

std::map<std::string, std::string> add_env() {
  return {{"CNI_COMMAND", "ADD"},
          {"CNI_CONTAINERID", "abc123"},
          {"CNI_NETNS", "/var/run/netns/x"},
          {"CNI_IFNAME", "eth0"},
          {"CNI_PATH", "/opt/cni/bin"},
          {"CNI_ARGS",
           "IgnoreUnknown=1;K8S_POD_NAMESPACE=yaobank;K8S_POD_NAME=customer;"
           "K8S_POD_INFRA_CONTAINER_ID=abc123"}};
}

TEST(CniEnv, ParsesAddWithKubernetesArgs) {
  auto e = parse_env(env_of(add_env()));
  ASSERT_TRUE(e.ok()) << e.error().msg;
  EXPECT_EQ(e->command, Command::add);
  EXPECT_EQ(e->container_id, "abc123");
  EXPECT_EQ(e->netns, "/var/run/netns/x");
  EXPECT_EQ(e->ifname, "eth0");
  EXPECT_EQ(e->path, "/opt/cni/bin");
  EXPECT_EQ(e->pod_namespace(), "yaobank");
  EXPECT_EQ(e->pod_name(), "customer");
  EXPECT_EQ(e->args.at("IgnoreUnknown"), "1");
}

TEST(CniEnv, MissingVariablesAreNamedWithCode4) {
  auto m = add_env();
  m.erase("CNI_NETNS");
  m.erase("CNI_PATH");
  auto e = parse_env(env_of(m));
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().code, kInvalidEnv);
  EXPECT_EQ(e.error().msg, "required env variables [CNI_NETNS,CNI_PATH] missing");
}

TEST(CniEnv, DelNeedsNoNetns) {
  auto m = add_env();
  m["CNI_COMMAND"] = "DEL";
  m.erase("CNI_NETNS");
  auto e = parse_env(env_of(m));
  ASSERT_TRUE(e.ok()) << e.error().msg;
  EXPECT_EQ(e->command, Command::del);
  EXPECT_TRUE(e->netns.empty());
}

TEST(CniEnv, VersionNeedsNothingElse) {
  auto e = parse_env(env_of({{"CNI_COMMAND", "VERSION"}}));
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->command, Command::version);
}

TEST(CniEnv, RejectsUnknownCommandBadIdsNamesAndArgs) {
  for (auto [key, value] :
       std::vector<std::pair<std::string, std::string>>{{"CNI_COMMAND", "GET"},
                                                        {"CNI_COMMAND", ""},
                                                        {"CNI_CONTAINERID", "-leading-dash"},
                                                        {"CNI_CONTAINERID", "a/b"},
                                                        {"CNI_IFNAME", "a-name-longer-than-15"},
                                                        {"CNI_IFNAME", "eth/0"},
                                                        {"CNI_ARGS", "K8S_POD_NAME"},
                                                        {"CNI_ARGS", "=x"}}) {
    auto m = add_env();
    m[key] = value;
    auto e = parse_env(env_of(m));
    ASSERT_FALSE(e.ok()) << key << "=" << value;
    EXPECT_EQ(e.error().code, kInvalidEnv) << key << "=" << value;
  }
}

const char* kConf = R"({"cniVersion":"1.0.0","name":"k8s-pod-network","type":"podnet",
  "nodename":"node1","datastore":"dir:/tmp/ds","mtu":1450,
  "ipam":{"type":"podnet-ipam","assign_ipv4":"true","assign_ipv6":"false",
          "ipv4_pools":["pool-a","10.0.0.0/24"]}})";

TEST(CniConf, ParsesCalicoStyleConfig) {
  auto c = parse_net_conf(kConf);
  ASSERT_TRUE(c.ok()) << c.error().msg;
  EXPECT_EQ(c->cni_version, "1.0.0");
  EXPECT_EQ(c->name, "k8s-pod-network");
  EXPECT_EQ(c->type, "podnet");
  EXPECT_EQ(c->datastore, "dir:/tmp/ds");
  EXPECT_EQ(resolve_nodename(*c), "node1");
  EXPECT_EQ(resolve_mtu(*c), 1450u);
  EXPECT_EQ(c->ipam.type, "podnet-ipam");
  EXPECT_TRUE(c->ipam.assign_ipv4);
  EXPECT_FALSE(c->ipam.assign_ipv6);
  EXPECT_EQ(c->ipam.ipv4_pools, (std::vector<std::string>{"pool-a", "10.0.0.0/24"}));
  EXPECT_TRUE(c->prev_result.is_null());
}

TEST(CniConf, ErrorCodesForBadInput) {
  EXPECT_EQ(parse_net_conf("{not json").error().code, kDecodeFailure);
  EXPECT_EQ(parse_net_conf("[1]").error().code, kDecodeFailure);
  EXPECT_EQ(parse_net_conf(R"({"cniVersion":"0.2.0","name":"n","type":"podnet"})").error().code,
            kIncompatibleVersion);
  EXPECT_EQ(parse_net_conf(R"({"cniVersion":"1.0.0","type":"podnet"})").error().code,
            kInvalidConfig);
  EXPECT_EQ(
      parse_net_conf(R"({"cniVersion":"1.0.0","name":"n","type":"podnet","mtu":"x"})").error().code,
      kDecodeFailure);
  EXPECT_EQ(parse_net_conf(R"({"cniVersion":"1.0.0","name":"n","type":"podnet","mtu":70000})")
                .error()
                .code,
            kInvalidConfig);
  EXPECT_EQ(parse_net_conf(R"({"cniVersion":"1.0.0","name":"n","type":"podnet",
      "ipam":{"type":"podnet-ipam","assign_ipv4":"false"}})")
                .error()
                .code,
            kInvalidConfig);
}

TEST(CniConf, EveryListedVersionIsAccepted) {
  for (const char* v : {"0.3.0", "0.3.1", "0.4.0", "1.0.0"}) {
    auto c =
        parse_net_conf(std::string(R"({"cniVersion":")") + v + R"(","name":"n","type":"podnet"})");
    ASSERT_TRUE(c.ok()) << v;
    EXPECT_EQ(c->cni_version, v);
  }
  EXPECT_FALSE(version_has_check("0.3.1"));
  EXPECT_TRUE(version_has_check("0.4.0"));
  EXPECT_TRUE(version_has_check("1.0.0"));
}

TEST(CniConf, MtuAndNodenameFallBackToFilesThenDefaults) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("cni-conf-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto c = parse_net_conf(R"({"cniVersion":"1.0.0","name":"n","type":"podnet"})");
  ASSERT_TRUE(c.ok());
  c->mtu_file = (dir / "mtu").string();
  c->nodename_file = (dir / "nodename").string();
  EXPECT_EQ(resolve_mtu(*c), 1500u);  // no file
  std::ofstream(dir / "mtu") << "1410\n";
  std::ofstream(dir / "nodename") << "node-from-file\n";
  EXPECT_EQ(resolve_mtu(*c), 1410u);
  EXPECT_EQ(resolve_nodename(*c), "node-from-file");
  std::ofstream(dir / "mtu") << "garbage\n";
  EXPECT_EQ(resolve_mtu(*c), 1500u);
  std::filesystem::remove(dir / "nodename");
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  EXPECT_EQ(resolve_nodename(*c), host);
  std::filesystem::remove_all(dir);
}

AddResult sample() {
  AddResult r;
  r.interfaces = {{"cali1234567890a", "ee:ee:ee:ee:ee:ee", ""},
                  {"eth0", "0a:58:0a:00:00:05", "/var/run/netns/p"}};
  r.ips = {{"10.65.0.5/32", "", 1}, {"fd00::5/128", "", 1}};
  r.routes = {{"0.0.0.0/0", "169.254.1.1"}, {"::/0", "fe80::ecee:eeff:feee:eeee"}};
  return r;
}

TEST(CniResult, Version100HasNoPerIpVersion) {
  auto j = result_json(sample(), "1.0.0");
  EXPECT_EQ(j["cniVersion"], "1.0.0");
  ASSERT_EQ(j["interfaces"].size(), 2u);
  EXPECT_EQ(j["interfaces"][0]["name"], "cali1234567890a");
  EXPECT_EQ(j["interfaces"][0]["mac"], "ee:ee:ee:ee:ee:ee");
  EXPECT_FALSE(j["interfaces"][0].contains("sandbox"));
  EXPECT_EQ(j["interfaces"][1]["sandbox"], "/var/run/netns/p");
  ASSERT_EQ(j["ips"].size(), 2u);
  EXPECT_EQ(j["ips"][0]["address"], "10.65.0.5/32");
  EXPECT_EQ(j["ips"][0]["interface"], 1);
  EXPECT_FALSE(j["ips"][0].contains("version"));
  EXPECT_FALSE(j["ips"][0].contains("gateway"));
  EXPECT_EQ(j["routes"][1]["gw"], "fe80::ecee:eeff:feee:eeee");
  EXPECT_TRUE(j["dns"].is_object());
}

TEST(CniResult, LegacyVersionsCarryIpVersion) {
  for (const char* v : {"0.3.0", "0.3.1", "0.4.0"}) {
    auto j = result_json(sample(), v);
    EXPECT_EQ(j["cniVersion"], v);
    EXPECT_EQ(j["ips"][0]["version"], "4") << v;
    EXPECT_EQ(j["ips"][1]["version"], "6") << v;
  }
}

TEST(CniResult, RoundTripsThroughParse) {
  for (const char* v : {"0.3.1", "1.0.0"}) {
    auto back = parse_result(nlohmann::json::parse(result_json(sample(), v).dump()));
    ASSERT_TRUE(back.ok()) << back.error().msg;
    ASSERT_EQ(back->ips.size(), 2u);
    EXPECT_EQ(back->ips[1].address, "fd00::5/128");
    EXPECT_EQ(back->ips[1].family(), 6);
    EXPECT_EQ(back->ips[1].interface, 1);
    EXPECT_EQ(back->interfaces[1].mac, "0a:58:0a:00:00:05");
    EXPECT_EQ(back->routes[0].gw, "169.254.1.1");
  }
  EXPECT_EQ(parse_result(nlohmann::json::parse(R"({"ips":[{"address":"10.0.0.1"}]})")).error().code,
            kDecodeFailure);
}

TEST(CniResult, ErrorAndVersionDocuments) {
  auto e = error_json(cni_error(kTryAgainLater, "datastore down", "etcd unreachable"), "0.4.0");
  EXPECT_EQ(
      e.dump(),
      R"({"cniVersion":"0.4.0","code":11,"msg":"datastore down","details":"etcd unreachable"})");
  EXPECT_FALSE(error_json(cni_error(kInvalidEnv, "x"), "1.0.0").contains("details"));
  auto v = version_json("1.0.0");
  EXPECT_EQ(v.dump(),
            R"({"cniVersion":"1.0.0","supportedVersions":["0.3.0","0.3.1","0.4.0","1.0.0"]})");
  EXPECT_EQ(from_error(make_error(Errc::unavailable, "x"), kIpamFailure, "y").code, kTryAgainLater);
  EXPECT_EQ(from_error(make_error(Errc::invalid, "x"), kIpamFailure, "y").code, kIpamFailure);
}

TEST(CniNames, HostVethNameIsCalicos) {
  auto e = parse_env(env_of(add_env()));
  ASSERT_TRUE(e.ok());
  // `printf yaobank.customer | sha1sum` starts 49056aa96683...
  EXPECT_EQ(host_veth_name(*e), "cali49056aa9668");
  auto m = add_env();
  m["CNI_ARGS"] = "";
  m["CNI_CONTAINERID"] = "0123456789abcdef";
  auto plain = parse_env(env_of(m));
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(host_veth_name(*plain), "cali0123456789a");
}

}  // namespace
}  // namespace podnet::cni
