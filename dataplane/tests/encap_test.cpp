// The encapsulation choice: every mode of both overlays against a remote node in our subnet and
// in another one, pool lookup, and the conversion from the datastore's resources.
#include "dataplane/encap.hpp"

#include <gtest/gtest.h>

#include "conf/types/ipam.hpp"
#include "conf/types/routing.hpp"

namespace podnet::dataplane::encap {
namespace {

rib::Address addr(const char* s) {
  return *rib::Address::parse(s);
}
rib::Prefix pfx(const char* s) {
  return *rib::Prefix::parse(s);
}

LocalNode local() {
  return LocalNode{addr("192.168.1.10"), 24, "eth0"};
}
RemoteNode same_subnet() {
  return RemoteNode{"node-b", addr("192.168.1.20"), addr("10.244.2.0"), mac_for_node("node-b"),
                    addr("10.244.2.1")};
}
RemoteNode other_subnet() {
  return RemoteNode{"node-c", addr("192.168.7.30"), addr("10.244.3.0"), mac_for_node("node-c"),
                    addr("10.244.3.1")};
}

struct Case {
  Mode vxlan;
  Mode ipip;
  bool same;
  Kind want;
};

TEST(EncapChoice, AllModesAgainstSameAndOtherSubnet) {
  const std::vector<Case> cases = {
      {Mode::never, Mode::never, true, Kind::direct},
      {Mode::never, Mode::never, false, Kind::direct},
      {Mode::always, Mode::never, true, Kind::vxlan},
      {Mode::always, Mode::never, false, Kind::vxlan},
      {Mode::cross_subnet, Mode::never, true, Kind::direct},
      {Mode::cross_subnet, Mode::never, false, Kind::vxlan},
      {Mode::never, Mode::always, true, Kind::ipip},
      {Mode::never, Mode::always, false, Kind::ipip},
      {Mode::never, Mode::cross_subnet, true, Kind::direct},
      {Mode::never, Mode::cross_subnet, false, Kind::ipip},
      // Both set (Calico's validation forbids it): VXLAN wins where it applies.
      {Mode::always, Mode::always, true, Kind::vxlan},
      {Mode::cross_subnet, Mode::always, true, Kind::ipip},
  };
  for (const auto& c : cases) {
    Pool p{pfx("10.244.0.0/16"), c.ipip, c.vxlan};
    RemoteNode r = c.same ? same_subnet() : other_subnet();
    EXPECT_EQ(choose(&p, local(), r), c.want)
        << "vxlan=" << mode_name(c.vxlan) << " ipip=" << mode_name(c.ipip)
        << (c.same ? " same subnet" : " other subnet");
  }
}

TEST(EncapChoice, SubnetIsThePrefixOfTheNodeAddress) {
  Pool p{pfx("10.244.0.0/16"), Mode::never, Mode::cross_subnet};
  LocalNode wide{addr("192.168.1.10"), 16, "eth0"};
  // 192.168.7.30 is outside 192.168.1.0/24 but inside 192.168.0.0/16.
  EXPECT_EQ(choose(&p, local(), other_subnet()), Kind::vxlan);
  EXPECT_EQ(choose(&p, wide, other_subnet()), Kind::direct);
  LocalNode host_only{addr("192.168.1.10"), 32, "eth0"};
  EXPECT_EQ(choose(&p, host_only, same_subnet()), Kind::vxlan);
}

TEST(EncapRoute, VxlanViaTunnelIpOnlinkOnVxlanDevice) {
  std::vector<Pool> pools{{pfx("10.244.0.0/16"), Mode::never, Mode::always}};
  auto r = route_for(pools, local(), other_subnet(), pfx("10.244.3.0/26"));
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->nexthops.size(), 1u);
  EXPECT_EQ(r->nexthops[0].gateway, addr("10.244.3.0"));
  EXPECT_EQ(r->nexthops[0].dev, "vxlan.calico");
  EXPECT_TRUE(r->nexthops[0].onlink);
  EXPECT_EQ(to_string(*r), "via 10.244.3.0 dev vxlan.calico onlink");
}

TEST(EncapRoute, IpipViaNodeIpOnlinkOnTunl0) {
  std::vector<Pool> pools{{pfx("10.244.0.0/16"), Mode::always, Mode::never}};
  auto r = route_for(pools, local(), same_subnet(), pfx("10.244.2.0/26"));
  ASSERT_TRUE(r);
  EXPECT_EQ(to_string(*r), "via 192.168.1.20 dev tunl0 onlink");
}

TEST(EncapRoute, DirectOnlinkOnOurInterfaceOnlyWithinTheSubnet) {
  std::vector<Pool> pools{{pfx("10.244.0.0/16"), Mode::never, Mode::never}};
  auto same = route_for(pools, local(), same_subnet(), pfx("10.244.2.0/26"));
  ASSERT_TRUE(same);
  EXPECT_EQ(to_string(*same), "via 192.168.1.20 dev eth0 onlink");
  auto other = route_for(pools, local(), other_subnet(), pfx("10.244.3.0/26"));
  ASSERT_TRUE(other);
  EXPECT_EQ(to_string(*other), "via 192.168.7.30");
  LocalNode no_if = local();
  no_if.interface.clear();
  auto bare = route_for(pools, no_if, same_subnet(), pfx("10.244.2.0/26"));
  ASSERT_TRUE(bare);
  EXPECT_EQ(to_string(*bare), "via 192.168.1.20");
}

TEST(EncapRoute, VxlanWithoutRemoteTunnelAddressIsAnError) {
  std::vector<Pool> pools{{pfx("10.244.0.0/16"), Mode::never, Mode::always}};
  RemoteNode r = same_subnet();
  r.vxlan_tunnel_ip.reset();
  auto route = route_for(pools, local(), r, pfx("10.244.2.0/26"));
  ASSERT_FALSE(route);
  EXPECT_NE(route.error().message.find("node-b"), std::string::npos);
}

TEST(EncapRoute, LongestPoolDecidesAndOutsideEveryPoolIsDirect) {
  std::vector<Pool> pools{{pfx("10.0.0.0/8"), Mode::never, Mode::always},
                          {pfx("10.244.0.0/16"), Mode::never, Mode::never}};
  EXPECT_EQ(pool_of(pools, pfx("10.244.2.0/26")), &pools[1]);
  EXPECT_EQ(pool_of(pools, pfx("10.9.0.0/26")), &pools[0]);
  EXPECT_EQ(pool_of(pools, pfx("172.16.0.0/26")), nullptr);
  // A borrowed /32 belongs to its pool like its block.
  EXPECT_EQ(pool_of(pools, pfx("10.244.2.7/32")), &pools[1]);
  EXPECT_EQ(choose(pool_of(pools, pfx("10.9.0.0/26")), local(), same_subnet()), Kind::vxlan);
  EXPECT_EQ(choose(pool_of(pools, pfx("10.244.2.0/26")), local(), same_subnet()), Kind::direct);
  EXPECT_EQ(choose(nullptr, local(), other_subnet()), Kind::direct);
}

TEST(EncapRoute, ModeChangeGivesADifferentSpec) {
  std::vector<Pool> pools{{pfx("10.244.0.0/16"), Mode::never, Mode::never}};
  auto before = route_for(pools, local(), same_subnet(), pfx("10.244.2.0/26"));
  pools[0].vxlan = Mode::always;
  auto after = route_for(pools, local(), same_subnet(), pfx("10.244.2.0/26"));
  ASSERT_TRUE(before && after);
  EXPECT_NE(*before, *after);
}

TEST(EncapPlanner, RewritesNodeNextHopsOnly) {
  Planner planner;
  planner.set_pools({{pfx("10.244.0.0/16"), Mode::never, Mode::cross_subnet}});
  planner.set_remote_nodes({other_subnet(), same_subnet()});
  RouteSpec bgp = RouteSpec::unicast({NextHop(addr("192.168.7.30"), 0)});
  // Without this node's address nothing can be decided: as BGP gave it.
  EXPECT_EQ(*planner.apply(pfx("10.244.3.0/26"), bgp), bgp);
  planner.set_local(local());
  EXPECT_EQ(to_string(*planner.apply(pfx("10.244.3.0/26"), bgp)),
            "via 10.244.3.0 dev vxlan.calico onlink");
  RouteSpec near = RouteSpec::unicast({NextHop(addr("192.168.1.20"), 0)});
  EXPECT_EQ(to_string(*planner.apply(pfx("10.244.2.0/26"), near)),
            "via 192.168.1.20 dev eth0 onlink");
  // Not a node (a ToR's route): untouched. Blackholes: untouched.
  RouteSpec tor = RouteSpec::unicast({NextHop(addr("192.168.1.254"), 0)});
  EXPECT_EQ(*planner.apply(pfx("0.0.0.0/0"), tor), tor);
  EXPECT_EQ(*planner.apply(pfx("10.244.1.0/26"), RouteSpec::blackhole()), RouteSpec::blackhole());
  // ECMP over a node and a ToR: each hop on its own.
  RouteSpec both = RouteSpec::unicast({NextHop(addr("192.168.7.30"), 0), tor.nexthops[0]});
  EXPECT_EQ(to_string(*planner.apply(pfx("10.244.3.0/26"), both)),
            "via 10.244.3.0 dev vxlan.calico onlink, via 192.168.1.254");
  // The only next hop is a node without a VTEP: an error saying so.
  RemoteNode novtep = other_subnet();
  novtep.vxlan_tunnel_ip.reset();
  planner.set_remote_nodes({novtep});
  auto r = planner.apply(pfx("10.244.3.0/26"), bgp);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("node-c"), std::string::npos);
}

