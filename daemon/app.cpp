#include "daemon/app.hpp"

#include <unistd.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/asio/io_context.hpp>

#include "daemon/status.hpp"
#include "podnet_version.hpp"

namespace podnet::daemon {

namespace {

// What calico-node and kube-controllers create on a fresh cluster, so the seed's
// `patch felixconfiguration default` and `patch kubecontrollersconfiguration default` work.
constexpr const char* kDefaultResources = R"(apiVersion: projectcalico.org/v3
kind: FelixConfiguration
metadata:
  name: default
spec: {}
---
apiVersion: projectcalico.org/v3
kind: KubeControllersConfiguration
metadata:
  name: default
spec:
  controllers:
    node:
      hostEndpoint:
        autoCreate: Disabled
)";

HttpResponse json_response(unsigned status, const nlohmann::ordered_json& j) {
  return HttpResponse{status, "application/json", j.dump(2) + "\n"};
}

HttpResponse not_found(const HttpRequest& req) {
  return json_response(404,
                       {{"error", fmt::format("no such endpoint: {} {}", req.method, req.target)}});
}

}  // namespace

App::App(boost::asio::io_context& io, conf::DaemonConfig config,
         std::unique_ptr<store::Datastore> store)
    : io_(io), config_(std::move(config)), store_(std::move(store)) {}

App::~App() {
  stop();
}

Status App::ensure_defaults() {
  for (auto& doc : conf::parse_documents(kDefaultResources, "<podnetd defaults>")) {
    if (!doc.errors.empty())
      return make_error(Errc::internal,
                        "built-in default resource invalid: " + doc.errors.front().str());
    for (auto& r : doc.resources) {
      conf::stamp_new(r);
      auto created = store_->create(r.key(), conf::to_yaml(r));
      if (created) {
        spdlog::info("created default {} at revision {}", r.key(), *created);
      } else if (created.error().code != Errc::already_exists) {
        return make_error(created.error().code,
                          fmt::format("create {}: {}", r.key(), created.error().message));
      }
    }
  }
  return ok_status();
}

Status App::start() {
  started_ = std::chrono::steady_clock::now();
  if (auto st = ensure_defaults(); !st) return st;

  auto watch = store_->watch(io_, "", [this](const auto& events, bool initial) {
    auto changed = cache_.apply(events, initial);
    if (initial) {
      spdlog::info("datastore {} in sync at revision {}: {} resources", store_->describe(),
                   cache_.revision(), cache_.resources().size());
    } else {
      for (const auto& key : changed) spdlog::debug("datastore: {} changed", key);
    }
  });
  if (!watch) return make_error(watch.error().code, "watch datastore: " + watch.error().message);
  watch_ = std::move(watch.value());

  auto control = HttpServer::listen_unix(io_, config_.control_socket, 0600,
                                         [this](const HttpRequest& r) { return this->control(r); });
  if (!control) return control.error();
  control_server_ = std::move(control.value());

  if (!config_.health_listen.empty()) {
    auto health = HttpServer::listen_tcp(io_, config_.health_listen,
                                         [this](const HttpRequest& r) { return this->health(r); });
    if (!health) return health.error();
    health_server_ = std::move(health.value());
  }
  spdlog::info("podnetd {} ({}) node {}: control socket {}, health {}", kVersion, kGitRevision,
               config_.node_name, control_server_->local_address(),
               health_server_ ? health_server_->local_address() : "disabled");
  return ok_status();
}

void App::stop() {
  if (control_server_) control_server_->close();
  if (health_server_) health_server_->close();
  watch_.reset();
}

namespace {
StatusSnapshot snapshot(const conf::DaemonConfig& config, const store::Datastore& store,
                        const HttpServer* health, const ResourceCache& cache,
                        std::chrono::steady_clock::time_point started) {
  StatusSnapshot s;
  s.node_name = config.node_name;
  s.datastore = store.describe();
  s.control_socket = config.control_socket;
  s.health_listen = health ? health->local_address() : "";
  s.uptime_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  s.pid = static_cast<long>(::getpid());
  s.cache = &cache;
  return s;
}
}  // namespace

HttpResponse App::control(const HttpRequest& req) {
  if (req.method == "GET" && (req.target == "/v1/status" || req.target == "/status"))
    return json_response(
        200, status_json(snapshot(config_, *store_, health_server_.get(), cache_, started_)));
  return not_found(req);
}

HttpResponse App::health(const HttpRequest& req) {
  if (req.method != "GET") return not_found(req);
  if (req.target == "/livez") return HttpResponse{200, "text/plain", "ok\n"};
  if (req.target == "/readyz") {
    if (cache_.synced()) return HttpResponse{200, "text/plain", "ok\n"};
    return HttpResponse{503, "text/plain", "datastore not in sync yet\n"};
  }
  if (req.target == "/metrics")
    return HttpResponse{
        200, "text/plain; version=0.0.4",
        metrics_text(snapshot(config_, *store_, health_server_.get(), cache_, started_))};
  return not_found(req);
}

}  // namespace podnet::daemon
