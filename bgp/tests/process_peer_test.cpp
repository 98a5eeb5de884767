// A peer in another process: SIGKILL closes its TCP connection, which must be noticed at once;
// SIGSTOP leaves the connection open but silent, which must be noticed at the hold time.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bgp/tests/session_harness.hpp"

namespace podnet::bgp {
namespace {

using namespace std::chrono_literals;
using testing::peer_config;
using testing::pfx;
using testing::run_until;
using testing::Speaker;

constexpr uint32_t kAs = 64512;

// A passive speaker on 127.0.0.3 in a child process that originates 10.99.0.0/24 and peers
// with 127.0.0.1. It writes its listening port to a pipe. Killed by the guard.
struct ChildPeer {
  ChildPeer() {
    int fds[2];
    if (::pipe(fds) != 0) return;
    pid = ::fork();
    if (pid == 0) {
      ::close(fds[0]);
      boost::asio::io_context io;
      Speaker c(io, 3, kAs);
      PeerConfig pc;
      pc.name = "Parent";
      pc.address = testing::addr("127.0.0.1");
      pc.peer_as = kAs;
      pc.passive = true;
      pc.hold_time = 3;
      c.pm->set_peers({pc});
      c.originate("10.99.0.0/24");
      const uint16_t port = c.pm->listen_port();
      if (::write(fds[1], &port, sizeof port) != sizeof port) ::_exit(1);
      ::close(fds[1]);
      for (;;) io.run_for(1s);
    }
    ::close(fds[1]);
    if (::read(fds[0], &port, sizeof port) != sizeof port) port = 0;
    ::close(fds[0]);
  }
  ~ChildPeer() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  }
  pid_t pid = -1;
  uint16_t port = 0;
};

struct Parent {
  explicit Parent(uint16_t child_port) : a(io, 1, kAs) {
    PeerConfig pc;
    pc.name = "Child";
    pc.address = testing::addr("127.0.0.3");
    pc.port = child_port;
    pc.peer_as = kAs;
    pc.local_as = kAs;
    pc.source_address = a.address;
    pc.hold_time = 3;
    pc.connect_retry_time = 1;
    a.pm->set_peers({pc});
  }
  bool has_route() { return !a.rib.best(pfx("10.99.0.0/24")).empty(); }
  boost::asio::io_context io;
  Speaker a;
};

TEST(ProcessPeer, SigkilledPeerIsNoticedAtOnceAndItsRoutesGo) {
  ChildPeer child;  // forked before this process opens any socket of its own
  ASSERT_GT(child.port, 0);
  Parent p(child.port);
  ASSERT_TRUE(run_until(
      p.io, [&] { return p.has_route(); }, 10s))
      << p.a.state("Child");
  const auto t0 = std::chrono::steady_clock::now();
  ::kill(child.pid, SIGKILL);
  ASSERT_TRUE(run_until(
      p.io, [&] { return !p.has_route(); }, 3s));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);  // not the 3 s hold time
  EXPECT_NE(p.a.state("Child"), "Established");
  const std::string err = p.a.status("Child")->last_error;
  EXPECT_TRUE(err == "Connection closed by peer" || err == "read: Connection reset by peer") << err;
}

TEST(ProcessPeer, StoppedPeerIsDroppedAtHoldTime) {
  ChildPeer child;
  ASSERT_GT(child.port, 0);
  Parent p(child.port);
  ASSERT_TRUE(run_until(
      p.io, [&] { return p.has_route(); }, 10s))
      << p.a.state("Child");
  const auto t0 = std::chrono::steady_clock::now();
  ::kill(child.pid, SIGSTOP);
  ASSERT_TRUE(run_until(
      p.io, [&] { return !p.has_route(); }, 20s));
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(took, 1s);  // keepalives every second until the stop; expiry 3 s after the last
  // No upper bound on the wall clock: the last_error below says it was the hold timer, and a
  // loaded machine under sanitizers may run the expiry late.
  EXPECT_EQ(p.a.status("Child")->last_error, "Hold timer expired");
  ::kill(child.pid, SIGCONT);
}

}  // namespace
}  // namespace podnet::bgp
