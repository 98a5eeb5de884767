// etcd's HTTP/JSON gateway as an asynchronous unary client on an io_context: one keep-alive
// connection, requests queued one at a time, failover across the members of the spec,
// username/password authentication with the token renewed when etcd rejects it.
//
// Why the gateway rather than gRPC: etcd 3.4 serves every call we need (range, put, txn,
// deleterange, watch, authenticate) as JSON over HTTP/1.1, which Boost.Beast speaks; gRPC
// would need grpc++ and protobuf code generation that Debian's toolchain here does not carry.
#pragma once

#include <boost/asio/io_context.hpp>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "conf/result.hpp"
#include "ipam-sync/etcd_connection.hpp"
#include "ipam-sync/etcd_options.hpp"

namespace podnet::store::etcd {

// Whether the store can reach etcd, as the last word of each reporter. A watch stream reports
// for as long as it lives (down until it reconnects); a client's failed call is a one-off
// observation that any later success, its own or a watch's, clears, so a write that failed
// during an outage does not keep the daemon not-ready after etcd is back. Thread-safe: the
// daemon may ask from its loop while podnetctl-style callers write from another thread.
class Health {
 public:
  enum class Kind { call, stream };
  int add_reporter(Kind kind = Kind::call);
  void remove_reporter(int id);
  void set(int id, std::optional<std::string> reason);
  std::optional<std::string> reason() const;

 private:
  mutable std::mutex m_;
  int next_ = 0;
  struct Reporter {
    Kind kind = Kind::call;
    std::optional<std::string> reason;
  };
  std::map<int, Reporter> reporters_;
};

class Client : public std::enable_shared_from_this<Client> {
 public:
  using Callback = std::function<void(Result<nlohmann::json>)>;

  Client(boost::asio::io_context& io, Options opts, std::shared_ptr<boost::asio::ssl::context> tls,
         std::shared_ptr<Health> health);
  ~Client();

  // POSTs body as JSON to path ("/v3/kv/range") and calls cb with the response object.
  // Errc::unavailable when no member answered (each tried once), Errc::invalid when etcd
  // refused the credentials, Errc::io for another error etcd returned.
  void call(const std::string& path, nlohmann::json body, Callback cb);
  // Drops queued calls (their callbacks are not called) and closes the connection.
  void stop();

  // For a watch stream opened beside this client: the member that answered last, and the
  // auth token it handed out ("" without auth). forget_token() makes the next call log in.
  const Endpoint& endpoint() const { return opts_.endpoints[ep_]; }
  const std::string& token() const { return token_; }
  void forget_token() { token_.clear(); }
  const Options& options() const { return opts_; }
  std::shared_ptr<boost::asio::ssl::context> tls() const { return tls_; }

 private:
  struct Pending {
    std::string path;
    nlohmann::json body;
    Callback cb;
  };
  void next();
  void try_member();
  void after_connect();
  void authenticate();
  void send();
  void on_transport_error(const beast::error_code& ec);
  void fail_member(const std::string& why);
  void handle(const http::response<http::string_body>& res);
  void finish(Result<nlohmann::json> r);
  http::request<http::string_body> make_request(const std::string& path,
                                                const nlohmann::json& body) const;

  boost::asio::io_context& io_;
  Options opts_;
  std::shared_ptr<boost::asio::ssl::context> tls_;
  std::shared_ptr<Health> health_;
  int health_id_;
  Connection conn_;
  std::deque<Pending> queue_;
  bool busy_ = false;
  bool stopped_ = false;
  size_t ep_ = 0;
  std::string token_;
  // Per call:
  size_t tried_ = 0;
  bool reused_ = false;
  bool auth_retried_ = false;
  std::string last_error_;
  http::request<http::string_body> req_;
  http::response<http::string_body> res_;
};

// Error text and gRPC code of a gateway error body, or nullopt for a normal response.
struct GatewayError {
  int code = 0;
  std::string message;
};
std::optional<GatewayError> gateway_error(unsigned http_status, const nlohmann::json& body);

}  // namespace podnet::store::etcd
