// step(): RFC 4271 §8.2.2, one function per state, each case in the order the RFC lists it.
// Deviations from the letter of the RFC are marked "Deviation:" with the reason.
#include <algorithm>
#include <string>
#include <utility>

#include "bgp/fsm.hpp"

namespace podnet::bgp::fsm {
namespace {

constexpr std::uint32_t bit(Timer t) {
  return 1u << static_cast<int>(t);
}

enum class Counter { Keep, Zero, Increment };

Notification notification(std::uint8_t code, std::uint8_t subcode,
                          std::vector<std::uint8_t> data = {}) {
  return Notification{code, subcode, std::move(data)};
}

Notification cease(std::uint8_t subcode) {
  return notification(err::kCease, subcode);
}

std::string describe(const Notification& n) {
  return std::to_string(n.code) + "/" + std::to_string(n.subcode);
}

// Accumulates the next session and the actions while a state handler runs.
class Builder {
 public:
  explicit Builder(const Session& s) : s_(s) {}

  Session& session() { return s_; }
  const Config& config() const { return s_.config; }

  void emit(Action a) { actions_.push_back(std::move(a)); }

  void start(Timer t, std::uint32_t seconds) {
    s_.running_timers |= bit(t);
    emit(act::StartTimer{t, seconds});
  }
  // "stops the timer (if running)": only a running timer produces an action.
  void stop(Timer t) {
    if (!s_.timer_running(t)) return;
    s_.running_timers &= ~bit(t);
    emit(act::StopTimer{t});
  }
  // The timer just fired: it is no longer running, and there is nothing to stop.
  void expired(Timer t) { s_.running_timers &= ~bit(t); }

  void go(State st) { s_.state = st; }

  // Every way back to Idle (§8.2.2 "changes its state to Idle" paragraphs): optional
  // NOTIFICATION, timers, routes (Established only), resources, then the TCP connection.
  void to_idle(std::optional<Notification> notify, Counter counter, bool delete_routes,
               std::string why) {
    if (notify) emit(act::SendNotification{std::move(*notify)});
    for (Timer t : {Timer::ConnectRetry, Timer::DelayOpen, Timer::Hold, Timer::Keepalive}) stop(t);
    if (delete_routes) emit(act::DeleteRoutes{});
    emit(act::ReleaseResources{});
    emit(act::DropTcpConnection{});
    switch (counter) {
      case Counter::Keep:
        break;
      case Counter::Zero:
        s_.connect_retry_counter = 0;
        break;
      case Counter::Increment:
        ++s_.connect_retry_counter;
        break;
    }
    s_.state = State::Idle;
    s_.direction = Direction::Unknown;
    s_.peer_open.reset();
    s_.negotiated_hold_time = 0;
    s_.keepalive_time = 0;
    s_.negotiated_capabilities = 0;
    s_.internal = false;
    s_.last_error = std::move(why);
  }

  void accept_open(const OpenInfo& open) {
    s_.peer_open = open;
    s_.negotiated_hold_time = negotiate_hold_time(config().hold_time, open.hold_time);
    s_.keepalive_time = keepalive_time_for(s_.negotiated_hold_time);
    // A configured keepalive (BIRD's `keepalive time`, Calico's BGPPeer keepaliveTime) is used
    // when it is shorter than a third of the negotiated hold time, never longer: a longer one
    // would let the peer's hold timer expire.
    if (config().keepalive_time != 0 && s_.keepalive_time != 0)
      s_.keepalive_time = std::min(s_.keepalive_time, config().keepalive_time);
    s_.negotiated_capabilities = config().local_capabilities & open.capabilities;
    s_.internal = open.peer_as == config().local_as;
  }

  // "if the HoldTimer initial value is non-zero, starts the KeepaliveTimer and resets the
  // HoldTimer to the negotiated value, else resets both" (§8.2.2, Events 19 and 20).
  void start_negotiated_timers() {
    if (s_.negotiated_hold_time != 0) {
      start(Timer::Keepalive, s_.keepalive_time);
      start(Timer::Hold, s_.negotiated_hold_time);
    } else {
      stop(Timer::Keepalive);
      stop(Timer::Hold);
    }
  }

