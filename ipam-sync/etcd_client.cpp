#include "ipam-sync/etcd_client.hpp"

#include <fmt/format.h>

namespace podnet::store::etcd {

int Health::add_reporter(Kind kind) {
  std::lock_guard l(m_);
  reporters_[next_] = Reporter{kind, std::nullopt};
  return next_++;
}

void Health::remove_reporter(int id) {
  std::lock_guard l(m_);
  reporters_.erase(id);
}

void Health::set(int id, std::optional<std::string> reason) {
  std::lock_guard l(m_);
  auto it = reporters_.find(id);
  if (it == reporters_.end()) return;
  if (!reason) {
    // etcd answered: every one-off failure seen before is stale now.
    for (auto& [other, r] : reporters_)
      if (r.kind == Kind::call) r.reason.reset();
  }
  it->second.reason = std::move(reason);
}

std::optional<std::string> Health::reason() const {
  std::lock_guard l(m_);
  for (auto& [id, r] : reporters_)
    if (r.reason) return r.reason;
  return std::nullopt;
}

std::optional<GatewayError> gateway_error(unsigned http_status, const nlohmann::json& body) {
  // grpc-gateway error bodies: {"error": "...", "code": N, "message": "..."}; streamed ones
  // wrap the same in {"error": {...}}.
  const nlohmann::json* e = &body;
  if (body.is_object() && body.contains("error") && body["error"].is_object()) e = &body["error"];
  bool has_code = e->is_object() && (e->contains("code") || e->contains("grpc_code"));
  if (http_status == 200 && !has_code) return std::nullopt;
  GatewayError g;
  if (e->is_object()) {
    g.code = e->contains("grpc_code") ? e->value("grpc_code", 0) : e->value("code", 0);
    if (e->contains("message") && (*e)["message"].is_string()) g.message = (*e)["message"];
    if (g.message.empty() && e->contains("error") && (*e)["error"].is_string())
      g.message = (*e)["error"];
  }
  if (g.message.empty()) g.message = fmt::format("HTTP status {}", http_status);
  return g;
}

Client::Client(boost::asio::io_context& io, Options opts,
               std::shared_ptr<boost::asio::ssl::context> tls, std::shared_ptr<Health> health)
    : io_(io),
      opts_(std::move(opts)),
      tls_(std::move(tls)),
      health_(std::move(health)),
      health_id_(health_->add_reporter()),
      conn_(io, tls_) {}

Client::~Client() {
  health_->remove_reporter(health_id_);
}

void Client::call(const std::string& path, nlohmann::json body, Callback cb) {
  queue_.push_back({path, std::move(body), std::move(cb)});
  if (!busy_) next();
}

void Client::stop() {
  stopped_ = true;
  queue_.clear();
  conn_.close();
}

void Client::next() {
  if (stopped_ || busy_ || queue_.empty()) return;
  busy_ = true;
  tried_ = 0;
  auth_retried_ = false;
  last_error_.clear();
  try_member();
}

void Client::try_member() {
  reused_ = conn_.is_open();
  if (reused_) return after_connect();
  auto self = shared_from_this();
  conn_.connect(endpoint(), opts_.timeout, [this, self](beast::error_code ec) {
    if (stopped_) return;
    if (ec) return fail_member(ec.message());
    after_connect();
  });
}

void Client::after_connect() {
  if (!opts_.username.empty() && token_.empty()) return authenticate();
  send();
}

http::request<http::string_body> Client::make_request(const std::string& path,
                                                      const nlohmann::json& body) const {
  http::request<http::string_body> req{http::verb::post, path, 11};
  req.set(http::field::host, endpoint().host + ":" + endpoint().port);
  req.set(http::field::content_type, "application/json");
  if (!token_.empty()) req.set(http::field::authorization, token_);
  req.keep_alive(true);
  req.body() = body.dump();
  req.prepare_payload();
  return req;
}

void Client::authenticate() {
  req_ = make_request("/v3/auth/authenticate",
                      {{"name", opts_.username}, {"password", opts_.password}});
  res_ = {};
  auto self = shared_from_this();
  conn_.exchange(req_, res_, opts_.timeout, [this, self](beast::error_code ec) {
    if (stopped_) return;
    if (ec) return on_transport_error(ec);
    nlohmann::json j = nlohmann::json::parse(res_.body(), nullptr, false);
    if (auto err = gateway_error(res_.result_int(), j)) {
      if (err->code == 14) return fail_member(err->message);
      return finish(make_error(Errc::invalid, fmt::format("etcd authentication as \"{}\": {}",
                                                          opts_.username, err->message)));
    }
    token_ = j.is_object() ? j.value("token", "") : "";
    if (token_.empty()) return finish(make_error(Errc::io, "etcd authentication: no token"));
    send();
  });
}

void Client::send() {
  req_ = make_request(queue_.front().path, queue_.front().body);
  res_ = {};
  auto self = shared_from_this();
  conn_.exchange(req_, res_, opts_.timeout, [this, self](beast::error_code ec) {
    if (stopped_) return;
    if (ec) return on_transport_error(ec);
    if (!res_.keep_alive()) conn_.close();
    handle(res_);
  });
}

void Client::on_transport_error(const beast::error_code& ec) {
  conn_.close();
  // A kept-alive connection the member closed while idle: once more on a fresh one. (A write
  // whose response was lost may thus be sent twice; with compare-and-swap the second attempt
  // fails with a conflict rather than writing twice.)
  if (reused_) return try_member();
  fail_member(ec.message());
}

void Client::fail_member(const std::string& why) {
  conn_.close();
  last_error_ = fmt::format("{}: {}", endpoint().url(), why);
  if (++tried_ >= opts_.endpoints.size()) {
    return finish(make_error(Errc::unavailable, "etcd unavailable: " + last_error_));
  }
  ep_ = (ep_ + 1) % opts_.endpoints.size();
  try_member();
}

void Client::handle(const http::response<http::string_body>& res) {
  nlohmann::json j = nlohmann::json::parse(res.body(), nullptr, false);
  auto err = gateway_error(res.result_int(), j);
  if (!err) {
    if (j.is_discarded() || !j.is_object())
      return finish(make_error(Errc::io, "etcd: response is not a JSON object"));
    return finish(std::move(j));
  }
  const std::string& m = err->message;
  bool token_problem = m.find("invalid auth token") != std::string::npos ||
                       m.find("user name is empty") != std::string::npos ||
                       m.find("auth token") != std::string::npos;
  if (token_problem && !opts_.username.empty() && !auth_retried_) {
    auth_retried_ = true;
    token_.clear();
    return after_connect();
  }
  // Unavailable, deadline exceeded, or a member without a leader: another member may do.
  if (err->code == 14 || err->code == 4 || m.find("no leader") != std::string::npos ||
      m.find("leader changed") != std::string::npos || m.find("timed out") != std::string::npos) {
    return fail_member(m);
  }
  if (err->code == 16 || err->code == 7 || token_problem ||
      m.find("permission denied") != std::string::npos) {
    return finish(make_error(Errc::invalid, "etcd: " + m));
  }
  finish(make_error(Errc::io, "etcd: " + m));
}

void Client::finish(Result<nlohmann::json> r) {
  if (!r.ok() && r.error().code == Errc::unavailable) {
    health_->set(health_id_, r.error().message);
  } else {
    health_->set(health_id_, std::nullopt);
  }
  auto cb = std::move(queue_.front().cb);
  queue_.pop_front();
  busy_ = false;
  auto self = shared_from_this();  // cb may drop the last other reference
  cb(std::move(r));
  next();
}

}  // namespace podnet::store::etcd