TEST(EncapModes, ParseCalicoSpellings) {
  EXPECT_EQ(*parse_mode("Never"), Mode::never);
  EXPECT_EQ(*parse_mode(""), Mode::never);
  EXPECT_EQ(*parse_mode("Always"), Mode::always);
  EXPECT_EQ(*parse_mode("CrossSubnet"), Mode::cross_subnet);
  EXPECT_FALSE(parse_mode("crosssubnet"));
  EXPECT_FALSE(parse_mode("Sometimes"));
}

TEST(VxlanMac, DerivedFromSha1OfTheNodeName) {
  // SHA-1("") = da39a3ee5e...; SHA-1("node-a") = 0702c1cc60... (computed independently).
  EXPECT_EQ(to_string(mac_for_node("")), "66:da:39:a3:ee:5e");
  EXPECT_EQ(to_string(mac_for_node("node-a")), "66:07:02:c1:cc:60");
  Mac m = mac_for_node("anything");
  EXPECT_EQ(m[0] & 0x01, 0);  // unicast
  EXPECT_EQ(m[0] & 0x02, 2);  // locally administered
}

TEST(VxlanMac, ParseAndPrint) {
  auto m = parse_mac("66:0A:1b:2c:3d:4E");
  ASSERT_TRUE(m);
  EXPECT_EQ(to_string(*m), "66:0a:1b:2c:3d:4e");
  EXPECT_TRUE(parse_mac("66-0a-1b-2c-3d-4e"));
  EXPECT_FALSE(parse_mac("66:0a:1b:2c:3d"));
  EXPECT_FALSE(parse_mac("66:0a:1b:2c:3d:4g"));
  EXPECT_FALSE(parse_mac("660a1b2c3d4e00000"));
}

