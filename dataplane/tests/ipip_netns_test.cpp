// IPIP against the real kernel. Whether this kernel can make ipip devices is asked of the
// kernel independently (`ip link add ... type ipip`), and the programmer's probe must agree.
// The end-to-end test runs where it can and is skipped, with the programmer's own reason,
// where it cannot.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <chrono>

#include "dataplane/encap.hpp"
#include "dataplane/interfaces.hpp"
#include "dataplane/ipip_programmer.hpp"
#include "dataplane/route_programmer.hpp"
#include "dataplane/tests/netns.hpp"
#include "dataplane/tests/two_node_lab.hpp"

namespace podnet::dataplane {
namespace {

using testing::TwoNodeLab;

rib::Address addr(const char* s) {
  return *rib::Address::parse(s);
}
rib::Prefix pfx(const char* s) {
  return *rib::Prefix::parse(s);
}

TEST(IpipKernel, ProbeAgreesWithTheKernelAndLeavesNothingBehind) {
  testing::FreshNetns ns;
  ASSERT_TRUE(ns.ok());
  bool kernel_can = testing::run("ip link add pnchk0 type ipip 2>/dev/null") == 0;
  testing::run("ip link del pnchk0 2>/dev/null");
  auto before = list_interfaces();
  ASSERT_TRUE(before);

  IpipProgrammer p;
  (void)p.start();
  if (kernel_can) {
    EXPECT_FALSE(p.unavailable_reason()) << *p.unavailable_reason();
  } else {
    ASSERT_TRUE(p.unavailable_reason());
    EXPECT_NE(p.unavailable_reason()->find("no ipip support"), std::string::npos)
        << *p.unavailable_reason();
    // Asking for IPIP then fails with that same reason.
    IpipConfig c;
    c.tunnel_ip = addr("10.244.1.1");
    auto s = p.set_config(c);
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().code, Errc::unavailable);
    EXPECT_EQ(s.error().message, *p.unavailable_reason());
    EXPECT_EQ(p.stats().error, *p.unavailable_reason());
  }
  // The probe created nothing (where the driver exists, the fallback tunl0 may appear: it is
  // the driver's, made when it loads, not ours).
  auto after = list_interfaces();
  ASSERT_TRUE(after);
  for (const auto& i : *after) {
    EXPECT_EQ(i.name.rfind("pnprobe", 0), std::string::npos) << i.name;
  }

  // A kind no kernel has is reported the same way: the detection path itself is exercised
  // on every kernel.
  NetlinkChannel ch;
  ASSERT_TRUE(ch.open());
  auto none = probe_link_kind(ch, "pnnosuchkind");
  ASSERT_TRUE(none);
  EXPECT_NE(none->find("no pnnosuchkind support"), std::string::npos) << *none;
}

class IpipLabTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(lab_.ok()) << lab_.error(); }
  bool settle(RouteProgrammer& r) {
    auto end = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    for (;;) {
      io_.poll();
      if (r.idle()) return true;
      if (std::chrono::steady_clock::now() > end) return false;
      io_.run_one_for(std::chrono::milliseconds(10));
    }
  }
  TwoNodeLab lab_;
  boost::asio::io_context io_;
};

TEST_F(IpipLabTest, RouteThroughAMissingTunl0FailsWithTheReason) {
  TwoNodeLab::Enter in(lab_.node('a'));
  ASSERT_TRUE(in.ok());
  IpipProgrammer ipip;
  (void)ipip.start();
  if (!ipip.unavailable_reason()) GTEST_SKIP() << "this kernel has IPIP; covered end to end";
  RouteProgrammer routes(io_);
  ASSERT_TRUE(routes.start());
  std::vector<encap::Pool> pools{{pfx("10.244.0.0/16"), encap::Mode::always, encap::Mode::never}};
  encap::LocalNode local{addr("192.168.50.1"), 24, "eth0"};
  encap::RemoteNode b{"node-b", addr("192.168.50.2"), std::nullopt, std::nullopt,
                      addr("10.244.2.1")};
  auto spec = encap::route_for(pools, local, b, pfx("10.244.2.0/26"));
  ASSERT_TRUE(spec);
  routes.set_route(pfx("10.244.2.0/26"), *spec);
  ASSERT_TRUE(settle(routes));
  auto st = routes.route(pfx("10.244.2.0/26"));
  ASSERT_TRUE(st);
  EXPECT_EQ(st->state, RouteState::failed);
  EXPECT_NE(st->error.find("tunl0"), std::string::npos) << st->error;
}

TEST_F(IpipLabTest, PodsPingOverIpip) {
  IpipProgrammer ipip[2];
  RouteProgrammer* routes[2] = {nullptr, nullptr};
  std::unique_ptr<RouteProgrammer> owned[2];
  const char* node_ip[2] = {"192.168.50.1", "192.168.50.2"};
  const char* tunnel[2] = {"10.244.1.1", "10.244.2.1"};
  const char* block[2] = {"10.244.1.0/26", "10.244.2.0/26"};
  for (int i = 0; i < 2; ++i) {
    TwoNodeLab::Enter in(lab_.node(i == 0 ? 'a' : 'b'));
    ASSERT_TRUE(in.ok());
    (void)ipip[i].start();
    if (ipip[i].unavailable_reason()) GTEST_SKIP() << *ipip[i].unavailable_reason();
    IpipConfig c;
    c.tunnel_ip = addr(tunnel[i]);
    c.mtu = 1480;
    auto s = ipip[i].set_config(c);
    ASSERT_TRUE(s) << s.error().message;
    owned[i] = std::make_unique<RouteProgrammer>(io_);
    routes[i] = owned[i].get();
    ASSERT_TRUE(routes[i]->start());
  }
  std::vector<encap::Pool> pools{{pfx("10.244.0.0/16"), encap::Mode::always, encap::Mode::never}};
  for (int i = 0; i < 2; ++i) {
    int o = 1 - i;
    encap::LocalNode local{addr(node_ip[i]), 24, "eth0"};
    encap::RemoteNode peer{o ? "node-b" : "node-a", addr(node_ip[o]), std::nullopt, std::nullopt,
                           addr(tunnel[o])};
    auto spec = encap::route_for(pools, local, peer, pfx(block[o]));
    ASSERT_TRUE(spec);
    EXPECT_EQ(to_string(*spec), std::string("via ") + node_ip[o] + " dev tunl0 onlink");
    routes[i]->set_route(pfx(block[o]), *spec);
  }
  ASSERT_TRUE(settle(*routes[0]) && settle(*routes[1]));
  EXPECT_EQ(routes[0]->stats().installed, 1u);
  uint64_t before = lab_.counter('a', "ipip");
  EXPECT_TRUE(lab_.ping('a'));
  EXPECT_GE(lab_.counter('a', "ipip") - before, 3u);
  EXPECT_NE(lab_.out(lab_.node('a'), "ip -4 addr show dev tunl0").find("10.244.1.1/32"),
            std::string::npos);
}

}  // namespace
}  // namespace podnet::dataplane
