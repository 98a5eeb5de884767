// WireGuard between two node namespaces with the programmer driven directly (no podnetd) and
// wireguard-go as the device (this kernel has no wireguard module): pod pings cross the tunnel
// and the node link carries only UDP 51820 between the nodes; `wg show` lists the peer; a
// restart adopts the device and its key; stale peers, routes and rules go; disabling removes
// device, rule and table routes and pods still reach each other unencrypted; a node without a
// key is no peer and stays reachable.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
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

bool alive(int pid) {
  return pid > 0 && ::kill(pid, 0) == 0;
}

struct Side {
  char which;
  const char* name;
  const char* node_ip;
  const char* block;
  const char* wg_ip;
  const char* other_block;
  const char* other_ip;
};
const Side kA{'a',          "node-a",        "192.168.50.1", "10.244.1.0/26",
              "10.244.1.1", "10.244.2.0/26", "192.168.50.2"};
const Side kB{'b',          "node-b",        "192.168.50.2", "10.244.2.0/26",
              "10.244.2.1", "10.244.1.0/26", "192.168.50.1"};

class WireguardLabTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(lab_.ok()) << lab_.error();
    // Interface names must be unique on the host: wireguard-go's UAPI socket path is global.
    std::string tag = std::to_string(::getpid() % 100000);
    ifname_['a'] = "wga" + tag;
    ifname_['b'] = "wgb" + tag;
    // Main-table routes to the other node's block, as BGP would install them.
    for (const Side* s : {&kA, &kB}) {
      ASSERT_EQ(lab_.exec(lab_.node(s->which), std::string("ip route add ") + s->other_block +
                                                   " via " + s->other_ip + " proto 12"),
                0);
    }
  }

  void TearDown() override {
    progs_.clear();
    testing::stop_userspace_devices(ifname_);
  }

  WireguardConfig config(const Side& s) {
    WireguardConfig c;
    c.interface = ifname_[s.which];
    c.mtu = 1440;
    c.interface_address = *rib::Address::parse(s.wg_ip);
    return c;
  }

  // Creates (or re-creates) node `s`'s programmer inside its namespace.
  WireguardProgrammer& make(const Side& s) {
    progs_.erase(s.which);
    Status st = ok_status();
    auto p = testing::start_programmer_in(lab_.node(s.which), io_, rib::Family::v4, st);
    EXPECT_TRUE(st) << "start in " << s.name;
    return *(progs_[s.which] = std::move(p));
  }

  Status reconcile(const Side& s) {
    TwoNodeLab::Enter in(lab_.node(s.which));
    return progs_.at(s.which)->reconcile();
  }

  // The Node resources as the datastore would hold them, and the peers computed from them.
  std::vector<WireguardPeer> peers_for(const Side& self) {
    std::vector<conf::types::Node> nodes;
    for (const Side* s : {&kA, &kB}) {
      conf::types::Node n;
      n.metadata.name = s->name;
      n.spec.bgp.emplace();
      n.spec.bgp->ipv4_address = std::string(s->node_ip) + "/24";
      auto it = progs_.find(s->which);
      publish_wireguard(n, it == progs_.end() ? "" : it->second->public_key(), s->wg_ip);
      nodes.push_back(n);
    }
    return wireguard_peers(nodes, self.name, routed());
  }

  // What IPAM would say each node originates.
  static std::map<std::string, std::vector<rib::Prefix>> routed() {
    return {{kA.name, {pfx(kA.block)}}, {kB.name, {pfx(kB.block)}}};
  }

  std::string on(const Side& s, const std::string& cmd) {
    return lab_.out(lab_.node(s.which), cmd);
  }

  void enable_both() {
    for (const Side* s : {&kA, &kB}) {
      make(*s).set_config(config(*s));
      ASSERT_TRUE(reconcile(*s)) << progs_.at(s->which)->stats().error;
    }
    for (const Side* s : {&kA, &kB}) {
      auto peers = peers_for(*s);
      progs_.at(s->which)->set_throw_prefixes(wireguard_throw_prefixes(peers, s->name, routed()));
      progs_.at(s->which)->set_peers(std::move(peers));
      ASSERT_TRUE(reconcile(*s)) << progs_.at(s->which)->stats().error;
    }
  }

  boost::asio::io_context io_;
  TwoNodeLab lab_;
  std::map<char, std::string> ifname_;
  std::map<char, std::unique_ptr<WireguardProgrammer>> progs_;
};

