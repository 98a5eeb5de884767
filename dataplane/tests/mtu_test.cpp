// MTU arithmetic as Felix does it, host MTU detection over an interface list, and the file the
// CNI plugin reads.
#include "dataplane/mtu.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "conf/types/routing.hpp"

namespace podnet::dataplane::mtu {
namespace {

InterfaceInfo iface(const char* name, uint32_t mtu, bool up = true) {
  InterfaceInfo i;
  i.name = name;
  i.mtu = mtu;
  i.admin_up = up;
  i.oper_up = up;
  return i;
}

TEST(PodMtu, EachEncapSubtractsItsOverhead) {
  EXPECT_EQ(pod_mtu(1500, {}, {}), 1500u);  // nothing enabled: the host MTU
  EXPECT_EQ(pod_mtu(1500, {.ipip = true}, {}), 1480u);
  EXPECT_EQ(pod_mtu(1500, {.vxlan = true}, {}), 1450u);
  EXPECT_EQ(pod_mtu(1500, {.vxlan_v6 = true}, {}), 1430u);
  EXPECT_EQ(pod_mtu(1500, {.wireguard = true}, {}), 1440u);
  EXPECT_EQ(pod_mtu(1500, {.wireguard_v6 = true}, {}), 1420u);
  EXPECT_EQ(pod_mtu(9000, {.vxlan = true}, {}), 8950u);
}

TEST(PodMtu, SmallestOfTheEnabledOnes) {
  EXPECT_EQ(pod_mtu(1500, {.ipip = true, .vxlan = true}, {}), 1450u);
  EXPECT_EQ(pod_mtu(1500, {.ipip = true, .wireguard = true}, {}), 1440u);
  EXPECT_EQ(pod_mtu(1500, {.ipip = true, .vxlan = true, .wireguard_v6 = true}, {}), 1420u);
}

TEST(PodMtu, ExplicitValuesWinAndOnlyForEnabledEncaps) {
  TunnelMtus c;
  c.vxlan = 1400;
  EXPECT_EQ(pod_mtu(1500, {.vxlan = true}, c), 1400u);
  EXPECT_EQ(pod_mtu(1500, {.ipip = true}, c), 1480u);  // vxlan's value is not used
  EXPECT_EQ(pod_mtu(1500, {.ipip = true, .vxlan = true}, c), 1400u);
  c.ipip = 1300;
  EXPECT_EQ(pod_mtu(1500, {.ipip = true, .vxlan = true}, c), 1300u);
  // Larger than the host's: Felix only warns, and so do we (the operator said so).
  TunnelMtus big;
  big.vxlan = 8950;
  EXPECT_EQ(pod_mtu(1500, {.vxlan = true}, big), 8950u);
  TunnelMtus r = resolve(1500, c);
  EXPECT_EQ(r.ipip, 1300u);
  EXPECT_EQ(r.vxlan, 1400u);
  EXPECT_EQ(r.vxlan_v6, 1430u);
  EXPECT_EQ(r.wireguard, 1440u);
  EXPECT_EQ(r.wireguard_v6, 1420u);
}

TEST(PodMtu, FromResources) {
  conf::types::FelixConfiguration f;
  f.spec.vxlan_mtu = 1410;
  f.spec.wireguard_mtu = -3;  // nonsense is "auto"
  auto c = configured_from(f);
  EXPECT_EQ(c.vxlan, 1410u);
  EXPECT_EQ(c.wireguard, 0u);
  std::vector<encap::Pool> pools{
      {*rib::Prefix::parse("10.244.0.0/16"), encap::Mode::never, encap::Mode::cross_subnet},
      {*rib::Prefix::parse("fd00:10::/64"), encap::Mode::never, encap::Mode::never}};
  auto e = encaps_from(pools, f);
  EXPECT_TRUE(e.vxlan);
  EXPECT_FALSE(e.ipip);
  EXPECT_FALSE(e.vxlan_v6);
  EXPECT_FALSE(e.wireguard);
  f.spec.wireguard_enabled = true;
  f.spec.ipip_enabled = true;
  f.spec.vxlan_enabled = false;
  e = encaps_from(pools, f);
  EXPECT_TRUE(e.wireguard);
  EXPECT_TRUE(e.ipip);
  EXPECT_FALSE(e.vxlan);  // explicitly off in FelixConfiguration
}

TEST(HostMtu, SmallestUpInterfaceMatchingTheDefaultPattern) {
  std::vector<InterfaceInfo> ifs{
      iface("lo", 65536),          iface("eth0", 1500),         iface("ens5", 9001),
      iface("enp0s3", 1460),       iface("wlan0", 1400, false), iface("cali12345678901", 1200),
      iface("vxlan.calico", 1450), iface("docker0", 1000),      iface("enX0", 1300)};
  auto h = host_mtu(ifs, "");
  ASSERT_TRUE(h);
  EXPECT_FALSE(h->fallback);
  EXPECT_EQ(h->mtu, 1460u);  // enp0s3; wlan0 is down, cali/vxlan/docker/lo do not match
  EXPECT_EQ(h->interfaces, (std::vector<std::string>{"eth0", "ens5", "enp0s3"}));
}

TEST(HostMtu, CustomPatternFallbackAndBadPattern) {
  std::vector<InterfaceInfo> ifs{iface("eth0", 1500), iface("bond0", 9000), iface("bond1", 8000)};
  auto h = host_mtu(ifs, "^bond");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->mtu, 8000u);
  auto none = host_mtu({iface("lo", 65536)}, "");
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->fallback);
  EXPECT_EQ(none->mtu, kFallbackHostMtu);
  auto bad = host_mtu(ifs, "^(eth");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("mtuIfacePattern"), std::string::npos);
}

TEST(MtuFile, WrittenAtomicallyWithParentsAndRewrittenOnChange) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("podnet-mtu-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::path file = dir / "var/lib/calico/mtu";
  auto read = [&] {
    std::ifstream in(file);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  };
  ASSERT_TRUE(write_mtu_file(file.string(), 1450));
  EXPECT_EQ(read(), "1450");
  ASSERT_TRUE(write_mtu_file(file.string(), 1430));
  EXPECT_EQ(read(), "1430");
  // No temporary left behind.
  std::size_t entries = 0;
  for (const auto& e : fs::directory_iterator(file.parent_path())) {
    (void)e;
    ++entries;
  }
  EXPECT_EQ(entries, 1u);
  // A directory where the file should be: an error, not a crash.
  EXPECT_FALSE(write_mtu_file(dir.string(), 1400));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace podnet::dataplane::mtu
