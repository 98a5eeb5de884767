// One HTTP/1.1 connection to one etcd member, plain or TLS, on a caller's io_context. The
// pieces the etcd client and the watch stream are built from; every operation is
// asynchronous with a deadline (so nothing waits forever on a member that went silent).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <variant>

#include "conf/result.hpp"
#include "ipam-sync/etcd_options.hpp"

namespace podnet::store::etcd {

namespace beast = boost::beast;
namespace http = boost::beast::http;

// The TLS context for all connections of one store (CA, client certificate); nullptr when
// no endpoint uses https. Errc::invalid if a file cannot be loaded.
Result<std::shared_ptr<boost::asio::ssl::context>> make_tls_context(const Options& opts);

class Connection {
 public:
  using Handler = std::function<void(beast::error_code)>;
  using StreamParser = http::response_parser<http::buffer_body>;

  Connection(boost::asio::io_context& io, std::shared_ptr<boost::asio::ssl::context> tls);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  bool is_open() const;
  // Resolves, connects and (https) handshakes within timeout.
  void connect(const Endpoint& ep, std::chrono::milliseconds timeout, Handler cb);
  // Writes req and reads the whole response within timeout.
  void exchange(http::request<http::string_body>& req, http::response<http::string_body>& res,
                std::chrono::milliseconds timeout, Handler cb);
  // For streaming responses: write req, read the header within timeout; then read_some()
  // with no deadline.
  void start_stream(http::request<http::string_body>& req, StreamParser& parser,
                    std::chrono::milliseconds timeout, Handler cb);
  // Reads body bytes into buf; n (out) is how many arrived. need_buffer is not an error.
  void read_some(StreamParser& parser, char* buf, size_t size,
                 std::function<void(beast::error_code, size_t)> cb);
  void close();

 private:
  using Plain = beast::tcp_stream;
  using Tls = beast::ssl_stream<beast::tcp_stream>;
  beast::tcp_stream& tcp();
  template <class F>
  void visit(F&& f);

  boost::asio::io_context& io_;
  std::shared_ptr<boost::asio::ssl::context> tls_;
  boost::asio::ip::tcp::resolver resolver_;
  std::variant<std::monostate, Plain, Tls> stream_;
  beast::flat_buffer buffer_;
};

}  // namespace podnet::store::etcd
