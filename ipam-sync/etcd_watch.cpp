#include "ipam-sync/etcd_watch.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <map>

#include "ipam-sync/etcd_connection.hpp"
#include "ipam-sync/etcd_json.hpp"
#include "ipam-sync/etcd_keys.hpp"
#include "ipam-sync/etcd_range.hpp"

namespace podnet::store::etcd {
namespace {

using nlohmann::json;
namespace asio = boost::asio;

constexpr std::chrono::milliseconds kBackoffMin{100};
constexpr std::chrono::milliseconds kBackoffMax{3000};

class EtcdWatch : public std::enable_shared_from_this<EtcdWatch> {
 public:
  EtcdWatch(asio::io_context& io, const Options& opts, std::shared_ptr<asio::ssl::context> tls,
            std::shared_ptr<Health> health, std::string prefix, Datastore::WatchCallback cb)
      : io_(io),
        client_(std::make_shared<Client>(io, opts, tls, health)),
        conn_(io, tls),
        timer_(io),
        health_(std::move(health)),
        health_id_(health_->add_reporter(Health::Kind::stream)),
        prefix_(std::move(prefix)),
        etcd_prefix_(etcd_prefix_for(prefix_)),
        cb_(std::move(cb)),
        opts_(opts) {}

  ~EtcdWatch() { health_->remove_reporter(health_id_); }

  void start() {
    auto self = shared_from_this();
    asio::post(io_, [self] { self->relist(); });
  }

  void stop() {
    stopped_ = true;
    client_->stop();
    conn_.close();
    timer_.cancel();
  }

 private:
  // (Re-)reads everything: the snapshot the first time, the difference after compaction.
  void relist() {
    if (stopped_) return;
    auto self = shared_from_this();
    range_all(client_, etcd_prefix_, [this, self](Result<ListResult> r) {
      if (stopped_) return;
      if (!r.ok()) return lost(r.error().message);
      on_listing(to_ours(std::move(r.value()), prefix_));
      if (stopped_) return;
      open_stream();
    });
  }

  void on_listing(ListResult l) {
    std::vector<WatchEvent> events;
    std::map<std::string, int64_t> now;
    for (auto& e : l.entries) {
      now[e.key] = e.mod_revision;
      auto it = model_.find(e.key);
      if (!snapshot_done_ || it == model_.end() || it->second != e.mod_revision)
        events.push_back({WatchEvent::Type::put, std::move(e)});
    }
    if (!snapshot_done_) {
      snapshot_done_ = true;
      model_ = std::move(now);
      revision_ = l.revision;
      deliver(events, true);
      return;
    }
    // Changes in revision order; keys gone are deleted at the listing's revision (after
    // every put, whose revisions are all <= it).
    std::stable_sort(events.begin(), events.end(), [](const WatchEvent& a, const WatchEvent& b) {
      return a.entry.mod_revision < b.entry.mod_revision;
    });
    for (auto& [key, rev] : model_) {
      if (!now.count(key)) {
        WatchEvent d;
        d.type = WatchEvent::Type::del;
        d.entry.key = key;
        d.entry.mod_revision = l.revision;
        events.push_back(std::move(d));
      }
    }
    model_ = std::move(now);
    revision_ = std::max(revision_, l.revision);
    if (!events.empty()) deliver(events, false);
  }

  void deliver(const std::vector<WatchEvent>& events, bool initial) {
    auto self = shared_from_this();  // the callback may destroy the Watch
    cb_(events, initial);
  }

  // Opens the watch stream from revision_ + 1. A unary call first picks a member that answers
  // (and logs in when auth is on), so the stream goes where the client found a leader.
  void open_stream() {
    auto self = shared_from_this();
    json probe{{"key", base64_encode(etcd_prefix_)}, {"count_only", true}};
    client_->call("/v3/kv/range", std::move(probe), [this, self](Result<json> r) {
      if (stopped_) return;
      if (!r.ok()) return lost(r.error().message);
      conn_.connect(client_->endpoint(), opts_.timeout, [this, self](beast::error_code ec) {
        if (stopped_) return;
        if (ec) return lost(ec.message());
        send_create();
      });
    });
  }

  void send_create() {
    json create{{"create_request",
                 {{"key", base64_encode(etcd_prefix_)},
                  {"range_end", base64_encode(prefix_range_end(etcd_prefix_))},
                  {"start_revision", std::to_string(revision_ + 1)},
                  {"progress_notify", true}}}};
    req_ = {http::verb::post, "/v3/watch", 11};
    req_.set(http::field::host, client_->endpoint().host + ":" + client_->endpoint().port);
    req_.set(http::field::content_type, "application/json");
    if (!client_->token().empty()) req_.set(http::field::authorization, client_->token());
    req_.body() = create.dump();
    req_.prepare_payload();
    parser_.emplace();
    parser_->body_limit(boost::none);
    line_.clear();
    auto self = shared_from_this();
    conn_.start_stream(req_, *parser_, opts_.timeout, [this, self](beast::error_code ec) {
      if (stopped_) return;
      if (ec) return lost(ec.message());
      if (parser_->get().result_int() != 200) {
        // Error statuses carry a JSON body; let the reader see it.
        status_error_ = true;
      }
      read();
    });
  }

