// The BGP session FSM of RFC 4271 §8 as a pure function: step(session, event) returns the next
// session and the ordered actions the caller must carry out. The FSM owns no socket and no
// clock: timers are started and stopped by actions and come back as *_Expires events, TCP
// happens in the session layer, and OPEN / NOTIFICATION contents arrive as the small plain
// structs below (the session layer fills them from the wire codec). That keeps every
// transition replayable from a recorded event list (bgp/tests/fsm_replays/).
//
// One Session is one TCP connection (RFC 4271 §8.2.1); the peer manager owns the two FSMs of
// a collision and asks resolve_collision() (§6.8) which one to dump with OpenCollisionDump.
//
// Optional session attributes (§8) supported: AllowAutomaticStart/Stop (events 3, 5, 8),
// PassiveTcpEstablishment (events 4, 5), DelayOpen / DelayOpenTime / DelayOpenTimer,
// SendNOTIFICATIONwithoutOPEN, CollisionDetectEstablishedState, TrackTcpState (events 14, 15
// are handled whenever the session layer delivers them), and a minimal DampPeerOscillations
// (events 6, 7, 13: an automatic start is held in Idle for a fixed IdleHoldTime; the
// "performs peer oscillation damping" bullet on the way to Idle is left to the peer manager,
// which chooses the next start event). AcceptConnectionsUnconfiguredPeers is out of scope.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace podnet::bgp::fsm {

enum class State { Idle, Connect, Active, OpenSent, OpenConfirm, Established };

// The timers of §8 / §10 the FSM starts and stops by action.
enum class Timer { ConnectRetry, Hold, Keepalive, DelayOpen, IdleHold };
inline constexpr int kTimerCount = 5;

// Which side sent the first SYN of this session's TCP connection (§8.2.1): the FSM learns it
// from Tcp_CR_Acked (we connected, outgoing) or TcpConnectionConfirmed (peer connected,
// incoming). Collision resolution (§6.8) keeps the connection the higher BGP ID initiated.
enum class Direction { Unknown, Outgoing, Incoming };

// Capabilities as a flag set: the FSM only records what both sides announced; the codec
// owns their encodings.
enum Capability : std::uint32_t {
  kCapMpIpv4Unicast = 1u << 0,
  kCapMpIpv6Unicast = 1u << 1,
  kCapRouteRefresh = 1u << 2,
  kCapFourOctetAs = 1u << 3,
  kCapGracefulRestart = 1u << 4,
  kCapExtendedNextHop = 1u << 5,
  kCapAddPath = 1u << 6,
  kCapEnhancedRouteRefresh = 1u << 7,
};

// What the FSM needs from a received OPEN. peer_as is the effective AS (the codec resolves
// AS_TRANS with the 4-octet AS capability, RFC 6793); bgp_id is in host byte order.
struct OpenInfo {
  std::uint32_t peer_as = 0;
  std::uint16_t hold_time = 0;
  std::uint32_t bgp_id = 0;
  std::uint32_t capabilities = 0;
  bool operator==(const OpenInfo&) const = default;
};

// A NOTIFICATION (received or to send). Error codes from §4.5.
struct Notification {
  std::uint8_t code = 0;
  std::uint8_t subcode = 0;
  std::vector<std::uint8_t> data;
  bool operator==(const Notification&) const = default;
};

namespace err {
inline constexpr std::uint8_t kMessageHeader = 1;
inline constexpr std::uint8_t kOpenMessage = 2;
inline constexpr std::uint8_t kUpdateMessage = 3;
inline constexpr std::uint8_t kHoldTimerExpired = 4;
inline constexpr std::uint8_t kFsm = 5;
inline constexpr std::uint8_t kCease = 6;
// OPEN Message Error subcodes (§4.5).
inline constexpr std::uint8_t kUnsupportedVersion = 1;
inline constexpr std::uint8_t kBadPeerAs = 2;
inline constexpr std::uint8_t kBadBgpId = 3;
inline constexpr std::uint8_t kUnacceptableHoldTime = 6;
// FSM Error subcodes (RFC 6608): which state received the unexpected message.
inline constexpr std::uint8_t kFsmUnspecified = 0;
inline constexpr std::uint8_t kFsmInOpenSent = 1;
inline constexpr std::uint8_t kFsmInOpenConfirm = 2;
inline constexpr std::uint8_t kFsmInEstablished = 3;
// Cease subcodes (RFC 4486).
inline constexpr std::uint8_t kCeaseAdministrativeShutdown = 2;
inline constexpr std::uint8_t kCeaseCollisionResolution = 7;
}  // namespace err

