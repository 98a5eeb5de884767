// Real packets through rules the programmer applied, in namespaces made by the test: a "node"
// with two pods (Calico wiring: cali veths, /32 routes, proxy ARP) and an "external" host on the
// node's uplink. A drop in the to-workload chain blocks pod-to-pod TCP and an accept lets it
// through; NAT outgoing makes the external host see the node's address (or natOutgoingAddress)
// and, once the pool's natOutgoing is off, the pod's own address.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "interop-tests/topology/pod.hpp"
#include "interop-tests/topology/topology.hpp"
#include "policy/nat_outgoing.hpp"
#include "policy/nft/nft_programmer.hpp"
#include "policy/tests/nft_netns.hpp"

namespace podnet::policy {
namespace {

using namespace nft;
using testing::ScopedNetns;

// A TCP listener opened inside a namespace (the socket stays there).
int listen_in(const std::string& ns, uint16_t port) {
  ScopedNetns in(ns);
  if (!in.ok()) return -1;
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd, 8) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Connects from inside a namespace with a timeout; returns the connected fd or -1.
int connect_from(const std::string& ns, const std::string& ip, uint16_t port, int timeout_ms) {
  ScopedNetns in(ns);
  if (!in.ok()) return -1;
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  ::inet_pton(AF_INET, ip.c_str(), &a.sin_addr);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 && errno != EINPROGRESS) {
    ::close(fd);
    return -1;
  }
  pollfd p{fd, POLLOUT, 0};
  int err = 0;
  socklen_t len = sizeof err;
  if (::poll(&p, 1, timeout_ms) != 1 || ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 ||
      err != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Accepts one connection and returns the peer's address ("" on timeout).
std::string accept_peer(int listen_fd, int timeout_ms) {
  pollfd p{listen_fd, POLLIN, 0};
  if (::poll(&p, 1, timeout_ms) != 1) return "";
  sockaddr_in peer{};
  socklen_t len = sizeof peer;
  int fd = ::accept(listen_fd, reinterpret_cast<sockaddr*>(&peer), &len);
  if (fd < 0) return "";
  ::close(fd);
  char buf[INET_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET, &peer.sin_addr, buf, sizeof buf);
  return buf;
}

class NftTraffic : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(topo_.add_host("node").ok());
    ASSERT_TRUE(topo_.add_host("ext").ok());
    ASSERT_TRUE(topo_
                    .add_link({"node", "eth0", {"172.31.0.1/24", "172.31.0.5/24"}},
                              {"ext", "eth0", {"172.31.0.2/24"}})
                    .ok());
    ASSERT_TRUE(topo_.up().ok());
    auto a = interop::add_pod(topo_, "node", "eth0", "pa", "10.244.0.10");
    auto b = interop::add_pod(topo_, "node", "eth0", "pb", "10.244.0.11");
    ASSERT_TRUE(a.ok()) << a.error().message;
    ASSERT_TRUE(b.ok()) << b.error().message;
    pa_ = *a;
    pb_ = *b;
    // The external host routes the pool back through the node (for the un-NATed case).
    ASSERT_EQ(
        topo_.exec("ext", {"ip", "route", "add", "10.244.0.0/16", "via", "172.31.0.1"}).exit_code,
        0);
    ScopedNetns in(topo_.ns("node"));
    ASSERT_TRUE(in.ok());
    auto p = Programmer::create();  // its socket belongs to the node's namespace from now on
    ASSERT_TRUE(p.ok()) << p.error().message;
    prog_ = std::move(*p);
  }

  // Calico's shape: forward → oifname vmap → to-workload chain for pb, whose rule for TCP 8080
  // is `verdict`.
  Table policy_table(Verdict verdict) const {
    Table t;
    t.name = "podnet";
    t.sets.push_back(Set{"to-wl",
                         {KeyType::ifname},
                         false,
                         true,
                         {Element{{KeyPart::ifname(pb_.host_if)}, Verdict::goto_("tw-pb")}}});
    Chain fwd{"forward", BaseChain{}, {}};
    fwd.rules.push_back(
        Rule{{CtStateMatch{ct::established | ct::related, false}}, {Verdict::accept()}});
    fwd.rules.push_back(
        Rule{{IfNameMatch{Dir::out, "cali*", false}}, {VmapLookup{Dir::out, "to-wl"}}});
    Chain tw{"tw-pb", std::nullopt, {}};
    tw.rules.push_back(Rule{{L4ProtoMatch{{6}, false},
                             PortMatch{PortField::dport, Values{{KeyPart::port(8080)}, {}}, false}},
                            {Counter{}, verdict}});
    t.chains = {fwd, tw};
    return t;
  }

