// ExaBGP's API JSON (lines as ExaBGP 4.2 writes them, "done" acks included) read back into
// session states and NOTIFICATIONs.
#include <gtest/gtest.h>

#include "interop-tests/peers/exabgp_peer.hpp"

namespace podnet::interop {
namespace {

constexpr const char* kEvents =
    R"({ "exabgp": "4.0.1", "time": 1.0, "host" : "vm", "pid" : 1, "ppid" : 1, "counter": 1, "type": "state", "neighbor": { "address": { "local": "10.0.0.2", "peer": "10.0.0.1" }, "asn": { "local": 65001, "peer": 64512 } , "state": "up" } }
done
{ "exabgp": "4.0.1", "time": 2.0, "host" : "vm", "pid" : 1, "ppid" : 1, "counter": 4, "type": "notification", "neighbor": { "address": { "local": "10.0.0.2", "peer": "10.0.0.1" }, "asn": { "local": 65001, "peer": 64512 } , "direction": "receive", "notification": { "code": 3, "subcode": 9, "data": "0x800E" }  } }
{ "exabgp": "4.0.1", "time": 2.1, "host" : "vm", "pid" : 1, "ppid" : 1, "counter": 5, "type": "state", "neighbor": { "address": { "local": "10.0.0.2", "peer": "10.0.0.1" }, "asn": { "local": 65001, "peer": 64512 } , "state": "down", "reason": "peer reset" } }
{ "exabgp": "4.0.1", "time": 2.2, "host" : "vm", "pid" : 1, "ppid" : 1, "counter": 6, "type": "notification", "neighbor": { "address": { "local": "10.0.0.2", "peer": "10.0.0.9" }, "asn": { "local": 65001, "peer": 64512 } , "direction": "send", "notification": { "code": 6, "subcode": 2, "data": "" }  } }
{ truncated
)";

TEST(ExabgpParser, StatesInOrderPerNeighbour) {
  auto s = parse_exabgp_states(kEvents);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0], std::make_pair(std::string("10.0.0.1"), std::string("up")));
  EXPECT_EQ(s[1], std::make_pair(std::string("10.0.0.1"), std::string("down")));
}

TEST(ExabgpParser, NotificationsWithDirectionCodeAndSubcode) {
  auto n = parse_exabgp_notifications(kEvents);
  ASSERT_EQ(n.size(), 2u);
  EXPECT_TRUE(n[0].received);
  EXPECT_EQ(n[0].neighbor, "10.0.0.1");
  EXPECT_EQ(n[0].code, 3);
  EXPECT_EQ(n[0].subcode, 9);
  EXPECT_FALSE(n[1].received);
  EXPECT_EQ(n[1].neighbor, "10.0.0.9");
  EXPECT_EQ(n[1].code, 6);
  EXPECT_EQ(n[1].subcode, 2);
}

TEST(ExabgpParser, NothingFromNoise) {
  EXPECT_TRUE(parse_exabgp_states("done\nerror\n{ not json\n").empty());
  EXPECT_TRUE(parse_exabgp_notifications("").empty());
}

}  // namespace
}  // namespace podnet::interop
