// Topology against the real kernel: links carry traffic, a cut is silent (an open TCP
// connection gets no RST/FIN and survives), restore brings traffic back, and nothing is left
// behind after destruction.
#include "interop-tests/topology/topology.hpp"

#include <gtest/gtest.h>

namespace podnet::interop {
namespace {

using harness::run;
using namespace std::chrono_literals;

bool ping(const Topology& t, const std::string& host, const std::string& addr) {
  return t.exec(host, {"ping", "-c", "1", "-W", "1", addr}).exit_code == 0;
}

TEST(Topology, LinkCarriesIpv4AndIpv6CutIsSilentAndRestorable) {
  ASSERT_TRUE(harness::is_root());
  std::string ns_a;
  {
    Topology t("topo");
    ASSERT_TRUE(t.add_host("a"));
    ASSERT_TRUE(t.add_host("b"));
    auto id = t.add_link({"a", "eth0", {"10.9.0.1/24", "fd09::1/64"}},
                         {"b", "eth0", {"10.9.0.2/24", "fd09::2/64"}});
    ASSERT_TRUE(id) << id.error().message;
    ASSERT_TRUE(t.up());
    ns_a = t.ns("a");
    EXPECT_TRUE(ping(t, "a", "10.9.0.2"));
    EXPECT_TRUE(ping(t, "a", "fd09::2"));

    // A TCP connection across the link: a listener in b, a client in a that waits 30 s.
    harness::Process server(
        {"python3", "-c",
         "import socket,time\n"
         "s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR,1)\n"
         "s.bind(('10.9.0.2',7000)); s.listen(); c,_=s.accept()\n"
         "print('accepted',flush=True); time.sleep(30)\n"},
        t.ns("b"));
    ASSERT_TRUE(harness::wait_until([&] {
      return t.exec("b", {"ss", "-ltn", "sport = :7000"}).out.find("7000") != std::string::npos;
    }));
    harness::Process client({"python3", "-c",
                             "import socket,time\n"
                             "c=socket.create_connection(('10.9.0.2',7000))\n"
                             "print('connected',flush=True)\n"
                             "c.settimeout(30)\n"
                             "d=c.recv(1)\n"
                             "print('closed' if d==b'' else 'data',flush=True)\n"},
                            t.ns("a"));
    ASSERT_TRUE(
        harness::wait_until([&] { return client.out().find("connected") != std::string::npos; }));

    ASSERT_TRUE(t.cut(*id));
    EXPECT_FALSE(ping(t, "a", "10.9.0.2"));
    EXPECT_FALSE(ping(t, "b", "fd09::1"));
    // The server dies; its FIN/RST cannot cross the cut, so the client still sees an open
    // connection.
    server.kill9();
    EXPECT_FALSE(harness::wait_until(
        [&] { return client.out().find("closed") != std::string::npos; }, 1500ms));
    EXPECT_TRUE(client.running());
    auto estab = t.exec("a", {"ss", "-tn", "state", "established", "dport = :7000"});
    EXPECT_NE(estab.out.find("10.9.0.2:7000"), std::string::npos) << estab.out;

    ASSERT_TRUE(t.restore(*id));
    EXPECT_TRUE(ping(t, "a", "10.9.0.2"));
    EXPECT_TRUE(ping(t, "b", "fd09::1"));
    // Cutting an unknown link is an error, not a silent no-op.
    EXPECT_FALSE(t.cut("nope:eth9"));
  }
  EXPECT_EQ(run({"ip", "netns", "list"}).out.find(ns_a), std::string::npos);
}

TEST(Topology, LanJoinsThreeHostsAndCutsOneMember) {
  ASSERT_TRUE(harness::is_root());
  Topology t("lan");
  for (auto h : {"a", "b", "c"}) ASSERT_TRUE(t.add_host(h));
  ASSERT_TRUE(t.add_lan("seg", {{"a", "eth0", {"10.8.0.1/24"}},
                                {"b", "eth0", {"10.8.0.2/24"}},
                                {"c", "eth0", {"10.8.0.3/24"}}}));
  ASSERT_TRUE(t.up());
  EXPECT_TRUE(ping(t, "a", "10.8.0.2"));
  EXPECT_TRUE(ping(t, "a", "10.8.0.3"));
  ASSERT_TRUE(t.cut("c:eth0"));
  EXPECT_FALSE(ping(t, "a", "10.8.0.3"));
  EXPECT_TRUE(ping(t, "a", "10.8.0.2"));
  ASSERT_TRUE(t.restore("c:eth0"));
  EXPECT_TRUE(ping(t, "a", "10.8.0.3"));
}

}  // namespace
}  // namespace podnet::interop
