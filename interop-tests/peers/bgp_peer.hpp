// BgpPeer: a real BGP daemon (gobgpd, BIRD 2 or FRR bgpd) running inside a network namespace
// with a generated configuration, driven and inspected through its own control interface.
// The interop tests put podnetd on the other end of these sessions; the peers' own tests
// peer them with each other. All calls block until the daemon has answered; readiness is
// polled (wait_* helpers), never slept for.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "conf/result.hpp"

namespace podnet::interop {

using namespace std::chrono_literals;

struct NeighborConfig {
  std::string address;        // the neighbour's address (IPv4 or IPv6): the session's transport
  uint32_t remote_as = 0;     // == local_as makes it iBGP
  std::string local_address;  // source address of the session ("" = kernel's choice)
  uint16_t remote_port = 179;
  bool passive = false;      // never connect, only accept
  int hold_time = 9;         // seconds, keepalive = hold/3
  std::string md5_password;  // TCP-MD5 (RFC 2385) when not empty
  int multihop_ttl = 0;      // 0: directly connected; else eBGP multihop with this TTL
  bool ipv4 = true;          // address families negotiated (MP-BGP)
  bool ipv6 = false;
  bool route_reflector_client = false;  // iBGP only: reflect routes to this neighbour
  // eBGP, gobgpd and FRR only: the neighbour's AS in paths sent to it becomes ours (gobgpd
  // replace-peer-as, FRR as-override), so that neighbours sharing one AS in several places
  // (Calico racks) accept each other's routes without allowas-in.
  bool as_override = false;
  // Graceful restart (RFC 4724): -1 the daemon's default (BIRD 2: "aware", advertising the
  // capability; gobgpd: off), 0 off, N > 0 on with restart time N seconds.
  int graceful_restart_time = -1;
};

struct PeerConfig {
  uint32_t local_as = 0;
  std::string router_id;
  std::string listen_address;  // "" = any address
  uint16_t listen_port = 179;
  std::vector<NeighborConfig> neighbors;
  // false: announce only what announce() added. true: also pass on what neighbours sent
  // (a real transit router / route reflector).
  bool export_learned = false;
};

enum class Family { ipv4, ipv6 };
Family family_of(const std::string& prefix_or_address);

// A route to originate.
struct Route {
  std::string prefix;                    // "10.1.0.0/24", "2001:db8::/64"
  std::string next_hop;                  // "" = the daemon's choice (itself)
  std::vector<std::string> communities;  // "65000:100"
  std::optional<uint32_t> med;
  std::optional<uint32_t> local_pref;  // sent to iBGP neighbours only
};

// A route in the daemon's RIB (Loc-RIB: learned and locally originated paths).
struct RouteEntry {
  std::string prefix;
  std::string next_hop;
  std::vector<uint32_t> as_path;  // AS_SEQUENCE segments flattened, leftmost first
  std::string origin;             // "IGP", "EGP" or "incomplete"
  std::optional<uint32_t> med;
  std::optional<uint32_t> local_pref;
  std::vector<std::string> communities;  // "65000:100", sorted
  bool best = false;
  std::string from;  // neighbour address it was learned from; "" when originated locally
};

struct NeighborState {
  std::string address;
  std::string state;  // the daemon's own word for it
  bool established = false;
  std::chrono::seconds uptime{0};  // time in Established (0 when not established)
};

// How to make the daemon send a NOTIFICATION (Cease) to a neighbour on purpose.
enum class NotificationAction {
  admin_shutdown,  // Cease / Administrative Shutdown (6/2); the session stays down until
                   // enable_neighbor()
  admin_reset,     // Cease / Administrative Reset (6/4); the session comes back by itself
};

// A NOTIFICATION the daemon logged, decoded from its log.
struct LoggedNotification {
  bool received = true;  // false: the daemon sent it
  std::string neighbor;  // address, or the protocol name when the log has no address (BIRD)
  int code = 0;
  int subcode = 0;
  std::string line;  // the log line itself
};

class BgpPeer {
 public:
  virtual ~BgpPeer() = default;
  BgpPeer(const BgpPeer&) = delete;
  BgpPeer& operator=(const BgpPeer&) = delete;

  virtual std::string kind() const = 0;  // "gobgpd", "bird", "frr"

  // Writes the configuration, starts the daemon in the namespace and waits until its control
  // interface answers (not until sessions are up: use wait_established).
  virtual Status start() = 0;
  virtual Status stop() = 0;  // SIGTERM: the daemon closes its sessions (NOTIFICATION / FIN)
  virtual void kill9() = 0;   // SIGKILL: the kernel closes its sockets, nothing else is sent
  virtual bool running() = 0;

  virtual Status announce(const Route& route) = 0;
  virtual Status withdraw(const std::string& prefix) = 0;

  virtual Result<std::vector<RouteEntry>> routes(Family family) = 0;
  virtual Result<std::vector<NeighborState>> neighbors() = 0;

  virtual Status send_notification(const std::string& neighbor, NotificationAction action) = 0;
  virtual Status enable_neighbor(const std::string& neighbor) = 0;

  virtual std::string log() const = 0;
  // NOTIFICATIONs sent and received, in log order.
  virtual std::vector<LoggedNotification> notifications() const = 0;

  // Helpers built on the above.
  const PeerConfig& config() const { return config_; }
  const std::string& netns() const { return netns_; }
  Result<NeighborState> neighbor(const std::string& address);
  bool established(const std::string& address);
  bool wait_established(const std::string& address, std::chrono::milliseconds timeout = 30s);
  bool wait_down(const std::string& address, std::chrono::milliseconds timeout = 30s);
  // The best path for prefix, if any (family from the prefix).
  std::optional<RouteEntry> best_route(const std::string& prefix);
  // A path for prefix learned from neighbour `from` (any path if from is empty).
  std::optional<RouteEntry> route_from(const std::string& prefix, const std::string& from);
  bool wait_route(const std::string& prefix, std::chrono::milliseconds timeout = 20s);
  bool wait_no_route(const std::string& prefix, std::chrono::milliseconds timeout = 20s);
  bool wait_notification(bool received, int code, int subcode,
                         std::chrono::milliseconds timeout = 10s);

 protected:
  BgpPeer(std::string netns, PeerConfig config)
      : netns_(std::move(netns)), config_(std::move(config)) {}

  std::string netns_;
  PeerConfig config_;
};

// RFC 4271 / 4486 code and subcode of a NotificationAction.
std::pair<int, int> notification_code(NotificationAction action);

}  // namespace podnet::interop