TEST_F(WireguardLabTest, EncryptsPodTrafficAdoptsOnRestartAndTurnsOff) {
  ASSERT_TRUE(lab_.ping('a')) << "unencrypted baseline";
  enable_both();
  const std::string wga = ifname_['a'];
  auto& a = *progs_.at('a');
  ASSERT_EQ(a.public_key().size(), 44u);
  EXPECT_NE(a.public_key(), progs_.at('b')->public_key());
  EXPECT_EQ(a.stats().devices_created, 1u);
  EXPECT_EQ(a.stats().peers, 1u);

  // Device, address, MTU, rule, table routes.
  std::string link = on(kA, "ip -o link show " + wga);
  EXPECT_NE(link.find("mtu 1440"), std::string::npos) << link;
  EXPECT_NE(link.find("UP"), std::string::npos) << link;
  EXPECT_NE(on(kA, "ip -o addr show dev " + wga).find("10.244.1.1/32"), std::string::npos);
  std::string rules = on(kA, "ip rule show");
  EXPECT_NE(rules.find("99:\tnot from all fwmark 0x100000/0x100000 lookup 1"), std::string::npos)
      << rules;
  std::string table = on(kA, "ip route show table 1 2>/dev/null");
  EXPECT_NE(table.find("10.244.2.0/26 dev " + wga + " proto bird scope link"), std::string::npos)
      << table;
  EXPECT_NE(table.find("10.244.2.1 dev " + wga), std::string::npos) << table;
  EXPECT_NE(table.find("throw 10.244.1.0/26 proto bird"), std::string::npos) << table;

  // wg (wireguard-tools, over the same UAPI socket) sees the peer.
  std::string show = on(kA, "wg show " + wga);
  EXPECT_NE(show.find("peer: " + progs_.at('b')->public_key()), std::string::npos) << show;
  EXPECT_NE(show.find("endpoint: 192.168.50.2:51820"), std::string::npos) << show;
  EXPECT_NE(show.find("allowed ips: 10.244.2.0/26, 10.244.2.1/32"), std::string::npos) << show;
  EXPECT_NE(show.find("fwmark: 0x100000"), std::string::npos) << show;

  // Pods ping through the tunnel, and the node link sees only WireGuard's UDP.
  const std::string cap = "/tmp/" + wga + ".cap";
  lab_.exec(lab_.node('a'),
            "sh -c 'timeout 10 tcpdump -l -n -i eth0 -c 8 ip > " + cap + " 2>/dev/null &'");
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  uint64_t plain_before = lab_.counter('a', "plain");
  ASSERT_TRUE(lab_.ping('a'));
  ASSERT_TRUE(lab_.ping('b'));
  EXPECT_EQ(lab_.counter('a', "plain"), plain_before) << "pod packets left the node unencrypted";
  ASSERT_TRUE(wait_for([&] { return std::stoi("0" + testing::output("wc -l < " + cap)) >= 8; }));
  std::string captured = testing::output("cat " + cap);
  testing::run("rm -f " + cap);
  auto c = testing::read_capture(captured, kA.node_ip, kB.node_ip, 51820, "ICMP");
  EXPECT_EQ(c.leaked, "") << "a pod's ping left the node unencrypted";
  EXPECT_GE(c.lines, 8u);
  EXPECT_EQ(c.wireguard, c.lines) << captured;

  // Stale state: a peer, a table route and a rule added by hand go on the next pass.
  auto stranger = wg::generate_key_pair();
  ASSERT_TRUE(stranger);
  ASSERT_EQ(
      lab_.exec(lab_.node('a'), "wg set " + wga + " peer " + wg::to_base64(stranger->public_key) +
                                    " allowed-ips 10.98.0.0/24"),
      0);
  ASSERT_EQ(lab_.exec(lab_.node('a'), "ip route add 10.99.0.0/24 dev " + wga + " table 1 proto 12"),
            0);
  ASSERT_EQ(lab_.exec(lab_.node('a'), "ip rule add pref 98 fwmark 0x1 lookup 1 proto 12"), 0);
  // A route of another protocol in the table is not ours.
  ASSERT_EQ(lab_.exec(lab_.node('a'), "ip route add 10.97.0.0/24 dev " + wga + " table 1"), 0);

  // Restart: a new programmer adopts the device (same process, same key) and cleans up.
  int pid = *wg::userspace_device_pid(wga);
  std::string key = a.public_key();
  std::string ifindex = on(kA, "cat /sys/class/net/" + wga + "/ifindex");
  auto& a2 = make(kA);
  a2.set_config(config(kA));
  a2.set_peers(peers_for(kA));
  ASSERT_TRUE(reconcile(kA)) << a2.stats().error;
  EXPECT_EQ(a2.stats().devices_created, 0u);
  EXPECT_EQ(a2.stats().keys_generated, 0u);
  EXPECT_EQ(a2.public_key(), key);
  EXPECT_EQ(*wg::userspace_device_pid(wga), pid);
  EXPECT_EQ(on(kA, "cat /sys/class/net/" + wga + "/ifindex"), ifindex);
  show = on(kA, "wg show " + wga + " peers");
  EXPECT_EQ(show, progs_.at('b')->public_key() + "\n");
  table = on(kA, "ip route show table 1 2>/dev/null");
  EXPECT_EQ(table.find("10.99.0.0/24"), std::string::npos) << table;
  EXPECT_NE(table.find("10.97.0.0/24"), std::string::npos) << table;
  rules = on(kA, "ip rule show");
  EXPECT_EQ(rules.find("98:"), std::string::npos) << rules;
  EXPECT_NE(rules.find("99:"), std::string::npos) << rules;
  EXPECT_TRUE(lab_.ping('a'));

  // Off on both: device (and its wireguard-go), rule and table routes gone; pods still reach
  // each other, now unencrypted.
  std::map<char, int> pids = {{'a', pid}, {'b', *wg::userspace_device_pid(ifname_['b'])}};
  for (const Side* s : {&kA, &kB}) {
    std::string seen = "unset";
    progs_.at(s->which)->on_public_key([&seen](const std::string& k) { seen = k; });
    progs_.at(s->which)->set_config(std::nullopt);
    ASSERT_TRUE(reconcile(*s)) << progs_.at(s->which)->stats().error;
    EXPECT_EQ(seen, "") << "the published key is withdrawn";
    EXPECT_EQ(progs_.at(s->which)->public_key(), "");
    EXPECT_NE(lab_.exec(lab_.node(s->which), "ip link show " + ifname_[s->which] + " 2>/dev/null"),
              0);
    EXPECT_EQ(on(*s, "ip rule show").find("lookup 1"), std::string::npos);
    EXPECT_EQ(on(*s, "ip route show table 1 proto 12 2>/dev/null"), "");
    EXPECT_TRUE(wait_for([&] { return !alive(pids[s->which]); })) << "wireguard-go still runs";
  }
  plain_before = lab_.counter('a', "plain");
  EXPECT_TRUE(lab_.ping('a'));
  EXPECT_GE(lab_.counter('a', "plain"), plain_before + 3);
}

