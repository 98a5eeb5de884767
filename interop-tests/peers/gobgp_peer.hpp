// GobgpPeer: gobgpd (GoBGP 3.x) in a namespace, configured by a generated YAML file and driven
// through the gobgp CLI's JSON output (-j) on a loopback gRPC port inside the namespace.
#pragma once

#include "interop-tests/harness/harness.hpp"
#include "interop-tests/peers/bgp_peer.hpp"

namespace podnet::interop {

class GobgpPeer : public BgpPeer {
 public:
  GobgpPeer(std::string netns, PeerConfig config, uint16_t api_port = 50051);
  ~GobgpPeer() override;

  std::string kind() const override { return "gobgpd"; }
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

  // The next start() is a graceful restart: gobgpd --graceful-restart.
  void set_restarting(bool restarting) { restarting_ = restarting; }
  // The generated gobgpd configuration (YAML), for inspection.
  std::string config_text() const;
  // Runs `gobgp <args>` against this daemon.
  harness::CommandResult cli(const std::vector<std::string>& args) const;

 private:
  uint16_t api_port_;
  bool restarting_ = false;
  harness::TempDir dir_{"podnet-gobgp"};
  harness::Process proc_;
};

// Parsers of gobgp's JSON, exposed for unit tests.
Result<std::vector<RouteEntry>> parse_gobgp_rib(const std::string& json);
Result<std::vector<NeighborState>> parse_gobgp_neighbors(const std::string& json,
                                                         int64_t now_epoch_seconds);
std::vector<LoggedNotification> parse_gobgp_log(const std::string& log);

}  // namespace podnet::interop
