// ADD-PATH send (RFC 7911) to an iBGP peer: podnetd learns one prefix from two eBGP peers
// (gobgpd, same AS: an ECMP pair) and a BIRD 2 iBGP peer with `add paths rx` (as Calico's BIRD
// has `add paths on`) is sent both paths, each with its own path id: BIRD shows both. When one
// eBGP peer withdraws, podnetd withdraws that path by its id and BIRD keeps the other; a
// second iBGP peer without ADD-PATH (gobgpd) is sent the best path only.
#include <gtest/gtest.h>

#include <memory>

#include "interop-tests/bgp/podnetd_under_test.hpp"
#include "interop-tests/harness/harness.hpp"
#include "interop-tests/peers/gobgp_peer.hpp"
#include "interop-tests/topology/topology.hpp"

namespace podnet::interop {
namespace {

using namespace std::chrono_literals;
using harness::wait_until;

constexpr const char* kPrefix = "10.60.0.0/24";

// BIRD in the `rr` namespace, iBGP to podnetd with ADD-PATH receive, importing everything.
class BirdAddPathRx {
 public:
  explicit BirdAddPathRx(const std::string& netns) : netns_(netns) {
    harness::write_file(dir_.file("bird.conf"), R"(router id 10.0.0.4;
protocol device {}
protocol bgp pn {
  local 10.0.0.4 as 64512;
  neighbor 10.0.0.1 as 64512;
  direct;
  hold time 9; keepalive time 3;
  connect delay time 1; connect retry time 1; error wait time 1, 4;
  ipv4 { import all; export none; add paths rx; gateway direct; };
}
)");
    proc_ = harness::Process({"bird", "-f", "-c", dir_.file("bird.conf"), "-s", dir_.file("ctl")},
                             netns);
  }
  std::string birdc(const std::vector<std::string>& args) const {
    std::vector<std::string> argv = {"birdc", "-s", dir_.file("ctl")};
    argv.insert(argv.end(), args.begin(), args.end());
    return harness::run(argv, "", 15s).out;
  }
  // The "via" next hops BIRD holds for the prefix, one per path.
  std::vector<std::string> next_hops(const std::string& prefix) const {
    std::vector<std::string> out;
    const std::string text = birdc({"show", "route", prefix});
    // Each path's line: "\tvia 10.0.0.2 on eth0".
    for (auto at = text.find("\tvia "); at != std::string::npos; at = text.find("\tvia ", at + 1)) {
      const auto start = at + 5;
      out.push_back(text.substr(start, text.find_first_of(" \n", start) - start));
    }
    std::sort(out.begin(), out.end());
    return out;
  }

 private:
  std::string netns_;
  harness::TempDir dir_{"bird-addpath"};
  harness::Process proc_;
};

PeerConfig gobgp_config(uint32_t as, const std::string& id) {
  PeerConfig c;
  c.local_as = as;
  c.router_id = id;
  NeighborConfig n;
  n.address = "10.0.0.1";
  n.remote_as = 64512;
  c.neighbors = {n};
  return c;
}

TEST(AddPathSend, BothEcmpPathsReachAnAddPathIbgpPeerBestOnlyTheOther) {
  if (!harness::is_root()) GTEST_SKIP() << "needs root for network namespaces";
  Topology topo("pnaps");
  for (const char* h : {"pn", "tor1", "tor2", "rr", "plain"}) ASSERT_TRUE(topo.add_host(h));
  auto lan = topo.add_lan("lan", {{"pn", "eth0", {"10.0.0.1/24"}},
                                  {"tor1", "eth0", {"10.0.0.2/24"}},
                                  {"tor2", "eth0", {"10.0.0.3/24"}},
                                  {"rr", "eth0", {"10.0.0.4/24"}},
                                  {"plain", "eth0", {"10.0.0.5/24"}}});
  ASSERT_TRUE(lan) << lan.error().message;
  ASSERT_TRUE(topo.up());
  GobgpPeer tor1(topo.ns("tor1"), gobgp_config(65000, "10.0.0.2"));
  GobgpPeer tor2(topo.ns("tor2"), gobgp_config(65000, "10.0.0.3"));
  GobgpPeer plain(topo.ns("plain"), gobgp_config(64512, "10.0.0.5"));
  ASSERT_TRUE(tor1.start());
  ASSERT_TRUE(tor2.start());
  ASSERT_TRUE(plain.start());
  BirdAddPathRx bird(topo.ns("rr"));
  PodnetdUnderTest pn;
  ASSERT_TRUE(pn.start(topo.ns("pn"), "n1",
                       single_node_resources({{"tor1", "10.0.0.2", 65000},
                                              {"tor2", "10.0.0.3", 65000},
                                              {"rr", "10.0.0.4", 64512},
                                              {"plain", "10.0.0.5", 64512}})));
  for (const char* ip : {"10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5"}) {
    EXPECT_TRUE(wait_until([&] { return pn.established(global_peer_name(ip)); }, 30s)) << ip;
  }
  auto caps = pn.peer(global_peer_name("10.0.0.4"))["capabilities"];
  EXPECT_NE(caps.dump().find("add-path"), std::string::npos) << caps.dump();

  ASSERT_TRUE(tor1.announce({kPrefix, "", {}, std::nullopt, std::nullopt}));
  ASSERT_TRUE(tor2.announce({kPrefix, "", {}, std::nullopt, std::nullopt}));
  const std::vector<std::string> both{"10.0.0.2", "10.0.0.3"};
  EXPECT_TRUE(wait_until([&] { return bird.next_hops(kPrefix) == both; }, 20s))
      << bird.birdc({"show", "route", "all", kPrefix}) << pn.log();
  const std::string all = bird.birdc({"show", "route", "all", kPrefix});
  EXPECT_NE(all.find("BGP.next_hop: 10.0.0.2"), std::string::npos) << all;
  EXPECT_NE(all.find("BGP.next_hop: 10.0.0.3"), std::string::npos) << all;
  // gobgpd without ADD-PATH: one path, the best.
  ASSERT_TRUE(plain.wait_route(kPrefix));
  auto r = plain.routes(Family::ipv4);
  ASSERT_TRUE(r);
  EXPECT_EQ(std::count_if(r->begin(), r->end(), [](const auto& e) { return e.prefix == kPrefix; }),
            1);

  // One eBGP path goes: withdrawn by its id, the other stays at BIRD.
  ASSERT_TRUE(tor1.withdraw(kPrefix));
  EXPECT_TRUE(wait_until(
      [&] { return bird.next_hops(kPrefix) == std::vector<std::string>{"10.0.0.3"}; }, 20s))
      << bird.birdc({"show", "route", "all", kPrefix});
  EXPECT_TRUE(pn.established(global_peer_name("10.0.0.4")));
  EXPECT_TRUE(plain.wait_route(kPrefix));
}

}  // namespace
}  // namespace podnet::interop
