// FrrPeer: FRR's bgpd alone (no zebra: -Z, nothing goes to the kernel) in a namespace, running
// as user frr from a config directory owned by frr, driven through vtysh and its JSON output.
// Routes are originated with `network` statements, their attributes set by a route-map each.
// Known gap: withdraw() removes the route from bgpd's RIB, but in the FRR <-> BIRD test bgpd
// 8.4 did not send the withdrawal to an eBGP neighbour (not even after `clear bgp * soft
// out`); it is not exercised by a test yet, so do not rely on it.
#pragma once

#include <map>

#include "interop-tests/harness/harness.hpp"
#include "interop-tests/peers/bgp_peer.hpp"

namespace podnet::interop {

class FrrPeer : public BgpPeer {
 public:
  FrrPeer(std::string netns, PeerConfig config);
  ~FrrPeer() override;

  std::string kind() const override { return "frr"; }
  Status start() override;
  Status stop() override;
  void kill9() override;
  bool running() override;
  Status announce(const Route& route) override;
  Status withdraw(const std::string& prefix) override;
  Result<std::vector<RouteEntry>> routes(Family family) override;
  Result<std::vector<NeighborState>> neighbors() override;
  Status send_notification(const std::string& neighbor, NotificationAction action) override;
  Status enable_neighbor(const std::string& neighbor) override;
  std::string log() const override;
  std::vector<LoggedNotification> notifications() const override;

  // Graceful restart is configured when a neighbour has graceful_restart_time > 0 (bgp
  // graceful-restart, its restart time, preserve-fw-state); 0 disables it for that neighbour,
  // -1 leaves FRR's default (helper only). Every start is then a graceful restart: bgpd (8.4
  // has no restart flag) sets the Restart State bit in its OPENs during its startup period, and
  // the Forwarding State bit. So this has nothing to change; it is here for the tests that
  // restart BIRD, gobgpd and FRR alike.
  void set_restarting(bool) {}
  std::string config_text() const;
  // Runs vtysh with one -c per command.
  harness::CommandResult vtysh(const std::vector<std::string>& commands) const;

 private:
  Status configure(const std::vector<std::string>& commands);

  harness::TempDir dir_{"podnet-frr"};
  harness::Process proc_;
  std::map<std::string, int> route_maps_;   // announced prefix -> route-map number
  std::map<std::string, Route> announced_;  // in the config a restart starts from
  int next_route_map_ = 1;
};

// Parsers of FRR's JSON and log, exposed for unit tests.
Result<std::vector<RouteEntry>> parse_frr_routes(const std::string& json);
Result<std::vector<NeighborState>> parse_frr_neighbors(const std::string& json);
std::vector<LoggedNotification> parse_frr_log(const std::string& log);

}  // namespace podnet::interop
