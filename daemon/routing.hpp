// The routing half of podnetd: the RIB and the BGP peer manager, configured from the
// datastore (Nodes, BGPConfigurations, BGPPeers, Secrets, through bgp::desired_bgp) and from the
// config file (static routes, overrides). Datastore changes reconcile the peer set: only the
// sessions whose configuration changed are touched.
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "bgp/desired_peers.hpp"
#include "conf/daemon_config.hpp"
#include "conf/result.hpp"
#include "daemon/resource_cache.hpp"
#include "rib/prefix.hpp"

namespace podnet::rib {
class Rib;
}
namespace podnet::bgp {
class PeerManager;
}
namespace podnet::dataplane {
class RouteProgrammer;
namespace encap {
class Planner;
}
}  // namespace podnet::dataplane

namespace podnet::daemon {

class Routing {
 public:
  // `planner` (may be null) turns BGP next hops that are nodes into the route the pool's
  // encapsulation wants (direct, VXLAN, IPIP); it must outlive the Routing.
  Routing(boost::asio::io_context& io, const conf::DaemonConfig& config,
          const dataplane::encap::Planner* planner = nullptr);
  ~Routing();

  // True for keys whose change can alter the peering (nodes, bgpconfigurations, bgppeers,
  // secrets) or what this node originates (ipamblocks, ippools): the daemon calls
  // reconcile() only then.
  static bool concerns(const std::string& key);
  void reconcile(const ResourceCache& cache);
  // The planner's inputs changed (a pool's mode, a node's address or tunnel): every kernel
  // route is derived again; only those that differ are sent to the kernel.
  void replan();
  void stop();

  nlohmann::ordered_json summary_json() const;  // for /v1/status
  nlohmann::ordered_json peers_json() const;    // /v1/peers
  // /v1/routes: prefix "10.0.0.0/26" exact, or an address (every prefix holding it, most
  // specific first), or "" for all; peer: a peer name or address, or "" for all.
  Result<nlohmann::ordered_json> routes_json(const std::string& prefix,
                                             const std::string& peer) const;

 private:
  void shut_down(const std::string& why);
  // Graceful restart as the restarting speaker: polls until every peer is back with its
  // End-of-RIB (or kGracefulRestartWait ran out), then lets the kernel programmer delete the
  // previous run's routes nobody re-announced and clears the Restart State bit.
  void watch_restart(std::chrono::steady_clock::time_point deadline);
  // Recomputes the origination set (static routes + IPAM) and applies the difference to rib_.
  void originate(const ResourceCache& cache);

  boost::asio::io_context& io_;
  conf::DaemonConfig config_;
  const dataplane::encap::Planner* planner_ = nullptr;
  std::vector<rib::Prefix> static_routes_;
  // What rib_ holds as locally originated, and whether each may be exported over BGP.
  std::map<rib::Prefix, bool> originated_;
  bgp::DesiredBgp desired_;
  std::set<std::string> warned_;
  std::string disabled_logged_;
  // Destroyed in reverse order: sessions first, then the RIB, then the kernel programmer that
  // observed it (kernel routes stay, as BIRD's `persist` keeps them, for the next start to adopt).
  std::unique_ptr<dataplane::RouteProgrammer> programmer_;
  // Between the RIB and the programmer: a borrowed address is originated for BGP, but in the
  // kernel the workload's own /32 route (dev cali…) carries it, so no blackhole is installed.
  class KernelFilter;
  std::unique_ptr<KernelFilter> kernel_filter_;
  std::set<rib::Prefix> borrowed_;
  std::unique_ptr<rib::Rib> rib_;
  std::unique_ptr<bgp::PeerManager> peers_;
  std::unique_ptr<boost::asio::steady_timer> restart_timer_;
};

}  // namespace podnet::daemon
