// The host MTU read from a real kernel: interfaces that match the pattern and are up count,
// the smallest wins; a down one or a non-matching one does not.
#include <gtest/gtest.h>

#include "dataplane/mtu.hpp"
#include "dataplane/tests/netns.hpp"

namespace podnet::dataplane::mtu {
namespace {

using testing::run;

TEST(HostMtuKernel, SmallestUpMatchingInterface) {
  testing::FreshNetns ns;
  ASSERT_TRUE(ns.ok());
  // eth0 (1500) and ens5 (9000) up with carrier; enp1s0 (1200) down; cali0 (1000) up but
  // a workload interface the pattern leaves out.
  ASSERT_EQ(run("ip link add eth0 mtu 1500 type veth peer name peer0 && "
                "ip link add ens5 mtu 9000 type veth peer name peer1 && "
                "ip link add enp1s0 mtu 1200 type veth peer name peer2 && "
                "ip link add cali0 mtu 1000 type veth peer name peer3 && "
                "for d in eth0 ens5 cali0 peer0 peer1 peer3; do ip link set $d up; done"),
            0);
  auto h = detect_host_mtu("");
  ASSERT_TRUE(h) << h.error().message;
  EXPECT_FALSE(h->fallback);
  EXPECT_EQ(h->mtu, 1500u);
  std::sort(h->interfaces.begin(), h->interfaces.end());
  EXPECT_EQ(h->interfaces, (std::vector<std::string>{"ens5", "eth0"}));

  ASSERT_EQ(run("ip link set enp1s0 up && ip link set peer2 up"), 0);
  h = detect_host_mtu("");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->mtu, 1200u);
  EXPECT_EQ(pod_mtu(h->mtu, {.vxlan = true}, {}), 1150u);

  h = detect_host_mtu("^cali");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->mtu, 1000u);
  h = detect_host_mtu("^nomatch");
  ASSERT_TRUE(h);
  EXPECT_TRUE(h->fallback);
  EXPECT_EQ(h->mtu, kFallbackHostMtu);
}

}  // namespace
}  // namespace podnet::dataplane::mtu
