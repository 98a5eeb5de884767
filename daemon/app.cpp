#include "daemon/app.hpp"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <map>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/asio/io_context.hpp>

#include "daemon/node_address.hpp"
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

// "/v1/routes?prefix=10.0.0.0%2F26&peer=x" -> ("/v1/routes", {prefix: "10.0.0.0/26", peer: "x"})
std::pair<std::string, std::map<std::string, std::string>> split_target(const std::string& target) {
  auto decode = [](std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
          std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
        out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
        i += 2;
      } else {
        out += s[i] == '+' ? ' ' : s[i];
      }
    }
    return out;
  };
  auto q = target.find('?');
  std::map<std::string, std::string> params;
  if (q != std::string::npos) {
    std::string_view rest(target);
    rest.remove_prefix(q + 1);
    while (!rest.empty()) {
      auto amp = rest.find('&');
      auto part = rest.substr(0, amp);
      auto eq = part.find('=');
      params[decode(part.substr(0, eq))] =
          eq == std::string_view::npos ? "" : decode(part.substr(eq + 1));
      if (amp == std::string_view::npos) break;
      rest.remove_prefix(amp + 1);
    }
  }
  return {target.substr(0, q), params};
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

  overlay_ = std::make_unique<Overlay>(io_, config_, *store_);
  routing_ = std::make_unique<Routing>(io_, config_, &overlay_->planner());
  filtering_ = std::make_unique<Filtering>(io_, config_, *store_);
  services_ = std::make_unique<Services>(io_, config_);
  auto watch = store_->watch(io_, "", [this](const auto& events, bool initial) {
    auto changed = cache_.apply(events, initial);
    if (initial) {
      spdlog::info("datastore {} in sync at revision {}: {} resources", store_->describe(),
                   cache_.revision(), cache_.resources().size());
    } else {
      for (const auto& key : changed) spdlog::debug("datastore: {} changed", key);
    }
    if (initial) {
      // Like calico-node at start-up: a Node without an address gets the detected one. The
      // write comes back through this watch and reaches routing like any other change.
      auto written = ensure_node_address(*store_, cache_, config_);
      if (!written) {
        spdlog::error("node {}: address autodetection: {}", config_.node_name,
                      written.error().message);
      } else {
        for (const auto& w : *written)
          spdlog::info("node {}: autodetected {}, written to its Node resource", config_.node_name,
                       w);
      }
    }
    const bool overlay = initial || std::any_of(changed.begin(), changed.end(), Overlay::concerns);
    if (overlay) overlay_->update(cache_);
    if (initial || std::any_of(changed.begin(), changed.end(), Routing::concerns))
      routing_->reconcile(cache_);
    if (overlay && !initial) routing_->replan();
    if (initial || std::any_of(changed.begin(), changed.end(), Overlay::concerns_wireguard))
      overlay_->update_wireguard(cache_);
    if (initial || std::any_of(changed.begin(), changed.end(), Filtering::concerns_nat))
      filtering_->update_nat(cache_);
    if (initial || std::any_of(changed.begin(), changed.end(), Services::concerns))
      services_->update(cache_);
    if (initial || std::any_of(changed.begin(), changed.end(), Filtering::concerns_auto_hep))
      filtering_->update_auto_hep(cache_);
    if (initial || std::any_of(changed.begin(), changed.end(), Filtering::concerns_policy))
      filtering_->update_policy(cache_);
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
  if (routing_) routing_->stop();
}

namespace {
StatusSnapshot snapshot(const conf::DaemonConfig& config, const store::Datastore& store,
                        const HttpServer* health, const ResourceCache& cache,
                        std::chrono::steady_clock::time_point started, const Routing* routing,
                        const Overlay* overlay, const Filtering* filtering) {
  StatusSnapshot s;
  s.node_name = config.node_name;
  s.datastore = store.describe();
  s.datastore_unavailable = store.unavailable_reason();
  s.control_socket = config.control_socket;
  s.health_listen = health ? health->local_address() : "";
  s.uptime_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  s.pid = static_cast<long>(::getpid());
  s.cache = &cache;
  if (routing) s.bgp = routing->summary_json();
  if (overlay) s.dataplane = overlay->status_json();
  if (filtering) s.filtering = filtering->status_json();
  return s;
}
}  // namespace

HttpResponse App::control(const HttpRequest& req) {
  if (req.method != "GET") return not_found(req);
  auto [path, query] = split_target(req.target);
  if (path == "/v1/status" || path == "/status")
    return json_response(
        200, status_json(snapshot(config_, *store_, health_server_.get(), cache_, started_,
                                  routing_.get(), overlay_.get(), filtering_.get())));
  if (path == "/v1/peers") return json_response(200, routing_->peers_json());
  if (path == "/v1/services") return json_response(200, services_->status_json());
  if (path == "/v1/routes") {
    auto routes = routing_->routes_json(query["prefix"], query["peer"]);
    if (!routes) return json_response(400, {{"error", routes.error().message}});
    return json_response(200, *routes);
  }
  return not_found(req);
}

HttpResponse App::health(const HttpRequest& req) {
  if (req.method != "GET") return not_found(req);
  if (req.target == "/livez") return HttpResponse{200, "text/plain", "ok\n"};
  if (req.target == "/readyz") {
    if (!cache_.synced()) return HttpResponse{503, "text/plain", "datastore not in sync yet\n"};
    // While the datastore is unreachable podnetd keeps every session and route as they are,
    // but it is not ready: it cannot see changes.
    if (auto why = store_->unavailable_reason())
      return HttpResponse{503, "text/plain", "datastore unavailable: " + *why + "\n"};
    if (auto why = overlay_->not_ready_reason())
      return HttpResponse{503, "text/plain", "dataplane: " + *why + "\n"};
    return HttpResponse{200, "text/plain", "ok\n"};
  }
  if (req.target == "/metrics")
    return HttpResponse{
        200, "text/plain; version=0.0.4",
        metrics_text(snapshot(config_, *store_, health_server_.get(), cache_, started_,
                              routing_.get(), overlay_.get(), filtering_.get()))};
  return not_found(req);
}

}  // namespace podnet::daemon
