// The peer->kernel floor: push N IPv4 /24 routes (proto 12, via one gateway) into the current
// namespace's main table with raw rtnetlink, BATCH RTM_NEWROUTE per sendmsg, reading the acks of
// each batch before the next. No BGP, no RIB: what any daemon pays at least to install N routes.
//
// Usage (inside a namespace with the gateway on a connected link):
//   netlink_floor N GATEWAY [BATCH]      prints "seconds <s>" on stdout
#include <arpa/inet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace {

void add_attr(std::vector<char>& buf, nlmsghdr* h, uint16_t type, const void* data, size_t len) {
  size_t off = NLMSG_ALIGN(h->nlmsg_len);
  auto* rta = reinterpret_cast<rtattr*>(reinterpret_cast<char*>(h) + off);
  rta->rta_type = type;
  rta->rta_len = static_cast<uint16_t>(RTA_LENGTH(len));
  std::memcpy(RTA_DATA(rta), data, len);
  h->nlmsg_len = static_cast<uint32_t>(off + RTA_ALIGN(rta->rta_len));
  (void)buf;
}

// Reads acks until `outstanding` are in; returns false on the first error ack.
bool read_acks(int fd, int outstanding, std::vector<char>& rx) {
  while (outstanding > 0) {
    ssize_t n = recv(fd, rx.data(), rx.size(), 0);
    if (n < 0) {
      perror("recv");
      return false;
    }
    for (auto* h = reinterpret_cast<nlmsghdr*>(rx.data()); NLMSG_OK(h, static_cast<size_t>(n));
         h = NLMSG_NEXT(h, n)) {
      if (h->nlmsg_type != NLMSG_ERROR) continue;
      auto* e = static_cast<nlmsgerr*>(NLMSG_DATA(h));
      if (e->error != 0) {
        std::fprintf(stderr, "route add failed: %s\n", std::strerror(-e->error));
        return false;
      }
      --outstanding;
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s N GATEWAY [BATCH]\n", argv[0]);
    return 2;
  }
  const long n = std::atol(argv[1]);
  in_addr gw{};
  if (inet_pton(AF_INET, argv[2], &gw) != 1) return 2;
  const int batch = argc > 3 ? std::atoi(argv[3]) : 256;

  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) {
    perror("socket");
    return 1;
  }
  int one = 1, big = 8 << 20;
  setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;

  const size_t msg_size = NLMSG_SPACE(sizeof(rtmsg)) + 2 * RTA_SPACE(4);
  std::vector<char> tx(msg_size * static_cast<size_t>(batch));
  std::vector<char> rx(1 << 20);
  const uint32_t base = ntohl(inet_addr("20.0.0.0"));
  uint32_t seq = 1;

  auto start = std::chrono::steady_clock::now();
  for (long i = 0; i < n;) {
    std::memset(tx.data(), 0, tx.size());
    size_t off = 0;
    int in_batch = 0;
    for (; in_batch < batch && i < n; ++in_batch, ++i) {
      auto* h = reinterpret_cast<nlmsghdr*>(tx.data() + off);
      h->nlmsg_len = NLMSG_LENGTH(sizeof(rtmsg));
      h->nlmsg_type = RTM_NEWROUTE;
      h->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE;
      h->nlmsg_seq = seq++;
      auto* rt = static_cast<rtmsg*>(NLMSG_DATA(h));
      rt->rtm_family = AF_INET;
      rt->rtm_dst_len = 24;
      rt->rtm_table = RT_TABLE_MAIN;
      rt->rtm_protocol = 12;
      rt->rtm_scope = RT_SCOPE_UNIVERSE;
      rt->rtm_type = RTN_UNICAST;
      uint32_t dst = htonl(base + (static_cast<uint32_t>(i) << 8));
      add_attr(tx, h, RTA_DST, &dst, 4);
      add_attr(tx, h, RTA_GATEWAY, &gw, 4);
      off += NLMSG_ALIGN(h->nlmsg_len);
    }
    iovec iov{tx.data(), off};
    msghdr m{};
    m.msg_name = &kernel;
    m.msg_namelen = sizeof kernel;
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    if (sendmsg(fd, &m, 0) < 0) {
      perror("sendmsg");
      return 1;
    }
    if (!read_acks(fd, in_batch, rx)) return 1;
  }
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("seconds %.3f\n", s);
  close(fd);
  return 0;
}
