// VXLAN between two node namespaces with the programmers driven directly (no podnetd): pods
// ping across vxlan.calico and the node link carries UDP 4789; a restart adopts everything; hand-
// made entries on vxlan.calico go, those on other devices stay; a pool's mode change moves the
// route between the NIC and the tunnel.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>

#include "dataplane/encap.hpp"
#include "dataplane/route_programmer.hpp"
#include "dataplane/tests/two_node_lab.hpp"
#include "dataplane/vxlan_programmer.hpp"

namespace podnet::dataplane {
namespace {

using testing::TwoNodeLab;
using json = nlohmann::json;

rib::Address addr(const char* s) {
  return *rib::Address::parse(s);
}
rib::Prefix pfx(const char* s) {
  return *rib::Prefix::parse(s);
}

struct NodeSide {
  char which;
  const char* name;
  const char* ip;
  const char* tunnel_ip;
  const char* block;
};
const NodeSide kA{'a', "node-a", "192.168.50.1", "10.244.1.0", "10.244.1.0/26"};
const NodeSide kB{'b', "node-b", "192.168.50.2", "10.244.2.0", "10.244.2.0/26"};

encap::RemoteNode remote(const NodeSide& n) {
  return encap::RemoteNode{n.name, addr(n.ip), addr(n.tunnel_ip), mac_for_node(n.name),
                           std::nullopt};
}

VxlanConfig config(const NodeSide& n) {
  VxlanConfig c;
  c.node_ip = addr(n.ip);
  c.tunnel_ip = addr(n.tunnel_ip);
  c.mac = mac_for_node(n.name);
  c.mtu = 1450;
  return c;
}

class VxlanLabTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(lab_.ok()) << lab_.error(); }

  // Starts node `n`'s programmers inside its namespace.
  void start(const NodeSide& n, const NodeSide& peer) {
    TwoNodeLab::Enter in(lab_.node(n.which));
    ASSERT_TRUE(in.ok());
    auto& v = vxlan_[n.which == 'a' ? 0 : 1];
    auto& r = routes_[n.which == 'a' ? 0 : 1];
    v = std::make_unique<VxlanProgrammer>(io_);
    v->set_config(config(n));
    v->set_remote_nodes(vxlan_peers({remote(peer)}));
    auto s = v->start();
    ASSERT_TRUE(s) << s.error().message;
    r = std::make_unique<RouteProgrammer>(io_);
    ASSERT_TRUE(r->start());
  }
  VxlanProgrammer& vx(char w) { return *vxlan_[w == 'a' ? 0 : 1]; }
  RouteProgrammer& rp(char w) { return *routes_[w == 'a' ? 0 : 1]; }

  // The route node `n` gets to `peer`'s block from the encapsulation choice.
  void route(const NodeSide& n, const NodeSide& peer, encap::Mode vxlan_mode) {
    std::vector<encap::Pool> pools{{pfx("10.244.0.0/16"), encap::Mode::never, vxlan_mode}};
    encap::LocalNode local{addr(n.ip), 24, "eth0"};
    auto spec = encap::route_for(pools, local, remote(peer), pfx(peer.block));
    ASSERT_TRUE(spec) << spec.error().message;
    rp(n.which).set_route(pfx(peer.block), *spec);
  }

  bool run_until(const std::function<bool()>& pred,
                 std::chrono::seconds limit = std::chrono::seconds(20)) {
    auto end = std::chrono::steady_clock::now() + limit;
    while (!pred()) {
      if (std::chrono::steady_clock::now() > end) return false;
      io_.run_one_for(std::chrono::milliseconds(10));
    }
    return true;
  }
  bool settle() {
    return run_until([&] {
      io_.poll();
      for (int i = 0; i < 2; ++i) {
        if (vxlan_[i] && !vxlan_[i]->idle()) return false;
        if (routes_[i] && !routes_[i]->idle()) return false;
      }
      return true;
    });
  }
  json kernel_route(char w, const char* dst) {
    auto j =
        json::parse(lab_.out(lab_.node(w), std::string("ip -j route show ") + dst), nullptr, false);
    return j.is_array() && !j.empty() ? j[0] : json();
  }

