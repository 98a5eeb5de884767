// The etcd test fixture itself: a member starts healthy, a three-member cluster survives the
// loss of its leader, and a stopped member restarts on its old data.
#include "ipam-sync/tests/etcd_server.hpp"

#include <gtest/gtest.h>

namespace podnet::store::testing {
namespace {

TEST(EtcdServer, SingleMemberServesAndCleansUp) {
  std::string dir;
  {
    EtcdServer etcd;
    ASSERT_TRUE(etcd.ok()) << etcd.error();
    dir = etcd.dir();
    EXPECT_EQ(etcd.spec(), "etcd:" + etcd.client_url());
    auto put = etcd.etcdctl({"put", "/k", "v"});
    ASSERT_EQ(put.exit_code, 0) << put.output;
    auto get = etcd.etcdctl({"get", "--print-value-only", "/k"});
    EXPECT_EQ(get.output, "v\n");
    // Restart on the same data: the key survives.
    etcd.stop_member(0);
    EXPECT_FALSE(etcd.running(0));
    EXPECT_NE(etcd.etcdctl_at(0, {"get", "/k", "--command-timeout=500ms"}).exit_code, 0);
    ASSERT_TRUE(etcd.start_member(0)) << etcd.error();
    EXPECT_EQ(etcd.etcdctl({"get", "--print-value-only", "/k"}).output, "v\n");
  }
  EXPECT_FALSE(std::filesystem::exists(dir));
}

TEST(EtcdServer, ThreeMembersSurviveLeaderLoss) {
  EtcdServer etcd(3);
  ASSERT_TRUE(etcd.ok()) << etcd.error();
  EXPECT_EQ(etcd.client_urls().size(), 3u);
  auto leader = etcd.leader();
  ASSERT_TRUE(leader.has_value());
  etcd.kill_member(*leader);
  // The two others elect a new leader and keep taking writes.
  bool written = false;
  for (int i = 0; i < 50 && !written; ++i) {
    written = etcd.etcdctl({"put", "/after", "x", "--command-timeout=500ms"}).exit_code == 0;
    if (!written) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(written);
  auto next = etcd.leader();
  ASSERT_TRUE(next.has_value());
  EXPECT_NE(*next, *leader);
}

}  // namespace
}  // namespace podnet::store::testing
