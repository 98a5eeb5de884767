// The kernel backend: a `wireguard` link configured over generic netlink. Each call opens its
// socket in the calling thread's network namespace (the family resolves device names there),
// as the userspace backend connects afresh to the UAPI socket.
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "dataplane/netlink_channel.hpp"
#include "dataplane/wireguard_backend.hpp"
#include "dataplane/wireguard_genl.hpp"

namespace podnet::dataplane::wg {

namespace {

Error sys_error(const std::string& what, int err) {
  return make_error(Errc::io, what + ": " + std::strerror(err));
}

// A blocking NETLINK_GENERIC socket: one request, then its replies up to the ack or NLMSG_DONE.
class GenlSocket {
 public:
  ~GenlSocket() {
    if (fd_ >= 0) ::close(fd_);
  }
  Status open() {
    fd_ = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
    if (fd_ < 0) return sys_error("generic netlink socket", errno);
    int one = 1;
    (void)::setsockopt(fd_, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
    timeval tv{2, 0};
    (void)::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_nl sa{};
    sa.nl_family = AF_NETLINK;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0) {
      return sys_error("generic netlink bind", errno);
    }
    return ok_status();
  }
  uint32_t next_seq() { return ++seq_; }

  // Sends `req` (NLM_F_ACK added unless it is a dump) and returns the reply messages.
  Result<std::vector<NetlinkMessage>> request(std::vector<uint8_t> req) {
    auto* h = reinterpret_cast<nlmsghdr*>(req.data());
    bool dump = (h->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
    h->nlmsg_flags |= NLM_F_REQUEST | (dump ? 0 : NLM_F_ACK);
    uint32_t seq = h->nlmsg_seq;
    if (::send(fd_, req.data(), req.size(), 0) < 0) return sys_error("generic netlink send", errno);
    std::vector<NetlinkMessage> out;
    std::vector<uint8_t> buf(1 << 16);
    for (;;) {
      ssize_t n = ::recv(fd_, buf.data(), buf.size(), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return sys_error("generic netlink recv", errno);
      int left = static_cast<int>(n);
      for (auto* m = reinterpret_cast<nlmsghdr*>(buf.data()); NLMSG_OK(m, left);
           m = NLMSG_NEXT(m, left)) {
        if (m->nlmsg_seq != seq) continue;
        if (m->nlmsg_type == NLMSG_DONE) return out;
        if (m->nlmsg_type == NLMSG_ERROR) {
          const auto* e = static_cast<const nlmsgerr*>(NLMSG_DATA(m));
          if (e->error == 0) return out;
          return make_error(Errc::io, netlink_error_text(*m, -e->error));
        }
        NetlinkMessage copy;
        const auto* bytes = reinterpret_cast<const uint8_t*>(m);
        copy.bytes.assign(bytes, bytes + m->nlmsg_len);
        out.push_back(std::move(copy));
      }
    }
  }

 private:
  int fd_ = -1;
  uint32_t seq_ = 0;
};

Result<uint16_t> family_id(GenlSocket& s) {
  std::vector<uint8_t> req;
  append_family_request(req, s.next_seq());
  auto r = s.request(std::move(req));
  if (!r)
    return make_error(Errc::unavailable,
                      "no wireguard generic netlink family: " + r.error().message);
  for (const auto& m : *r) {
    if (auto id = parse_family_id(m.header())) return *id;
  }
  return make_error(Errc::unavailable, "no wireguard generic netlink family");
}

class Kernel final : public Backend {
 public:
  const char* name() const override { return "kernel (generic netlink)"; }

  Status create(const std::string& ifname) override {
    NetlinkChannel ch;
    if (auto s = ch.open(); !s) return s;
    std::vector<uint8_t> buf;
    append_new_wireguard_link(buf, ch.next_seq(), ifname);
    if (auto r = ch.call(buf); !r) {
      return make_error(Errc::io, "creating wireguard link " + ifname + ": " + r.error().message);
    }
    return ok_status();
  }

  bool manages(const std::string& ifname) override { return get(ifname).ok(); }

  Result<DeviceState> get(const std::string& ifname) override {
    GenlSocket s;
    if (auto st = s.open(); !st) return st.error();
    auto fam = family_id(s);
    if (!fam) return fam.error();
    std::vector<uint8_t> req;
    append_get_device(req, s.next_seq(), *fam, ifname);
    auto r = s.request(std::move(req));
    if (!r) return r.error();
    DeviceState state;
    for (const auto& m : *r) {
      if (auto st = merge_device_part(m.header(), state); !st) return st.error();
    }
    normalise(state);
    return state;
  }

  Status set(const std::string& ifname, const DeviceState& current,
             const DeviceState& desired) override {
    DeviceUpdate u = diff(current, desired);
    if (u.empty()) return ok_status();
    GenlSocket s;
    if (auto st = s.open(); !st) return st.error();
    auto fam = family_id(s);
    if (!fam) return fam.error();
    std::vector<uint8_t> req;
    append_set_device(req, s.next_seq(), *fam, ifname, u);
    auto r = s.request(std::move(req));
    if (!r) return r.error();
    return ok_status();
  }
};

}  // namespace

Result<std::unique_ptr<Backend>> make_kernel_backend() {
  GenlSocket s;
  if (auto st = s.open(); !st) return st.error();
  auto fam = family_id(s);
  if (!fam) return fam.error();
  return std::unique_ptr<Backend>(std::make_unique<Kernel>());
}

}  // namespace podnet::dataplane::wg
