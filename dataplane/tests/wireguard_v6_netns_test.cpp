// WireGuard over IPv6 (Felix's wireguardEnabledV6) between two dual-stack node namespaces, the
// programmer driven directly with wireguard-go as the device: the v6 pods' pings cross the v6
// device and the node link carries only UDP 51821 between the nodes' IPv6 addresses; the v6
// device, `ip -6 rule` and v6 table routes are what Felix would program; the route dump reads only
// our table (a thousand main-table routes are not read back); turning it off removes it all and
// the pods still reach each other unencrypted.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <fstream>
#include <map>
#include <memory>
#include <thread>

#include "conf/types/routing.hpp"
#include "dataplane/tests/wireguard_lab.hpp"

namespace podnet::dataplane {
namespace {

using testing::TwoNodeLab;
using testing::wait_for;

rib::Prefix pfx(const char* s) {
  return *rib::Prefix::parse(s);
}

struct Side {
  char which;
  const char* name;
  const char* node_ip;  // IPv6, on eth0
  const char* pod_ip;
  const char* block;
  const char* wg_ip;
  const char* other_block;
  const char* other_ip;
  const char* other_pod_ip;
};
const Side kA{'a',
              "node-a",
              "fd00:50::1",
              "fd00:10:244:1::5",
              "fd00:10:244:1::/122",
              "fd00:10:244:1::1",
              "fd00:10:244:2::/122",
              "fd00:50::2",
              "fd00:10:244:2::5"};
const Side kB{'b',
              "node-b",
              "fd00:50::2",
              "fd00:10:244:2::5",
              "fd00:10:244:2::/122",
              "fd00:10:244:2::1",
              "fd00:10:244:1::/122",
              "fd00:50::1",
              "fd00:10:244:1::5"};

class WireguardV6LabTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(lab_.ok()) << lab_.error();
    // wireguard-go's UAPI socket path is global: names unique per test process.
    std::string tag = std::to_string(::getpid() % 100000);
    ifname_['a'] = "w6a" + tag;
    ifname_['b'] = "w6b" + tag;
    // The lab is IPv4; add the IPv6 half. Static neighbours stand in for Calico's proxy NDP on
    // the cali veth (the pods' routes are on-link), so no DAD or NDP timing is involved.
    for (const Side* s : {&kA, &kB}) {
      const std::string n = "ip -n " + lab_.node(s->which) + " ";
      const std::string p = "ip -n " + lab_.pod(s->which) + " ";
      const std::string pod_mac = lab_.out(lab_.pod(s->which), "cat /sys/class/net/eth0/address");
      ASSERT_FALSE(pod_mac.empty());
      for (const std::string& cmd : {
               "ip netns exec " + lab_.node(s->which) +
                   " sysctl -qw net.ipv6.conf.all.forwarding=1",
               n + "-6 addr add " + s->node_ip + "/64 dev eth0 nodad",
               n + "-6 route add " + s->pod_ip + "/128 dev cali0",
               n + "-6 neigh replace " + s->pod_ip + " lladdr " +
                   pod_mac.substr(0, pod_mac.find('\n')) + " dev cali0 nud permanent",
               // As BGP would install it.
               n + "-6 route add " + s->other_block + " via " + s->other_ip + " proto 12",
               p + "-6 addr add " + s->pod_ip + "/128 dev eth0 nodad",
               p + "-6 route add default dev eth0",
               p + "-6 neigh replace " + s->other_pod_ip +
                   " lladdr ee:ee:ee:ee:ee:ee dev eth0 nud permanent",
           }) {
        ASSERT_EQ(testing::run(cmd), 0) << cmd;
      }
    }
  }

  void TearDown() override {
    progs_.clear();
    testing::stop_userspace_devices(ifname_);
  }

  bool ping6(const Side& from) {
    return testing::run("ip netns exec " + lab_.pod(from.which) + " ping -6 -c 3 -i 0.2 -W 2 -q " +
                        from.other_pod_ip + " >/dev/null") == 0;
  }

  WireguardProgrammer& make(const Side& s) {
    progs_.erase(s.which);
    Status st = ok_status();
    auto p = testing::start_programmer_in(lab_.node(s.which), io_, rib::Family::v6, st);
    EXPECT_TRUE(st) << "start in " << s.name;
    return *(progs_[s.which] = std::move(p));
  }

