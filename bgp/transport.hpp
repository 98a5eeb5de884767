// Socket plumbing for BGP sessions on Boost.Asio: listeners on the BGP port, outgoing
// connects bound to a source address, and the per-session socket options BGP needs
// (TCP-MD5 RFC 2385, GTSM RFC 5082, TCP_NODELAY). Everything returns errors as values with
// the errno text, so a peer with a bad option fails alone and the loop carries on.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "conf/result.hpp"
#include "rib/prefix.hpp"

namespace podnet::bgp::transport {

using boost::asio::ip::tcp;

tcp::endpoint to_endpoint(const rib::Address& a, uint16_t port);
rib::Address to_address(const boost::asio::ip::address& a);

// TCP-MD5 signature key for segments to/from `peer` on this socket (a listener: for accepted
// connections from that address). An empty key removes it.
Status set_md5(int fd, const rib::Address& peer, const std::string& key);
// GTSM: send with TTL / hop limit 255 and accept only >= 256 - hops. hops 0: leave defaults.
Status set_gtsm(int fd, rib::Family family, uint8_t hops);
Status set_nodelay(int fd);

// What an outgoing connection needs before connect().
struct ConnectOptions {
  rib::Address peer;
  uint16_t port = 179;
  std::optional<rib::Address> source;
  std::string md5_key;
  uint8_t ttl_security_hops = 0;
};
// An open, bound, optioned socket ready for async_connect to to_endpoint(peer, port).
Result<std::unique_ptr<tcp::socket>> open_for_connect(boost::asio::io_context& io,
                                                      const ConnectOptions& o);

// Accepts BGP connections on one or more local addresses. The wildcard (no addresses) listens
// on 0.0.0.0 and, where the kernel has IPv6, on :: (v6-only, so v4 peers keep plain
// addresses for the MD5 key lookup). Per-peer MD5 keys are installed on every listening
// socket of the peer's family.
class Listener {
 public:
  using AcceptFn = std::function<void(tcp::socket)>;
  Listener(boost::asio::io_context& io, AcceptFn on_accept);
  ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  // (Re)opens the listening sockets; keys already set are applied to the new sockets.
  Status listen(const std::vector<rib::Address>& addresses, uint16_t port);
  void close();
  Status set_md5(const rib::Address& peer, const std::string& key);  // empty key: remove
  // The port actually bound (useful when listening on port 0 in tests).
  uint16_t port() const;

 private:
  struct Acceptor;
  void accept_next(const std::shared_ptr<Acceptor>& a);

  boost::asio::io_context& io_;
  AcceptFn on_accept_;
  std::vector<std::shared_ptr<Acceptor>> acceptors_;
  std::map<rib::Address, std::string> md5_;
};

}  // namespace podnet::bgp::transport