TEST(EncapFromResources, PoolsNodesAndErrors) {
  conf::types::IPPool good;
  good.metadata.name = "default-ipv4-ippool";
  good.spec.cidr = "10.244.0.0/16";
  good.spec.vxlan_mode = "CrossSubnet";
  conf::types::IPPool bad = good;
  bad.metadata.name = "bad";
  bad.spec.ipip_mode = "Often";
  std::vector<Error> errors;
  auto pools = pools_from({good, bad}, &errors);
  ASSERT_EQ(pools.size(), 1u);
  EXPECT_EQ(pools[0].vxlan, Mode::cross_subnet);
  EXPECT_EQ(pools[0].ipip, Mode::never);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].message.find("bad"), std::string::npos);

  conf::types::Node self;
  self.metadata.name = "node-a";
  self.spec.bgp = conf::types::NodeBGPSpec{};
  self.spec.bgp->ipv4_address = "192.168.1.10/24";
  auto l = local_from(self, "eth0");
  ASSERT_TRUE(l);
  EXPECT_EQ(l->subnet(), pfx("192.168.1.0/24"));

  conf::types::Node other;
  other.metadata.name = "node-b";
  other.spec.bgp = conf::types::NodeBGPSpec{};
  other.spec.bgp->ipv4_address = "192.168.1.20/24";
  other.spec.bgp->ipv4_ipip_tunnel_addr = "10.244.2.1";
  other.spec.ipv4_vxlan_tunnel_addr = "10.244.2.0";
  auto r = remote_from(other);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->ip, addr("192.168.1.20"));
  EXPECT_EQ(*r->vxlan_tunnel_ip, addr("10.244.2.0"));
  EXPECT_EQ(*r->vxlan_mac, mac_for_node("node-b"));
  EXPECT_EQ(*r->ipip_tunnel_ip, addr("10.244.2.1"));
  other.spec.vxlan_tunnel_mac_addr = "66:00:00:00:00:01";
  EXPECT_EQ(to_string(*remote_from(other)->vxlan_mac), "66:00:00:00:00:01");

  conf::types::Node bare;
  bare.metadata.name = "no-bgp";
  EXPECT_FALSE(remote_from(bare));
  EXPECT_FALSE(local_from(bare, "eth0"));
}

}  // namespace
}  // namespace podnet::dataplane::encap
