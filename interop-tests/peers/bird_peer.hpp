// BirdPeer: BIRD 2 in a namespace, one `protocol bgp` per neighbour, routes originated as
// static blackhole routes whose BGP attributes are set by a generated export filter (BIRD only
// sends a MED it was given by an export filter). Driven with birdc over its control socket.
#pragma once

#include <ctime>
#include <map>

#include "interop-tests/harness/harness.hpp"
#include "interop-tests/peers/bgp_peer.hpp"

namespace podnet::interop {

class BirdPeer : public BgpPeer {
 public:
  BirdPeer(std::string netns, PeerConfig config);
  ~BirdPeer() override;

  std::string kind() const override { return "bird"; }
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

  // The next start() is a graceful restart: bird -R (R and F bits in its OPENs, routes sent
  // once its own peers' End-of-RIB came in).
  void set_restarting(bool restarting) { restarting_ = restarting; }
  std::string config_text() const;
  harness::CommandResult birdc(const std::vector<std::string>& args) const;
  // BIRD's name for the protocol of a neighbour ("n0", "n1", ...; "" if unknown).
  std::string protocol_of(const std::string& neighbor) const;

 private:
  Status reconfigure();
  bool originates(const std::string& prefix);  // the static route is in BIRD's table

  harness::TempDir dir_{"podnet-bird"};
  harness::Process proc_;
  std::map<std::string, Route> announced_;  // prefix -> route
  bool restarting_ = false;
};

// Parsers of birdc output, exposed for unit tests. `protocol_to_neighbor` maps BGP protocol
// names to neighbour addresses (RouteEntry::from); other protocols yield from = "".
std::vector<RouteEntry> parse_bird_routes(
    const std::string& show_route_all,
    const std::map<std::string, std::string>& protocol_to_neighbor);
// `show protocols all` with `timeformat protocol iso long`; now is the local wall clock.
std::vector<NeighborState> parse_bird_protocols(
    const std::string& show_protocols_all,
    const std::map<std::string, std::string>& protocol_to_neighbor, std::time_t now);
std::vector<LoggedNotification> parse_bird_log(
    const std::string& log, const std::map<std::string, std::string>& protocol_to_neighbor);

}  // namespace podnet::interop
