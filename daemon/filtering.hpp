// podnetd's nftables half: network policy (policy::PolicyEngine, table `inet podnet`) and NAT
// outgoing (table `podnet-nat`), each applied atomically, each on its own table so a policy change
// never rewrites NAT and a pool change never touches policy. Fed from the datastore cache; a
// periodic check repairs drift made behind podnetd's back.
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "conf/daemon_config.hpp"
#include "daemon/resource_cache.hpp"

namespace podnet::store {
class Datastore;
}
namespace podnet::policy {
class PolicyEngine;
namespace nft {
class Programmer;
}
}  // namespace podnet::policy

namespace podnet::daemon {

class Filtering {
 public:
  Filtering(boost::asio::io_context& io, const conf::DaemonConfig& config, store::Datastore& store);
  ~Filtering();

  // Keys whose change can alter policy (everything but IPAM and BGP), or NAT outgoing.
  static bool concerns_policy(const std::string& key);
  static bool concerns_nat(const std::string& key);
  void update_policy(const ResourceCache& cache);
  void update_nat(const ResourceCache& cache);
  // kube-controllers' job for this node: with KubeControllersConfiguration
  // hostEndpoint.autoCreate Enabled, keep `<node>-auto-hep` in the datastore as the node's
  // labels and addresses say; Disabled, remove it. Each podnetd writes only its own node's.
  static bool concerns_auto_hep(const std::string& key);
  void update_auto_hep(const ResourceCache& cache);
  nlohmann::ordered_json status_json() const;

 private:
  void schedule_check();

  boost::asio::io_context& io_;
  conf::DaemonConfig config_;
  store::Datastore& store_;
  std::unique_ptr<policy::PolicyEngine> policy_;
  std::vector<std::string> policy_errors_;  // as last logged
  const ResourceCache* cache_ = nullptr;    // the App's, for re-resolving host endpoints
  std::unique_ptr<policy::nft::Programmer> nat_;
  std::string nat_error_;
  std::size_t nat_applies_ = 0;
  boost::asio::steady_timer check_timer_;
};

}  // namespace podnet::daemon