TEST_F(WireguardLabTest, NodeWithoutKeyIsNoPeerAndStaysReachable) {
  auto& a = make(kA);
  a.set_config(config(kA));
  a.set_peers(peers_for(kA));  // B runs no WireGuard: no key published
  ASSERT_TRUE(reconcile(kA)) << a.stats().error;
  EXPECT_EQ(a.stats().peers, 0u);
  EXPECT_EQ(on(kA, "wg show " + ifname_['a'] + " peers"), "");
  EXPECT_EQ(on(kA, "ip route show table 1 2>/dev/null"), "");
  EXPECT_NE(on(kA, "ip rule show").find("lookup 1"), std::string::npos);
  uint64_t plain_before = lab_.counter('a', "plain");
  EXPECT_TRUE(lab_.ping('a'));
  EXPECT_GE(lab_.counter('a', "plain"), plain_before + 3);

  // Kernel events drive a pass on the loop: the rule deleted and the device set down by hand
  // come back without an explicit reconcile.
  ASSERT_EQ(lab_.exec(lab_.node('a'), "ip rule del pref 99"), 0);
  ASSERT_EQ(lab_.exec(lab_.node('a'), "ip link set " + ifname_['a'] + " down"), 0);
  {
    TwoNodeLab::Enter in(lab_.node('a'));
    ASSERT_TRUE(in.ok());
    EXPECT_TRUE(wait_for([&] {
      io_.run_for(std::chrono::milliseconds(50));
      return on(kA, "ip rule show").find("99:") != std::string::npos &&
             on(kA, "ip -o link show " + ifname_['a']).find(",UP") != std::string::npos;
    })) << on(kA, "ip rule show")
        << on(kA, "ip -o link show " + ifname_['a']);
  }
  EXPECT_EQ(a.stats().rules_added, 2u);
}

// The kernel backend end to end: a `wireguard` link configured over generic netlink, read back.
TEST(WireguardKernelBackend, CreatesConfiguresAndReadsBack) {
  if (!wg::kernel_module_available()) {
    GTEST_SKIP() << "this kernel has no wireguard module (/sys/module/wireguard is missing): the "
                    "kernel backend runs where it exists; here WireGuard uses wireguard-go";
  }
  testing::FreshNetns ns;
  ASSERT_TRUE(ns.ok());
  auto backend = wg::make_kernel_backend();
  ASSERT_TRUE(backend) << backend.error().message;
  ASSERT_TRUE((*backend)->create("wgk0"));
  EXPECT_TRUE((*backend)->manages("wgk0"));
  auto empty = (*backend)->get("wgk0");
  ASSERT_TRUE(empty) << empty.error().message;
  wg::DeviceState want;
  want.private_key = wg::generate_key_pair()->private_key;
  want.listen_port = 51820;
  want.fwmark = kWireguardFwmark;
  want.peers = {wg::PeerState{wg::generate_key_pair()->public_key,
                              wg::Endpoint{*rib::Address::parse("192.0.2.2"), 51820},
                              {pfx("10.244.2.0/26")},
                              0}};
  wg::normalise(want);
  ASSERT_TRUE((*backend)->set("wgk0", *empty, want));
  auto got = (*backend)->get("wgk0");
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(*got, want);
}

}  // namespace
}  // namespace podnet::dataplane
