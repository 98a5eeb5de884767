#include "ipam-sync/etcd_connection.hpp"

#include <fmt/format.h>
#include <openssl/ssl.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <type_traits>

namespace podnet::store::etcd {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;

Result<std::shared_ptr<ssl::context>> make_tls_context(const Options& opts) {
  bool any_tls = false;
  for (auto& e : opts.endpoints) any_tls = any_tls || e.tls;
  if (!any_tls) return std::shared_ptr<ssl::context>();
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  boost::system::error_code ec;
  auto fail = [&](const char* what, const std::string& file) {
    return make_error(Errc::invalid, fmt::format("etcd TLS {} {}: {}", what, file, ec.message()));
  };
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                   ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  if (!opts.ca_file.empty()) {
    if (ctx->load_verify_file(opts.ca_file, ec); ec) return fail("CA", opts.ca_file);
  } else if (ctx->set_default_verify_paths(ec); ec) {
    return fail("default CA paths", "");
  }
  ctx->set_verify_mode(ssl::verify_peer, ec);
  if (!opts.cert_file.empty()) {
    if (ctx->use_certificate_chain_file(opts.cert_file, ec); ec)
      return fail("certificate", opts.cert_file);
    if (ctx->use_private_key_file(opts.key_file, ssl::context::pem, ec); ec)
      return fail("key", opts.key_file);
  }
  return ctx;
}

Connection::Connection(asio::io_context& io, std::shared_ptr<ssl::context> tls)
    : io_(io), tls_(std::move(tls)), resolver_(io) {}

template <class F>
void Connection::visit(F&& f) {
  std::visit(
      [&](auto& s) {
        if constexpr (!std::is_same_v<std::decay_t<decltype(s)>, std::monostate>) f(s);
      },
      stream_);
}

beast::tcp_stream& Connection::tcp() {
  if (auto* t = std::get_if<Tls>(&stream_)) return t->next_layer();
  return std::get<Plain>(stream_);
}

bool Connection::is_open() const {
  if (auto* t = std::get_if<Tls>(&stream_)) return t->next_layer().socket().is_open();
  if (auto* p = std::get_if<Plain>(&stream_)) return p->socket().is_open();
  return false;
}

void Connection::close() {
  resolver_.cancel();
  if (std::holds_alternative<std::monostate>(stream_)) return;
  beast::error_code ec;
  tcp().socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  tcp().socket().close(ec);
}

void Connection::connect(const Endpoint& ep, std::chrono::milliseconds timeout, Handler cb) {
  close();
  buffer_.clear();
  if (ep.tls) {
    if (!tls_) return cb(asio::error::no_protocol_option);
    auto& s = stream_.emplace<Tls>(io_, *tls_);
    s.set_verify_callback(ssl::host_name_verification(ep.host));
    // SNI only for names: RFC 6066 forbids IP literals there.
    beast::error_code ec;
    asio::ip::make_address(ep.host, ec);
    if (ec) SSL_set_tlsext_host_name(s.native_handle(), ep.host.c_str());
  } else {
    stream_.emplace<Plain>(io_);
  }
  tcp().expires_after(timeout);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  resolver_.async_resolve(
      ep.host, ep.port,
      [this, cb = std::move(cb), deadline, tls = ep.tls](
          beast::error_code ec, asio::ip::tcp::resolver::results_type results) mutable {
        if (ec) return cb(ec);
        tcp().async_connect(results, [this, cb = std::move(cb), deadline, tls](
                                         beast::error_code ec, const auto&) mutable {
          if (ec || !tls) return cb(ec);
          tcp().expires_at(deadline);
          std::get<Tls>(stream_).async_handshake(ssl::stream_base::client, std::move(cb));
        });
      });
}

void Connection::exchange(http::request<http::string_body>& req,
                          http::response<http::string_body>& res, std::chrono::milliseconds timeout,
                          Handler cb) {
  tcp().expires_after(timeout);
  visit([&](auto& s) {
    http::async_write(s, req, [this, &s, &res, cb = std::move(cb)](beast::error_code ec, size_t) {
      if (ec) return cb(ec);
      http::async_read(s, buffer_, res, [cb](beast::error_code ec, size_t) { cb(ec); });
    });
  });
}

void Connection::start_stream(http::request<http::string_body>& req, StreamParser& parser,
                              std::chrono::milliseconds timeout, Handler cb) {
  tcp().expires_after(timeout);
  visit([&](auto& s) {
    http::async_write(
        s, req, [this, &s, &parser, cb = std::move(cb)](beast::error_code ec, size_t) {
          if (ec) return cb(ec);
          http::async_read_header(s, buffer_, parser, [this, cb](beast::error_code ec, size_t) {
            if (!ec) tcp().expires_never();
            cb(ec);
          });
        });
  });
}

void Connection::read_some(StreamParser& parser, char* buf, size_t size,
                           std::function<void(beast::error_code, size_t)> cb) {
  parser.get().body().data = buf;
  parser.get().body().size = size;
  parser.get().body().more = true;
  visit([&](auto& s) {
    http::async_read_some(s, buffer_, parser,
                          [&parser, size, cb = std::move(cb)](beast::error_code ec, size_t) {
                            if (ec == http::error::need_buffer) ec = {};
                            cb(ec, size - parser.get().body().size);
                          });
  });
}

}  // namespace podnet::store::etcd
