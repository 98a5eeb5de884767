// Socket options read back from the kernel, and the listener on real sockets.
#include "bgp/transport.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>

#include "bgp/notification_text.hpp"

namespace podnet::bgp::transport {
namespace {

int get_int(int fd, int level, int name) {
  int v = -1;
  socklen_t len = sizeof v;
  EXPECT_EQ(::getsockopt(fd, level, name, &v, &len), 0);
  return v;
}

TEST(Transport, GtsmSetsTtl255AndMinimumTtl) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_TRUE(set_gtsm(fd, rib::Family::v4, 1).ok());
  EXPECT_EQ(get_int(fd, IPPROTO_IP, IP_TTL), 255);
  EXPECT_EQ(get_int(fd, IPPROTO_IP, IP_MINTTL), 255);
  ::close(fd);
  const int fd6 = ::socket(AF_INET6, SOCK_STREAM, 0);
  if (fd6 >= 0) {
    ASSERT_TRUE(set_gtsm(fd6, rib::Family::v6, 2).ok());
    EXPECT_EQ(get_int(fd6, IPPROTO_IPV6, IPV6_UNICAST_HOPS), 255);
    EXPECT_EQ(get_int(fd6, IPPROTO_IPV6, IPV6_MINHOPCOUNT), 254);
    ::close(fd6);
  }
}

TEST(Transport, ErrorsCarryTheErrnoText) {
  const auto r = set_nodelay(-1);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("Bad file descriptor"), std::string::npos) << r.error().message;
  EXPECT_FALSE(set_md5(-1, rib::Address::v4(0x7f000001), std::string(81, 'k')).ok());
}

TEST(Transport, ConnectBindsTheSourceAddressAndListenerAccepts) {
  boost::asio::io_context io;
  std::optional<tcp::endpoint> remote;
  Listener l(io, [&](tcp::socket s) { remote = s.remote_endpoint(); });
  ASSERT_TRUE(l.listen({rib::Address::v4(0x7f000001)}, 0).ok());
  ASSERT_NE(l.port(), 0);
  ConnectOptions o;
  o.peer = rib::Address::v4(0x7f000001);
  o.port = l.port();
  o.source = rib::Address::v4(0x7f000005);
  auto s = open_for_connect(io, o);
  ASSERT_TRUE(s.ok()) << s.error().message;
  (*s)->async_connect(to_endpoint(o.peer, o.port), [](const boost::system::error_code&) {});
  for (int i = 0; i < 100 && !remote; ++i) io.run_for(std::chrono::milliseconds(10));
  ASSERT_TRUE(remote);
  EXPECT_EQ(to_address(remote->address()), rib::Address::v4(0x7f000005));
  // A source of the wrong family is refused before any syscall.
  o.source = rib::Address::parse("::1").value();
  EXPECT_FALSE(open_for_connect(io, o).ok());
}

TEST(Transport, ListenOnATakenPortFails) {
  boost::asio::io_context io;
  Listener a(io, [](tcp::socket) {}), b(io, [](tcp::socket) {});
  ASSERT_TRUE(a.listen({rib::Address::v4(0x7f000001)}, 0).ok());
  // SO_REUSEADDR does not allow two listeners on one address and port.
  const Status st = b.listen({rib::Address::v4(0x7f000001)}, a.port());
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("in use"), std::string::npos) << st.error().message;
}

TEST(NotificationText, NamesCodesAndSubcodes) {
  EXPECT_EQ(notification_name(6, 4), "Cease/Administrative Reset");
  EXPECT_EQ(notification_name(6, 7), "Cease/Connection Collision Resolution");
  EXPECT_EQ(notification_name(4, 0), "Hold Timer Expired");
  EXPECT_EQ(notification_name(3, 11), "UPDATE Message Error/Malformed AS_PATH");
  EXPECT_EQ(notification_name(2, 2), "OPEN Message Error/Bad Peer AS");
  EXPECT_EQ(notification_name(6, 99), "Cease/subcode 99");
}

}  // namespace
}  // namespace podnet::bgp::transport
