// podnetd's Kubernetes Services: ClusterIP and NodePort as DNAT in podnet's own nftables table
// (policy/services_nat.hpp, `ip podnet-svc`), no proxy process. Endpoints are computed here from
// the Pod resources each Service's selector matches (no Endpoints / EndpointSlice resources).
// Every Service or Pod change recomputes the table; the programmer applies only the chains that
// changed, in one atomic batch. A table the kernel refuses leaves the last good one in place.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "conf/daemon_config.hpp"
#include "daemon/resource_cache.hpp"
#include "policy/service_endpoints.hpp"

namespace podnet::policy::nft {
class Programmer;
}

namespace podnet::daemon {

class Services {
 public:
  Services(boost::asio::io_context& io, const conf::DaemonConfig& config);
  ~Services();

  // Keys whose change can alter services: Services themselves and Pods (their endpoints).
  static bool concerns(const std::string& key);
  void update(const ResourceCache& cache);
  // {"table", "applies", "error", "services": [{service, port, protocol, clusterIP, nodePort,
  // externalTrafficPolicy, endpoints: ["ip:port (pod, local)"]}], "problems": [...]}
  nlohmann::ordered_json status_json() const;

 private:
  void schedule_check();

  boost::asio::io_context& io_;
  conf::DaemonConfig config_;
  std::unique_ptr<policy::nft::Programmer> nft_;
  policy::ResolvedServices applied_;  // what the kernel holds
  std::vector<policy::ServiceProblem> problems_;
  std::vector<ResourceCache::Rejected> rejected_;  // Service resources the cache refused
  std::string error_;
  std::size_t applies_ = 0;
  boost::asio::steady_timer check_timer_;
};

}  // namespace podnet::daemon
