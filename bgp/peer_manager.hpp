// The peer manager: the daemon's one handle on BGP. It reconciles sessions against the
// desired PeerConfigs (starting, resetting and stopping only the peers that changed), listens
// for incoming connections, imports received routes into the RIB and exports the RIB's update
// groups to the established peers, driving rib.process() in bounded slices from the event loop.
#pragma once

#include <boost/asio/io_context.hpp>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "bgp/export_policy.hpp"
#include "bgp/peer_config.hpp"
#include "bgp/session.hpp"
#include "bgp/transport.hpp"
#include "conf/result.hpp"
#include "rib/rib.hpp"

namespace podnet::bgp {

struct PeerStatus {
  std::string name;
  std::string address;
  uint16_t port = 0;
  uint32_t peer_as = 0, local_as = 0;
  std::string state;         // "Idle" "Connect" "Active" "OpenSent" "OpenConfirm" "Established"
  std::string origin;        // mesh / global / node / config
  double state_seconds = 0;  // time in the current state (uptime when Established)
  std::string last_error;    // "Received: Cease/Administrative Shutdown", "Hold timer expired"...
  uint32_t peer_router_id = 0;
  uint16_t hold_time_negotiated = 0;
  uint64_t prefixes_received = 0, prefixes_accepted = 0, prefixes_advertised = 0;
  uint64_t updates_in = 0, updates_out = 0, messages_in = 0, messages_out = 0;
  bool passive = false;
  std::vector<std::string> capabilities;
  // ROUTE-REFRESH requests (subtype 0) received from and sent to the peer this run.
  uint64_t refreshes_in = 0, refreshes_out = 0;
};

struct PeerManagerOptions {
  // Write-queue marks per session (back-pressure): stop feeding above high, resume below low.
  std::size_t high_water = 4u << 20;
  std::size_t low_water = 1u << 20;
  std::size_t rib_slice = rib::kDefaultBudget;  // rib.process() budget per loop turn
  std::size_t export_slice = 20000;             // prefixes encoded per loop turn
};

class PeerManager : private SessionObserver {
 public:
  // Starts listening right away (see listen_status()).
  PeerManager(boost::asio::io_context& io, rib::Rib& rib, SpeakerConfig speaker,
              PeerManagerOptions options = {});
  ~PeerManager() override;
  PeerManager(const PeerManager&) = delete;
  PeerManager& operator=(const PeerManager&) = delete;

  // Re-listens when the port or addresses changed; resets every session when the router id or
  // AS changed (both are in the OPEN). A new cluster id (the node became a route reflector, or
  // stopped being one) keeps the sessions: only what they are sent and accept is re-evaluated.
  // An error (e.g. the port is taken) leaves the sessions as they are.
  Status set_speaker(const SpeakerConfig& speaker);
  // Reconcile, matching peers by neighbour (PeerConfig::same_peer), not by name: start new
  // peers, stop removed ones (Cease / Peer De-configured), reset those whose session parameters
  // changed (PeerConfig::same_session; Cease / Other Configuration Change), and update the
  // others in place (a new name, next-hop mode, route reflection, allowas-in, filters): their
  // exports are regrouped and sent as a difference, their imports re-evaluated, no reset.
  void set_peers(std::vector<PeerConfig> peers);
  std::vector<PeerStatus> peers() const;
  // Cease / Administrative Shutdown to all, close, stop listening. Idempotent.
  void stop();
  // The daemon changed the RIB (e.g. local origination): process it and export.
  void kick();

  // Graceful restart, restarting speaker (RFC 4724 §4.1): while set, OPENs carry the Restart
  // State bit and the Forwarding State bit for every family (the daemon kept the kernel
  // routes of its previous run). The daemon clears it once initial_sync_done().
  void set_restarting(bool restarting);
  // Every configured peer is established and has sent End-of-RIB for every family it
  // negotiated: a restarting speaker has re-learned all there is (the daemon bounds the wait).
  bool all_peers_synced() const;
  // Time peers' stale routes are kept, after their session came back, for End-of-RIB.
  static constexpr int kStalePathSeconds = 360;

  const Status& listen_status() const { return listen_status_; }
  uint16_t listen_port() const { return listener_.port(); }
  // Test hook: stop / resume reading from one peer's socket.
  void pause_reading(const std::string& peer_name, bool paused);
  // Bytes queued towards a peer (back-pressure tests, metrics).
  std::size_t queued_bytes(const std::string& peer_name) const;

 private:
  struct Peer;
  void on_established(Session& s) override;
  void on_down(Session& s) override;
  void on_update(Session& s, DecodedUpdate&& u) override;
  void on_route_refresh(Session& s, AfiSafi family) override;
  void on_refresh_bracket(Session& s, AfiSafi family, bool begin) override;
  void on_writable(Session& s) override;

  void on_accept(boost::asio::ip::tcp::socket socket);
  void on_end_of_rib(Peer& p, AfiSafi family);
  void arm_gr_timer(Peer& p, int seconds, const char* what);
  void start_peer(const PeerConfig& cfg);
  void remove_peer(std::size_t index, uint8_t cease_subcode);
  Peer* find(const Session& s);
  ExportPolicy export_policy(const Peer& p) const;
  // What a running session's exports and imports depend on besides its route policy: the
  // export policy's key (update group) and the loop checks' parameters (allowas-in, cluster).
  struct PolicyState {
    std::string export_key;
    uint8_t allow_local_as = 0;
    uint32_t cluster_id = 0;
  };
  PolicyState policy_state(const Peer& p) const;
  // After a change of the peer's config or of the speaker: regroup its export if its key
  // changed, re-evaluate its imports if the loop checks did. The session stays up.
  void apply_policy_change(Peer& p, const PolicyState& before);
  // Same session, other settings (PeerConfig::same_session): applied without a reset.
  void update_peer(Peer& p, const PeerConfig& want);
  // Route policy (BGPFilter, prefixAdvertisements) changed: regroup for export; re-import
  // through ROUTE-REFRESH when the peer supports it, else from the kept received routes (soft
  // reconfiguration inbound); the session stays up.
  void set_route_policy(Peer& p, const RoutePolicy& policy);
  // The attributes a received route enters the RIB with (import filters applied), or a null
  // handle to keep it out. `loop_ok`: it passed import_allowed().
  rib::AttrRef import_attrs(const Peer& p, const rib::Prefix& prefix, const rib::AttrRef& raw,
                            bool loop_ok);
  void reimport(Peer& p);
  // Import policy changed for a peer that supports route refresh: ask it to send every
  // negotiated family again (RFC 2918) rather than keep a copy of what it sent.
  void request_refresh(Peer& p);
  void schedule();
  void run_slice();
  bool pump_exports();
  void send_batch(const rib::UpdateBatch& batch, const std::vector<Peer*>& to);

  boost::asio::io_context& io_;
  rib::Rib& rib_;
  SpeakerConfig speaker_;
  PeerManagerOptions opt_;
  transport::Listener listener_;
  Status listen_status_ = ok_status();
  std::vector<std::unique_ptr<Peer>> peers_;
  rib::PeerId next_id_ = 1;
  bool scheduled_ = false;
  bool stopped_ = false;
  bool restarting_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace podnet::bgp