// ---- Events: RFC 4271 §8.1, numbered 1..28 in variant order (event_number()). ----
namespace ev {
struct ManualStart {};
struct ManualStop {};
struct AutomaticStart {};
struct ManualStart_with_PassiveTcpEstablishment {};
struct AutomaticStart_with_PassiveTcpEstablishment {};
struct AutomaticStart_with_DampPeerOscillations {};
struct AutomaticStart_with_DampPeerOscillations_and_PassiveTcpEstablishment {};
struct AutomaticStop {
  std::uint8_t cease_subcode = 0;  // why (RFC 4486), e.g. 1 = maximum prefixes reached
};
struct ConnectRetryTimer_Expires {};
struct HoldTimer_Expires {};
struct KeepaliveTimer_Expires {};
struct DelayOpenTimer_Expires {};
struct IdleHoldTimer_Expires {};
struct TcpConnection_Valid {};
struct Tcp_CR_Invalid {};
struct Tcp_CR_Acked {};
struct TcpConnectionConfirmed {};
struct TcpConnectionFails {};
struct BGPOpen {
  OpenInfo open;
};
struct BGPOpen_with_DelayOpenTimer_running {
  OpenInfo open;
};
struct BGPHeaderErr {  // the codec's §6.1 verdict: Message Header Error subcode + data
  std::uint8_t subcode = 0;
  std::vector<std::uint8_t> data;
};
struct BGPOpenMsgErr {  // the codec's §6.2 verdict: OPEN Message Error subcode + data
  std::uint8_t subcode = 0;
  std::vector<std::uint8_t> data;
};
struct OpenCollisionDump {};
struct NotifMsgVerErr {
  Notification notification;
};
struct NotifMsg {
  Notification notification;
};
struct KeepAliveMsg {};
struct UpdateMsg {};
struct UpdateMsgErr {  // a §6.3 / RFC 7606 "session reset" verdict: UPDATE Message Error
  std::uint8_t subcode = 0;
  std::vector<std::uint8_t> data;
};
}  // namespace ev

using Event = std::variant<
    ev::ManualStart, ev::ManualStop, ev::AutomaticStart,
    ev::ManualStart_with_PassiveTcpEstablishment, ev::AutomaticStart_with_PassiveTcpEstablishment,
    ev::AutomaticStart_with_DampPeerOscillations,
    ev::AutomaticStart_with_DampPeerOscillations_and_PassiveTcpEstablishment, ev::AutomaticStop,
    ev::ConnectRetryTimer_Expires, ev::HoldTimer_Expires, ev::KeepaliveTimer_Expires,
    ev::DelayOpenTimer_Expires, ev::IdleHoldTimer_Expires, ev::TcpConnection_Valid,
    ev::Tcp_CR_Invalid, ev::Tcp_CR_Acked, ev::TcpConnectionConfirmed, ev::TcpConnectionFails,
    ev::BGPOpen, ev::BGPOpen_with_DelayOpenTimer_running, ev::BGPHeaderErr, ev::BGPOpenMsgErr,
    ev::OpenCollisionDump, ev::NotifMsgVerErr, ev::NotifMsg, ev::KeepAliveMsg, ev::UpdateMsg,
    ev::UpdateMsgErr>;

inline constexpr int kEventCount = 28;
static_assert(std::variant_size_v<Event> == kEventCount);

// The RFC's event number, 1..28.
inline int event_number(const Event& e) {
  return static_cast<int>(e.index()) + 1;
}

// ---- Actions: what the caller does, in order. ----
namespace act {
struct SendOpen {};
struct SendKeepalive {};
struct SendNotification {
  Notification notification;
};
struct StartTimer {  // (re)start `timer` to fire after `seconds`
  Timer timer = Timer::ConnectRetry;
  std::uint32_t seconds = 0;
};
struct StopTimer {
  Timer timer = Timer::ConnectRetry;
};
struct InitiateTcpConnection {};  // connect() to the peer (and keep listening)
struct AcceptTcpConnection {};    // Event 14: process the valid incoming SYN
struct RejectTcpConnection {};    // refuse an incoming connection request
struct DropTcpConnection {};      // close this session's socket (after flushing sends)
struct TrackSecondConnection {    // §6.8: a second connection appeared; run it in its own FSM
  Direction direction = Direction::Unknown;
};
struct ReleaseResources {};    // free per-session BGP state (§8.2.1.5)
struct DeleteRoutes {};        // withdraw everything learned over this connection
struct ProcessUpdate {};       // hand the received UPDATE to the RIB
struct SessionEstablished {};  // announce the session (send the initial table)
}  // namespace act

using Action =
    std::variant<act::SendOpen, act::SendKeepalive, act::SendNotification, act::StartTimer,
                 act::StopTimer, act::InitiateTcpConnection, act::AcceptTcpConnection,
                 act::RejectTcpConnection, act::DropTcpConnection, act::TrackSecondConnection,
                 act::ReleaseResources, act::DeleteRoutes, act::ProcessUpdate,
                 act::SessionEstablished>;

