// podnetd against real BGP speakers (gobgpd, BIRD 2) in network namespaces: sessions configured
// the Calico way (Node, BGPConfiguration and BGPPeer resources in podnetd's datastore), routes
// both ways with their attributes, IPv4 and IPv6 over MP-BGP, iBGP and eBGP, withdrawals, a peer
// killed with SIGKILL, a link cut silently, NOTIFICATIONs both ways, and per-peer reconcile.
#include <gtest/gtest.h>

#include <signal.h>

#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "interop-tests/harness/harness.hpp"
#include "interop-tests/peers/bird_peer.hpp"
#include "interop-tests/peers/gobgp_peer.hpp"
#include "interop-tests/topology/topology.hpp"

namespace podnet::interop {
namespace {

using namespace std::chrono_literals;
using harness::Process;
using harness::TempDir;
using harness::wait_until;

// One podnetd in a namespace, with its own directory datastore and control socket.
class Podnetd {
 public:
  // etcd_url: "" for a directory datastore of its own, else an etcd endpoint reachable from
  // inside `netns` (podnetctl then runs in that namespace too).
  Podnetd(const std::string& netns, const std::string& node, const std::string& resources,
          const std::vector<std::string>& static_routes, int hold_time,
          const std::string& etcd_url = "")
      : netns_(netns), etcd_url_(etcd_url) {
    std::string routes;
    for (const auto& r : static_routes) routes += "\n  - " + r;
    const std::string datastore = etcd_url.empty()
                                      ? "  path: " + dir_.file("store")
                                      : "  type: etcdv3\n  etcdEndpoints: [" + etcd_url + "]";
    harness::write_file(dir_.file("podnetd.yaml"),
                        fmt::format("nodeName: {}\ndatastore:\n{}\ncontrolSocket: {}\n"
                                    "healthListen: 127.0.0.1:9099\nlogLevel: debug\n"
                                    "bgp:\n  holdTime: {}\n  staticRoutes:{}\n",
                                    node, datastore, socket(), hold_time, routes));
    auto r = ctl({"apply", "-f", "-"}, resources);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    proc_ = Process({harness::podnetd_path(), "--config", dir_.file("podnetd.yaml")}, netns_);
  }
  std::string socket() const { return dir_.file("podnetd.sock"); }
  harness::CommandResult ctl(std::vector<std::string> args, const std::string& input = "") const {
    args.insert(args.begin(), harness::podnetctl_path());
    if (etcd_url_.empty()) {
      args.push_back("--datastore=dir:" + dir_.file("store"));
    } else {
      args.push_back("--datastore=etcd:" + etcd_url_);
      args.insert(args.begin(), {"ip", "netns", "exec", netns_});
    }
    args.push_back("--socket=" + socket());
    return harness::run(args, input);
  }
  // HTTP status of GET /readyz on the health listener, and its body.
  std::pair<std::string, std::string> readyz() const {
    auto r = harness::run({"ip", "netns", "exec", netns_, "curl", "-s", "-w", "\n%{http_code}",
                           "http://127.0.0.1:9099/readyz"});
    auto nl = r.out.rfind('\n');
    if (nl == std::string::npos) return {"", r.out};
    return {r.out.substr(nl + 1), r.out.substr(0, nl)};
  }
  nlohmann::json show(const std::vector<std::string>& what) const {
    std::vector<std::string> args = {"show"};
    args.insert(args.end(), what.begin(), what.end());
    args.push_back("--json");
    auto r = ctl(args);
    if (r.exit_code != 0) return nullptr;
    return nlohmann::json::parse(r.out, nullptr, false);
  }
  nlohmann::json peer(const std::string& name) const {
    auto j = show({"peers"});
    if (j.is_null()) return nullptr;
    for (const auto& p : j["peers"])
      if (p["name"] == name) return p;
    return nullptr;
  }
  bool established(const std::string& name) const {
    auto p = peer(name);
    return !p.is_null() && p["state"] == "Established";
  }
  // Paths of one prefix (exact), or null when podnetd has none.
  nlohmann::json paths(const std::string& prefix) const {
    auto j = show({"routes", prefix});
    if (j.is_null() || j["routes"].empty()) return nullptr;
    return j["routes"][0]["paths"];
  }
  std::string log() const { return proc_.err(); }
  Process& proc() { return proc_; }

