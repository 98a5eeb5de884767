// podnetd's wiring: one io_context, the datastore watch feeding the resource cache, the control
// socket and the health/metrics listener. Later modules (rib, bgp, dataplane, policy) hang off
// the cache's change notifications here, and only here.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "conf/daemon_config.hpp"
#include "conf/result.hpp"
#include "daemon/filtering.hpp"
#include "daemon/http_server.hpp"
#include "daemon/overlay.hpp"
#include "daemon/resource_cache.hpp"
#include "daemon/routing.hpp"
#include "daemon/services.hpp"
#include "ipam-sync/datastore.hpp"

namespace podnet::daemon {

class App {
 public:
  App(boost::asio::io_context& io, conf::DaemonConfig config,
      std::unique_ptr<store::Datastore> store);
  ~App();

  // Creates the default resources a Calico node creates (FelixConfiguration and
  // KubeControllersConfiguration "default") if absent, starts the watch and both listeners.
  Status start();
  // Closes listeners and the watch; the loop then runs dry.
  void stop();

  const ResourceCache& cache() const { return cache_; }

 private:
  Status ensure_defaults();
  HttpResponse control(const HttpRequest& req);
  HttpResponse health(const HttpRequest& req);

  boost::asio::io_context& io_;
  conf::DaemonConfig config_;
  std::unique_ptr<store::Datastore> store_;
  std::unique_ptr<store::Datastore::Watch> watch_;
  std::unique_ptr<HttpServer> control_server_;
  std::unique_ptr<HttpServer> health_server_;
  ResourceCache cache_;
  std::unique_ptr<Overlay> overlay_;  // before routing_: its planner outlives the programmer
  std::unique_ptr<Routing> routing_;
  std::unique_ptr<Filtering> filtering_;
  std::unique_ptr<Services> services_;
  std::chrono::steady_clock::time_point started_;
};

}  // namespace podnet::daemon
