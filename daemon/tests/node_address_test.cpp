// Calico's IP autodetection methods over a list of interface addresses.
#include <gtest/gtest.h>

#include "daemon/node_address.hpp"

namespace podnet::daemon {
namespace {

const std::vector<InterfaceAddress> kHost = {
    {"lo", "127.0.0.1", 8, 4},          {"docker0", "172.17.0.1", 16, 4},
    {"cali1234", "169.254.1.1", 32, 4}, {"eth0", "169.254.9.9", 16, 4},
    {"eth0", "192.168.44.75", 28, 4},   {"eth1", "198.19.0.2", 20, 4},
    {"eth0", "fe80::1", 64, 6},         {"eth1", "fd00::2", 64, 6},
};

std::string detect(const std::string& method, int family = 4) {
  auto r = autodetect(method, family, kHost);
  EXPECT_TRUE(r.ok()) << method;
  if (!r.ok() || !r->has_value()) return "";
  return (*r)->cidr();
}

TEST(Autodetect, Methods) {
  // first-found skips loopback, container/Calico devices and link-local addresses.
  EXPECT_EQ(detect("first-found"), "192.168.44.75/28");
  EXPECT_EQ(detect("first-found", 6), "fd00::2/64");
  EXPECT_EQ(detect("interface=eth1"), "198.19.0.2/20");
  EXPECT_EQ(detect("interface=eth[12]"), "198.19.0.2/20");
  EXPECT_EQ(detect("interface=nomatch"), "");
  EXPECT_EQ(detect("skip-interface=eth0"), "198.19.0.2/20");
  EXPECT_EQ(detect("cidr=198.19.0.0/16"), "198.19.0.2/20");
  EXPECT_EQ(detect("cidr=10.0.0.0/8,192.168.0.0/16"), "192.168.44.75/28");
  EXPECT_EQ(detect("none"), "");
  EXPECT_FALSE(autodetect("can-reach=8.8.8.8", 4, kHost).ok());
  EXPECT_FALSE(autodetect("interface=(", 4, kHost).ok());
  EXPECT_FALSE(autodetect("cidr=10.0.0.0/99", 4, kHost).ok());
}

TEST(Autodetect, ThisHostHasLoopback) {
  bool lo = false;
  for (const auto& a : interface_addresses()) lo = lo || (a.ifname == "lo" && a.family == 4);
  EXPECT_TRUE(lo);
}

}  // namespace
}  // namespace podnet::daemon
