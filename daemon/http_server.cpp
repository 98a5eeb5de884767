#include "daemon/http_server.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <filesystem>
#include <optional>

namespace podnet::daemon {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

// Idle connections are closed after this long, so a client that connects and says nothing
// cannot pin a descriptor forever.
constexpr auto kIdleTimeout = std::chrono::seconds(30);
constexpr std::size_t kMaxBody = 1 << 20;

template <class Protocol>
class Connection : public std::enable_shared_from_this<Connection<Protocol>> {
 public:
  Connection(typename Protocol::socket socket, std::shared_ptr<HttpHandler> handler)
      : socket_(std::move(socket)), timer_(socket_.get_executor()), handler_(std::move(handler)) {}

  void start() { read(); }

 private:
  void read() {
    parser_.emplace();
    parser_->body_limit(kMaxBody);
    arm_timer();
    http::async_read(socket_, buffer_, *parser_,
                     [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                       self->on_read(ec);
                     });
  }

  void arm_timer() {
    timer_.expires_after(kIdleTimeout);
    timer_.async_wait([self = this->shared_from_this()](beast::error_code ec) {
      if (!ec) {
        beast::error_code ignored;
        self->socket_.close(ignored);
      }
    });
  }

  void on_read(beast::error_code ec) {
    timer_.cancel();
    if (ec) return;  // closed, timed out or garbage: drop the connection
    auto& req = parser_->get();
    HttpRequest r{std::string(req.method_string()), std::string(req.target()), req.body()};
    HttpResponse answer;
    try {
      answer = (*handler_)(r);
    } catch (const std::exception& e) {
      // A handler bug must not take the daemon down: answer 500 and log it.
      spdlog::error("http handler for {} {} threw: {}", r.method, r.target, e.what());
      answer = HttpResponse{500, "text/plain", "internal error\n"};
    }
    auto res = std::make_shared<http::response<http::string_body>>(http::status(answer.status),
                                                                   req.version());
    res->set(http::field::server, "podnetd");
    res->set(http::field::content_type, answer.content_type);
    res->keep_alive(req.keep_alive());
    res->body() = std::move(answer.body);
    res->prepare_payload();
    http::async_write(socket_, *res,
                      [self = this->shared_from_this(), res](beast::error_code wec, std::size_t) {
                        if (wec) return;
                        if (res->keep_alive()) {
                          self->read();
                        } else {
                          beast::error_code ignored;
                          self->socket_.shutdown(Protocol::socket::shutdown_send, ignored);
                        }
                      });
  }

  typename Protocol::socket socket_;
  asio::steady_timer timer_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<HttpHandler> handler_;
};

template <class Protocol>
class Server : public HttpServer {
 public:
  Server(asio::io_context& io, typename Protocol::acceptor acceptor, HttpHandler handler,
         std::string address, std::string unlink_path)
      : io_(io),
        acceptor_(std::move(acceptor)),
        handler_(std::make_shared<HttpHandler>(std::move(handler))),
        address_(std::move(address)),
        unlink_path_(std::move(unlink_path)) {
    accept();
  }
  ~Server() override { close(); }

  std::string local_address() const override { return address_; }

  void close() override {
    if (!acceptor_.is_open()) return;
    beast::error_code ignored;
    acceptor_.close(ignored);
    if (!unlink_path_.empty()) ::unlink(unlink_path_.c_str());
  }

 private:
  void accept() {
    acceptor_.async_accept([this](beast::error_code ec, typename Protocol::socket socket) {
      if (ec == asio::error::operation_aborted) return;
      if (!ec) std::make_shared<Connection<Protocol>>(std::move(socket), handler_)->start();
      if (acceptor_.is_open()) accept();
    });
  }

  asio::io_context& io_;
  typename Protocol::acceptor acceptor_;
  std::shared_ptr<HttpHandler> handler_;
  std::string address_;
  std::string unlink_path_;
};

Result<asio::ip::tcp::endpoint> parse_host_port(const std::string& hp) {
  std::string host, port;
  if (!hp.empty() && hp.front() == '[') {
    auto close = hp.find(']');
    if (close == std::string::npos || close + 1 >= hp.size() || hp[close + 1] != ':')
      return make_error(Errc::invalid, fmt::format("'{}': expected [v6addr]:port", hp));
    host = hp.substr(1, close - 1);
    port = hp.substr(close + 2);
  } else {
    auto colon = hp.rfind(':');
    if (colon == std::string::npos)
      return make_error(Errc::invalid, fmt::format("'{}': expected host:port", hp));
    host = hp.substr(0, colon);
    port = hp.substr(colon + 1);
  }
  beast::error_code ec;
  auto addr = asio::ip::make_address(host, ec);
  if (ec) return make_error(Errc::invalid, fmt::format("'{}': bad address '{}'", hp, host));
  char* end = nullptr;
  long p = std::strtol(port.c_str(), &end, 10);
  if (port.empty() || *end != '\0' || p < 0 || p > 65535)
    return make_error(Errc::invalid, fmt::format("'{}': bad port '{}'", hp, port));
  return asio::ip::tcp::endpoint(addr, static_cast<unsigned short>(p));
}

}  // namespace

Result<std::unique_ptr<HttpServer>> HttpServer::listen_tcp(asio::io_context& io,
                                                           const std::string& host_port,
                                                           HttpHandler handler) {
  auto ep = parse_host_port(host_port);
  if (!ep) return ep.error();
  asio::ip::tcp::acceptor acceptor(io);
  beast::error_code ec;
  acceptor.open(ep->protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(*ep, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return make_error(Errc::io, fmt::format("listen on {}: {}", host_port, ec.message()));
  auto bound = acceptor.local_endpoint(ec);
  std::string address = bound.address().is_v6()
                            ? fmt::format("[{}]:{}", bound.address().to_string(), bound.port())
                            : fmt::format("{}:{}", bound.address().to_string(), bound.port());
  return std::unique_ptr<HttpServer>(std::make_unique<Server<asio::ip::tcp>>(
      io, std::move(acceptor), std::move(handler), address, ""));
}

Result<std::unique_ptr<HttpServer>> HttpServer::listen_unix(asio::io_context& io,
                                                            const std::string& path, mode_t mode,
                                                            HttpHandler handler) {
  using local = asio::local::stream_protocol;
  std::error_code fec;
  auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, fec);
  if (fec)
    return make_error(Errc::io, fmt::format("create {}: {}", parent.string(), fec.message()));

  beast::error_code ec;
  if (std::filesystem::exists(path, fec)) {
    // A socket file is left behind by a daemon that died. Only replace it if nobody answers.
    local::socket probe(io);
    probe.connect(local::endpoint(path), ec);
    if (!ec)
      return make_error(Errc::already_exists,
                        fmt::format("{}: another process is listening on this socket", path));
    ::unlink(path.c_str());
  }
  local::acceptor acceptor(io);
  acceptor.open(local(), ec);
  if (!ec) {
    // The socket file is born with the right mode: no window in which others may connect.
    mode_t old = ::umask(static_cast<mode_t>(~mode) & 0777);
    acceptor.bind(local::endpoint(path), ec);
    ::umask(old);
  }
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return make_error(Errc::io, fmt::format("listen on {}: {}", path, ec.message()));
  return std::unique_ptr<HttpServer>(
      std::make_unique<Server<local>>(io, std::move(acceptor), std::move(handler), path, path));
}

}  // namespace podnet::daemon
