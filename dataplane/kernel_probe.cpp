#include "dataplane/kernel_probe.hpp"

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

namespace podnet::dataplane {

namespace {

uint32_t table_of(const nlmsghdr& h) {
  const auto* r = static_cast<const rtmsg*>(NLMSG_DATA(&h));
  uint32_t table = r->rtm_table;
  int len = static_cast<int>(h.nlmsg_len - NLMSG_LENGTH(sizeof(rtmsg)));
  for (const rtattr* a = RTM_RTA(r); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
    if (a->rta_type == RTA_TABLE && RTA_PAYLOAD(a) >= sizeof(uint32_t)) {
      std::memcpy(&table, RTA_DATA(a), sizeof(uint32_t));
    }
  }
  return table;
}

// One family's dump; true as soon as a match is seen (the rest of the dump is dropped with the
// socket).
Result<bool> probe_family(int family, uint8_t protocol, uint32_t table) {
  int fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) return make_error(Errc::io, std::string("netlink socket: ") + std::strerror(errno));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct {
    nlmsghdr h;
    rtmsg r;
  } req{};
  req.h.nlmsg_len = NLMSG_LENGTH(sizeof(rtmsg));
  req.h.nlmsg_type = RTM_GETROUTE;
  req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  req.h.nlmsg_seq = 1;
  req.r.rtm_family = static_cast<unsigned char>(family);
  if (::send(fd, &req, req.h.nlmsg_len, 0) < 0) {
    return make_error(Errc::io, std::string("netlink route dump: ") + std::strerror(errno));
  }
  std::vector<char> buf(1 << 16);
  for (;;) {
    ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return make_error(Errc::io, std::string("netlink route dump: ") + std::strerror(errno));
    }
    int len = static_cast<int>(n);
    for (auto* h = reinterpret_cast<nlmsghdr*>(buf.data()); NLMSG_OK(h, len);
         h = NLMSG_NEXT(h, len)) {
      if (h->nlmsg_type == NLMSG_DONE) return false;
      if (h->nlmsg_type == NLMSG_ERROR) {
        const auto* e = static_cast<const nlmsgerr*>(NLMSG_DATA(h));
        return make_error(Errc::io, std::string("netlink route dump: ") + std::strerror(-e->error));
      }
      if (h->nlmsg_type != RTM_NEWROUTE || h->nlmsg_len < NLMSG_LENGTH(sizeof(rtmsg))) continue;
      const auto* r = static_cast<const rtmsg*>(NLMSG_DATA(h));
      if (r->rtm_protocol == protocol && table_of(*h) == table) return true;
    }
  }
}

}  // namespace

Result<bool> kernel_has_routes(uint8_t protocol, uint32_t table) {
  for (int family : {AF_INET, AF_INET6}) {
    auto r = probe_family(family, protocol, table);
    if (!r || *r) return r;
  }
  return false;
}

}  // namespace podnet::dataplane
