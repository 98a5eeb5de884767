#include "dataplane/netlink_channel.hpp"

#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "dataplane/netlink_builder.hpp"

namespace podnet::dataplane {

std::string netlink_error_text(const nlmsghdr& h, int err) {
  std::string out = std::strerror(err);
  if (!(h.nlmsg_flags & NLM_F_ACK_TLVS)) return out;
  const auto* e = static_cast<const nlmsgerr*>(NLMSG_DATA(&h));
  std::size_t off = (h.nlmsg_flags & NLM_F_CAPPED)
                        ? NLMSG_HDRLEN + sizeof(nlmsgerr)
                        : NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(int) + e->msg.nlmsg_len);
  if (off >= h.nlmsg_len) return out;
  nl::Attrs tlvs(reinterpret_cast<const uint8_t*>(&h) + off, h.nlmsg_len - off);
  if (auto m = tlvs.str(NLMSGERR_ATTR_MSG); m && !m->empty()) out += ": " + *m;
  return out;
}

namespace {

uint32_t seq_of(std::span<const uint8_t> msg) {
  uint32_t seq = 0;
  if (msg.size() >= sizeof(nlmsghdr)) {
    std::memcpy(&seq, msg.data() + offsetof(nlmsghdr, nlmsg_seq), sizeof seq);
  }
  return seq;
}

}  // namespace

NetlinkChannel::~NetlinkChannel() {
  close();
}

Status NetlinkChannel::open() {
  close();
  fd_ = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd_ < 0) return make_error(Errc::io, std::string("netlink socket: ") + std::strerror(errno));
  int one = 1;
  (void)::setsockopt(fd_, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
  (void)::setsockopt(fd_, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
  // A kernel that never answers must not hang the daemon.
  timeval tv{5, 0};
  (void)::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_nl sa{};
  sa.nl_family = AF_NETLINK;
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    int e = errno;
    close();
    return make_error(Errc::io, std::string("netlink bind: ") + std::strerror(e));
  }
  buf_.resize(1 << 16);
  return ok_status();
}

Status NetlinkChannel::enable_strict_dump() {
  int one = 1;
  if (::setsockopt(fd_, SOL_NETLINK, NETLINK_GET_STRICT_CHK, &one, sizeof one) != 0) {
    return make_error(Errc::unavailable,
                      std::string("NETLINK_GET_STRICT_CHK: ") + std::strerror(errno));
  }
  return ok_status();
}

void NetlinkChannel::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

Result<Ok, NetlinkError> NetlinkChannel::call(std::span<const uint8_t> message) {
  if (fd_ < 0) return NetlinkError{EBADF, "netlink channel not open"};
  std::vector<uint8_t> msg(message.begin(), message.end());
  if (msg.size() < sizeof(nlmsghdr)) return NetlinkError{EINVAL, "short message"};
  auto* h = reinterpret_cast<nlmsghdr*>(msg.data());
  h->nlmsg_flags |= NLM_F_ACK;
  uint32_t seq = h->nlmsg_seq;
  if (::send(fd_, msg.data(), msg.size(), 0) < 0) {
    return NetlinkError{errno, std::string("netlink send: ") + std::strerror(errno)};
  }
  for (;;) {
    ssize_t n = ::recv(fd_, buf_.data(), buf_.size(), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return NetlinkError{errno, std::string("netlink recv: ") + std::strerror(errno)};
    }
    for (const nlmsghdr* r : nl::messages({buf_.data(), static_cast<std::size_t>(n)})) {
      if (r->nlmsg_seq != seq || r->nlmsg_type != NLMSG_ERROR) continue;  // stale
      if (r->nlmsg_len < NLMSG_LENGTH(sizeof(nlmsgerr))) return NetlinkError{EPROTO, "short ack"};
      int err = -static_cast<const nlmsgerr*>(NLMSG_DATA(r))->error;
      if (err == 0) return Ok{};
      return NetlinkError{err, netlink_error_text(*r, err)};
    }
  }
}

Result<std::vector<NetlinkMessage>> NetlinkChannel::dump(std::span<const uint8_t> request) {
  for (int attempt = 0;; ++attempt) {
    bool intr = false;
    auto r = dump_once(request, intr);
    if (!r || !intr || attempt >= 4) return r;
  }
}

Result<std::vector<NetlinkMessage>> NetlinkChannel::dump_once(std::span<const uint8_t> request,
                                                              bool& intr) {
  if (fd_ < 0) return make_error(Errc::io, "netlink channel not open");
  uint32_t seq = seq_of(request);
  if (::send(fd_, request.data(), request.size(), 0) < 0) {
    return make_error(Errc::io, std::string("netlink send: ") + std::strerror(errno));
  }
  std::vector<NetlinkMessage> out;
  for (;;) {
    ssize_t n = ::recv(fd_, buf_.data(), buf_.size(), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return make_error(Errc::io, std::string("netlink recv: ") + std::strerror(errno));
    }
    for (const nlmsghdr* r : nl::messages({buf_.data(), static_cast<std::size_t>(n)})) {
      if (r->nlmsg_seq != seq) continue;
      if (r->nlmsg_flags & NLM_F_DUMP_INTR) intr = true;
      if (r->nlmsg_type == NLMSG_DONE) return out;
      if (r->nlmsg_type == NLMSG_ERROR) {
        int err = -static_cast<const nlmsgerr*>(NLMSG_DATA(r))->error;
        // ENOENT: a filtered dump of something that does not exist (a routing table nobody
        // created yet), which callers may read as "nothing there".
        return make_error(err == ENOENT ? Errc::not_found : Errc::io,
                          "netlink dump: " + netlink_error_text(*r, err));
      }
      const auto* p = reinterpret_cast<const uint8_t*>(r);
      out.push_back(NetlinkMessage{{p, p + r->nlmsg_len}});
    }
  }
}

}  // namespace podnet::dataplane