  TwoNodeLab lab_;
  boost::asio::io_context io_;
  std::unique_ptr<VxlanProgrammer> vxlan_[2];
  std::unique_ptr<RouteProgrammer> routes_[2];
};

TEST_F(VxlanLabTest, PodsPingAcrossVxlanAndTheNodeLinkCarriesUdp4789) {
  start(kA, kB);
  start(kB, kA);
  route(kA, kB, encap::Mode::always);
  route(kB, kA, encap::Mode::always);
  ASSERT_TRUE(settle());
  EXPECT_TRUE(vx('a').stats().device_ready) << vx('a').stats().error;
  EXPECT_EQ(vx('a').stats().parent, "eth0");
  ASSERT_EQ(rp('a').stats().installed, 1u);

  // The device as Calico makes it.
  auto link =
      json::parse(lab_.out(lab_.node('a'), "ip -d -j link show vxlan.calico"), nullptr, false);
  ASSERT_TRUE(link.is_array() && !link.empty());
  const auto& l = link[0];
  EXPECT_EQ(l.value("mtu", 0), 1450);
  EXPECT_EQ(l.value("address", ""), to_string(mac_for_node("node-a")));
  const auto& d = l["linkinfo"]["info_data"];
  EXPECT_EQ(d.value("id", 0), 4096);
  EXPECT_EQ(d.value("port", 0), 4789);
  EXPECT_EQ(d.value("learning", true), false);
  EXPECT_EQ(d.value("local", ""), "192.168.50.1");
  EXPECT_EQ(d.value("link", ""), "eth0");
  EXPECT_NE(lab_.out(lab_.node('a'), "ip -4 addr show dev vxlan.calico").find("10.244.1.0/32"),
            std::string::npos);
  // Per remote node: permanent ARP entry and FDB entry.
  std::string neigh = lab_.out(lab_.node('a'), "ip neigh show dev vxlan.calico");
  EXPECT_NE(neigh.find("10.244.2.0 lladdr " + to_string(mac_for_node("node-b")) + " PERMANENT"),
            std::string::npos)
      << neigh;
  std::string fdb = lab_.out(lab_.node('a'), "bridge fdb show dev vxlan.calico");
  EXPECT_NE(fdb.find(to_string(mac_for_node("node-b")) + " dst 192.168.50.2 self permanent"),
            std::string::npos)
      << fdb;
  // The route, onlink through the tunnel.
  auto r = kernel_route('a', "10.244.2.0/26");
  EXPECT_EQ(r.value("gateway", ""), "10.244.2.0");
  EXPECT_EQ(r.value("dev", ""), "vxlan.calico");
  EXPECT_NE(r.dump().find("onlink"), std::string::npos) << r.dump();

  uint64_t before = lab_.counter('a', "vxlan");
  EXPECT_TRUE(lab_.ping('a'));
  EXPECT_TRUE(lab_.ping('b'));
  EXPECT_GE(lab_.counter('a', "vxlan") - before, 3u);
  EXPECT_EQ(lab_.counter('a', "plain"), 0u);  // nothing left the NIC unencapsulated
}

TEST_F(VxlanLabTest, RestartAdoptsWithoutChanges) {
  start(kA, kB);
  start(kB, kA);
  route(kA, kB, encap::Mode::always);
  route(kB, kA, encap::Mode::always);
  ASSERT_TRUE(settle());
  ASSERT_TRUE(vx('a').stats().device_ready);
  int ifindex = vx('a').stats().ifindex;
  vxlan_[0].reset();
  routes_[0].reset();

  start(kA, kB);
  route(kA, kB, encap::Mode::always);
  ASSERT_TRUE(settle());
  auto s = vx('a').stats();
  EXPECT_TRUE(s.device_ready) << s.error;
  EXPECT_EQ(s.ifindex, ifindex);  // the same device, not a new one
  EXPECT_EQ(s.devices_created, 0u);
  EXPECT_EQ(s.devices_recreated, 0u);
  EXPECT_EQ(s.link_updates, 0u);
  EXPECT_EQ(s.addresses_changed, 0u);
  EXPECT_EQ(s.entries_added, 0u);
  EXPECT_EQ(s.entries_removed, 0u);
  EXPECT_GE(s.entries_adopted, 2u);  // the neighbour and the FDB entry
  auto rs = rp('a').stats();
  EXPECT_EQ(rs.adopted, 1u);
  EXPECT_EQ(rs.adds_sent, 0u);
  EXPECT_TRUE(lab_.ping('a'));
}

