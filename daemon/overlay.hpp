// The overlay half of podnetd's dataplane, driven from the datastore: which way each route to
// another node goes (encap::Planner, read by the kernel route programmer), the VXLAN device and
// its per-node neighbour/FDB entries, the IPIP device (or why this kernel cannot have one), and
// the pod MTU file the CNI plugin reads. A node that needs a VXLAN tunnel address and has none
// gets one from IPAM (allowedUses Tunnel), written back to its Node as calico-node does.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "conf/daemon_config.hpp"
#include "daemon/resource_cache.hpp"
#include "dataplane/encap.hpp"

namespace boost::asio {
class io_context;
}
namespace podnet::store {
class Datastore;
}
namespace podnet::dataplane {
class VxlanProgrammer;
class IpipProgrammer;
class WireguardProgrammer;
}  // namespace podnet::dataplane

namespace podnet::daemon {

class Overlay {
 public:
  Overlay(boost::asio::io_context& io, const conf::DaemonConfig& config, store::Datastore& store);
  ~Overlay();

  // Nodes, IP pools and FelixConfiguration shape the overlay.
  static bool concerns(const std::string& key);
  // Recomputes everything from the cache. Returns true when the route plan may have changed
  // (the routing side then re-derives its kernel routes through planner()).
  bool update(const ResourceCache& cache);

  // WireGuard between nodes (FelixConfiguration wireguardEnabled, and wireguardEnabledV6 for
  // IPv6): its peers follow Nodes (keys, addresses) and IPAM blocks (allowed IPs), so it has its
  // own trigger.
  static bool concerns_wireguard(const std::string& key);
  void update_wireguard(const ResourceCache& cache);

  const dataplane::encap::Planner& planner() const { return planner_; }
  // Set while a pool asks for IPIP and this kernel has no ipip support: /readyz and status.
  std::optional<std::string> not_ready_reason() const;
  nlohmann::ordered_json status_json() const;

 private:
  void update_vxlan(const conf::types::Node* self, const conf::types::FelixConfiguration& felix,
                    uint32_t mtu, bool wanted);
  void update_ipip(const conf::types::Node* self, uint32_t mtu, bool wanted);
  // As calico-node's tunnel address allocation: one IPv4 address for `kind` ("vxlan",
  // "wireguard") from `pools` (empty: the node's pools by selector), under the handle
  // "<kind>-tunnel-addr-<node>" as a Tunnel use, then written to the Node by `write`. False
  // (logged once) when no address could be had or written.
  bool allocate_tunnel_address(
      const conf::types::Node& self, const std::string& kind, std::vector<std::string> pools,
      const std::function<void(nlohmann::json& node, const std::string&)>& write);
  void publish_wireguard_key(const std::string& key, rib::Family family);

  boost::asio::io_context& io_;
  conf::DaemonConfig config_;
  store::Datastore& store_;
  dataplane::encap::Planner planner_;
  std::unique_ptr<dataplane::VxlanProgrammer> vxlan_;
  std::unique_ptr<dataplane::IpipProgrammer> ipip_;
  // [0] IPv4 (wireguard.cali), [1] IPv6 (wg-v6.cali).
  std::unique_ptr<dataplane::WireguardProgrammer> wg_[2];
  std::string wg_error_[2];
  std::optional<std::string> ipip_unavailable_;
  std::string local_interface_;
  uint32_t pod_mtu_ = 0;
  std::string mtu_error_;
  std::string vxlan_error_;
  std::string last_allocation_error_;
};

}  // namespace podnet::daemon