 private:
  std::string netns_;
  std::string etcd_url_;
  TempDir dir_{"podnetd-interop"};
  Process proc_;
};

std::string node_yaml(const std::string& name, const std::string& v4, const std::string& v6) {
  return fmt::format(
      "apiVersion: projectcalico.org/v3\nkind: Node\nmetadata:\n  name: {}\nspec:\n  bgp:\n"
      "    ipv4Address: {}\n{}",
      name, v4, v6.empty() ? "" : "    ipv6Address: " + v6 + "\n");
}

std::string peer_yaml(const std::string& name, const std::string& ip, uint32_t as) {
  return fmt::format(
      "---\napiVersion: projectcalico.org/v3\nkind: BGPPeer\nmetadata:\n  name: {}\nspec:\n"
      "  peerIP: {}\n  asNumber: {}\n",
      name, ip, as);
}

constexpr const char* kBgpDefault =
    "---\napiVersion: projectcalico.org/v3\nkind: BGPConfiguration\nmetadata:\n  name: default\n"
    "spec:\n  asNumber: 64512\n";

NeighborConfig neighbor(const std::string& addr, uint32_t as, bool v4, bool v6) {
  NeighborConfig n;
  n.address = addr;
  n.remote_as = as;
  n.hold_time = 9;
  n.ipv4 = v4;
  n.ipv6 = v6;
  return n;
}

class PodnetdInterop : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!harness::is_root()) GTEST_SKIP() << "needs root for network namespaces";
    topo = std::make_unique<Topology>("pnbgp");
    for (const char* h : {"pn", "gobgp", "bird"}) ASSERT_TRUE(topo->add_host(h));
    auto lan = topo->add_lan("lan", {{"pn", "eth0", {"10.0.0.1/24", "fd00::1/64"}},
                                     {"gobgp", "eth0", {"10.0.0.2/24", "fd00::2/64"}},
                                     {"bird", "eth0", {"10.0.0.3/24", "fd00::3/64"}}});
    ASSERT_TRUE(lan) << lan.error().message;
    ASSERT_TRUE(topo->up());
  }
  void TearDown() override {
    if (HasFailure()) {
      if (pn) std::cerr << "--- podnetd log\n" << pn->log();
      if (gobgp) std::cerr << "--- gobgpd log\n" << gobgp->log();
      if (bird) std::cerr << "--- bird log\n" << bird->log();
    }
    pn.reset();
    gobgp.reset();
    bird.reset();
    topo.reset();
  }
  void start_gobgp(uint32_t as, std::vector<NeighborConfig> n) {
    PeerConfig c;
    c.local_as = as;
    c.router_id = "10.0.0.2";
    c.neighbors = std::move(n);
    gobgp = std::make_unique<GobgpPeer>(topo->ns("gobgp"), c);
    auto s = gobgp->start();
    ASSERT_TRUE(s) << s.error().message;
  }
  void start_bird(uint32_t as, std::vector<NeighborConfig> n) {
    PeerConfig c;
    c.local_as = as;
    c.router_id = "10.0.0.3";
    c.neighbors = std::move(n);
    bird = std::make_unique<BirdPeer>(topo->ns("bird"), c);
    auto s = bird->start();
    ASSERT_TRUE(s) << s.error().message;
  }

  // gobgpd (AS 65001) and podnetd (AS 64512, BGPPeer "gobgp") on one IPv4 session, up.
  void gobgp_v4_session() {
    start_gobgp(65001, {neighbor("10.0.0.1", 64512, true, false)});
    pn = std::make_unique<Podnetd>(
        topo->ns("pn"), "n1",
        node_yaml("n1", "10.0.0.1/24", "") + kBgpDefault + peer_yaml("gobgp", "10.0.0.2", 65001),
        std::vector<std::string>{}, 9);
    ASSERT_TRUE(wait_until([&] { return pn->established("Global_10_0_0_2"); }, 30s));
  }

  std::unique_ptr<Topology> topo;
  std::unique_ptr<Podnetd> pn;
  std::unique_ptr<GobgpPeer> gobgp;
  std::unique_ptr<BirdPeer> bird;
};

