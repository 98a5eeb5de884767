// The route programmer against the real kernel, each test in a fresh network namespace with a
// veth pair for reachable gateways. Kernel state is read with `ip -j route show proto 12`.
#include <gtest/gtest.h>
#include <net/if.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <thread>

#include "dataplane/encap.hpp"
#include "dataplane/route_programmer.hpp"
#include "dataplane/tests/netns.hpp"
#include "rib/attr_store.hpp"

namespace podnet::dataplane {
namespace {

using testing::output;
using testing::run;
using json = nlohmann::json;

rib::Address addr(const char* s) {
  return *rib::Address::parse(s);
}
rib::Prefix pfx(const char* s) {
  return *rib::Prefix::parse(s);
}
RouteSpec via(std::initializer_list<const char*> gws) {
  std::vector<NextHop> h;
  for (auto* g : gws) {
    NextHop n;
    n.gateway = addr(g);
    h.push_back(n);
  }
  return RouteSpec::unicast(h);
}

// Our routes in the main table, by destination: those `ip` shows as `proto bird` (12).
// (`ip -j route show proto 12` would leave the protocol out of its output.)
std::map<std::string, json> kernel_routes(const char* family = "-4") {
  auto text = output(std::string("ip -j ") + family + " route show");
  std::map<std::string, json> out;
  auto j = json::parse(text, nullptr, false);
  if (!j.is_array()) return out;
  for (auto& r : j) {
    if (r.value("protocol", "") == "bird") out[r.value("dst", "")] = r;
  }
  return out;
}

std::set<std::string> gateways(const json& r) {
  std::set<std::string> out;
  if (r.contains("gateway")) out.insert(r["gateway"].get<std::string>());
  if (r.contains("nexthops")) {
    for (auto& n : r["nexthops"]) out.insert(n.value("gateway", ""));
  }
  return out;
}

class ProgrammerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(ns_.ok()) << "needs root (CAP_SYS_ADMIN) for a network namespace";
    ASSERT_EQ(run("ip link add veth0 type veth peer name veth1 && ip link set veth1 up"), 0);
  }
  void link_up() {
    ASSERT_EQ(run("ip link set veth0 up"), 0);
    // Let the link settle (carrier, IPv6 link-local DAD on both ends) before a programmer starts:
    // each step is a kernel event, and an event is a reason to retry failed routes.
    auto end = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (output("ip link show veth0").find("state UP") == std::string::npos ||
           !output("ip -6 addr show tentative").empty() ||
           output("ip -6 addr show dev veth0 scope link").empty() ||
           output("ip -6 addr show dev veth1 scope link").empty()) {
      ASSERT_LT(std::chrono::steady_clock::now(), end) << "veth0 did not settle";
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  void add_v4() { ASSERT_EQ(run("ip addr add 10.0.0.1/24 dev veth0"), 0); }

  // Runs the loop until `pred` holds (or a generous timeout: sanitizer builds are slow).
  bool run_until(const std::function<bool()>& pred,
                 std::chrono::seconds limit = std::chrono::seconds(60)) {
    auto end = std::chrono::steady_clock::now() + limit;
    while (!pred()) {
      if (std::chrono::steady_clock::now() > end) return false;
      io_.run_one_for(std::chrono::milliseconds(10));
    }
    return true;
  }
  bool settle(RouteProgrammer& p) {
    // Idle, and no event still waiting to be handled.
    if (!run_until([&] { return p.idle(); })) return false;
    io_.poll();
    return run_until([&] { return p.idle(); });
  }

  testing::FreshNetns ns_;
  boost::asio::io_context io_;
};

TEST_F(ProgrammerTest, BlackholeUnicastEcmpReplaceAndWithdrawFromRibChanges) {
  link_up();
  add_v4();
  rib::AttrStore store;
  auto path = [&](rib::PeerId peer, const char* nh) {
    rib::PathAttributes a;
    a.next_hop = addr(nh);
    return rib::RoutePath{peer, rib::PeerKind::ibgp, 0, store.intern(a)};
  };
  rib::RoutePath local{0, rib::PeerKind::local, 0, store.intern(rib::PathAttributes{})};

  RouteProgrammer p(io_);
  ASSERT_TRUE(p.start().ok());
  std::vector<rib::BestChange> changes{
      {pfx("192.168.1.0/26"), {}, {local}},
      {pfx("10.1.0.0/24"), {}, {path(1, "10.0.0.2")}},
      {pfx("10.2.0.0/24"), {}, {path(1, "10.0.0.2"), path(2, "10.0.0.3")}},
  };
  p.on_best_changes(changes);
  ASSERT_TRUE(settle(p));

  auto k = kernel_routes();
  ASSERT_EQ(k.size(), 3u) << output("ip route");
  EXPECT_EQ(k["192.168.1.0/26"].value("type", ""), "blackhole");
  EXPECT_EQ(k["192.168.1.0/26"].value("protocol", ""), "bird");
  EXPECT_EQ(k["10.1.0.0/24"].value("metric", 0), 1024);
  EXPECT_EQ(k["10.1.0.0/24"].value("protocol", ""), "bird");
  EXPECT_EQ(gateways(k["10.1.0.0/24"]), (std::set<std::string>{"10.0.0.2"}));
  ASSERT_TRUE(k["10.2.0.0/24"].contains("nexthops"));
  EXPECT_EQ(gateways(k["10.2.0.0/24"]), (std::set<std::string>{"10.0.0.2", "10.0.0.3"}));
  auto st = p.stats();
  EXPECT_EQ(st.installed, 3u);
  EXPECT_EQ(st.failed, 0u);
  EXPECT_EQ(st.adds_sent, 3u);
  EXPECT_EQ(st.batches_sent, 1u);  // three routes, one sendmsg

  // Best path changes: replaced in place (still one route for the prefix).
  std::vector<rib::BestChange> change{
      {pfx("10.1.0.0/24"), {path(1, "10.0.0.2")}, {path(3, "10.0.0.4")}},
      {pfx("10.2.0.0/24"), {}, {path(2, "10.0.0.3")}}};
  p.on_best_changes(change);
  ASSERT_TRUE(settle(p));
  k = kernel_routes();
  EXPECT_EQ(gateways(k["10.1.0.0/24"]), (std::set<std::string>{"10.0.0.4"}));
  EXPECT_EQ(gateways(k["10.2.0.0/24"]), (std::set<std::string>{"10.0.0.3"}));
  EXPECT_FALSE(k["10.2.0.0/24"].contains("nexthops"));
  EXPECT_EQ(output("ip -4 route show proto 12 | grep -c 10.1.0.0/24"), "1\n");

  // Withdrawals delete.
  std::vector<rib::BestChange> gone{{pfx("10.1.0.0/24"), {path(3, "10.0.0.4")}, {}},
                                    {pfx("192.168.1.0/26"), {local}, {}}};
  p.on_best_changes(gone);
  ASSERT_TRUE(settle(p));
  k = kernel_routes();
  EXPECT_EQ(k.size(), 1u);
  EXPECT_EQ(k.count("10.2.0.0/24"), 1u);
  EXPECT_EQ(p.stats().desired, 1u);
}

TEST_F(ProgrammerTest, OtherProtocolsAreNeverTouched) {
  link_up();
  add_v4();
  ASSERT_EQ(run("ip route add 10.5.0.0/24 via 10.0.0.2 proto static"), 0);              // metric 0
  ASSERT_EQ(run("ip route add 10.6.0.0/24 via 10.0.0.3 proto static metric 1024"), 0);  // our key
  ASSERT_EQ(run("ip route add 10.7.0.0/24 via 10.0.0.3 proto boot"), 0);
  auto before = output("ip -j route show table all | sort");
  auto others = output("ip route show | grep -v 'proto bird'");

  RouteProgrammer p(io_);
  p.set_route(pfx("10.5.0.0/24"), via({"10.0.0.3"}));
  p.set_route(pfx("10.6.0.0/24"), via({"10.0.0.2"}));
  ASSERT_TRUE(p.start().ok());
  ASSERT_TRUE(settle(p));
  // Same prefix, other metric: both coexist. Same prefix and metric: ours fails, theirs stays.
  auto k = kernel_routes();
  EXPECT_EQ(k.size(), 1u);
  EXPECT_EQ(gateways(k["10.5.0.0/24"]), (std::set<std::string>{"10.0.0.3"}));
  auto r = p.route(pfx("10.6.0.0/24"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->state, RouteState::failed);
  EXPECT_NE(r->error.find("exists"), std::string::npos) << r->error;
  EXPECT_EQ(output("ip route show | grep -v 'proto bird'"), others);

  // Withdraw everything and force a resync: ours go, theirs stay exactly as they were.
  p.remove_route(pfx("10.5.0.0/24"));
  p.remove_route(pfx("10.6.0.0/24"));
  p.resync();
  ASSERT_TRUE(settle(p));
  EXPECT_TRUE(kernel_routes().empty());
  EXPECT_EQ(output("ip -j route show table all | sort"), before);
}

TEST_F(ProgrammerTest, StartAdoptsMatchingRoutesAndRemovesUndesiredOnes) {
  link_up();
  add_v4();
  ASSERT_EQ(run("ip route add blackhole 192.168.5.0/26 proto 12 metric 1024"), 0);
  ASSERT_EQ(run("ip route add 10.8.0.0/24 via 10.0.0.2 proto 12 metric 1024"), 0);
  ASSERT_EQ(run("ip route add 10.9.0.0/24 via 10.0.0.2 proto 12 metric 1024"), 0);
  ASSERT_EQ(run("ip route add blackhole 192.168.6.0/26 proto 12 metric 1024"), 0);
  ASSERT_EQ(run("ip route add 10.8.0.0/24 via 10.0.0.3 proto 12 metric 50"), 0);  // other metric

  RouteProgrammer p(io_);
  p.set_route(pfx("192.168.5.0/26"), RouteSpec::blackhole());
  p.set_route(pfx("10.8.0.0/24"), via({"10.0.0.2"}));
  p.set_route(pfx("10.9.0.0/24"), via({"10.0.0.3"}));  // differs: replaced
  ASSERT_TRUE(p.start().ok());
  ASSERT_TRUE(settle(p));
  auto st = p.stats();
  EXPECT_EQ(st.adopted, 2u);
  EXPECT_EQ(st.adds_sent, 1u);     // only 10.9.0.0/24
  EXPECT_EQ(st.deletes_sent, 2u);  // 192.168.6.0/26 and the metric-50 10.8.0.0/24
  EXPECT_EQ(st.strays_deleted, 2u);
  EXPECT_EQ(st.installed, 3u);
  EXPECT_EQ(st.resyncs, 1u);
  auto k = kernel_routes();
  EXPECT_EQ(k.size(), 3u) << output("ip route");
  EXPECT_EQ(k.count("192.168.6.0/26"), 0u);
  EXPECT_EQ(gateways(k["10.9.0.0/24"]), (std::set<std::string>{"10.0.0.3"}));
  EXPECT_EQ(output("ip route show proto 12 | grep -c 10.8.0.0/24"), "1\n");

  // A restart with the same desired state adopts everything: not one message.
  RouteProgrammer again(io_);
  again.set_route(pfx("192.168.5.0/26"), RouteSpec::blackhole());
  again.set_route(pfx("10.8.0.0/24"), via({"10.0.0.2"}));
  again.set_route(pfx("10.9.0.0/24"), via({"10.0.0.3"}));
  ASSERT_TRUE(again.start().ok());
  ASSERT_TRUE(settle(again));
  EXPECT_EQ(again.stats().messages_sent, 0u);
  EXPECT_EQ(again.stats().adopted, 3u);
  EXPECT_EQ(again.stats().installed, 3u);
}

// Graceful restart: a restarted podnetd holds its previous run's routes (nothing wants them
// yet) until BGP has re-learned; what comes back replaces its copy in place, the rest goes
// only at release_strays().
TEST_F(ProgrammerTest, HeldStraysKeepForwardingUntilReleased) {
  link_up();
  add_v4();
  ASSERT_EQ(run("ip route add 10.8.0.0/24 via 10.0.0.2 proto 12 metric 1024"), 0);
  ASSERT_EQ(run("ip route add 10.9.0.0/24 via 10.0.0.2 proto 12 metric 1024"), 0);
  ASSERT_EQ(run("ip route add blackhole 192.168.6.0/26 proto 12 metric 1024"), 0);

  ProgrammerOptions o;
  o.hold_strays = true;
  RouteProgrammer p(io_, o);
  ASSERT_TRUE(p.start().ok());
  ASSERT_TRUE(settle(p));
  EXPECT_EQ(p.stats().strays_held, 3u);
  EXPECT_EQ(p.stats().messages_sent, 0u);
  EXPECT_EQ(kernel_routes().size(), 3u) << output("ip route");

  // Re-learned: the same route (replaced in place, never deleted) and a changed one.
  p.set_route(pfx("10.8.0.0/24"), via({"10.0.0.2"}));
  p.set_route(pfx("10.9.0.0/24"), via({"10.0.0.3"}));
  ASSERT_TRUE(settle(p));
  EXPECT_EQ(p.stats().deletes_sent, 0u);
  EXPECT_EQ(p.stats().strays_held, 1u);
  EXPECT_EQ(p.stats().installed, 2u);
  auto k = kernel_routes();
  EXPECT_EQ(gateways(k["10.9.0.0/24"]), (std::set<std::string>{"10.0.0.3"}));
  EXPECT_EQ(k.count("192.168.6.0/26"), 1u);

  p.release_strays();
  ASSERT_TRUE(settle(p));
  EXPECT_EQ(p.stats().strays_held, 0u);
  EXPECT_EQ(p.stats().strays_deleted, 1u);
  k = kernel_routes();
  EXPECT_EQ(k.size(), 2u) << output("ip route");
  EXPECT_EQ(k.count("192.168.6.0/26"), 0u);
}

TEST_F(ProgrammerTest, RibRoutesGoThroughTheEncapsulationPlanner) {
  link_up();
  add_v4();
  ASSERT_EQ(run("ip link add vxlan.calico type vxlan id 4096 dstport 4789 dev veth0 && "
                "ip link set vxlan.calico up"),
            0);
  rib::AttrStore store;
  rib::PathAttributes a;
  a.next_hop = addr("10.0.0.2");  // node-b's IP, as BGP gives it
  std::vector<rib::BestChange> change{
      {pfx("10.244.2.0/26"), {}, {rib::RoutePath{1, rib::PeerKind::ibgp, 0, store.intern(a)}}}};

  encap::Planner planner;
  planner.set_local(encap::LocalNode{addr("10.0.0.1"), 24, "veth0"});
  planner.set_remote_nodes({encap::RemoteNode{"node-b", addr("10.0.0.2"), addr("10.244.2.0"),
                                              mac_for_node("node-b"), std::nullopt}});
  planner.set_pools({{pfx("10.244.0.0/16"), encap::Mode::never, encap::Mode::never}});
  ProgrammerOptions opt;
  opt.rewrite = [&planner](const rib::Prefix& p, const RouteSpec& s) {
    return planner.apply(p, s);
  };
  RouteProgrammer p(io_, opt);
  ASSERT_TRUE(p.start().ok());
  p.on_best_changes(change);
  ASSERT_TRUE(settle(p));
  auto r = kernel_routes()["10.244.2.0/26"];
  EXPECT_EQ(r.value("gateway", ""), "10.0.0.2");
  EXPECT_EQ(r.value("dev", ""), "veth0");
  EXPECT_NE(r.dump().find("onlink"), std::string::npos) << r.dump();

  // The pool turns to VXLAN live: the same RIB state re-applied (what load(rib) does).
  planner.set_pools({{pfx("10.244.0.0/16"), encap::Mode::never, encap::Mode::always}});
  p.on_best_changes(change);
  ASSERT_TRUE(settle(p));
  r = kernel_routes()["10.244.2.0/26"];
  EXPECT_EQ(r.value("gateway", ""), "10.244.2.0");
  EXPECT_EQ(r.value("dev", ""), "vxlan.calico");
  EXPECT_EQ(p.stats().installed, 1u);

  // IPIP on a kernel without tunl0: the route fails with the device named.
  planner.set_pools({{pfx("10.244.0.0/16"), encap::Mode::always, encap::Mode::never}});
  p.on_best_changes(change);
  ASSERT_TRUE(settle(p));
  if (output("ip link show tunl0 2>/dev/null").empty()) {
    auto st = p.route(pfx("10.244.2.0/26"));
    ASSERT_TRUE(st);
    EXPECT_EQ(st->state, RouteState::failed);
    EXPECT_NE(st->error.find("tunl0"), std::string::npos) << st->error;
  } else {
    EXPECT_EQ(kernel_routes()["10.244.2.0/26"].value("dev", ""), "tunl0");
  }
}

TEST_F(ProgrammerTest, UnreachableGatewayFailsAloneAndIsInstalledWhenAnAddressAppears) {
  link_up();
  RouteProgrammer p(io_);
  ASSERT_TRUE(p.start().ok());
  p.set_route(pfx("10.20.0.0/24"), via({"10.0.0.2"}));
  p.set_route(pfx("192.168.7.0/26"), RouteSpec::blackhole());
  ASSERT_TRUE(settle(p));
  auto st = p.stats();
  EXPECT_EQ(st.installed, 1u);
  EXPECT_EQ(st.failed, 1u);
  ASSERT_EQ(st.failure_reasons.size(), 1u);
  EXPECT_NE(st.failure_reasons.begin()->first.find("unreachable"), std::string::npos)
      << st.failure_reasons.begin()->first;
  EXPECT_EQ(p.failed_routes().at(0).prefix, pfx("10.20.0.0/24"));
  EXPECT_EQ(kernel_routes().count("10.20.0.0/24"), 0u);

  // Idle: nothing happens on its own (no timer).
  io_.run_for(std::chrono::milliseconds(200));
  EXPECT_EQ(p.stats().adds_sent, 2u);

  add_v4();  // RTM_NEWADDR -> retry
  ASSERT_TRUE(run_until([&] { return p.stats().failed == 0 && p.idle(); }));
  EXPECT_GE(p.stats().retries, 1u);
  EXPECT_EQ(gateways(kernel_routes()["10.20.0.0/24"]), (std::set<std::string>{"10.0.0.2"}));

  // A gateway made reachable by another protocol's route: RTM_NEWROUTE -> retry.
  p.set_route(pfx("10.31.0.0/24"), via({"10.30.0.2"}));
  ASSERT_TRUE(settle(p));
  EXPECT_EQ(p.stats().failed, 1u);
  ASSERT_EQ(run("ip route add 10.30.0.0/24 dev veth0 proto static"), 0);
  ASSERT_TRUE(run_until([&] { return p.stats().failed == 0 && p.idle(); }));
  EXPECT_EQ(gateways(kernel_routes()["10.31.0.0/24"]), (std::set<std::string>{"10.30.0.2"}));
}

TEST_F(ProgrammerTest, LinkDownFlushIsRepairedAndLinkUpRetries) {
  link_up();
  add_v4();
  RouteProgrammer p(io_);
  ASSERT_TRUE(p.start().ok());
  p.set_route(pfx("10.21.0.0/24"), via({"10.0.0.2"}));
  ASSERT_TRUE(settle(p));
  ASSERT_EQ(kernel_routes().count("10.21.0.0/24"), 1u);

  // Link down: the kernel drops the route silently; the event makes us look (resync), and
  // re-adding fails while the link is down.
  ASSERT_EQ(run("ip link set veth0 down"), 0);
  ASSERT_TRUE(run_until([&] { return p.stats().resyncs >= 2 && p.idle(); }));
  ASSERT_TRUE(settle(p));
  EXPECT_EQ(kernel_routes().count("10.21.0.0/24"), 0u);
  EXPECT_EQ(p.route(pfx("10.21.0.0/24"))->state, RouteState::failed);

  link_up();  // RTM_NEWLINK up -> retry
  ASSERT_TRUE(run_until([&] { return p.stats().failed == 0 && p.idle(); }));
  EXPECT_EQ(kernel_routes().count("10.21.0.0/24"), 1u);
}

TEST_F(ProgrammerTest, Ipv6RoutesIncludingLinkLocalNextHop) {
  link_up();
  ASSERT_EQ(run("ip -6 addr add 2001:db8::1/64 dev veth0 nodad"), 0);
  int ifindex = static_cast<int>(if_nametoindex("veth0"));
  ASSERT_GT(ifindex, 0);
  RouteProgrammer p(io_);
  ASSERT_TRUE(p.start().ok());
  p.set_route(pfx("2001:db8:1::/64"), via({"2001:db8::2"}));
  p.set_route(pfx("2001:db8:2::/64"), via({"2001:db8::2", "2001:db8::3"}));
  p.set_route(pfx("2001:db8:3::/64"), RouteSpec::unicast({{addr("fe80::2"), ifindex}}));
  p.set_route(pfx("2001:db8:ff::/122"), RouteSpec::blackhole());
  ASSERT_TRUE(settle(p));
  EXPECT_EQ(p.stats().installed, 4u) << p.stats().failure_reasons.size();
  auto k = kernel_routes("-6");
  ASSERT_EQ(k.size(), 4u) << output("ip -6 route");
  EXPECT_EQ(gateways(k["2001:db8:1::/64"]), (std::set<std::string>{"2001:db8::2"}));
  EXPECT_EQ(gateways(k["2001:db8:2::/64"]), (std::set<std::string>{"2001:db8::2", "2001:db8::3"}));
  EXPECT_EQ(gateways(k["2001:db8:3::/64"]), (std::set<std::string>{"fe80::2"}));
  EXPECT_EQ(k["2001:db8:3::/64"].value("dev", ""), "veth0");
  EXPECT_EQ(k["2001:db8:ff::/122"].value("type", ""), "blackhole");
  EXPECT_EQ(k["2001:db8:1::/64"].value("metric", 0), 1024);

  // A restart adopts all four, including the multipath and link-local ones.
  RouteProgrammer again(io_);
  again.set_route(pfx("2001:db8:1::/64"), via({"2001:db8::2"}));
  again.set_route(pfx("2001:db8:2::/64"), via({"2001:db8::3", "2001:db8::2"}));
  again.set_route(pfx("2001:db8:3::/64"), RouteSpec::unicast({{addr("fe80::2"), ifindex}}));
  again.set_route(pfx("2001:db8:ff::/122"), RouteSpec::blackhole());
  ASSERT_TRUE(again.start().ok());
  ASSERT_TRUE(settle(again));
  EXPECT_EQ(again.stats().messages_sent, 0u);
  EXPECT_EQ(again.stats().adopted, 4u);

  // Withdrawing the ECMP route removes the whole multipath route.
  again.remove_route(pfx("2001:db8:2::/64"));
  ASSERT_TRUE(settle(again));
  EXPECT_EQ(kernel_routes("-6").count("2001:db8:2::/64"), 0u);
}

TEST_F(ProgrammerTest, OverrunLeadsToResyncAndConvergence) {
  // A tiny receive buffer and an ack per message: acks overflow it (ENOBUFS), the programmer
  // dumps and converges anyway.
  ProgrammerOptions o;
  o.receive_buffer = 4096;
  o.messages_per_send = 1;
  o.max_in_flight = 1 << 20;
  RouteProgrammer p(io_, o);
  ASSERT_TRUE(p.start().ok());
  for (uint32_t i = 0; i < 2000; ++i) {
    p.set_route(*rib::Prefix::make(rib::Address::v4(0xAC100000u + i), 32), RouteSpec::blackhole());
  }
  ASSERT_TRUE(settle(p));
  auto st = p.stats();
  EXPECT_GE(st.resyncs, 2u);
  EXPECT_EQ(st.installed, 2000u);
  EXPECT_EQ(kernel_routes("-4").size(), 2000u);
}

TEST_F(ProgrammerTest, HundredThousandRoutesInBoundedSlices) {
  const uint32_t n = 100000;
  RouteProgrammer p(io_);
  ASSERT_TRUE(p.start().ok());
  ASSERT_TRUE(settle(p));
  for (uint32_t i = 0; i < n; ++i) {
    p.set_route(*rib::Prefix::make(rib::Address::v4(0x0A000000u + i), 32), RouteSpec::blackhole());
  }
  // A handler that re-posts itself runs once per loop turn: it must keep running between slices.
  uint64_t ticks = 0;
  bool stop = false;
  std::function<void()> tick = [&] {
    ++ticks;
    if (!stop) boost::asio::post(io_, tick);
  };
  boost::asio::post(io_, tick);
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(run_until([&] { return p.idle(); }, std::chrono::seconds(240)));
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
  stop = true;
  io_.poll();
  auto st = p.stats();
  EXPECT_EQ(st.installed, n);
  EXPECT_EQ(st.adds_sent, n);
  EXPECT_GE(st.slices, n / p.options().messages_per_turn);
  EXPECT_GE(ticks, st.slices);  // the loop turned at least once per slice
  EXPECT_EQ(output("ip route show proto 12 | wc -l"), std::to_string(n) + "\n");
  std::printf("100k routes: %lld ms, %llu slices, %llu batches, %llu ticks\n",
              static_cast<long long>(ms.count()), static_cast<unsigned long long>(st.slices),
              static_cast<unsigned long long>(st.batches_sent),
              static_cast<unsigned long long>(ticks));

  // Withdraw them all: deletes in the same bounded way.
  for (uint32_t i = 0; i < n; ++i) {
    p.remove_route(*rib::Prefix::make(rib::Address::v4(0x0A000000u + i), 32));
  }
  ASSERT_TRUE(run_until([&] { return p.idle(); }, std::chrono::seconds(240)));
  EXPECT_EQ(p.stats().desired, 0u);
  EXPECT_EQ(output("ip route show proto 12 | wc -l"), "0\n");
}

}  // namespace
}  // namespace podnet::dataplane