  interop::Topology topo_{"pnnft"};
  interop::Pod pa_, pb_;
  std::unique_ptr<Programmer> prog_;
};

TEST_F(NftTraffic, DropInForwardChainBlocksPodToPodAndAcceptAllows) {
  int lfd = listen_in(topo_.ns("pb"), 8080);
  ASSERT_GE(lfd, 0);
  // No table yet: the path works.
  int c = connect_from(topo_.ns("pa"), pb_.ip, 8080, 3000);
  ASSERT_GE(c, 0) << "pod-to-pod TCP does not work even without rules";
  ::close(c);
  EXPECT_EQ(accept_peer(lfd, 1000), pa_.ip);

  auto st = prog_->apply(policy_table(Verdict::drop()));
  ASSERT_TRUE(st.ok()) << st.error().message;
  c = connect_from(topo_.ns("pa"), pb_.ip, 8080, 1000);
  EXPECT_LT(c, 0) << "the drop rule let the connection through";
  if (c >= 0) ::close(c);
  EXPECT_EQ(accept_peer(lfd, 200), "");

  st = prog_->apply(policy_table(Verdict::accept()));
  ASSERT_TRUE(st.ok()) << st.error().message;
  EXPECT_EQ(st->rewritten, std::vector<std::string>{"tw-pb"});
  c = connect_from(topo_.ns("pa"), pb_.ip, 8080, 3000);
  EXPECT_GE(c, 0) << "the accept rule did not let the connection through";
  if (c >= 0) ::close(c);
  EXPECT_EQ(accept_peer(lfd, 1000), pa_.ip);
  ::close(lfd);
}

TEST_F(NftTraffic, NatOutgoingMasqueradesToOutsideThePools) {
  int lfd = listen_in(topo_.ns("ext"), 9000);
  ASSERT_GE(lfd, 0);
  conf::types::IPPool pool;
  pool.metadata.name = "default-ipv4-ippool";
  pool.spec.cidr = "10.244.0.0/16";
  pool.spec.nat_outgoing = true;
  conf::types::FelixConfiguration::Spec felix;

  auto nat = nat_outgoing_table({pool}, {}, felix);
  ASSERT_TRUE(nat.ok()) << nat.error().message;
  auto st = prog_->apply(*nat);
  ASSERT_TRUE(st.ok()) << st.error().message;
  int c = connect_from(topo_.ns("pa"), "172.31.0.2", 9000, 3000);
  ASSERT_GE(c, 0);
  ::close(c);
  EXPECT_EQ(accept_peer(lfd, 1000), "172.31.0.1");  // the node's address, not the pod's
  // Pod to pod (inside the pools) is not NATed.
  int l2 = listen_in(topo_.ns("pb"), 9001);
  c = connect_from(topo_.ns("pa"), pb_.ip, 9001, 3000);
  ASSERT_GE(c, 0);
  ::close(c);
  EXPECT_EQ(accept_peer(l2, 1000), pa_.ip);
  ::close(l2);

  // natOutgoingAddress: SNAT to that address instead.
  felix.nat_outgoing_address = "172.31.0.5";
  nat = nat_outgoing_table({pool}, {}, felix);
  ASSERT_TRUE(nat.ok());
  ASSERT_TRUE(prog_->apply(*nat).ok());
  c = connect_from(topo_.ns("pa"), "172.31.0.2", 9000, 3000);
  ASSERT_GE(c, 0);
  ::close(c);
  EXPECT_EQ(accept_peer(lfd, 1000), "172.31.0.5");

  // The pool's natOutgoing off: set elements change, no chain is rewritten, the pod is seen.
  felix.nat_outgoing_address.clear();
  pool.spec.nat_outgoing = false;
  nat = nat_outgoing_table({pool}, {}, felix);
  ASSERT_TRUE(nat.ok());
  st = prog_->apply(*nat);
  ASSERT_TRUE(st.ok()) << st.error().message;
  EXPECT_EQ(st->elements_removed, 2u);  // the pool's interval: start and end
  c = connect_from(topo_.ns("pa"), "172.31.0.2", 9000, 3000);
  ASSERT_GE(c, 0);
  ::close(c);
  EXPECT_EQ(accept_peer(lfd, 1000), pa_.ip);
  ::close(lfd);
  ASSERT_TRUE(prog_->remove().ok());
}

}  // namespace
}  // namespace podnet::policy