// eBGP with gobgpd, one IPv4 and one IPv6 session (MP-BGP), as BGPPeer resources.
TEST_F(PodnetdInterop, GobgpEbgpIpv4AndIpv6RoutesBothWays) {
  start_gobgp(65001,
              {neighbor("10.0.0.1", 64512, true, false), neighbor("fd00::1", 64512, false, true)});
  pn = std::make_unique<Podnetd>(topo->ns("pn"), "n1",
                                 node_yaml("n1", "10.0.0.1/24", "fd00::1/64") + kBgpDefault +
                                     peer_yaml("gobgp-v4", "10.0.0.2", 65001) +
                                     peer_yaml("gobgp-v6", "fd00::2", 65001),
                                 std::vector<std::string>{"10.99.0.0/24", "fd00:99::/64"}, 9);
  ASSERT_TRUE(wait_until([&] { return pn->established("Global_10_0_0_2"); }, 30s));
  ASSERT_TRUE(wait_until([&] { return pn->established("Global_fd00__2"); }, 30s));

  // gobgpd -> podnetd, with attributes.
  ASSERT_TRUE(gobgp->announce({"10.77.0.0/24", "", {"65001:7"}, 5, std::nullopt}));
  ASSERT_TRUE(gobgp->announce({"fd00:77::/64", "", {}, std::nullopt, std::nullopt}));
  ASSERT_TRUE(wait_until([&] { return !pn->paths("10.77.0.0/24").is_null(); }));
  auto p = pn->paths("10.77.0.0/24")[0];
  EXPECT_EQ(p["best"], true);
  EXPECT_EQ(p["source"], "Global_10_0_0_2");
  EXPECT_EQ(p["kind"], "ebgp");
  EXPECT_EQ(p["attributes"]["asPath"], "65001");
  EXPECT_EQ(p["attributes"]["nextHop"], "10.0.0.2");
  EXPECT_EQ(p["attributes"]["med"], 5);
  // ORIGIN as gobgpd itself holds it (its CLI originates with "incomplete").
  auto own = gobgp->best_route("10.77.0.0/24");
  ASSERT_TRUE(own);
  EXPECT_EQ(p["attributes"]["origin"], own->origin);
  EXPECT_EQ(p["attributes"]["communities"], nlohmann::json::array({"65001:7"}));
  ASSERT_TRUE(wait_until([&] { return !pn->paths("fd00:77::/64").is_null(); }));
  auto p6 = pn->paths("fd00:77::/64")[0];
  EXPECT_EQ(p6["attributes"]["mpNextHop"], "fd00::2");
  EXPECT_EQ(p6["attributes"]["asPath"], "65001");
  // The text form serves a person too.
  auto text = pn->ctl({"show", "routes", "10.77.0.0/24"});
  EXPECT_NE(text.out.find("10.77.0.0/24"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("65001"), std::string::npos) << text.out;

  // podnetd -> gobgpd: its static routes, our AS prepended, next hop ourselves.
  ASSERT_TRUE(gobgp->wait_route("10.99.0.0/24"));
  auto g = gobgp->best_route("10.99.0.0/24");
  ASSERT_TRUE(g);
  EXPECT_EQ(g->as_path, std::vector<uint32_t>{64512});
  EXPECT_EQ(g->next_hop, "10.0.0.1");
  EXPECT_EQ(g->origin, "IGP");
  ASSERT_TRUE(gobgp->wait_route("fd00:99::/64"));
  auto g6 = gobgp->best_route("fd00:99::/64");
  ASSERT_TRUE(g6);
  EXPECT_EQ(g6->next_hop, "fd00::1");
  EXPECT_EQ(g6->as_path, std::vector<uint32_t>{64512});
  // Split horizon: gobgpd's own route is not sent back to it.
  EXPECT_FALSE(gobgp->route_from("10.77.0.0/24", "10.0.0.1"));

  // Withdrawal from gobgpd reaches podnetd.
  ASSERT_TRUE(gobgp->withdraw("10.77.0.0/24"));
  EXPECT_TRUE(wait_until([&] { return pn->paths("10.77.0.0/24").is_null(); }));
  EXPECT_FALSE(pn->paths("fd00:77::/64").is_null());

  auto peers = pn->show({"peers"});
  ASSERT_FALSE(peers.is_null());
  auto v4 = pn->peer("Global_10_0_0_2");
  EXPECT_EQ(v4["peerAS"], 65001);
  EXPECT_GE(v4["prefixes"]["advertised"].get<int>(), 1);
  EXPECT_EQ(v4["holdTime"], 9);
}

// NOTIFICATIONs both ways, decoded in the logs; removing one BGPPeer resets only its session.
TEST_F(PodnetdInterop, NotificationsBothWaysAndPerPeerReconcile) {
  start_gobgp(65001,
              {neighbor("10.0.0.1", 64512, true, false), neighbor("fd00::1", 64512, false, true)});
  pn = std::make_unique<Podnetd>(topo->ns("pn"), "n1",
                                 node_yaml("n1", "10.0.0.1/24", "fd00::1/64") + kBgpDefault +
                                     peer_yaml("gobgp-v4", "10.0.0.2", 65001) +
                                     peer_yaml("gobgp-v6", "fd00::2", 65001),
                                 std::vector<std::string>{"10.99.0.0/24"}, 9);
  ASSERT_TRUE(wait_until([&] { return pn->established("Global_10_0_0_2"); }, 30s));
  ASSERT_TRUE(wait_until([&] { return pn->established("Global_fd00__2"); }, 30s));
  ASSERT_TRUE(gobgp->announce({"10.77.0.0/24", "", {}, std::nullopt, std::nullopt}));
  ASSERT_TRUE(wait_until([&] { return !pn->paths("10.77.0.0/24").is_null(); }));

  // gobgpd sends Cease/Administrative Shutdown: podnetd logs it decoded and drops the routes.
  ASSERT_TRUE(gobgp->send_notification("10.0.0.1", NotificationAction::admin_shutdown));
  EXPECT_TRUE(wait_until([&] {
    return pn->log().find("Cease/Administrative Shutdown") != std::string::npos;
  })) << pn->log();
  EXPECT_TRUE(wait_until([&] { return pn->paths("10.77.0.0/24").is_null(); }));
  EXPECT_NE(
      pn->peer("Global_10_0_0_2")["lastError"].get<std::string>().find("Administrative Shutdown"),
      std::string::npos);
  ASSERT_TRUE(gobgp->enable_neighbor("10.0.0.1"));
  ASSERT_TRUE(wait_until([&] { return pn->established("Global_10_0_0_2"); }, 30s));

  // Deleting one BGPPeer: podnetd sends Cease/Peer De-configured (6/3) on that session only.
  double v6_uptime = pn->peer("Global_fd00__2")["stateSeconds"].get<double>();
  auto del = pn->ctl({"delete", "bgppeer", "gobgp-v4"});
  ASSERT_EQ(del.exit_code, 0) << del.err;
  EXPECT_TRUE(gobgp->wait_notification(true, 6, 3, 15s)) << gobgp->log();
  EXPECT_TRUE(wait_until([&] { return pn->peer("Global_10_0_0_2").is_null(); }));
  auto v6 = pn->peer("Global_fd00__2");
  EXPECT_EQ(v6["state"], "Established");
  EXPECT_GE(v6["stateSeconds"].get<double>(), v6_uptime);  // never reset
  EXPECT_TRUE(gobgp->wait_no_route("10.99.0.0/24"));

  // Adding it back starts just that session again.
  auto add = pn->ctl({"apply", "-f", "-"}, peer_yaml("gobgp-v4", "10.0.0.2", 65001));
  ASSERT_EQ(add.exit_code, 0) << add.err;
  EXPECT_TRUE(wait_until([&] { return pn->established("Global_10_0_0_2"); }, 30s));
  EXPECT_TRUE(gobgp->wait_route("10.99.0.0/24"));
}

// A peer killed with SIGKILL: its kernel closes the TCP connection, podnetd notices at once
// (well inside the 9 s hold time) and its routes are gone.
TEST_F(PodnetdInterop, PeerKilledIsNoticedAtOnce) {
  ASSERT_NO_FATAL_FAILURE(gobgp_v4_session());
  ASSERT_TRUE(gobgp->announce({"10.77.0.0/24", "", {}, std::nullopt, std::nullopt}));
  ASSERT_TRUE(wait_until([&] { return !pn->paths("10.77.0.0/24").is_null(); }));
  gobgp->kill9();
  // Noticed through the closed connection, not the hold timer: sooner than the hold time.
  EXPECT_TRUE(wait_until([&] { return !pn->established("Global_10_0_0_2"); }, 5s));
  EXPECT_TRUE(wait_until([&] { return pn->paths("10.77.0.0/24").is_null(); }, 5s));
}

// Graceful restart helper (RFC 4724) with gobgpd: killed, its routes stay in podnetd's RIB and
// kernel, stale; restarted with the Restart State bit, what it re-announces stays installed the
// whole time and what it no longer has goes at its End-of-RIB. A NOTIFICATION ends the session
// without helping; a restart that never comes back ends at the restart time.
TEST_F(PodnetdInterop, GracefulRestartHelperWithGobgp) {
  NeighborConfig n = neighbor("10.0.0.1", 64512, true, false);
  n.graceful_restart_time = 6;
  start_gobgp(65001, {n});
  pn = std::make_unique<Podnetd>(topo->ns("pn"), "n1",
                                 node_yaml("n1", "10.0.0.1/24", "") + kBgpDefault +
                                     peer_yaml("gobgp", "10.0.0.2", 65001) +
                                     "  maxRestartTime: 10s\n",
                                 std::vector<std::string>{}, 9);
  ASSERT_TRUE(wait_until([&] { return pn->established("Global_10_0_0_2"); }, 30s));
  for (const char* p : {"10.51.1.0/24", "10.51.2.0/24"}) {
    ASSERT_TRUE(gobgp->announce({p, "", {}, std::nullopt, std::nullopt}));
  }
  const std::string ns = topo->ns("pn");
  auto in_kernel = [&](const std::string& prefix) {
    auto r = harness::run({"ip", "-n", ns, "-4", "route", "show", prefix, "proto", "12"});
    return r.exit_code == 0 && r.out.find(prefix.substr(0, prefix.find('/'))) != std::string::npos;
  };
  ASSERT_TRUE(wait_until([&] { return in_kernel("10.51.1.0/24") && in_kernel("10.51.2.0/24"); }));

  // Every kernel route change in podnetd's namespace from here on.
  Process monitor({"ip", "-n", ns, "monitor", "route"});
  std::this_thread::sleep_for(300ms);  // let `ip monitor` subscribe before anything changes
  gobgp->kill9();
  ASSERT_TRUE(wait_until([&] { return !pn->established("Global_10_0_0_2"); }, 5s));
  std::this_thread::sleep_for(1s);
  EXPECT_FALSE(pn->paths("10.51.1.0/24").is_null());
  EXPECT_TRUE(in_kernel("10.51.1.0/24"));
  EXPECT_TRUE(in_kernel("10.51.2.0/24"));
  EXPECT_TRUE(wait_until([&] { return pn->log().find("graceful restart") != std::string::npos; }));

  // Back with R and F bits, and only one of the two routes.
  gobgp->set_restarting(true);
  ASSERT_TRUE(gobgp->start());
  ASSERT_TRUE(gobgp->announce({"10.51.1.0/24", "", {}, std::nullopt, std::nullopt}));
  ASSERT_TRUE(wait_until([&] { return pn->established("Global_10_0_0_2"); }, 30s));
  EXPECT_TRUE(wait_until([&] { return !in_kernel("10.51.2.0/24"); }, 20s));
  EXPECT_TRUE(in_kernel("10.51.1.0/24"));
  std::this_thread::sleep_for(500ms);
  monitor.stop(SIGTERM, 2s);
  const std::string changes = monitor.out();
  EXPECT_NE(changes.find("Deleted 10.51.2.0/24"), std::string::npos) << changes;
  EXPECT_EQ(changes.find("Deleted 10.51.1.0/24"), std::string::npos) << changes;

  // A NOTIFICATION (Cease) ends the session for good: no helping, the route goes at once.
  ASSERT_TRUE(gobgp->send_notification("10.0.0.1", NotificationAction::admin_shutdown));
  EXPECT_TRUE(wait_until([&] { return !in_kernel("10.51.1.0/24"); }, 5s));
  ASSERT_TRUE(gobgp->enable_neighbor("10.0.0.1"));
  ASSERT_TRUE(wait_until([&] { return in_kernel("10.51.1.0/24"); }, 30s));

  // Killed and never back: the stale route goes at the restart time (6 s), not before.
  gobgp->kill9();
  ASSERT_TRUE(wait_until([&] { return !pn->established("Global_10_0_0_2"); }, 5s));
  std::this_thread::sleep_for(2s);
  EXPECT_TRUE(in_kernel("10.51.1.0/24"));
  EXPECT_TRUE(wait_until([&] { return !in_kernel("10.51.1.0/24"); }, 15s));
  EXPECT_NE(pn->log().find("restart timer expired"), std::string::npos);
}

// etcd as the datastore, and an etcd outage under a running podnetd: while etcd is down podnetd
// reports not-ready on /readyz but keeps its BGP session, the routes it learned (RIB and kernel)
// and what it announces; when etcd is back it reconnects by itself, is ready again, and a change
// made then is announced.
TEST_F(PodnetdInterop, EtcdOutageKeepsSessionsAndRoutes) {
  // One etcd member on podnetd's namespace loopback (data in a temp dir, fixed ports of that
  // namespace: nothing else listens there).
  TempDir etcd_dir("podnet-etcd");
  const std::string ns = topo->ns("pn");
  const std::string url = "http://127.0.0.1:23790";
  auto start_etcd = [&] {
    return Process({"etcd", "--name", "e1", "--data-dir", etcd_dir.file("data"),
                    "--listen-client-urls", url, "--advertise-client-urls", url,
                    "--listen-peer-urls", "http://127.0.0.1:23800", "--initial-advertise-peer-urls",
                    "http://127.0.0.1:23800", "--initial-cluster", "e1=http://127.0.0.1:23800"},
                   ns);
  };
  auto etcd_up = [&] {
    return harness::run(
               {"ip", "netns", "exec", ns, "etcdctl", "--endpoints", url, "endpoint", "health"})
               .exit_code == 0;
  };
  Process etcd = start_etcd();
  ASSERT_TRUE(wait_until(etcd_up, 30s)) << etcd.err();

  start_gobgp(65001, {neighbor("10.0.0.1", 64512, true, false)});
  pn = std::make_unique<Podnetd>(
      ns, "n1",
      node_yaml("n1", "10.0.0.1/24", "") + kBgpDefault + peer_yaml("gobgp", "10.0.0.2", 65001),
      std::vector<std::string>{"10.99.0.0/24"}, 9, url);
  ASSERT_TRUE(wait_until([&] { return pn->established("Global_10_0_0_2"); }, 30s)) << pn->log();
  // Calico's key layout in etcd.
  auto keys =
      harness::run({"ip", "netns", "exec", ns, "etcdctl", "--endpoints", url, "get", "--prefix",
                    "/calico/resources/v3/projectcalico.org/bgppeers/", "--keys-only"});
  EXPECT_NE(keys.out.find("/calico/resources/v3/projectcalico.org/bgppeers/gobgp"),
            std::string::npos)
      << keys.out;
  ASSERT_TRUE(gobgp->announce({"10.77.0.0/24", "", {}, std::nullopt, std::nullopt}));
  auto in_kernel = [&](const std::string& prefix) {
    auto r = harness::run({"ip", "-n", ns, "-4", "route", "show", prefix, "proto", "12"});
    return r.out.find(prefix.substr(0, prefix.find('/'))) != std::string::npos;
  };
  ASSERT_TRUE(wait_until([&] { return in_kernel("10.77.0.0/24"); }));
  ASSERT_TRUE(gobgp->wait_route("10.99.0.0/24"));
  EXPECT_TRUE(wait_until([&] { return pn->readyz().first == "200"; })) << pn->readyz().second;

  const double uptime = pn->peer("Global_10_0_0_2")["stateSeconds"].get<double>();
  ASSERT_GE(etcd.stop(SIGTERM, 10s), 0);
  EXPECT_TRUE(wait_until([&] { return pn->readyz().first == "503"; }, 20s));
  EXPECT_NE(pn->readyz().second.find("datastore unavailable"), std::string::npos)
      << pn->readyz().second;
  std::this_thread::sleep_for(60s);  // an outage of a minute, as the issue states it
  auto peer = pn->peer("Global_10_0_0_2");
  EXPECT_EQ(peer["state"], "Established");
  EXPECT_GE(peer["stateSeconds"].get<double>(), uptime + 60);  // never reset
  EXPECT_TRUE(in_kernel("10.77.0.0/24"));
  EXPECT_FALSE(pn->paths("10.77.0.0/24").is_null());
  EXPECT_TRUE(gobgp->best_route("10.99.0.0/24").has_value());

  etcd = start_etcd();
  ASSERT_TRUE(wait_until(etcd_up, 30s)) << etcd.err();
  EXPECT_TRUE(wait_until([&] { return pn->readyz().first == "200"; }, 30s)) << pn->readyz().second;
  // Caught up and live: a block written now is announced.
  auto r = pn->ctl({"apply", "-f", "-"},
                   "apiVersion: projectcalico.org/v3\nkind: IPAMBlock\nmetadata:\n  name: "
                   "10-244-7-0-26\nspec:\n  cidr: 10.244.7.0/26\n  affinity: host:n1\n"
                   "  allocations: []\n  unallocated: []\n  attributes: []\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(gobgp->wait_route("10.244.7.0/26")) << pn->log();
  EXPECT_EQ(pn->peer("Global_10_0_0_2")["state"], "Established");
}

// TCP-MD5 (RFC 2385) with BIRD 2, the password from a Secret as Calico's BGPPeer
// password.secretKeyRef names it: the matching password establishes and carries routes; a wrong
// one never gets past TCP (the kernel drops unsigned or badly signed segments).
TEST_F(PodnetdInterop, Md5PasswordWithBirdMatchingAndWrong) {
  NeighborConfig n = neighbor("10.0.0.1", 64512, true, false);
  n.md5_password = "s3cret-pw";
  start_bird(65002, {n});
  auto secret = [](const std::string& pw) {
    return fmt::format(
        "---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: bgp-secrets\n"
        "  namespace: calico-system\nstringData:\n  bird-password: {}\n",
        pw);
  };
  pn = std::make_unique<Podnetd>(
      topo->ns("pn"), "n1",
      node_yaml("n1", "10.0.0.1/24", "") + kBgpDefault + peer_yaml("bird", "10.0.0.3", 65002) +
          "  password:\n    secretKeyRef:\n      name: bgp-secrets\n      key: bird-password\n" +
          secret("s3cret-pw"),
      std::vector<std::string>{"10.99.0.0/24"}, 9);
  ASSERT_TRUE(wait_until([&] { return pn->established("Global_10_0_0_3"); }, 30s)) << bird->log();
  EXPECT_TRUE(bird->wait_route("10.99.0.0/24"));

  // The Secret changes to a wrong password: the session is reset and cannot come back.
  ASSERT_EQ(pn->ctl({"apply", "-f", "-"}, secret("wrong-pw")).exit_code, 0);
  EXPECT_TRUE(wait_until([&] { return !pn->established("Global_10_0_0_3"); }, 15s));
  std::this_thread::sleep_for(12s);  // several connect retries (5 s) and BIRD's own attempts
  EXPECT_FALSE(pn->established("Global_10_0_0_3"));
  auto st = bird->neighbors();
  ASSERT_TRUE(st);
  ASSERT_FALSE(st->empty());
  EXPECT_FALSE(st->front().established);

  // And right again: back up.
  ASSERT_EQ(pn->ctl({"apply", "-f", "-"}, secret("s3cret-pw")).exit_code, 0);
  EXPECT_TRUE(wait_until([&] { return pn->established("Global_10_0_0_3"); }, 30s)) << bird->log();
}

// iBGP with BIRD: LOCAL_PREF both ways; then the link cut silently (nothing closes): podnetd
// drops the session at the hold time, its routes go, and it comes back when the link does.
TEST_F(PodnetdInterop, BirdIbgpAndSilentCutAtHoldTime) {
  // BIRD's default is graceful restart "aware": podnetd would keep its routes as stale through
  // a hold timer expiry (RFC 4724). This test is about the hold timer, so no graceful restart.
  NeighborConfig n = neighbor("10.0.0.1", 64512, true, false);
  n.graceful_restart_time = 0;
  start_bird(64512, {n});
  pn = std::make_unique<Podnetd>(
      topo->ns("pn"), "n1",
      node_yaml("n1", "10.0.0.1/24", "") + kBgpDefault + peer_yaml("bird", "10.0.0.3", 64512),
      std::vector<std::string>{"10.99.0.0/24"}, 9);
  ASSERT_TRUE(wait_until([&] { return pn->established("Global_10_0_0_3"); }, 30s)) << bird->log();
  ASSERT_TRUE(bird->announce({"10.88.0.0/24", "", {"64512:9"}, std::nullopt, 200}));
  ASSERT_TRUE(wait_until([&] { return !pn->paths("10.88.0.0/24").is_null(); }));
  auto p = pn->paths("10.88.0.0/24")[0];
  EXPECT_EQ(p["kind"], "ibgp");
  EXPECT_EQ(p["attributes"]["localPref"], 200);
  EXPECT_EQ(p["attributes"]["asPath"], "");
  EXPECT_EQ(p["attributes"]["communities"], nlohmann::json::array({"64512:9"}));
  ASSERT_TRUE(bird->wait_route("10.99.0.0/24"));
  auto b = bird->best_route("10.99.0.0/24");
  ASSERT_TRUE(b);
  EXPECT_TRUE(b->as_path.empty());
  EXPECT_EQ(b->local_pref, 100u);
  EXPECT_EQ(b->next_hop, "10.0.0.1");

  // Drop everything between the two silently.
  ASSERT_TRUE(topo->cut("bird:eth0"));
  EXPECT_TRUE(wait_until([&] { return !pn->established("Global_10_0_0_3"); }, 30s));
  EXPECT_NE(pn->peer("Global_10_0_0_3")["lastError"].get<std::string>().find("Hold"),
            std::string::npos)
      << pn->peer("Global_10_0_0_3").dump();
  EXPECT_TRUE(pn->paths("10.88.0.0/24").is_null());
  ASSERT_TRUE(topo->restore("bird:eth0"));
  EXPECT_TRUE(wait_until([&] { return pn->established("Global_10_0_0_3"); }, 60s));
  EXPECT_TRUE(wait_until([&] { return !pn->paths("10.88.0.0/24").is_null(); }));

  // podnetd's NOTIFICATION (Cease/Peer De-configured) as BIRD decodes it.
  ASSERT_EQ(pn->ctl({"delete", "bgppeer", "bird"}).exit_code, 0);
  EXPECT_TRUE(bird->wait_notification(true, 6, 3, 15s)) << bird->log();
}

// Transit: BIRD (AS 65002) -> podnetd (64512) -> gobgpd (65001); a withdrawal at BIRD travels
// through podnetd to gobgpd.
TEST_F(PodnetdInterop, WithdrawalPropagatesThroughPodnetd) {
  start_gobgp(65001, {neighbor("10.0.0.1", 64512, true, false)});
  start_bird(65002, {neighbor("10.0.0.1", 64512, true, false)});
  pn = std::make_unique<Podnetd>(topo->ns("pn"), "n1",
                                 node_yaml("n1", "10.0.0.1/24", "") + kBgpDefault +
                                     peer_yaml("gobgp", "10.0.0.2", 65001) +
                                     peer_yaml("bird", "10.0.0.3", 65002),
                                 std::vector<std::string>{}, 9);
  ASSERT_TRUE(wait_until([&] { return pn->established("Global_10_0_0_2"); }, 30s));
  ASSERT_TRUE(wait_until([&] { return pn->established("Global_10_0_0_3"); }, 30s));
  ASSERT_TRUE(bird->announce({"10.55.0.0/24", "", {}, std::nullopt, std::nullopt}));
  ASSERT_TRUE(gobgp->wait_route("10.55.0.0/24"));
  auto g = gobgp->best_route("10.55.0.0/24");
  ASSERT_TRUE(g);
  EXPECT_EQ(g->as_path, (std::vector<uint32_t>{64512, 65002}));
  EXPECT_EQ(g->next_hop, "10.0.0.1");
  ASSERT_TRUE(bird->withdraw("10.55.0.0/24"));
  EXPECT_TRUE(gobgp->wait_no_route("10.55.0.0/24"));
}

// What the node originates follows IPAM in the datastore: its affine blocks, the addresses it
// borrowed from other nodes' blocks, nothing of a disableBGPExport pool; removing a block
// withdraws it. No restart in between.
TEST_F(PodnetdInterop, IpamBlocksAndBorrowedAddressesAreAnnounced) {
  ASSERT_NO_FATAL_FAILURE(gobgp_v4_session());
  auto apply = [&](const std::string& yaml) {
    auto r = pn->ctl({"apply", "-f", "-"}, yaml);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  };
  // A /26 IPAMBlock as Calico stores it; `owners` maps ordinals to the node holding them.
  auto block = [](const std::string& name, const std::string& cidr, const std::string& affinity,
                  const std::vector<std::pair<int, std::string>>& owners) {
    std::vector<std::string> alloc(64, "null");
    std::string attrs;
    for (std::size_t i = 0; i < owners.size(); ++i) {
      alloc[static_cast<std::size_t>(owners[i].first)] = std::to_string(i);
      attrs +=
          fmt::format("  - handle_id: k8s-pod-network.{}\n    secondary: {{node: {}, pod: p{}}}\n",
                      i, owners[i].second, i);
    }
    return fmt::format(
        "---\napiVersion: projectcalico.org/v3\nkind: IPAMBlock\nmetadata:\n  name: {}\nspec:\n"
        "  cidr: {}\n  affinity: {}\n  allocations: [{}]\n  unallocated: []\n  attributes:{}\n",
        name, cidr, affinity, fmt::join(alloc, ", "), attrs.empty() ? " []" : "\n" + attrs);
  };
  apply(R"(apiVersion: projectcalico.org/v3
kind: IPPool
metadata:
  name: pods
spec:
  cidr: 10.244.0.0/16
---
apiVersion: projectcalico.org/v3
kind: IPPool
metadata:
  name: quiet
spec:
  cidr: 10.245.0.0/16
  disableBGPExport: true
)" + block("10-244-1-0-26", "10.244.1.0/26", "host:n1", {{0, "n1"}}) +
        block("10-244-2-0-26", "10.244.2.0/26", "host:n2", {{0, "n2"}, {3, "n1"}}) +
        block("10-245-0-0-26", "10.245.0.0/26", "host:n1", {}));
  EXPECT_TRUE(gobgp->wait_route("10.244.1.0/26"));
  EXPECT_TRUE(gobgp->wait_route("10.244.2.3/32"));   // borrowed from n2's block
  EXPECT_FALSE(gobgp->best_route("10.244.2.0/26"));  // n2's block is n2's to announce
  // The disableBGPExport pool's block is held locally, never sent.
  ASSERT_TRUE(wait_until([&] { return !pn->paths("10.245.0.0/26").is_null(); }));
  EXPECT_EQ(pn->paths("10.245.0.0/26")[0]["kind"], "local");
  EXPECT_FALSE(gobgp->best_route("10.245.0.0/26"));
  auto g = gobgp->best_route("10.244.1.0/26");
  ASSERT_TRUE(g);
  EXPECT_EQ(g->as_path, std::vector<uint32_t>{64512});
  EXPECT_EQ(g->next_hop, "10.0.0.1");

  // The block goes away: withdrawn at the peer.
  ASSERT_EQ(pn->ctl({"delete", "ipamblock", "10-244-1-0-26"}).exit_code, 0);
  EXPECT_TRUE(gobgp->wait_no_route("10.244.1.0/26"));
  EXPECT_TRUE(gobgp->best_route("10.244.2.3/32").has_value());
}

}  // namespace
}  // namespace podnet::interop
