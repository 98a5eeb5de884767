// Parsers of the daemons' output, on text captured from the real daemons (BIRD 2.0.12,
// gobgpd 3.10, FRR 8.4). The interop tests exercise them live; these pin the edge cases.
#include <gtest/gtest.h>

#include "interop-tests/peers/bird_peer.hpp"
#include "interop-tests/peers/frr_peer.hpp"
#include "interop-tests/peers/gobgp_peer.hpp"

namespace podnet::interop {
namespace {

const std::map<std::string, std::string> kProtos = {{"n0", "10.0.0.1"}, {"n1", "fd00::1"}};

TEST(BirdParser, ShowRouteAllWithSeveralPathsAndFamilies) {
  const std::string text =
      "BIRD 2.0.12 ready.\n"
      "Table master4:\n"
      "10.1.0.0/24          unicast [n0 2026-11-27 18:52:15] * (100) [AS65001?]\n"
      "\tvia 10.0.0.1 on eth0\n"
      "\tType: BGP univ\n"
      "\tBGP.origin: Incomplete\n"
      "\tBGP.as_path: 65001 65010 {65020 65021}\n"
      "\tBGP.next_hop: 10.0.0.1\n"
      "\tBGP.med: 20\n"
      "\tBGP.local_pref: 100\n"
      "\tBGP.community: (65001,7) (65001,100) (65001,20)\n"
      "                     unicast [other 2026-11-27 18:52:16] (100) [AS65003i]\n"
      "\tvia 10.0.0.3 on eth0\n"
      "\tBGP.origin: IGP\n"
      "\tBGP.as_path: 65003\n"
      "\tBGP.next_hop: 10.0.0.3\n"
      "10.2.0.0/24          blackhole [podnet_static4 2026-11-27 18:52:02] * (200)\n"
      "\tType: static univ\n"
      "\n"
      "Table master6:\n"
      "2001:db8:1::/64      unicast [n1 2026-11-27 18:52:15 from fd00::1] * (100) [i]\n"
      "\tvia fd00::1 on eth0\n"
      "\tBGP.origin: IGP\n"
      "\tBGP.as_path: \n"
      "\tBGP.next_hop: fd00::1 fe80::1\n"
      "\tBGP.local_pref: 250\n";
  auto rs = parse_bird_routes(text, kProtos);
  ASSERT_EQ(rs.size(), 4u);
  EXPECT_EQ(rs[0].prefix, "10.1.0.0/24");
  EXPECT_TRUE(rs[0].best);
  EXPECT_EQ(rs[0].from, "10.0.0.1");
  EXPECT_EQ(rs[0].origin, "incomplete");
  EXPECT_EQ(rs[0].as_path, (std::vector<uint32_t>{65001, 65010, 65020, 65021}));
  EXPECT_EQ(rs[0].next_hop, "10.0.0.1");
  EXPECT_EQ(rs[0].med, 20u);
  EXPECT_EQ(rs[0].local_pref, 100u);
  EXPECT_EQ(rs[0].communities, (std::vector<std::string>{"65001:100", "65001:20", "65001:7"}));
  EXPECT_EQ(rs[1].prefix, "10.1.0.0/24");  // second path, prefix carried over
  EXPECT_FALSE(rs[1].best);
  EXPECT_EQ(rs[1].from, "");  // not one of our BGP protocols
  EXPECT_EQ(rs[1].as_path, std::vector<uint32_t>{65003});
  EXPECT_FALSE(rs[1].med);
  EXPECT_EQ(rs[2].prefix, "10.2.0.0/24");
  EXPECT_TRUE(rs[2].best);
  EXPECT_TRUE(rs[2].as_path.empty());
  EXPECT_EQ(rs[3].prefix, "2001:db8:1::/64");
  EXPECT_EQ(rs[3].from, "fd00::1");
  EXPECT_EQ(rs[3].next_hop, "fd00::1");  // global, not the link-local second address
  EXPECT_EQ(rs[3].local_pref, 250u);
}

TEST(BirdParser, ShowProtocolsAll) {
  const std::string text =
      "BIRD 2.0.12 ready.\n"
      "Name       Proto      Table      State  Since         Info\n"
      "device1    Device     ---        up     2026-11-27 18:50:00  \n"
      "n0         BGP        ---        up     2026-11-27 18:54:11  Established   \n"
      "  BGP state:          Established\n"
      "    Neighbor address: 10.0.0.1\n"
      "n1         BGP        ---        start  2026-11-27 18:54:11  Active        Received: "
      "Administrative shutdown\n"
      "  BGP state:          Active\n";
  std::tm tm{};
  strptime("2026-11-27 18:54:41", "%Y-%m-%d %H:%M:%S", &tm);
  tm.tm_isdst = -1;
  auto ns = parse_bird_protocols(text, kProtos, std::mktime(&tm));
  ASSERT_EQ(ns.size(), 2u);
  EXPECT_EQ(ns[0].address, "10.0.0.1");
  EXPECT_TRUE(ns[0].established);
  EXPECT_EQ(ns[0].uptime, std::chrono::seconds(30));
  EXPECT_EQ(ns[1].address, "fd00::1");
  EXPECT_FALSE(ns[1].established);
  EXPECT_EQ(ns[1].state, "Active");
  EXPECT_EQ(ns[1].uptime, std::chrono::seconds(0));
}

TEST(BirdParser, NotificationLogLines) {
  const std::string log =
      "2026-11-27 18:52:26.072 <RMT> n0: Received: Administrative shutdown\n"
      "2026-11-27 18:52:27.000 <RMT> n0: Received: Administrative reset: \"bye\"\n"
      "2026-11-27 18:52:28.000 <RMT> n1: Error: Hold timer expired\n"
      "2026-11-27 18:52:29.000 <RMT> n1: Received: Bad peer AS: 65009\n"
      "2026-11-27 18:52:30.000 <RMT> n0: Received: Unknown error 9.9\n"
      "2026-11-27 18:52:31.000 <INFO> n0: Received: nothing to see\n";
  auto ns = parse_bird_log(log, kProtos);
  ASSERT_EQ(ns.size(), 5u);
  EXPECT_TRUE(ns[0].received);
  EXPECT_EQ(ns[0].neighbor, "10.0.0.1");
  EXPECT_EQ(std::pair(ns[0].code, ns[0].subcode), std::pair(6, 2));
  EXPECT_EQ(std::pair(ns[1].code, ns[1].subcode), std::pair(6, 4));
  EXPECT_FALSE(ns[2].received);
  EXPECT_EQ(ns[2].neighbor, "fd00::1");
  EXPECT_EQ(std::pair(ns[2].code, ns[2].subcode), std::pair(4, 0));
  EXPECT_EQ(std::pair(ns[3].code, ns[3].subcode), std::pair(2, 2));
  EXPECT_EQ(std::pair(ns[4].code, ns[4].subcode), std::pair(9, 9));
}

TEST(GobgpParser, RibNeighborsAndLog) {
  const std::string rib =
      R"({"10.2.0.0/24":[{"nlri":{"prefix":"10.2.0.0/24"},"best":true,"attrs":[)"
      R"({"type":1,"value":0},{"type":2,"as_paths":[{"segment_type":2,"num":2,"asns":[65002,65009]}]},)"
      R"({"type":3,"nexthop":"10.0.0.2"},{"type":4,"metric":7},{"type":5,"value":150},)"
      R"({"type":8,"communities":[4259971077]}],"neighbor-ip":"10.0.0.2"}],)"
      R"("2001:db8:1::/64":[{"best":true,"attrs":[{"type":1,"value":2},)"
      R"({"type":14,"nexthop":"fd00::1","afi":2,"safi":1}]}]})";
  auto rs = parse_gobgp_rib(rib);
  ASSERT_TRUE(rs);
  ASSERT_EQ(rs->size(), 2u);
  const auto& v4 = (*rs)[0].prefix == "10.2.0.0/24" ? (*rs)[0] : (*rs)[1];
  const auto& v6 = (*rs)[0].prefix == "10.2.0.0/24" ? (*rs)[1] : (*rs)[0];
  EXPECT_EQ(v4.as_path, (std::vector<uint32_t>{65002, 65009}));
  EXPECT_EQ(v4.next_hop, "10.0.0.2");
  EXPECT_EQ(v4.origin, "IGP");
  EXPECT_EQ(v4.med, 7u);
  EXPECT_EQ(v4.local_pref, 150u);
  EXPECT_EQ(v4.communities, std::vector<std::string>{"65002:5"});
  EXPECT_EQ(v4.from, "10.0.0.2");
  EXPECT_EQ(v6.next_hop, "fd00::1");
  EXPECT_EQ(v6.origin, "incomplete");
  EXPECT_EQ(v6.from, "");
  EXPECT_FALSE(parse_gobgp_rib("{not json"));

  const std::string nb =
      R"([{"conf":{"neighbor_address":"10.0.0.2"},"state":{"neighbor_address":"10.0.0.2",)"
      R"("session_state":6},"timers":{"state":{"uptime":{"seconds":1000}}}},)"
      R"({"conf":{"neighbor_address":"fd00::2"},"state":{"session_state":3}}])";
  auto ns = parse_gobgp_neighbors(nb, 1042);
  ASSERT_TRUE(ns);
  ASSERT_EQ(ns->size(), 2u);
  EXPECT_TRUE((*ns)[0].established);
  EXPECT_EQ((*ns)[0].uptime, std::chrono::seconds(42));
  EXPECT_EQ((*ns)[1].address, "fd00::2");
  EXPECT_EQ((*ns)[1].state, "active");
  EXPECT_FALSE((*ns)[1].established);

  const std::string log =
      R"j({"Code":6,"Data":null,"Key":"10.0.0.2","Subcode":2,"msg":"sent notification"})j"
      "\n"
      R"j({"Key":"10.0.0.2","Reason":"notification-sent code 6(cease)","msg":"Peer Down"})j"
      "\n";
  auto logged = parse_gobgp_log(log);
  ASSERT_EQ(logged.size(), 1u);
  EXPECT_FALSE(logged[0].received);
  EXPECT_EQ(logged[0].neighbor, "10.0.0.2");
  EXPECT_EQ(std::pair(logged[0].code, logged[0].subcode), std::pair(6, 2));
}

TEST(FrrParser, RoutesNeighborsAndLog) {
  const std::string routes =
      R"({"vrfId":0,"routes":{"10.2.0.0/24":[{"valid":true,"bestpath":true,"peerId":"10.0.0.2",)"
      R"("path":"65002 65009","origin":"IGP","metric":7,"nexthops":[{"ip":"10.0.0.2","afi":"ipv4"}]}],)"
      R"j("10.3.0.0/24":[{"valid":true,"bestpath":true,"metric":0,"weight":32768,"peerId":"(unspec)",)j"
      R"("path":"","origin":"incomplete","nexthops":[{"ip":"0.0.0.0","afi":"ipv4"}]}]}})";
  auto rs = parse_frr_routes(routes);
  ASSERT_TRUE(rs);
  ASSERT_EQ(rs->size(), 2u);
  EXPECT_EQ((*rs)[0].as_path, (std::vector<uint32_t>{65002, 65009}));
  EXPECT_EQ((*rs)[0].from, "10.0.0.2");
  EXPECT_EQ((*rs)[0].med, 7u);
  EXPECT_EQ((*rs)[1].from, "");
  EXPECT_EQ((*rs)[1].origin, "incomplete");

  auto ns = parse_frr_neighbors(R"({"10.0.0.2":{"bgpState":"Established","bgpTimerUpMsec":20000},)"
                                R"("fd00::2":{"bgpState":"Active"}})");
  ASSERT_TRUE(ns);
  ASSERT_EQ(ns->size(), 2u);
  EXPECT_TRUE((*ns)[0].established);
  EXPECT_EQ((*ns)[0].uptime, std::chrono::seconds(20));
  EXPECT_FALSE((*ns)[1].established);

  auto logged = parse_frr_log(
      "2026/11/27 18:53:17 BGP: [HKWM3-ZC5QP] %NOTIFICATION: received from neighbor 10.0.0.2 "
      "6/2 (Cease/Administrative Shutdown) 0 bytes\n"
      "2026/11/27 18:53:18 BGP: [VVDJN-5X1J3] %NOTIFICATION: sent to neighbor 10.0.0.2 4/0 "
      "(Hold Timer Expired) 0 bytes\n");
  ASSERT_EQ(logged.size(), 2u);
  EXPECT_TRUE(logged[0].received);
  EXPECT_EQ(std::pair(logged[0].code, logged[0].subcode), std::pair(6, 2));
  EXPECT_FALSE(logged[1].received);
  EXPECT_EQ(std::pair(logged[1].code, logged[1].subcode), std::pair(4, 0));
}

}  // namespace
}  // namespace podnet::interop