  Status reconcile(const Side& s) {
    TwoNodeLab::Enter in(lab_.node(s.which));
    return progs_.at(s.which)->reconcile();
  }

  // The FelixConfiguration (wireguardEnabledV6, defaults) and Node as the daemon reads them.
  WireguardConfig config(const Side& s) {
    conf::types::FelixConfiguration f;
    f.spec.wireguard_enabled_v6 = true;
    f.spec.wireguard_interface_name_v6 = ifname_[s.which];
    conf::types::Node self;
    self.metadata.name = s.name;
    self.spec.wireguard = conf::types::NodeWireguardSpec{"", s.wg_ip};
    auto c = wireguard_config_from(f, self, rib::Family::v6);
    EXPECT_TRUE(c) << c.error().message;
    return *c;
  }

  static std::map<std::string, std::vector<rib::Prefix>> routed() {
    // IPAM's view is dual-stack; the v6 programmer takes the v6 half.
    return {{kA.name, {pfx("10.244.1.0/26"), pfx(kA.block)}},
            {kB.name, {pfx("10.244.2.0/26"), pfx(kB.block)}}};
  }

  std::vector<WireguardPeer> peers_for(const Side& self) {
    std::vector<conf::types::Node> nodes;
    for (const Side* s : {&kA, &kB}) {
      conf::types::Node n;
      n.metadata.name = s->name;
      n.spec.bgp.emplace();
      n.spec.bgp->ipv4_address = s->which == 'a' ? "192.168.50.1/24" : "192.168.50.2/24";
      n.spec.bgp->ipv6_address = std::string(s->node_ip) + "/64";
      auto it = progs_.find(s->which);
      publish_wireguard(n, it == progs_.end() ? "" : it->second->public_key(), s->wg_ip,
                        rib::Family::v6);
      nodes.push_back(n);
    }
    return wireguard_peers(nodes, self.name, routed(), rib::Family::v6);
  }

  std::string on(const Side& s, const std::string& cmd) {
    return lab_.out(lab_.node(s.which), cmd);
  }

  boost::asio::io_context io_;
  TwoNodeLab lab_;
  std::map<char, std::string> ifname_;
  std::map<char, std::unique_ptr<WireguardProgrammer>> progs_;
};

