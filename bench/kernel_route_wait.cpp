// Waits until the current namespace's main IPv4 table holds all N benchmark routes (the /24s
// from 20.0.0.0, as bench/gen_mrt.py and bench/netlink_floor make them) of one protocol.
//
// Why events and not polling: one rtnetlink dump of 1M routes costs ~0.45 s of kernel CPU, and
// polling that on a 2-core machine would take a core from the daemon being measured. So the tool
// dumps once, then follows RTNLGRP_IPV4_ROUTE notifications into a bitmap of the N prefixes
// (a replace of a present prefix counts once); only if the kernel drops notifications (ENOBUFS)
// does it dump again. The time is taken when the last prefix's notification is read.
//
// Usage: kernel_route_wait N PROTO TIMEOUT_S
//   prints "done <unix time, s> <count>" (exit 0) or "timeout <count>" (exit 1).
//   kernel_route_wait count PROTO   prints the number of PROTO routes in the main table.
#include <arpa/inet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

struct Tracker {
  long n;
  int proto;
  uint32_t base = ntohl(inet_addr("20.0.0.0"));
  std::vector<bool> present;
  long count = 0;
  long others = 0;  // routes of PROTO outside the benchmark range (the sentinel), for `count`

  Tracker(long n_, int proto_) : n(n_), proto(proto_), present(static_cast<size_t>(n_)) {}

  // Applies one route message; other tables, families and protocols are ignored.
  void apply(const nlmsghdr* h) {
    if (h->nlmsg_type != RTM_NEWROUTE && h->nlmsg_type != RTM_DELROUTE) return;
    const auto* r = static_cast<const rtmsg*>(NLMSG_DATA(h));
    if (r->rtm_family != AF_INET || r->rtm_table != RT_TABLE_MAIN || r->rtm_protocol != proto)
      return;
    uint32_t dst = 0;
    int len = static_cast<int>(RTM_PAYLOAD(h));
    for (auto* a = RTM_RTA(r); RTA_OK(a, len); a = RTA_NEXT(a, len))
      if (a->rta_type == RTA_DST) std::memcpy(&dst, RTA_DATA(a), 4);
    uint32_t off = ntohl(dst) - base;
    long idx = static_cast<long>(off >> 8);
    if (r->rtm_dst_len != 24 || (off & 0xff) != 0 || ntohl(dst) < base || idx >= n) {
      if (h->nlmsg_type == RTM_NEWROUTE) ++others;
      return;
    }
    bool add = h->nlmsg_type == RTM_NEWROUTE;
    if (present[static_cast<size_t>(idx)] != add) {
      present[static_cast<size_t>(idx)] = add;
      count += add ? 1 : -1;
    }
  }
};

int netlink_socket(unsigned groups) {
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) return -1;
  int big = 256 << 20;
  // FORCE (root) lifts rmem_max: a million notifications arrive faster than we may read them.
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big) < 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
  sockaddr_nl sa{};
  sa.nl_family = AF_NETLINK;
  sa.nl_groups = groups;
  if (bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// Rebuilds the tracker from a full dump.
bool dump(Tracker& t) {
  int fd = netlink_socket(0);
  if (fd < 0) return false;
  struct {
    nlmsghdr h;
    rtmsg r;
  } req{};
  req.h.nlmsg_len = NLMSG_LENGTH(sizeof(rtmsg));
  req.h.nlmsg_type = RTM_GETROUTE;
  req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  req.h.nlmsg_seq = 1;
  req.r.rtm_family = AF_INET;
  if (send(fd, &req, req.h.nlmsg_len, 0) < 0) {
    close(fd);
    return false;
  }
  std::fill(t.present.begin(), t.present.end(), false);
  t.count = 0;
  t.others = 0;
  std::vector<char> buf(1 << 20);
  for (;;) {
    ssize_t n = recv(fd, buf.data(), buf.size(), 0);
    if (n <= 0) break;
    for (auto* h = reinterpret_cast<nlmsghdr*>(buf.data()); NLMSG_OK(h, static_cast<size_t>(n));
         h = NLMSG_NEXT(h, n)) {
      if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR) {
        close(fd);
        return true;
      }
      t.apply(h);
    }
  }
  close(fd);
  return false;
}

double now_unix() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 3 && std::string(argv[1]) == "count") {
    Tracker t(1 << 22, std::atoi(argv[2]));
    if (!dump(t)) return 1;
    std::printf("%ld\n", t.count + t.others);
    return 0;
  }
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s N PROTO TIMEOUT_S | count PROTO\n", argv[0]);
    return 2;
  }
  Tracker t(std::atol(argv[1]), std::atoi(argv[2]));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(std::atol(argv[3]));
  // Subscribe before the first dump so nothing falls between the two.
  int ev = netlink_socket(RTMGRP_IPV4_ROUTE);
  if (ev < 0 || !dump(t)) {
    perror("netlink");
    return 1;
  }
  std::vector<char> buf(4 << 20);
  while (t.count < t.n) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    if (left <= 0) break;
    pollfd p{ev, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(std::min<long>(left, 1000))) <= 0) continue;
    ssize_t n = recv(ev, buf.data(), buf.size(), MSG_DONTWAIT);
    if (n < 0) {
      if (errno == ENOBUFS) {  // notifications lost: the dump is the truth again
        std::fprintf(stderr, "kernel_route_wait: ENOBUFS, dumping\n");
        dump(t);
      }
      continue;
    }
    for (auto* h = reinterpret_cast<nlmsghdr*>(buf.data()); NLMSG_OK(h, static_cast<size_t>(n));
         h = NLMSG_NEXT(h, n))
      t.apply(h);
  }
  if (t.count >= t.n) {
    std::printf("done %.3f %ld\n", now_unix(), t.count);
    return 0;
  }
  std::printf("timeout %ld\n", t.count);
  return 1;
}
