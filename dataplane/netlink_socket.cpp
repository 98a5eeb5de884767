#include "dataplane/netlink_socket.hpp"

#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <cstring>
#include <memory>
#include <string>

namespace podnet::dataplane {

namespace {
Error sys_error(const char* what, int err) {
  return make_error(Errc::io, std::string(what) + ": " + std::strerror(err));
}
}  // namespace

NetlinkSocket::NetlinkSocket(boost::asio::io_context& io) : fd_(io), buf_(1 << 16) {}

NetlinkSocket::~NetlinkSocket() {
  *alive_ = false;
  close();
}

Status NetlinkSocket::open(const NetlinkSocketOptions& opt, MessageHandler on_message,
                           ErrorHandler on_error) {
  close();
  int fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) return sys_error("netlink socket", errno);
  int one = 1;
  // Acks and errors carry only the header of the request, not the whole route: a million of
  // them must fit the receive buffer. Extended acks give a readable reason with an error.
  (void)::setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
  (void)::setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
  int rcv = opt.receive_buffer;
  if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof rcv) < 0) {
    (void)::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
  }
  int snd = opt.send_buffer;
  if (::setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &snd, sizeof snd) < 0) {
    (void)::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &snd, sizeof snd);
  }
  socklen_t len = sizeof rcvbuf_;
  (void)::getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf_, &len);

  sockaddr_nl sa{};
  sa.nl_family = AF_NETLINK;
  sa.nl_groups = opt.groups;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0) {
    int err = errno;
    ::close(fd);
    return sys_error("netlink bind", err);
  }
  socklen_t salen = sizeof sa;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &salen) == 0) port_id_ = sa.nl_pid;

  boost::system::error_code ec;
  fd_.assign(fd, ec);
  if (ec) {
    ::close(fd);
    return make_error(Errc::io, "netlink assign: " + ec.message());
  }
  on_message_ = std::move(on_message);
  on_error_ = std::move(on_error);
  reads_per_turn_ = opt.reads_per_turn == 0 ? 1 : opt.reads_per_turn;
  arm();
  return ok_status();
}

void NetlinkSocket::close() {
  if (fd_.is_open()) {
    boost::system::error_code ec;
    fd_.cancel(ec);
    fd_.close(ec);
  }
  reading_ = false;
}

Status NetlinkSocket::send(std::span<const uint8_t> messages) {
  if (!fd_.is_open()) return make_error(Errc::io, "netlink socket not open");
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  iovec iov{const_cast<uint8_t*>(messages.data()), messages.size()};
  msghdr msg{};
  msg.msg_name = &kernel;
  msg.msg_namelen = sizeof kernel;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  for (;;) {
    ssize_t n = ::sendmsg(fd_.native_handle(), &msg, 0);
    if (n >= 0) return ok_status();
    if (errno == EINTR) continue;
    return sys_error("netlink sendmsg", errno);
  }
}

Status NetlinkSocket::set_membership(uint32_t group, bool join) {
  if (!fd_.is_open()) return make_error(Errc::io, "netlink socket not open");
  int opt = join ? NETLINK_ADD_MEMBERSHIP : NETLINK_DROP_MEMBERSHIP;
  if (::setsockopt(fd_.native_handle(), SOL_NETLINK, opt, &group, sizeof group) < 0) {
    return sys_error("netlink membership", errno);
  }
  return ok_status();
}

void NetlinkSocket::arm() {
  if (reading_ || !fd_.is_open()) return;
  reading_ = true;
  std::weak_ptr<bool> alive = alive_;
  fd_.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                 [this, alive](const boost::system::error_code& ec) {
                   auto a = alive.lock();
                   if (!a || !*a) return;
                   reading_ = false;
                   if (ec || !fd_.is_open()) return;
                   on_readable();
                 });
}

void NetlinkSocket::on_readable() {
  std::weak_ptr<bool> alive = alive_;
  for (std::size_t i = 0; i < reads_per_turn_; ++i) {
    ssize_t n = ::recv(fd_.native_handle(), buf_.data(), buf_.size(), MSG_TRUNC);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      int err = errno;
      if (on_error_) on_error_(err);
      auto a = alive.lock();
      if (!a || !*a) return;
      continue;  // after ENOBUFS the socket still works: keep reading what is queued
    }
    if (static_cast<std::size_t>(n) > buf_.size()) {
      // A datagram larger than the buffer was cut: grow and treat it as lost (resync).
      buf_.resize(static_cast<std::size_t>(n) * 2);
      if (on_error_) on_error_(EMSGSIZE);
      auto a = alive.lock();
      if (!a || !*a) return;
      continue;
    }
    int left = static_cast<int>(n);
    for (auto* h = reinterpret_cast<nlmsghdr*>(buf_.data()); NLMSG_OK(h, left);
         h = NLMSG_NEXT(h, left)) {
      if (on_message_) on_message_(*h);
      auto a = alive.lock();
      if (!a || !*a || !fd_.is_open()) return;
    }
  }
  arm();
}

}  // namespace podnet::dataplane