TEST_F(VxlanLabTest, StrayEntriesOnVxlanCalicoGoOthersStay) {
  start(kA, kB);
  ASSERT_TRUE(settle());
  const std::string a = lab_.node('a');
  ASSERT_EQ(
      lab_.exec(a,
                "ip neigh add 10.244.9.9 lladdr 66:00:00:00:00:09 dev vxlan.calico nud permanent"),
      0);
  ASSERT_EQ(
      lab_.exec(
          a, "bridge fdb add 66:00:00:00:00:09 dev vxlan.calico dst 192.168.50.9 self permanent"),
      0);
  // A wrong MAC for a peer we know.
  ASSERT_EQ(
      lab_.exec(
          a, "ip neigh replace 10.244.2.0 lladdr 66:00:00:00:00:0b dev vxlan.calico nud permanent"),
      0);
  // Someone else's entry on another device.
  ASSERT_EQ(
      lab_.exec(a, "ip neigh add 192.168.50.77 lladdr 02:00:00:00:00:77 dev eth0 nud permanent"),
      0);

  // Kernel events bring the programmer round by itself.
  auto clean = [&] {
    std::string n = lab_.out(a, "ip neigh show dev vxlan.calico");
    std::string f = lab_.out(a, "bridge fdb show dev vxlan.calico");
    return n.find("10.244.9.9") == std::string::npos &&
           n.find("66:00:00:00:00:0b") == std::string::npos &&
           n.find(to_string(mac_for_node("node-b"))) != std::string::npos &&
           f.find("66:00:00:00:00:09") == std::string::npos;
  };
  EXPECT_TRUE(run_until([&] { return clean(); }, std::chrono::seconds(10)));
  ASSERT_TRUE(settle());
  EXPECT_TRUE(clean()) << lab_.out(a, "ip neigh show dev vxlan.calico")
                       << lab_.out(a, "bridge fdb show dev vxlan.calico");
  EXPECT_GE(vx('a').stats().entries_removed, 2u);
  EXPECT_NE(lab_.out(a, "ip neigh show dev eth0")
                .find("192.168.50.77 lladdr 02:00:00:00:00:77 PERMANENT"),
            std::string::npos);
}

TEST_F(VxlanLabTest, DeviceDeletedByHandIsRecreatedAndWrongVniReplaced) {
  start(kA, kB);
  ASSERT_TRUE(settle());
  const std::string a = lab_.node('a');
  ASSERT_EQ(lab_.exec(a, "ip link del vxlan.calico"), 0);
  EXPECT_TRUE(run_until([&] { return vx('a').stats().devices_created >= 2; }));
  ASSERT_TRUE(settle());
  EXPECT_TRUE(vx('a').stats().device_ready);

  auto c = config(kA);
  c.vni = 4097;
  vx('a').set_config(c);
  ASSERT_TRUE(settle());
  EXPECT_EQ(vx('a').stats().devices_recreated, 1u);
  auto link = json::parse(lab_.out(a, "ip -d -j link show vxlan.calico"), nullptr, false);
  ASSERT_TRUE(link.is_array() && !link.empty());
  EXPECT_EQ(link[0]["linkinfo"]["info_data"].value("id", 0), 4097);
  // MTU changes in place.
  c.mtu = 1400;
  vx('a').set_config(c);
  ASSERT_TRUE(settle());
  EXPECT_EQ(vx('a').stats().devices_recreated, 1u);
  EXPECT_NE(lab_.out(a, "ip link show vxlan.calico").find("mtu 1400"), std::string::npos);
  // VXLAN off: the device goes.
  vx('a').set_config(std::nullopt);
  ASSERT_TRUE(settle());
  EXPECT_EQ(lab_.out(a, "ip link show vxlan.calico 2>/dev/null"), "");
}

