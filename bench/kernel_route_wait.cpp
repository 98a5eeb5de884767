// Waits until the current namespace's main IPv4 table holds at least N routes of one protocol,
// counting them with an rtnetlink dump (an `ip route | wc -l` of 1M routes costs seconds and
// would blur the timing). Polls every INTERVAL ms.
//
// Usage: kernel_route_wait N PROTO TIMEOUT_S [INTERVAL_MS]
//   prints "done <unix time, s> <count>" when reached (exit 0), or "timeout <count>" (exit 1).
//   kernel_route_wait count PROTO   prints the count once.
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

long count_routes(int proto) {
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) return -1;
  int big = 8 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
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
    return -1;
  }
  std::vector<char> buf(1 << 20);
  long count = 0;
  for (;;) {
    ssize_t n = recv(fd, buf.data(), buf.size(), 0);
    if (n <= 0) break;
    for (auto* h = reinterpret_cast<nlmsghdr*>(buf.data()); NLMSG_OK(h, static_cast<size_t>(n));
         h = NLMSG_NEXT(h, n)) {
      if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR) {
        close(fd);
        return count;
      }
      auto* r = static_cast<rtmsg*>(NLMSG_DATA(h));
      if (r->rtm_table == RT_TABLE_MAIN && r->rtm_protocol == proto) ++count;
    }
  }
  close(fd);
  return count;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 3 && std::string(argv[1]) == "count") {
    std::printf("%ld\n", count_routes(std::atoi(argv[2])));
    return 0;
  }
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s N PROTO TIMEOUT_S [INTERVAL_MS] | count PROTO\n", argv[0]);
    return 2;
  }
  const long n = std::atol(argv[1]);
  const int proto = std::atoi(argv[2]);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(std::atol(argv[3]));
  const auto interval = std::chrono::milliseconds(argc > 4 ? std::atol(argv[4]) : 200);
  long c = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    c = count_routes(proto);
    if (c >= n) {
      double t = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
                     .count();
      std::printf("done %.3f %ld\n", t, c);
      return 0;
    }
    std::this_thread::sleep_for(interval);
  }
  std::printf("timeout %ld\n", c);
  return 1;
}