  void read() {
    auto self = shared_from_this();
    conn_.read_some(*parser_, buf_.data(), buf_.size(),
                    [this, self](beast::error_code ec, size_t n) {
                      if (stopped_) return;
                      line_.append(buf_.data(), n);
                      if (!consume_lines()) return;
                      if (ec) return lost(ec.message());
                      if (parser_->is_done()) return lost("watch stream ended");
                      read();
                    });
  }

  // Handles every complete line; false if the stream is finished with (stopped, compacted,
  // error: the next step is already scheduled).
  bool consume_lines() {
    size_t nl;
    while ((nl = line_.find('\n')) != std::string::npos) {
      std::string line = line_.substr(0, nl);
      line_.erase(0, nl + 1);
      if (line.find_first_not_of(" \r\t") == std::string::npos) continue;
      json j = json::parse(line, nullptr, false);
      if (!handle(j)) return false;
      if (stopped_) return false;
    }
    if (status_error_ && parser_->is_done()) {
      json j = json::parse(line_, nullptr, false);
      line_.clear();
      handle(j);
      return false;
    }
    return true;
  }

  bool handle(const json& j) {
    if (j.is_discarded() || !j.is_object()) {
      lost("undecodable watch response");
      return false;
    }
    if (auto err = gateway_error(status_error_ ? 500 : 200, j)) {
      if (err->message.find("auth") != std::string::npos) client_->forget_token();
      lost(err->message);
      return false;
    }
    const json& res = j.value("result", json::object());
    if (res.value("canceled", false)) {
      int64_t compact = int_field(res, "compact_revision");
      conn_.close();
      if (compact > 0) {
        // What we would resume from is gone: read everything again and diff.
        relist();
      } else {
        lost("watch cancelled: " + res.value("cancel_reason", std::string("no reason")));
      }
      return false;
    }
    if (res.value("created", false)) {
      health_->set(health_id_, std::nullopt);
      backoff_ = kBackoffMin;
    }
    int64_t header_rev = int_field(res.value("header", json::object()), "revision");
    std::vector<WatchEvent> events;
    int64_t last = 0;
    if (res.contains("events") && res["events"].is_array()) {
      for (const auto& ev : res["events"]) {
        auto e = decode_kv(ev.value("kv", json::object()));
        if (!e) continue;
        last = std::max(last, e->mod_revision);
        auto key = from_etcd_key(e->key);
        if (!key || !key->starts_with(prefix_)) continue;
        e->key = *key;
        bool del = ev.value("type", std::string("PUT")) == "DELETE";
        if (del) {
          if (!model_.erase(*key)) continue;  // never delivered: nothing to delete
          e->value.clear();
          events.push_back({WatchEvent::Type::del, std::move(*e)});
        } else {
          model_[*key] = e->mod_revision;
          events.push_back({WatchEvent::Type::put, std::move(*e)});
        }
      }
      revision_ = std::max(revision_, last);
    } else if (header_rev > 0 && !res.value("created", false)) {
      // A progress notification: everything up to header_rev has been sent.
      revision_ = std::max(revision_, header_rev);
    }
    if (!events.empty()) deliver(events, false);
    return true;
  }

  // The stream or a call failed: report it and try again after the backoff.
  void lost(const std::string& why) {
    conn_.close();
    health_->set(health_id_, "etcd watch disconnected: " + why);
    status_error_ = false;
    timer_.expires_after(backoff_);
    backoff_ = std::min(backoff_ * 2, kBackoffMax);
    auto self = shared_from_this();
    timer_.async_wait([this, self](beast::error_code ec) {
      if (ec || stopped_) return;
      if (!snapshot_done_) return relist();
      open_stream();
    });
  }

  asio::io_context& io_;
  std::shared_ptr<Client> client_;
  Connection conn_;
  asio::steady_timer timer_;
  std::shared_ptr<Health> health_;
  int health_id_;
  std::string prefix_;
  std::string etcd_prefix_;
  Datastore::WatchCallback cb_;
  Options opts_;

  bool stopped_ = false;
  bool snapshot_done_ = false;
  bool status_error_ = false;
  std::map<std::string, int64_t> model_;  // delivered key -> mod_revision
  int64_t revision_ = 0;                  // everything up to here has been delivered
  std::chrono::milliseconds backoff_ = kBackoffMin;
  http::request<http::string_body> req_;
  std::optional<Connection::StreamParser> parser_;
  std::array<char, 64 * 1024> buf_{};
  std::string line_;
};

class WatchHandle : public Datastore::Watch {
 public:
  explicit WatchHandle(std::shared_ptr<EtcdWatch> w) : w_(std::move(w)) {}
  ~WatchHandle() override { w_->stop(); }

 private:
  std::shared_ptr<EtcdWatch> w_;
};

}  // namespace

Result<std::unique_ptr<Datastore::Watch>> start_watch(asio::io_context& io, const Options& opts,
                                                      std::shared_ptr<asio::ssl::context> tls,
                                                      std::shared_ptr<Health> health,
                                                      const std::string& prefix,
                                                      Datastore::WatchCallback cb) {
  auto w = std::make_shared<EtcdWatch>(io, opts, std::move(tls), std::move(health), prefix,
                                       std::move(cb));
  w->start();
  return std::unique_ptr<Datastore::Watch>(new WatchHandle(std::move(w)));
}

}  // namespace podnet::store::etcd