// ---- Session: the §8 session attributes. ----
struct Config {
  std::uint32_t local_as = 0;
  std::uint32_t local_id = 0;  // host byte order
  std::uint32_t peer_as = 0;   // expected peer AS; 0 accepts any (validated elsewhere)
  std::uint32_t local_capabilities = 0;
  std::uint16_t hold_time = 90;                 // HoldTime we offer (§10); 0 = no keepalives
  std::uint16_t keepalive_time = 0;             // configured KeepaliveTime; 0 = hold / 3
  std::uint16_t large_hold_time = 240;          // HoldTimer in OpenSent: "4 minutes is suggested"
  std::uint16_t connect_retry_time = 120;       // ConnectRetryTime (§10)
  bool delay_open = false;                      // DelayOpen
  std::uint16_t delay_open_time = 0;            // DelayOpenTime
  bool send_notification_without_open = false;  // SendNOTIFICATIONwithoutOPEN
  bool collision_detect_established = false;    // CollisionDetectEstablishedState
  bool damp_peer_oscillations = false;          // DampPeerOscillations
  std::uint16_t idle_hold_time = 0;             // IdleHoldTime
  bool operator==(const Config&) const = default;
};

struct Session {
  Config config;
  State state = State::Idle;
  std::uint32_t connect_retry_counter = 0;  // ConnectRetryCounter
  // Which timers the FSM has running (bit per Timer). The clock itself lives outside; the FSM
  // needs to know "is the DelayOpenTimer running" (§8.2.2 branches on it) and what to stop.
  std::uint32_t running_timers = 0;
  bool passive = false;  // started with PassiveTcpEstablishment (events 4, 5, 7)
  std::optional<bool> pending_passive_start;  // a damped automatic start waiting in Idle
  Direction direction = Direction::Unknown;
  // Filled when the peer's OPEN is accepted.
  std::optional<OpenInfo> peer_open;
  std::uint16_t negotiated_hold_time = 0;
  std::uint16_t keepalive_time = 0;
  std::uint32_t negotiated_capabilities = 0;
  bool internal = false;  // peer AS == local AS (iBGP)
  // Why the session last went to Idle (for `podnetctl show`), e.g. "hold timer expired".
  std::string last_error;

  bool timer_running(Timer t) const { return (running_timers >> static_cast<int>(t)) & 1u; }
  bool operator==(const Session&) const = default;
};

struct Transition {
  Session session;
  std::vector<Action> actions;
};

// A fresh session in Idle.
Session make_session(const Config& config);

// RFC 4271 §8.2.2: the next session and the actions, in the order they must be carried out.
// Within a teardown to Idle the order is normalized: NOTIFICATION first, then timers stopped,
// routes deleted, resources released, TCP dropped last (so the NOTIFICATION is flushed).
//
// Contract with the caller:
//  - Deliver an OPEN received on this connection with open_event() (19 or 20); step()
//    applies validate_open() itself and treats a failing OPEN as Event 22.
//  - In OpenConfirm / Established, Event 19 means "an OPEN for the same peer arrived on the
//    colliding connection" (§6.8, the peer manager forwards it); step() closes this session
//    with Cease / Connection Collision Resolution if resolve_collision() says it loses.
//  - Timers: execute StartTimer / StopTimer exactly; deliver *_Expires only for a timer that
//    is running. When the session layer sends an UPDATE it restarts the KeepaliveTimer itself
//    (§8.2.2 Established: "each time the local system sends a KEEPALIVE or UPDATE message");
//    sending UPDATEs is not an FSM event.
Transition step(const Session& session, const Event& event);

// ---- Pure helpers the session layer and peer manager share with step(). ----

// The checks of an OPEN that belong to the FSM rather than the codec (§6.2): Bad Peer AS,
// Bad BGP Identifier (zero, or equal to ours on iBGP, RFC 6286 §2.2), Unacceptable Hold Time
// (1 or 2 seconds). Returns the NOTIFICATION to send, or nothing if the OPEN is acceptable.
std::optional<Notification> validate_open(const Config& config, const OpenInfo& open);

// §4.2 / §10: the smaller of both hold times; keepalive is a third of it (0 when hold is 0).
std::uint16_t negotiate_hold_time(std::uint16_t local, std::uint16_t remote);
std::uint16_t keepalive_time_for(std::uint16_t negotiated_hold_time);

// Picks Event 19 or 20 for a received OPEN, by whether this session's DelayOpenTimer runs.
Event open_event(const Session& session, const OpenInfo& open);
// Picks Event 24 (version error: OPEN Message Error / Unsupported Version) or Event 25.
Event notification_event(const Notification& notification);

// §6.8: which connection survives a collision: the one initiated by the speaker with the
// higher BGP Identifier; equal identifiers fall back to the higher AS (RFC 6286 §2.3).
Direction collision_survivor(std::uint32_t local_id, std::uint32_t remote_id,
                             std::uint32_t local_as, std::uint32_t remote_as);

enum class CollisionVerdict { NoCollision, CloseExisting, CloseNew };
// A new connection (of `new_direction`) received an OPEN from remote_id/remote_as while
// `existing` is a session to the same peer. Idle/Connect/Active cannot collide; Established
// keeps the existing one unless CollisionDetectEstablishedState; OpenSent is examined too
// (§6.8 allows it: the peer's identifier is the one in the new OPEN).
CollisionVerdict resolve_collision(const Session& existing, Direction new_direction,
                                   std::uint32_t remote_id, std::uint32_t remote_as);

}  // namespace podnet::bgp::fsm
