#include "bgp/transport.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <cerrno>
#include <cstring>

namespace podnet::bgp::transport {
namespace {

Error errno_error(const std::string& what, int e) {
  return make_error(Errc::io, what + ": " + std::strerror(e));
}

Status sockopt(int fd, int level, int name, const void* v, socklen_t len, const char* what) {
  if (::setsockopt(fd, level, name, v, len) != 0) return errno_error(what, errno);
  return ok_status();
}

Error asio_error(const std::string& what, const boost::system::error_code& ec) {
  return make_error(Errc::io, what + ": " + ec.message());
}

}  // namespace

tcp::endpoint to_endpoint(const rib::Address& a, uint16_t port) {
  if (a.family() == rib::Family::v4) {
    return {boost::asio::ip::address_v4(a.v4_value()), port};
  }
  boost::asio::ip::address_v6::bytes_type b{};
  std::memcpy(b.data(), a.bytes().data(), 16);
  return {boost::asio::ip::address_v6(b), port};
}

rib::Address to_address(const boost::asio::ip::address& a) {
  if (a.is_v4()) return rib::Address::v4(a.to_v4().to_uint());
  const auto v6 = a.to_v6();
  if (v6.is_v4_mapped()) {
    return rib::Address::v4(
        boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, v6).to_uint());
  }
  const auto b = v6.to_bytes();
  return rib::Address::from_bytes(rib::Family::v6, b);
}

Status set_md5(int fd, const rib::Address& peer, const std::string& key) {
  if (key.size() > TCP_MD5SIG_MAXKEYLEN) {
    return make_error(Errc::invalid, "TCP-MD5 key longer than 80 bytes");
  }
  struct tcp_md5sig sig {};
  const tcp::endpoint ep = to_endpoint(peer, 0);
  std::memcpy(&sig.tcpm_addr, ep.data(), ep.size());
  sig.tcpm_keylen = static_cast<uint16_t>(key.size());
  std::memcpy(sig.tcpm_key, key.data(), key.size());
  if (::setsockopt(fd, IPPROTO_TCP, TCP_MD5SIG, &sig, sizeof sig) != 0) {
    // Removing a key that was never set is not an error worth reporting.
    if (key.empty() && errno == ENOENT) return ok_status();
    return errno_error("setsockopt(TCP_MD5SIG) for " + peer.to_string(), errno);
  }
  return ok_status();
}

Status set_gtsm(int fd, rib::Family family, uint8_t hops) {
  if (hops == 0) return ok_status();
  const int ttl = 255;
  const int min = 256 - static_cast<int>(hops);
  if (family == rib::Family::v4) {
    if (auto s = sockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof ttl, "setsockopt(IP_TTL)"); !s) {
      return s;
    }
    return sockopt(fd, IPPROTO_IP, IP_MINTTL, &min, sizeof min, "setsockopt(IP_MINTTL)");
  }
  if (auto s = sockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &ttl, sizeof ttl,
                       "setsockopt(IPV6_UNICAST_HOPS)");
      !s) {
    return s;
  }
  return sockopt(fd, IPPROTO_IPV6, IPV6_MINHOPCOUNT, &min, sizeof min,
                 "setsockopt(IPV6_MINHOPCOUNT)");
}

Status set_nodelay(int fd) {
  const int one = 1;
  return sockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one, "setsockopt(TCP_NODELAY)");
}

Result<std::unique_ptr<tcp::socket>> open_for_connect(boost::asio::io_context& io,
                                                      const ConnectOptions& o) {
  auto sock = std::make_unique<tcp::socket>(io);
  boost::system::error_code ec;
  const tcp::endpoint remote = to_endpoint(o.peer, o.port);
  sock->open(remote.protocol(), ec);
  if (ec) return asio_error("socket", ec);
  const int fd = sock->native_handle();
  if (o.source) {
    if (o.source->family() != o.peer.family()) {
      return make_error(Errc::invalid,
                        "source address " + o.source->to_string() + " is not of the peer's family");
    }
    sock->set_option(tcp::socket::reuse_address(true), ec);
    sock->bind(to_endpoint(*o.source, 0), ec);
    if (ec) return asio_error("bind " + o.source->to_string(), ec);
  }
  if (!o.md5_key.empty()) {
    if (auto s = set_md5(fd, o.peer, o.md5_key); !s) return s.error();
  }
  if (auto s = set_gtsm(fd, o.peer.family(), o.ttl_security_hops); !s) return s.error();
  if (auto s = set_nodelay(fd); !s) return s.error();
  return sock;
}

