// podnetctl ipam verbs, in-process against a real directory datastore in a temp dir.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include "cli/cli.hpp"
#include "cli/tests/cli_fixture.hpp"

namespace podnet::cli {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class IpamCmdTest : public testing::CliFixture {
 protected:
  void SetUp() override {
    CliFixture::SetUp();
    ASSERT_EQ(ctl({"apply", "-f", "-"},
                  "apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: pool-a\n"
                  "spec:\n  cidr: 10.48.0.0/24\n  blockSize: 28\n")
                  .rc,
              0);
  }
};

TEST_F(IpamCmdTest, AssignPrintsTheAddressAndShowCountsIt) {
  auto a = ctl({"ipam", "assign", "--node", "node1", "--handle", "h1", "--namespace", "default",
                "--pod", "web"});
  ASSERT_EQ(a.rc, 0) << a.err;
  EXPECT_EQ(a.out, "10.48.0.0\n");
  auto b = ctl({"ipam", "assign", "--node", "node1", "--ip", "10.48.0.20"});
  ASSERT_EQ(b.rc, 0) << b.err;
  EXPECT_EQ(b.out, "10.48.0.20\n");
  auto dup = ctl({"ipam", "assign", "--node", "node2", "--ip", "10.48.0.20"});
  EXPECT_EQ(dup.rc, 1);
  EXPECT_THAT(dup.err, HasSubstr("10.48.0.20 is already allocated"));

  auto show = ctl({"ipam", "show", "--show-blocks"});
  ASSERT_EQ(show.rc, 0) << show.err;
  EXPECT_THAT(show.out, HasSubstr("10.48.0.0/24"));
  EXPECT_THAT(show.out, HasSubstr("2 (1%)"));  // pool: 2 of 256 in use
  EXPECT_THAT(show.out, HasSubstr("10.48.0.0/28"));
  EXPECT_THAT(show.out, HasSubstr("10.48.0.16/28"));
  EXPECT_THAT(show.out, HasSubstr("host:node1"));
  auto ip = ctl({"ipam", "show", "--ip", "10.48.0.0"});
  ASSERT_EQ(ip.rc, 0) << ip.err;
  EXPECT_THAT(ip.out, HasSubstr("IP 10.48.0.0 is in use"));
  EXPECT_THAT(ip.out, HasSubstr("handle: h1"));
  EXPECT_THAT(ip.out, HasSubstr("pod: web"));

  auto check = ctl({"ipam", "check"});
  EXPECT_EQ(check.rc, 0) << check.out;
  EXPECT_THAT(check.out, HasSubstr("No problems found."));
}

TEST_F(IpamCmdTest, ReleaseByIpHandleAndBlock) {
  ASSERT_EQ(ctl({"ipam", "assign", "--node", "node1", "--handle", "h1"}).out, "10.48.0.0\n");
  ASSERT_EQ(ctl({"ipam", "assign", "--node", "node1", "--handle", "h1"}).out, "10.48.0.1\n");
  ASSERT_EQ(ctl({"ipam", "assign", "--node", "node1"}).out, "10.48.0.2\n");
  auto busy = ctl({"ipam", "release", "--block", "10.48.0.0/28"});
  EXPECT_EQ(busy.rc, 2);
  EXPECT_THAT(busy.err, HasSubstr("still has 3 allocated addresses"));
  auto h = ctl({"ipam", "release", "--handle", "h1"});
  ASSERT_EQ(h.rc, 0) << h.err;
  EXPECT_EQ(h.out, "released 2 addresses of handle h1\n");
  ASSERT_EQ(ctl({"ipam", "release", "--ip", "10.48.0.2"}).rc, 0);
  auto gone = ctl({"ipam", "release", "--ip", "10.48.0.2"});
  EXPECT_EQ(gone.rc, 1);
  EXPECT_THAT(gone.err, HasSubstr("10.48.0.2 is not allocated"));
  // Empty now, the block is still node1's until released explicitly.
  EXPECT_THAT(ctl({"ipam", "show", "--show-blocks"}).out, HasSubstr("host:node1"));
  auto blk = ctl({"ipam", "release", "--block", "10.48.0.0/28"});
  ASSERT_EQ(blk.rc, 0) << blk.err;
  EXPECT_THAT(ctl({"ipam", "show", "--show-blocks"}).out, ::testing::Not(HasSubstr("host:node1")));
  EXPECT_EQ(ctl({"ipam", "release"}).rc, 2);  // nothing to release named
}

TEST_F(IpamCmdTest, CheckReportsAHandleWithoutAddresses) {
  ASSERT_EQ(ctl({"ipam", "assign", "--node", "node1", "--handle", "h1"}).rc, 0);
  ASSERT_EQ(ctl({"apply", "-f", "-"},
                "apiVersion: projectcalico.org/v3\nkind: IPAMHandle\nmetadata:\n  name: stale\n"
                "spec:\n  handleID: stale\n  block:\n    10-48-0-0-28: 1\n")
                .rc,
            0);
  auto check = ctl({"ipam", "check"});
  EXPECT_EQ(check.rc, 1);
  EXPECT_THAT(check.out, HasSubstr("Found 1 problems:"));
  EXPECT_THAT(check.out, HasSubstr("handle stale holds no addresses (leaked handle)"));
}

}  // namespace
}  // namespace podnet::cli