TEST_F(VxlanLabTest, RouteWaitsForTheDeviceThenInstalls) {
  // Routes first, device later (the order the daemon may well see them in).
  {
    TwoNodeLab::Enter in(lab_.node('a'));
    ASSERT_TRUE(in.ok());
    routes_[0] = std::make_unique<RouteProgrammer>(io_);
    ASSERT_TRUE(routes_[0]->start());
  }
  route(kA, kB, encap::Mode::always);
  ASSERT_TRUE(settle());
  auto st = rp('a').route(pfx(kB.block));
  ASSERT_TRUE(st);
  EXPECT_EQ(st->state, RouteState::failed);
  EXPECT_NE(st->error.find("vxlan.calico"), std::string::npos) << st->error;

  {
    TwoNodeLab::Enter in(lab_.node('a'));
    vxlan_[0] = std::make_unique<VxlanProgrammer>(io_);
    vxlan_[0]->set_config(config(kA));
    vxlan_[0]->set_remote_nodes(vxlan_peers({remote(kB)}));
    ASSERT_TRUE(vxlan_[0]->start());
  }
  EXPECT_TRUE(
      run_until([&] { return rp('a').route(pfx(kB.block))->state == RouteState::installed; }));
  EXPECT_EQ(kernel_route('a', "10.244.2.0/26").value("dev", ""), "vxlan.calico");
}

TEST_F(VxlanLabTest, PoolModeChangeMovesTheRouteBetweenNicAndTunnel) {
  start(kA, kB);
  start(kB, kA);
  route(kA, kB, encap::Mode::never);
  route(kB, kA, encap::Mode::never);
  ASSERT_TRUE(settle());
  auto direct = kernel_route('a', "10.244.2.0/26");
  EXPECT_EQ(direct.value("gateway", ""), "192.168.50.2");
  EXPECT_EQ(direct.value("dev", ""), "eth0");
  EXPECT_NE(direct.dump().find("onlink"), std::string::npos) << direct.dump();
  uint64_t vx0 = lab_.counter('a', "vxlan");
  uint64_t plain0 = lab_.counter('a', "plain");
  EXPECT_TRUE(lab_.ping('a'));
  EXPECT_EQ(lab_.counter('a', "vxlan"), vx0);
  EXPECT_GE(lab_.counter('a', "plain") - plain0, 3u);

  // The pool turns to VXLAN: same prefix, new device and gateway, replaced in place.
  route(kA, kB, encap::Mode::always);
  route(kB, kA, encap::Mode::always);
  ASSERT_TRUE(settle());
  auto tunnel = kernel_route('a', "10.244.2.0/26");
  EXPECT_EQ(tunnel.value("gateway", ""), "10.244.2.0");
  EXPECT_EQ(tunnel.value("dev", ""), "vxlan.calico");
  uint64_t plain1 = lab_.counter('a', "plain");
  EXPECT_TRUE(lab_.ping('a'));
  EXPECT_GE(lab_.counter('a', "vxlan") - vx0, 3u);
  EXPECT_EQ(lab_.counter('a', "plain"), plain1);

  // And back (CrossSubnet with the peer in our subnet is direct).
  route(kA, kB, encap::Mode::cross_subnet);
  ASSERT_TRUE(settle());
  EXPECT_EQ(kernel_route('a', "10.244.2.0/26").value("dev", ""), "eth0");

  // A resync finds the kernel as desired: nothing to replace.
  uint64_t adds = rp('a').stats().adds_sent;
  rp('a').resync();
  ASSERT_TRUE(settle());
  EXPECT_EQ(rp('a').stats().adds_sent, adds);
}

}  // namespace
}  // namespace podnet::dataplane
