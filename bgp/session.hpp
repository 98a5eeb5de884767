// One BGP neighbour's session: its connection(s), each driven by its own fsm::Session
// (bgp/fsm.hpp), carried out on asio sockets and timers. A second connection appears when the
// neighbour connects to us while our own connection exists (RFC 4271 §6.8); both run until an
// OPEN decides and the loser is closed with Cease / Connection Collision Resolution.
//
// The session frames and decodes what it reads with the codec, turns decode errors into the
// FSM events that send the right NOTIFICATION, and tells its SessionObserver (the peer
// manager) about the things that concern routes: established, down, an UPDATE, a
// ROUTE-REFRESH, and "writable again". Writes are queued and written with async_write; the
// queue size is reported so the manager can stop feeding a slow reader (back-pressure).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bgp/codec.hpp"
#include "bgp/fsm.hpp"
#include "bgp/peer_config.hpp"

namespace podnet::bgp {

class Session;
class Connection;

using SharedBytes = std::shared_ptr<const std::vector<uint8_t>>;

class SessionObserver {
 public:
  virtual ~SessionObserver() = default;
  virtual void on_established(Session& s) = 0;
  // Left Established: the routes learned over it must go.
  virtual void on_down(Session& s) = 0;
  virtual void on_update(Session& s, DecodedUpdate&& u) = 0;
  // A ROUTE-REFRESH request (subtype 0): re-send the Adj-RIB-Out of `family`.
  virtual void on_route_refresh(Session& s, AfiSafi family) = 0;
  // Enhanced route refresh (RFC 7313), negotiated: the peer begins (BoRR) or ends (EoRR) the
  // re-advertisement of `family`.
  virtual void on_refresh_bracket(Session& s, AfiSafi family, bool begin) = 0;
  // The write queue fell below the low-water mark after having been above the high-water mark.
  virtual void on_writable(Session& s) = 0;
};

struct SessionParams {
  PeerConfig peer;
  uint32_t router_id = 0;
  uint32_t local_as = 0;  // peer.local_as when set, else the speaker's
  std::size_t high_water = 4u << 20;
  std::size_t low_water = 1u << 20;
};

struct SessionCounters {
  uint64_t messages_in = 0, messages_out = 0, updates_in = 0, updates_out = 0;
};

class Session {
 public:
  Session(boost::asio::io_context& io, SessionParams params, SessionObserver& observer);
  ~Session();  // connections still flushing a NOTIFICATION finish on their own
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  const SessionParams& params() const { return params_; }
  const std::string& name() const { return params_.peer.name; }

  // ManualStart (passive when configured); the session restarts itself after failures.
  void start();
  // Stops for good: Cease with this subcode to an open connection (2 Administrative Shutdown
  // is a ManualStop, others an AutomaticStop), no restart.
  void stop(uint8_t cease_subcode);
  // An incoming connection from this neighbour's address.
  void accept(boost::asio::ip::tcp::socket socket);

  bool established() const;
  // Queues a message on the established connection. is_update restarts the KeepaliveTimer.
  void send(const SharedBytes& msg, bool is_update);
  std::size_t queued_bytes() const;
  bool writable() const { return queued_bytes() < params_.high_water; }

  // Of the established connection (or the most advanced one).
  fsm::State state() const;
  double state_seconds() const;
  const std::string& last_error() const { return last_error_; }
  // Whether the session that just went down ended with a NOTIFICATION sent or received (other
  // than Hold Timer Expired): valid inside SessionObserver::on_down. RFC 4724 helpers keep
  // the routes of a peer whose session failed without one.
  bool down_with_notification() const { return down_with_notification_; }
  // Graceful restart as the restarting speaker: the OPENs of new connections carry the
  // Restart State bit and, per family, the Forwarding State bit.
  void set_restarting(bool restarting, bool forwarding_preserved);
  const CodecContext& codec() const;
  const OpenMessage* peer_open() const;
  const OpenMessage& local_open() const { return local_open_; }
  uint16_t negotiated_hold_time() const;
  std::optional<rib::Address> local_address() const;
  bool family_negotiated(rib::Family f) const;
  std::vector<std::string> capabilities() const;
  const SessionCounters& counters() const { return counters_; }
  // Test hook: stop reading from the socket (the peer then sees us as silent and our receive
  // window fills, so the peer's writes back up).
  void set_reading_paused(bool paused);

 private:
  friend class Connection;
  std::shared_ptr<Connection> new_connection();
  void start_connection(bool passive);
  void schedule_restart();
  void on_open(Connection& c, const OpenMessage& open);
  void on_connection_idle(Connection& c);
  void on_connection_established(Connection& c);
  Connection* best() const;

  boost::asio::io_context& io_;
  SessionParams params_;
  SessionObserver& observer_;
  fsm::Config fsm_config_;
  OpenMessage local_open_;
  std::vector<std::shared_ptr<Connection>> conns_;
  boost::asio::steady_timer restart_timer_;
  bool enabled_ = false;
  bool reading_paused_ = false;
  std::string last_error_;
  bool down_with_notification_ = false;
  // Quick reconnects (schedule_restart): an OPEN arrived since the last restart; TCP-level
  // failures in a row since the last OPEN.
  bool open_seen_ = false;
  unsigned connect_failures_ = 0;
  std::chrono::steady_clock::time_point idle_since_ = std::chrono::steady_clock::now();
  SessionCounters counters_;
};

}  // namespace podnet::bgp
