// Two hosts on one veth link, for peering two real daemons with each other:
//   host "a" eth0 10.0.0.1/24 fd00::1/64  <->  host "b" eth0 10.0.0.2/24 fd00::2/64
#pragma once

#include <gtest/gtest.h>

#include <memory>

#include "interop-tests/harness/harness.hpp"
#include "interop-tests/topology/topology.hpp"

namespace podnet::interop::testing {

inline const std::string kA4 = "10.0.0.1", kB4 = "10.0.0.2";
inline const std::string kA6 = "fd00::1", kB6 = "fd00::2";

class PairTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!harness::is_root()) GTEST_FAIL() << "interop tests need root (network namespaces)";
    topo = std::make_unique<Topology>("peers");
    ASSERT_TRUE(topo->add_host("a"));
    ASSERT_TRUE(topo->add_host("b"));
    auto link = topo->add_link({"a", "eth0", {kA4 + "/24", kA6 + "/64"}},
                               {"b", "eth0", {kB4 + "/24", kB6 + "/64"}});
    ASSERT_TRUE(link) << link.error().message;
    link_id = *link;
    auto up = topo->up();
    ASSERT_TRUE(up) << up.error().message;
  }

  // One neighbour with the given families and hold time.
  static NeighborConfig neighbor(const std::string& address, uint32_t as, int hold = 9,
                                 bool v4 = true, bool v6 = false) {
    NeighborConfig n;
    n.address = address;
    n.remote_as = as;
    n.hold_time = hold;
    n.ipv4 = v4;
    n.ipv6 = v6;
    return n;
  }
  static PeerConfig config(uint32_t as, const std::string& router_id,
                           std::vector<NeighborConfig> neighbors) {
    PeerConfig c;
    c.local_as = as;
    c.router_id = router_id;
    c.neighbors = std::move(neighbors);
    return c;
  }

  // Peers live in the test bodies, so they are destroyed (daemons killed) before the
  // namespaces go.
  std::unique_ptr<Topology> topo;
  std::string link_id;
};

}  // namespace podnet::interop::testing