TEST_F(WireguardV6LabTest, EncryptsV6PodTrafficOverUdp51821AndTurnsOff) {
  ASSERT_TRUE(ping6(kA)) << "unencrypted v6 baseline";
  for (const Side* s : {&kA, &kB}) {
    make(*s).set_config(config(*s));
    ASSERT_TRUE(reconcile(*s)) << progs_.at(s->which)->stats().error;
  }
  for (const Side* s : {&kA, &kB}) {
    auto peers = peers_for(*s);
    ASSERT_EQ(peers.size(), 1u);
    progs_.at(s->which)->set_throw_prefixes(
        wireguard_throw_prefixes(peers, s->name, routed(), rib::Family::v6));
    progs_.at(s->which)->set_peers(std::move(peers));
    ASSERT_TRUE(reconcile(*s)) << progs_.at(s->which)->stats().error;
  }
  const std::string wga = ifname_['a'];
  auto& a = *progs_.at('a');
  ASSERT_EQ(a.public_key().size(), 44u);
  EXPECT_EQ(a.stats().peers, 1u);

  // Device: v6 /128 address, MTU = eth0's 1500 minus WireGuard-over-IPv6's 80; no v4 address.
  std::string link = on(kA, "ip -o link show " + wga);
  EXPECT_NE(link.find("mtu 1420"), std::string::npos) << link;
  EXPECT_NE(on(kA, "ip -o -6 addr show dev " + wga).find("fd00:10:244:1::1/128"),
            std::string::npos);
  EXPECT_EQ(on(kA, "ip -o -4 addr show dev " + wga), "");
  // The v6 rule and table; nothing in the v4 ones.
  std::string rules = on(kA, "ip -6 rule show");
  EXPECT_NE(rules.find("99:\tnot from all fwmark 0x100000/0x100000 lookup 1"), std::string::npos)
      << rules;
  EXPECT_EQ(on(kA, "ip -4 rule show").find("lookup 1 "), std::string::npos);
  std::string table = on(kA, "ip -6 route show table 1 2>/dev/null");
  EXPECT_NE(table.find("fd00:10:244:2::/122 dev " + wga + " proto bird"), std::string::npos)
      << table;
  EXPECT_NE(table.find("fd00:10:244:2::1 dev " + wga), std::string::npos) << table;
  EXPECT_NE(table.find("throw fd00:10:244:1::/122 "), std::string::npos) << table;
  EXPECT_EQ(on(kA, "ip -4 route show table 1 2>/dev/null"), "");

  std::string show = on(kA, "wg show " + wga);
  EXPECT_NE(show.find("peer: " + progs_.at('b')->public_key()), std::string::npos) << show;
  EXPECT_NE(show.find("endpoint: [fd00:50::2]:51821"), std::string::npos) << show;
  EXPECT_NE(show.find("listening port: 51821"), std::string::npos) << show;
  EXPECT_NE(show.find("allowed ips: fd00:10:244:2::/122, fd00:10:244:2::1/128"), std::string::npos)
      << show;

  // The pods' v6 pings cross the tunnel: on the node link only UDP 51821 between the nodes' v6
  // addresses (the nodes' own neighbour discovery and multicast listener reports aside).
  const std::string cap = "/tmp/" + wga + ".cap";
  lab_.exec(
      lab_.node('a'),
      "sh -c 'timeout 10 tcpdump -l -n -i eth0 -c 8 \"ip6 and not ip6 multicast and not (icmp6 "
      "and ip6[40] >= 133 and ip6[40] <= 137)\" > " +
          cap + " 2>/dev/null &'");
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  ASSERT_TRUE(ping6(kA));
  ASSERT_TRUE(ping6(kB));
  ASSERT_TRUE(wait_for([&] { return std::stoi("0" + testing::output("wc -l < " + cap)) >= 8; }));
  std::string captured = testing::output("cat " + cap);
  testing::run("rm -f " + cap);
  auto c = testing::read_capture(captured, kA.node_ip, kB.node_ip, 51821, "ICMP6, echo");
  EXPECT_EQ(c.leaked, "") << "a pod's ping left the node unencrypted";
  EXPECT_GE(c.lines, 8u);
  EXPECT_EQ(c.wireguard, c.lines) << captured;

  // The route dump asks the kernel for table 1's routes only: a thousand main-table routes of
  // our protocol (BGP's) are not read back on a pass.
  const std::string batch = "/tmp/" + wga + ".batch";
  {
    std::ofstream f(batch);
    for (int i = 0; i < 1000; ++i)
      f << "route add fd00:99:" << std::hex << i << std::dec << "::/64 via fd00:50::2 proto 12\n";
  }
  ASSERT_EQ(testing::run("ip netns exec " + lab_.node('a') + " ip -batch " + batch), 0);
  testing::run("rm -f " + batch);
  const auto before = a.stats();
  ASSERT_TRUE(reconcile(kA)) << a.stats().error;
  EXPECT_LE(a.stats().routes_dumped - before.routes_dumped, 10u)
      << "the whole route table was read back";
  EXPECT_EQ(a.stats().routes, 3u);
  // A converged pass changes nothing (v6 routes carry the kernel's metric 1024: still ours).
  EXPECT_EQ(a.stats().routes_added, before.routes_added);
  EXPECT_EQ(a.stats().routes_removed, before.routes_removed);

  // Off on both: v6 device, rule and table routes gone, key withdrawn; pods reach each other
  // unencrypted.
  for (const Side* s : {&kA, &kB}) {
    std::string seen = "unset";
    progs_.at(s->which)->on_public_key([&seen](const std::string& k) { seen = k; });
    progs_.at(s->which)->set_config(std::nullopt);
    ASSERT_TRUE(reconcile(*s)) << progs_.at(s->which)->stats().error;
    EXPECT_EQ(seen, "") << "the published key is withdrawn";
    EXPECT_NE(lab_.exec(lab_.node(s->which), "ip link show " + ifname_[s->which] + " 2>/dev/null"),
              0);
    EXPECT_EQ(on(*s, "ip -6 rule show").find("lookup 1"), std::string::npos);
    EXPECT_EQ(on(*s, "ip -6 route show table 1 proto 12 2>/dev/null"), "");
  }
  EXPECT_TRUE(ping6(kA));
}

}  // namespace
}  // namespace podnet::dataplane