// ---- Listener ----

struct Listener::Acceptor {
  explicit Acceptor(boost::asio::io_context& io) : acceptor(io) {}
  tcp::acceptor acceptor;
  rib::Family family = rib::Family::v4;
  bool closed = false;
};

Listener::Listener(boost::asio::io_context& io, AcceptFn on_accept)
    : io_(io), on_accept_(std::move(on_accept)) {}

Listener::~Listener() {
  close();
}

void Listener::close() {
  for (auto& a : acceptors_) {
    a->closed = true;
    boost::system::error_code ec;
    a->acceptor.close(ec);
  }
  acceptors_.clear();
}

Status Listener::listen(const std::vector<rib::Address>& addresses, uint16_t port) {
  close();
  struct Want {
    rib::Address addr;
    bool optional;  // the v6 wildcard: fine to miss on a v4-only kernel
  };
  std::vector<Want> want;
  if (addresses.empty()) {
    want.push_back({rib::Address{}, false});
    want.push_back({rib::Address::from_bytes(rib::Family::v6, std::array<uint8_t, 16>{}), true});
  } else {
    for (const auto& a : addresses) want.push_back({a, false});
  }
  for (const Want& w : want) {
    auto a = std::make_shared<Acceptor>(io_);
    a->family = w.addr.family();
    boost::system::error_code ec;
    const tcp::endpoint ep = to_endpoint(w.addr, port);
    a->acceptor.open(ep.protocol(), ec);
    if (ec) {
      if (w.optional) continue;
      close();
      return asio_error("listen socket", ec);
    }
    a->acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
    if (w.addr.family() == rib::Family::v6) {
      a->acceptor.set_option(boost::asio::ip::v6_only(true), ec);
    }
    a->acceptor.bind(ep, ec);
    if (!ec) a->acceptor.listen(boost::asio::socket_base::max_listen_connections, ec);
    if (ec) {
      if (w.optional) continue;
      close();
      return asio_error("listen on " + w.addr.to_string() + " port " + std::to_string(port), ec);
    }
    for (const auto& [peer, key] : md5_) {
      if (peer.family() != a->family) continue;
      if (auto s = transport::set_md5(a->acceptor.native_handle(), peer, key); !s) {
        close();
        return s;
      }
    }
    // With port 0 (tests) every further socket takes the first one's port.
    if (port == 0) port = a->acceptor.local_endpoint(ec).port();
    acceptors_.push_back(a);
    accept_next(a);
  }
  return ok_status();
}

Status Listener::set_md5(const rib::Address& peer, const std::string& key) {
  if (key.empty()) {
    if (md5_.erase(peer) == 0) return ok_status();
  } else {
    md5_[peer] = key;
  }
  for (auto& a : acceptors_) {
    if (a->family != peer.family()) continue;
    if (auto s = transport::set_md5(a->acceptor.native_handle(), peer, key); !s) return s;
  }
  return ok_status();
}

uint16_t Listener::port() const {
  boost::system::error_code ec;
  for (const auto& a : acceptors_) {
    const auto ep = a->acceptor.local_endpoint(ec);
    if (!ec) return ep.port();
  }
  return 0;
}

void Listener::accept_next(const std::shared_ptr<Acceptor>& a) {
  a->acceptor.async_accept([this, a](const boost::system::error_code& ec, tcp::socket s) {
    if (a->closed) return;  // the Listener may be gone: touch nothing of it
    if (!ec) on_accept_(std::move(s));
    if (ec == boost::asio::error::operation_aborted) return;
    accept_next(a);
  });
}

}  // namespace podnet::bgp::transport