  void restart_hold_timer() {
    if (s_.negotiated_hold_time != 0) start(Timer::Hold, s_.negotiated_hold_time);
  }

  Transition finish() && { return Transition{std::move(s_), std::move(actions_)}; }

 private:
  Session s_;
  std::vector<Action> actions_;
};

template <class T>
const T& as(const Event& e) {
  return std::get<T>(e);
}

// Event numbers, so each handler reads like the RFC's paragraphs.
enum : int {
  kManualStart = 1,
  kManualStop,
  kAutomaticStart,
  kManualStartPassive,
  kAutomaticStartPassive,
  kAutomaticStartDamp,
  kAutomaticStartDampPassive,
  kAutomaticStop,
  kConnectRetryExpires,
  kHoldExpires,
  kKeepaliveExpires,
  kDelayOpenExpires,
  kIdleHoldExpires,
  kTcpValid,
  kTcpInvalid,
  kTcpAcked,
  kTcpConfirmed,
  kTcpFails,
  kBgpOpen,
  kBgpOpenDelay,
  kHeaderErr,
  kOpenMsgErr,
  kCollisionDump,
  kNotifVerErr,
  kNotif,
  kKeepaliveMsg,
  kUpdateMsg,
  kUpdateMsgErr,
};

bool is_start_event(int n) {
  return n == kManualStart || (n >= kAutomaticStart && n <= kAutomaticStartDampPassive);
}

// The NOTIFICATION that Events 21 / 22 carry the verdict for.
Notification error_notification(const Event& e) {
  if (const auto* h = std::get_if<ev::BGPHeaderErr>(&e)) {
    return notification(err::kMessageHeader, h->subcode, h->data);
  }
  const auto& o = as<ev::BGPOpenMsgErr>(e);
  return notification(err::kOpenMessage, o.subcode, o.data);
}

std::string received(const Notification& n) {
  return "received NOTIFICATION " + describe(n);
}
std::string sent(const Notification& n) {
  return "sent NOTIFICATION " + describe(n);
}

// ---- Idle ----
void start_session(Builder& b, bool passive) {
  Session& s = b.session();
  b.stop(Timer::IdleHold);
  s.pending_passive_start.reset();
  s.connect_retry_counter = 0;
  s.passive = passive;
  s.direction = Direction::Unknown;
  s.last_error.clear();
  b.start(Timer::ConnectRetry, b.config().connect_retry_time);
  if (!passive) b.emit(act::InitiateTcpConnection{});
  b.go(passive ? State::Active : State::Connect);
}

void idle(Builder& b, const Event& e) {
  switch (event_number(e)) {
    case kManualStart:
    case kAutomaticStart:
      return start_session(b, false);
    case kManualStartPassive:
    case kAutomaticStartPassive:
      return start_session(b, true);
    case kAutomaticStartDamp:
    case kAutomaticStartDampPassive: {
      // "the local system will use these events to prevent peer oscillations": hold the
      // automatic start in Idle for IdleHoldTime, then start as asked.
      const bool passive = event_number(e) == kAutomaticStartDampPassive;
      if (b.config().damp_peer_oscillations && b.config().idle_hold_time != 0) {
        b.start(Timer::IdleHold, b.config().idle_hold_time);
        b.session().pending_passive_start = passive;
        return;
      }
      return start_session(b, passive);
    }
    case kIdleHoldExpires:
      b.expired(Timer::IdleHold);
      if (auto pending = b.session().pending_passive_start) return start_session(b, *pending);
      return;
    case kManualStop:
    case kAutomaticStop:
      // "ignored in the Idle state". A damped start still pending is cancelled, or the stop
      // would be undone when the IdleHoldTimer fires.
      b.stop(Timer::IdleHold);
      b.session().pending_passive_start.reset();
      return;
    case kTcpValid:
      // Event 14 is not in Idle's "any other event" list; Idle "refuses all incoming BGP
      // connections for this peer".
      return b.emit(act::RejectTcpConnection{});
    case kTcpAcked:
    case kTcpConfirmed:
      // Deviation: "does not cause change in the state" holds; the connection itself is
      // closed, since Idle "refuses all incoming BGP connections" and has no use for one.
      return b.emit(act::DropTcpConnection{});
    default:
      return;  // Events 9-12, 15, 18-28: no change.
  }
}

// ---- Connect and Active share most of their paragraphs. ----

// Events 16 / 17: "the local system checks the DelayOpen attribute prior to processing".
void tcp_connection_up(Builder& b, Direction direction) {
  b.session().direction = direction;
  b.stop(Timer::ConnectRetry);
  if (b.config().delay_open) {
    b.start(Timer::DelayOpen, b.config().delay_open_time);
    return;  // stays in Connect / Active
  }
  b.emit(act::SendOpen{});
  b.start(Timer::Hold, b.config().large_hold_time);
  b.go(State::OpenSent);
}

// Event 20 in Connect / Active: the peer's OPEN arrived while we were delaying ours.
void open_while_delaying(Builder& b, const OpenInfo& open) {
  if (auto bad = validate_open(b.config(), open)) {
    // The OPEN failed the checks of §6.2: handle it as Event 22 does in this state.
    std::optional<Notification> notify;
    if (b.config().send_notification_without_open) notify = *bad;
    return b.to_idle(std::move(notify), Counter::Increment, false, sent(*bad));
  }
  b.stop(Timer::ConnectRetry);
  b.stop(Timer::DelayOpen);
  b.accept_open(open);
  b.emit(act::SendOpen{});
  b.emit(act::SendKeepalive{});
  b.start_negotiated_timers();
  b.go(State::OpenConfirm);
}

// Events 21 / 22 in Connect / Active: NOTIFICATION only with SendNOTIFICATIONwithoutOPEN.
void error_before_open(Builder& b, const Event& e) {
  Notification n = error_notification(e);
  std::string why =
      (b.config().send_notification_without_open ? sent(n) : "peer message error " + describe(n));
  std::optional<Notification> notify;
  if (b.config().send_notification_without_open) notify = std::move(n);
  b.to_idle(std::move(notify), Counter::Increment, false, std::move(why));
}

// Event 24 in Connect / Active: the counter only moves when the DelayOpenTimer was not running.
void version_error_before_open(Builder& b, const Event& e) {
  const Counter c =
      b.session().timer_running(Timer::DelayOpen) ? Counter::Keep : Counter::Increment;
  b.to_idle(std::nullopt, c, false, received(as<ev::NotifMsgVerErr>(e).notification));
}

void connect(Builder& b, const Event& e) {
  const int n = event_number(e);
  if (is_start_event(n)) return;  // "The start events (Events 1, 3-7) are ignored"
  switch (n) {
    case kManualStop:
      return b.to_idle(std::nullopt, Counter::Zero, false, "manual stop");
    case kConnectRetryExpires:
      b.expired(Timer::ConnectRetry);
      b.emit(act::DropTcpConnection{});
      b.start(Timer::ConnectRetry, b.config().connect_retry_time);
      b.stop(Timer::DelayOpen);
      b.session().direction = Direction::Unknown;
      b.emit(act::InitiateTcpConnection{});
      return;
    case kDelayOpenExpires:
      b.expired(Timer::DelayOpen);
      b.emit(act::SendOpen{});
      b.start(Timer::Hold, b.config().large_hold_time);
      return b.go(State::OpenSent);
    case kTcpValid:
      return b.emit(act::AcceptTcpConnection{});
    case kTcpInvalid:
      return b.emit(act::RejectTcpConnection{});
    case kTcpAcked:
      return tcp_connection_up(b, Direction::Outgoing);
    case kTcpConfirmed:
      return tcp_connection_up(b, Direction::Incoming);
    case kTcpFails:
      if (b.session().timer_running(Timer::DelayOpen)) {
        // The connection we were delaying our OPEN on failed: back to listening. (The socket
        // is closed by DropTcpConnection; the RFC leaves that implicit.)
        b.emit(act::DropTcpConnection{});
        b.start(Timer::ConnectRetry, b.config().connect_retry_time);
        b.stop(Timer::DelayOpen);
        b.session().direction = Direction::Unknown;
        return b.go(State::Active);
      }
      return b.to_idle(std::nullopt, Counter::Keep, false, "TCP connection failed");
    case kBgpOpenDelay:
      return open_while_delaying(b, as<ev::BGPOpen_with_DelayOpenTimer_running>(e).open);
    case kHeaderErr:
    case kOpenMsgErr:
      return error_before_open(b, e);
    case kNotifVerErr:
      return version_error_before_open(b, e);
    default:
      // "In response to any other events (Events 8, 10-11, 13, 19, 23, 25-28)".
      return b.to_idle(std::nullopt, Counter::Increment, false,
                       "unexpected event " + std::to_string(n) + " in Connect");
  }
}

void active(Builder& b, const Event& e) {
  const int n = event_number(e);
  if (is_start_event(n)) return;  // "The start events (Events 1, 3-7) are ignored"
  switch (n) {
    case kManualStop: {
      std::optional<Notification> notify;
      if (b.session().timer_running(Timer::DelayOpen) &&
          b.config().send_notification_without_open) {
        notify = cease(err::kCeaseAdministrativeShutdown);
      }
      return b.to_idle(std::move(notify), Counter::Zero, false, "manual stop");
    }
    case kConnectRetryExpires:
      b.expired(Timer::ConnectRetry);
      b.start(Timer::ConnectRetry, b.config().connect_retry_time);
      // Deviation: with PassiveTcpEstablishment the FSM "will passively wait for the remote
      // BGP peer to establish the BGP TCP connection" (§8.1.1), so it keeps listening in
      // Active instead of connecting out as the Active-state paragraph says.
      if (b.session().passive) return;
      b.emit(act::InitiateTcpConnection{});
      return b.go(State::Connect);
    case kDelayOpenExpires:
      b.expired(Timer::DelayOpen);
      b.stop(Timer::ConnectRetry);
      b.emit(act::SendOpen{});
      b.start(Timer::Hold, b.config().large_hold_time);
      return b.go(State::OpenSent);
    case kTcpValid:
      return b.emit(act::AcceptTcpConnection{});
    case kTcpInvalid:
      return b.emit(act::RejectTcpConnection{});
    case kTcpAcked:
      return tcp_connection_up(b, Direction::Outgoing);
    case kTcpConfirmed:
      return tcp_connection_up(b, Direction::Incoming);
    case kTcpFails:
      // Deviation: the RFC "restarts the ConnectRetryTimer" and then enters Idle, where
      // Event 9 is ignored; a timer whose expiry changes nothing is stopped instead.
      return b.to_idle(std::nullopt, Counter::Increment, false, "TCP connection failed");
    case kBgpOpenDelay:
      return open_while_delaying(b, as<ev::BGPOpen_with_DelayOpenTimer_running>(e).open);
    case kHeaderErr:
    case kOpenMsgErr:
      return error_before_open(b, e);
    case kNotifVerErr:
      return version_error_before_open(b, e);
    default:
      // "In response to any other event (Events 8, 10-11, 13, 19, 23, 25-28)".
      return b.to_idle(std::nullopt, Counter::Increment, false,
                       "unexpected event " + std::to_string(n) + " in Active");
  }
}

// ---- OpenSent, OpenConfirm and Established share their stop / error paragraphs. ----

// ManualStop (2), AutomaticStop (8), HoldTimer_Expires (10), BGPHeaderErr (21),
// OpenCollisionDump (23): the same in the three states after an OPEN was sent.
bool common_after_open(Builder& b, const Event& e, bool established) {
  switch (event_number(e)) {
    case kManualStop:
      b.to_idle(cease(err::kCeaseAdministrativeShutdown), Counter::Zero, established,
                "manual stop");
      return true;
    case kAutomaticStop: {
      const Notification n = cease(as<ev::AutomaticStop>(e).cease_subcode);
      b.to_idle(n, Counter::Increment, established, "automatic stop, " + sent(n));
      return true;
    }
    case kHoldExpires:
      b.expired(Timer::Hold);
      b.to_idle(notification(err::kHoldTimerExpired, 0), Counter::Increment, established,
                "hold timer expired");
      return true;
    case kTcpValid:
      b.emit(act::TrackSecondConnection{Direction::Unknown});
      return true;
    case kTcpAcked:
      b.emit(act::TrackSecondConnection{Direction::Outgoing});
      return true;
    case kTcpConfirmed:
      b.emit(act::TrackSecondConnection{Direction::Incoming});
      return true;
    case kTcpInvalid:
      return true;  // "ignored"
    case kHeaderErr: {
      // In Established the RFC lists Event 21 under FSM Error; deviation: §6.1 says header
      // errors "MUST" be reported as Message Header Error, which is what we send everywhere.
      const Notification n = error_notification(e);
      b.to_idle(n, Counter::Increment, established, sent(n));
      return true;
    }
    case kCollisionDump:
      b.to_idle(cease(err::kCeaseCollisionResolution), Counter::Increment, established,
                "connection collision resolution");
      return true;
    default:
      return false;
  }
}

void fsm_error(Builder& b, const Event& e, std::uint8_t subcode_for_messages, bool established) {
  // RFC 6608 names the state in the subcode when the unexpected event is a message; a timer
  // firing unexpectedly gets the unspecific subcode.
  const int n = event_number(e);
  const bool message = n >= kBgpOpen;
  const Notification notify =
      notification(err::kFsm, message ? subcode_for_messages : err::kFsmUnspecified);
  b.to_idle(notify, Counter::Increment, established,
            "unexpected event " + std::to_string(n) + ", " + sent(notify));
}

Direction opposite(Direction d) {
  switch (d) {
    case Direction::Outgoing:
      return Direction::Incoming;
    case Direction::Incoming:
      return Direction::Outgoing;
    case Direction::Unknown:
      break;
  }
  return Direction::Unknown;
}

// Event 19 in OpenConfirm / Established: an OPEN arrived for the same peer on the colliding
// connection; §6.8 decides whether this (existing) connection is the one to close.
void collision_on_open(Builder& b, const OpenInfo& open, bool established) {
  const Session& s = b.session();
  if (resolve_collision(s, opposite(s.direction), open.bgp_id, open.peer_as) !=
      CollisionVerdict::CloseExisting) {
    return;
  }
  b.to_idle(cease(err::kCeaseCollisionResolution), Counter::Increment, established,
            "connection collision resolution");
}

void open_sent(Builder& b, const Event& e) {
  const int n = event_number(e);
  if (is_start_event(n)) return;
  if (common_after_open(b, e, false)) return;
  switch (n) {
    case kTcpFails:
      b.emit(act::DropTcpConnection{});
      b.stop(Timer::Hold);
      b.start(Timer::ConnectRetry, b.config().connect_retry_time);
      b.session().direction = Direction::Unknown;
      return b.go(State::Active);
    case kBgpOpen: {
      const OpenInfo& open = as<ev::BGPOpen>(e).open;
      if (auto bad = validate_open(b.config(), open)) {
        return b.to_idle(*bad, Counter::Increment, false, sent(*bad));
      }
      b.stop(Timer::DelayOpen);
      b.stop(Timer::ConnectRetry);
      b.accept_open(open);
      b.emit(act::SendKeepalive{});
      b.start_negotiated_timers();
      return b.go(State::OpenConfirm);
    }
    case kOpenMsgErr: {
      const Notification bad = error_notification(e);
      return b.to_idle(bad, Counter::Increment, false, sent(bad));
    }
    case kNotifVerErr:
      return b.to_idle(std::nullopt, Counter::Keep, false,
                       received(as<ev::NotifMsgVerErr>(e).notification));
    default:
      // "In response to any other event (Events 9, 11-13, 20, 25-28)". Event 25 is on the
      // list: the RFC answers even a NOTIFICATION with an FSM Error here.
      return fsm_error(b, e, err::kFsmInOpenSent, false);
  }
}

// KeepaliveTimer_Expires in OpenConfirm and Established: "sends a KEEPALIVE message, and
// restarts the KeepaliveTimer".
void send_keepalive(Builder& b) {
  b.expired(Timer::Keepalive);
  b.emit(act::SendKeepalive{});
  if (b.session().keepalive_time != 0) b.start(Timer::Keepalive, b.session().keepalive_time);
}

void open_confirm(Builder& b, const Event& e) {
  const int n = event_number(e);
  if (is_start_event(n)) return;
  if (common_after_open(b, e, false)) return;
  switch (n) {
    case kKeepaliveExpires:
      return send_keepalive(b);
    case kTcpFails:
      return b.to_idle(std::nullopt, Counter::Increment, false, "TCP connection failed");
    case kNotif:
      return b.to_idle(std::nullopt, Counter::Increment, false,
                       received(as<ev::NotifMsg>(e).notification));
    case kNotifVerErr:
      return b.to_idle(std::nullopt, Counter::Keep, false,
                       received(as<ev::NotifMsgVerErr>(e).notification));
    case kBgpOpen:
      return collision_on_open(b, as<ev::BGPOpen>(e).open, false);
    case kOpenMsgErr: {
      const Notification bad = error_notification(e);
      return b.to_idle(bad, Counter::Increment, false, sent(bad));
    }
    case kKeepaliveMsg:
      b.restart_hold_timer();
      b.emit(act::SessionEstablished{});
      return b.go(State::Established);
    default:
      // "In response to any other event (Events 9, 12-13, 20, 27-28)".
      return fsm_error(b, e, err::kFsmInOpenConfirm, false);
  }
}

void established(Builder& b, const Event& e) {
  const int n = event_number(e);
  if (is_start_event(n)) return;
  if (common_after_open(b, e, true)) return;
  switch (n) {
    case kKeepaliveExpires:
      return send_keepalive(b);
    case kBgpOpen:
      // Without CollisionDetectEstablishedState the new connection is the one closed (§6.8),
      // which resolve_collision() reports as CloseNew: nothing happens here.
      return collision_on_open(b, as<ev::BGPOpen>(e).open, true);
    case kTcpFails:
      return b.to_idle(std::nullopt, Counter::Increment, true, "TCP connection failed");
    case kNotifVerErr:
      return b.to_idle(std::nullopt, Counter::Increment, true,
                       received(as<ev::NotifMsgVerErr>(e).notification));
    case kNotif:
      return b.to_idle(std::nullopt, Counter::Increment, true,
                       received(as<ev::NotifMsg>(e).notification));
    case kKeepaliveMsg:
      return b.restart_hold_timer();
    case kUpdateMsg:
      b.emit(act::ProcessUpdate{});
      return b.restart_hold_timer();
    case kUpdateMsgErr: {
      const auto& u = as<ev::UpdateMsgErr>(e);
      const Notification bad = notification(err::kUpdateMessage, u.subcode, u.data);
      return b.to_idle(bad, Counter::Increment, true, sent(bad));
    }
    default:
      // "In response to any other event (Events 9, 12-13, 20-22)".
      return fsm_error(b, e, err::kFsmInEstablished, true);
  }
}

}  // namespace

Session make_session(const Config& config) {
  Session s;
  s.config = config;
  return s;
}

Transition step(const Session& session, const Event& event) {
  Builder b(session);
  switch (session.state) {
    case State::Idle:
      idle(b, event);
      break;
    case State::Connect:
      connect(b, event);
      break;
    case State::Active:
      active(b, event);
      break;
    case State::OpenSent:
      open_sent(b, event);
      break;
    case State::OpenConfirm:
      open_confirm(b, event);
      break;
    case State::Established:
      established(b, event);
      break;
  }
  return std::move(b).finish();
}

}  // namespace podnet::bgp::fsm
