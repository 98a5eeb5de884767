#include "conf/daemon_config.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

namespace podnet::conf {
namespace {

TEST(DaemonConfig, Defaults) {
  auto c = parse_daemon_config("", "podnetd.yaml");
  ASSERT_TRUE(c.ok()) << c.error().message;
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  EXPECT_EQ(c->node_name, host);
  EXPECT_EQ(c->datastore.type, "directory");
  EXPECT_EQ(c->datastore.path, "/var/lib/podnet/datastore");
  EXPECT_TRUE(c->datastore.etcd_endpoints.empty());
  EXPECT_EQ(c->control_socket, "/run/podnet/podnetd.sock");
  EXPECT_EQ(c->health_listen, "127.0.0.1:9099");
  EXPECT_EQ(c->log_level, "info");
  EXPECT_EQ(c->datastore_spec(), "dir:/var/lib/podnet/datastore");
}

TEST(DaemonConfig, EveryField) {
  auto c = parse_daemon_config(R"(# podnetd on node1
nodeName: node1
datastore:
  type: etcdv3
  path: /ignored
  etcdEndpoints:
  - http://127.0.0.1:2379
  - https://10.0.0.2:2379
controlSocket: /tmp/p.sock
healthListen: "[::1]:9100"
logLevel: debug
)",
                               "podnetd.yaml");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->node_name, "node1");
  EXPECT_EQ(c->datastore.type, "etcdv3");
  EXPECT_EQ(c->datastore.path, "/ignored");
  EXPECT_EQ(c->datastore.etcd_endpoints,
            (std::vector<std::string>{"http://127.0.0.1:2379", "https://10.0.0.2:2379"}));
  EXPECT_EQ(c->control_socket, "/tmp/p.sock");
  EXPECT_EQ(c->health_listen, "[::1]:9100");
  EXPECT_EQ(c->log_level, "debug");
  EXPECT_EQ(c->datastore_spec(), "etcd:http://127.0.0.1:2379,https://10.0.0.2:2379");
}

void expect_error(const std::string& yaml, const std::string& want) {
  auto c = parse_daemon_config(yaml, "podnetd.yaml");
  ASSERT_FALSE(c.ok()) << yaml;
  EXPECT_EQ(c.error().code, Errc::invalid);
  EXPECT_EQ(c.error().message, want);
}

TEST(DaemonConfig, UnknownKeyAndWrongType) {
  expect_error("nodeName: node1\nlogLvl: debug\n", "podnetd.yaml:2:1: logLvl: unknown field");
  expect_error("datastore:\n  type: directory\n  pth: /x\n",
               "podnetd.yaml:3:3: datastore.pth: unknown field");
  expect_error("datastore: /var/lib\n", "podnetd.yaml:1:12: datastore: expected a map, got string");
  expect_error("logLevel: 3\n", "podnetd.yaml:1:11: logLevel: expected a string, got integer 3");
  expect_error("datastore:\n  etcdEndpoints: http://x:2379\n",
               "podnetd.yaml:2:18: datastore.etcdEndpoints: expected a list, got string");
}

TEST(DaemonConfig, BadValues) {
  expect_error(
      "logLevel: verbose\n",
      "podnetd.yaml:1:11: logLevel: \"verbose\" is not one of trace, debug, info, warn, error");
  expect_error("datastore:\n  type: etcd\n",
               "podnetd.yaml:2:9: datastore.type: \"etcd\" is not one of directory, etcdv3");
  expect_error("datastore:\n  type: etcdv3\n",
               "podnetd.yaml:2:3: datastore.etcdEndpoints: the etcdv3 datastore needs at least one "
               "endpoint");
  expect_error("healthListen: 127.0.0.1\n",
               "podnetd.yaml:1:15: healthListen: \"127.0.0.1\" is not host:port");
  expect_error("datastore:\n  type: etcdv3\n  etcdEndpoints: [127.0.0.1:2379]\n",
               "podnetd.yaml:3:19: datastore.etcdEndpoints[0]: \"127.0.0.1:2379\" is not an "
               "http:// or https:// URL");
  expect_error("nodeName: Node_1\n",
               "podnetd.yaml:1:11: nodeName: \"Node_1\": must consist of lower case alphanumeric "
               "characters, "
               "'-' or '.' (DNS-1123 subdomain)");
  expect_error("nodeName: [\n",
               "podnetd.yaml:2:1: YAML syntax error: end of sequence flow not found");
}

TEST(DaemonConfig, BgpSection) {
  auto d = parse_daemon_config("", "p.yaml");
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d->bgp.enabled);
  EXPECT_EQ(d->bgp.hold_time, 0);
  EXPECT_TRUE(d->bgp.static_routes.empty());
  auto c = parse_daemon_config(R"(bgp:
  enabled: false
  routerId: 10.0.0.1
  holdTime: 9
  staticRoutes:
  - 10.99.0.0/24
  - fd00:99::/64
)",
                               "p.yaml");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_FALSE(c->bgp.enabled);
  EXPECT_EQ(c->bgp.router_id, "10.0.0.1");
  EXPECT_EQ(c->bgp.hold_time, 9);
  ASSERT_EQ(c->bgp.static_routes.size(), 2u);
  EXPECT_EQ(c->bgp.static_routes[1], "fd00:99::/64");
  for (auto [text, where] : {std::pair{"bgp:\n  holdTime: 2\n", "p.yaml:2:13"},
                             std::pair{"bgp:\n  routerId: fd00::1\n", "p.yaml:2:13"},
                             std::pair{"bgp:\n  staticRoutes: [10.99.0.1/24]\n", "p.yaml:2:18"},
                             std::pair{"bgp:\n  colour: red\n", "p.yaml:2:3"}}) {
    auto bad = parse_daemon_config(text, "p.yaml");
    ASSERT_FALSE(bad.ok()) << text;
    EXPECT_NE(bad.error().message.find(where), std::string::npos) << bad.error().message;
  }
}

TEST(DaemonConfig, AddressAutodetection) {
  auto d = parse_daemon_config("", "p.yaml");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->autodetection.ipv4, "first-found");
  EXPECT_EQ(d->autodetection.ipv6, "none");
  auto c = parse_daemon_config(
      "addressAutodetection:\n  ipv4: interface=eth.*\n  ipv6: cidr=fd00::/8\n", "p.yaml");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->autodetection.ipv4, "interface=eth.*");
  EXPECT_EQ(c->autodetection.ipv6, "cidr=fd00::/8");
  auto bad = parse_daemon_config("addressAutodetection:\n  ipv4: can-reach=1.2.3.4\n", "p.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("p.yaml:2:9"), std::string::npos) << bad.error().message;
}

TEST(DaemonConfig, LoadFromFile) {
  auto dir = std::filesystem::temp_directory_path() / ("podnet-conf-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  auto path = (dir / "podnetd.yaml").string();
  {
    std::ofstream f(path);
    f << "nodeName: node2\ndatastore:\n  path: /srv/ds\n";
  }
  auto c = load_daemon_config(path);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->node_name, "node2");
  EXPECT_EQ(c->datastore_spec(), "dir:/srv/ds");
  {
    std::ofstream f(path);
    f << "nodeName: node2\nbogus: 1\n";
  }
  auto bad = load_daemon_config(path);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, path + ":2:1: bogus: unknown field");
  auto missing = load_daemon_config((dir / "nope.yaml").string());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, Errc::io);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace podnet::conf
