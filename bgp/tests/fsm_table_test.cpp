// Every state x event pair of RFC 4271 §8.2.2, written down from the RFC text (each row names
// its paragraph), checked against step(). A row may cover several events when the RFC gives
// them one paragraph ("In response to any other event (Events 8, 10-11, ...)"), and a pair may
// have several rows when the RFC branches (DelayOpenTimer running or not, an OPEN that passes
// or fails the checks, a collision won or lost, ...).
//
// Each fixture is reached by feeding events from Idle (so fixtures are themselves FSM runs),
// then ConnectRetryCounter is set to 3 so that "sets to zero" (0), "unchanged" (3) and
// "increments by 1" (4) are told apart. All rows use local AS 65000 / ID 10.0.0.1 and a peer of
// AS 65001 / ID 10.0.0.2, HoldTime 90 (keepalive 30), ConnectRetryTime 120, large hold 240,
// DelayOpenTime 5 where DelayOpen is set.
//
// Action order within a teardown to Idle is the normalized one documented at step().
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "bgp/fsm.hpp"
#include "bgp/fsm_text.hpp"

namespace podnet::bgp::fsm {
namespace {

// Canonical payloads.
const std::string kOpen = "BGPOpen as=65001 hold=90 id=10.0.0.2";
const std::string kOpenDelay = "BGPOpen_with_DelayOpenTimer_running as=65001 hold=90 id=10.0.0.2";
const std::string kHeaderErr = "BGPHeaderErr subcode=2 data=0013";
const std::string kOpenErr = "BGPOpenMsgErr subcode=1 data=0004";
const std::string kVerErr = "NotifMsgVerErr code=2 subcode=1 data=0004";
const std::string kNotif = "NotifMsg code=6 subcode=2";
const std::string kUpdateErr = "UpdateMsgErr subcode=3";
const std::string kAutoStop = "AutomaticStop subcode=1";

Config base_config() {
  Config c;
  c.local_as = 65000;
  c.local_id = 0x0a000001;  // 10.0.0.1
  c.peer_as = 65001;
  c.hold_time = 90;
  c.connect_retry_time = 120;
  c.large_hold_time = 240;
  return c;
}

struct Fixture {
  std::function<void(Config&)> configure;
  std::vector<std::string> events;  // from Idle
  State state;                      // the state the events must reach
};

const std::map<std::string, Fixture>& fixtures() {
  auto delay = [](Config& c) {
    c.delay_open = true;
    c.delay_open_time = 5;
  };
  auto delay_notify = [](Config& c) {
    c.delay_open = true;
    c.delay_open_time = 5;
    c.send_notification_without_open = true;
  };
  auto notify = [](Config& c) { c.send_notification_without_open = true; };
  auto damp = [](Config& c) {
    c.damp_peer_oscillations = true;
    c.idle_hold_time = 30;
  };
  auto high_id = [](Config& c) { c.local_id = 0x0a000009; };  // 10.0.0.9 beats 10.0.0.2
  auto cde = [](Config& c) { c.collision_detect_established = true; };
  auto cde_high = [](Config& c) {
    c.collision_detect_established = true;
    c.local_id = 0x0a000009;
  };
  auto none = [](Config&) {};
  const std::string passive = "ManualStart_with_PassiveTcpEstablishment";
  static const std::map<std::string, Fixture> f = {
      {"idle", {none, {}, State::Idle}},
      {"idle/damp", {damp, {}, State::Idle}},
      {"idle/damp-pending", {damp, {"AutomaticStart_with_DampPeerOscillations"}, State::Idle}},
      // Connect: ConnectRetryTimer running.
      {"connect", {none, {"ManualStart"}, State::Connect}},
      {"connect/notify", {notify, {"ManualStart"}, State::Connect}},
      {"connect/delay-configured", {delay, {"ManualStart"}, State::Connect}},
      // Connect with the DelayOpenTimer running (TCP up, OPEN delayed).
      {"connect/delaying", {delay, {"ManualStart", "Tcp_CR_Acked"}, State::Connect}},
      // Active, passive start: ConnectRetryTimer running.
      {"active", {none, {passive}, State::Active}},
      {"active/notify", {notify, {passive}, State::Active}},
      {"active/delay-configured", {delay, {passive}, State::Active}},
      // Active reached from Connect (not passive): ConnectRetryTimer running.
      {"active/not-passive",
       {delay, {"ManualStart", "Tcp_CR_Acked", "TcpConnectionFails"}, State::Active}},
      // Active with the DelayOpenTimer running.
      {"active/delaying", {delay, {passive, "TcpConnectionConfirmed"}, State::Active}},
      {"active/delaying-notify",
       {delay_notify, {passive, "TcpConnectionConfirmed"}, State::Active}},
      // OpenSent: large HoldTimer running, outgoing connection.
      {"opensent", {none, {"ManualStart", "Tcp_CR_Acked"}, State::OpenSent}},
      // OpenConfirm: HoldTimer 90 and KeepaliveTimer 30 running, outgoing connection.
      {"openconfirm", {none, {"ManualStart", "Tcp_CR_Acked", kOpen}, State::OpenConfirm}},
      {"openconfirm/high-id",
       {high_id, {"ManualStart", "Tcp_CR_Acked", kOpen}, State::OpenConfirm}},
      {"established",
       {none, {"ManualStart", "Tcp_CR_Acked", kOpen, "KeepAliveMsg"}, State::Established}},
      {"established/hold0",
       {none,
        {"ManualStart", "Tcp_CR_Acked", "BGPOpen as=65001 hold=0 id=10.0.0.2", "KeepAliveMsg"},
        State::Established}},
      {"established/cde",
       {cde, {"ManualStart", "Tcp_CR_Acked", kOpen, "KeepAliveMsg"}, State::Established}},
      {"established/cde-high-id",
       {cde_high, {"ManualStart", "Tcp_CR_Acked", kOpen, "KeepAliveMsg"}, State::Established}},
  };
  return f;
}

struct Row {
  std::string fixture;
  std::vector<std::string> events;
  State state;
  std::uint32_t counter;
  std::vector<std::string> actions;
  std::string rfc;  // the §8.2.2 paragraph the row is read from
};

// Shorthands for the action lists the RFC repeats.
using V = std::vector<std::string>;
const V kStartEvents = {"ManualStart",
                        "AutomaticStart",
                        "ManualStart_with_PassiveTcpEstablishment",
                        "AutomaticStart_with_PassiveTcpEstablishment",
                        "AutomaticStart_with_DampPeerOscillations",
                        "AutomaticStart_with_DampPeerOscillations_and_PassiveTcpEstablishment"};
const std::string kRelease = "ReleaseResources";
const std::string kDrop = "DropTcpConnection";

std::vector<Row> rows() {
  std::vector<Row> r;
  const V stop_cr_release = {"StopTimer ConnectRetry", kRelease, kDrop};
  const V stop_delay_release = {"StopTimer DelayOpen", kRelease, kDrop};
  const V opensent_down = {"StopTimer Hold", kRelease, kDrop};
  const V openconfirm_down = {"StopTimer Hold", "StopTimer Keepalive", kRelease, kDrop};
  const V established_down = {"StopTimer Hold", "StopTimer Keepalive", "DeleteRoutes", kRelease,
                              kDrop};
  auto with = [](std::string first, V rest) {
    rest.insert(rest.begin(), std::move(first));
    return rest;
  };

  // ---------------- Idle ----------------
  r.push_back({"idle",
               {"ManualStart", "AutomaticStart"},
               State::Connect,
               0,
               {"StartTimer ConnectRetry 120", "InitiateTcpConnection"},
               "Idle: ManualStart (Event 1) or AutomaticStart (Event 3): counter to zero, start "
               "ConnectRetryTimer, initiate TCP, listen, -> Connect"});
  r.push_back({"idle",
               {"ManualStop", kAutoStop},
               State::Idle,
               3,
               {},
               "Idle: ManualStop (Event 2) and AutomaticStop (Event 8) are ignored"});
  r.push_back(
      {"idle",
       {"ManualStart_with_PassiveTcpEstablishment", "AutomaticStart_with_PassiveTcpEstablishment"},
       State::Active,
       0,
       {"StartTimer ConnectRetry 120"},
       "Idle: Events 4 and 5: counter to zero, start ConnectRetryTimer, listen, -> Active"});
  r.push_back({"idle/damp",
               {"AutomaticStart_with_DampPeerOscillations",
                "AutomaticStart_with_DampPeerOscillations_and_PassiveTcpEstablishment"},
               State::Idle,
               3,
               {"StartTimer IdleHold 30"},
               "Idle: with DampPeerOscillations, Events 6 and 7 are used to prevent peer "
               "oscillation (held for IdleHoldTime)"});
  r.push_back({"idle",
               {"AutomaticStart_with_DampPeerOscillations"},
               State::Connect,
               0,
               {"StartTimer ConnectRetry 120", "InitiateTcpConnection"},
               "Idle: Event 6 without damping configured starts like Event 3"});
  r.push_back({"idle",
               {"AutomaticStart_with_DampPeerOscillations_and_PassiveTcpEstablishment"},
               State::Active,
               0,
               {"StartTimer ConnectRetry 120"},
               "Idle: Event 7 without damping configured starts like Event 5"});
  r.push_back(
      {"idle/damp-pending",
       {"IdleHoldTimer_Expires"},
       State::Connect,
       0,
       {"StartTimer ConnectRetry 120", "InitiateTcpConnection"},
       "Idle: IdleHoldTimer_Expires (Event 13) ends the damping hold: the held start runs"});
  r.push_back({"idle",
               {"IdleHoldTimer_Expires"},
               State::Idle,
               3,
               {},
               "Idle: Event 13 with no start held: no change"});
  r.push_back({"idle",
               {"ConnectRetryTimer_Expires", "HoldTimer_Expires", "KeepaliveTimer_Expires",
                "DelayOpenTimer_Expires", "Tcp_CR_Invalid", "TcpConnectionFails", kOpen, kOpenDelay,
                kHeaderErr, kOpenErr, "OpenCollisionDump", kVerErr, kNotif, "KeepAliveMsg",
                "UpdateMsg", kUpdateErr},
               State::Idle,
               3,
               {},
               "Idle: any other event (Events 9-12, 15-28) does not cause change in the state"});
  r.push_back({"idle",
               {"Tcp_CR_Acked", "TcpConnectionConfirmed"},
               State::Idle,
               3,
               {kDrop},
               "Idle: Events 16-17 cause no state change; Idle refuses all incoming BGP "
               "connections, so the connection is closed (deviation: RFC names no action)"});
  r.push_back({"idle",
               {"TcpConnection_Valid"},
               State::Idle,
               3,
               {"RejectTcpConnection"},
               "Idle: \"refuses all incoming BGP connections for this peer\" (Event 14 is not "
               "in the no-change list)"});

  // ---------------- Connect ----------------
  r.push_back({"connect",
               kStartEvents,
               State::Connect,
               3,
               {},
               "Connect: the start events (Events 1, 3-7) are ignored"});
  r.push_back({"connect",
               {"ManualStop"},
               State::Idle,
               0,
               stop_cr_release,
               "Connect: ManualStop: drop TCP, release, counter to zero, stop ConnectRetryTimer"});
  r.push_back({"connect",
               {"ConnectRetryTimer_Expires"},
               State::Connect,
               3,
               {kDrop, "StartTimer ConnectRetry 120", "InitiateTcpConnection"},
               "Connect: ConnectRetryTimer_Expires: drop TCP, restart ConnectRetryTimer, stop "
               "DelayOpenTimer, initiate TCP, stay"});
  r.push_back(
      {"connect/delaying",
       {"ConnectRetryTimer_Expires"},
       State::Connect,
       3,
       {kDrop, "StartTimer ConnectRetry 120", "StopTimer DelayOpen", "InitiateTcpConnection"},
       "Connect: ConnectRetryTimer_Expires stops a running DelayOpenTimer"});
  r.push_back({"connect/delaying",
               {"DelayOpenTimer_Expires"},
               State::OpenSent,
               3,
               {"SendOpen", "StartTimer Hold 240"},
               "Connect: DelayOpenTimer_Expires: send OPEN, HoldTimer to a large value, -> "
               "OpenSent"});
  r.push_back({"connect",
               {"TcpConnection_Valid"},
               State::Connect,
               3,
               {"AcceptTcpConnection"},
               "Connect: TcpConnection_Valid: the TCP connection is processed, stay"});
  r.push_back({"connect",
               {"Tcp_CR_Invalid"},
               State::Connect,
               3,
               {"RejectTcpConnection"},
               "Connect: Tcp_CR_Invalid: reject the TCP connection, stay"});
  r.push_back({"connect",
               {"Tcp_CR_Acked", "TcpConnectionConfirmed"},
               State::OpenSent,
               3,
               {"StopTimer ConnectRetry", "SendOpen", "StartTimer Hold 240"},
               "Connect: Events 16/17 with DelayOpen FALSE: stop ConnectRetryTimer, send OPEN, "
               "HoldTimer large (4 min), -> OpenSent"});
  r.push_back({"connect/delay-configured",
               {"Tcp_CR_Acked", "TcpConnectionConfirmed"},
               State::Connect,
               3,
               {"StopTimer ConnectRetry", "StartTimer DelayOpen 5"},
               "Connect: Events 16/17 with DelayOpen TRUE: stop ConnectRetryTimer, start "
               "DelayOpenTimer, stay"});
  r.push_back({"connect/delaying",
               {"TcpConnectionFails"},
               State::Active,
               3,
               {kDrop, "StartTimer ConnectRetry 120", "StopTimer DelayOpen"},
               "Connect: TcpConnectionFails with DelayOpenTimer running: restart "
               "ConnectRetryTimer, stop DelayOpenTimer, listen, -> Active"});
  r.push_back({"connect",
               {"TcpConnectionFails"},
               State::Idle,
               3,
               stop_cr_release,
               "Connect: TcpConnectionFails, DelayOpenTimer not running: stop ConnectRetryTimer, "
               "drop TCP, release, -> Idle (counter unchanged)"});
  r.push_back({"connect/delaying",
               {kOpenDelay},
               State::OpenConfirm,
               3,
               {"StopTimer DelayOpen", "SendOpen", "SendKeepalive", "StartTimer Keepalive 30",
                "StartTimer Hold 90"},
               "Connect: BGPOpen with DelayOpenTimer running (Event 20): stop timers, send OPEN "
               "and KEEPALIVE, KeepaliveTimer and HoldTimer to negotiated values, -> OpenConfirm"});
  r.push_back({"connect/delaying",
               {"BGPOpen_with_DelayOpenTimer_running as=65001 hold=0 id=10.0.0.2"},
               State::OpenConfirm,
               3,
               {"StopTimer DelayOpen", "SendOpen", "SendKeepalive"},
               "Connect: Event 20 with a zero hold time: KeepaliveTimer and HoldTimer stay reset"});
  r.push_back({"connect/delaying",
               {"BGPOpen_with_DelayOpenTimer_running as=65099 hold=90 id=10.0.0.2"},
               State::Idle,
               4,
               stop_delay_release,
               "Connect: an OPEN failing §6.2 checks is Event 22 (no NOTIFICATION without "
               "SendNOTIFICATIONwithoutOPEN)"});
  r.push_back({"connect",
               {kHeaderErr, kOpenErr},
               State::Idle,
               4,
               stop_cr_release,
               "Connect: BGPHeaderErr / BGPOpenMsgErr: stop ConnectRetryTimer, release, drop "
               "TCP, counter + 1, -> Idle"});
  r.push_back({"connect/notify",
               {kHeaderErr},
               State::Idle,
               4,
               with("SendNotification code=1 subcode=2 data=0013", stop_cr_release),
               "Connect: Event 21 with SendNOTIFICATIONwithoutOPEN sends the NOTIFICATION first"});
  r.push_back({"connect/notify",
               {kOpenErr},
               State::Idle,
               4,
               with("SendNotification code=2 subcode=1 data=0004", stop_cr_release),
               "Connect: Event 22 with SendNOTIFICATIONwithoutOPEN sends the NOTIFICATION first"});
  r.push_back({"connect/delaying",
               {kVerErr},
               State::Idle,
               3,
               stop_delay_release,
               "Connect: NotifMsgVerErr with DelayOpenTimer running: stop timers, release, drop "
               "TCP, -> Idle (counter unchanged)"});
  r.push_back({"connect",
               {kVerErr},
               State::Idle,
               4,
               stop_cr_release,
               "Connect: NotifMsgVerErr, DelayOpenTimer not running: counter + 1, -> Idle"});
  r.push_back({"connect",
               {kAutoStop, "HoldTimer_Expires", "KeepaliveTimer_Expires", "IdleHoldTimer_Expires",
                kOpen, "OpenCollisionDump", kNotif, "KeepAliveMsg", "UpdateMsg", kUpdateErr},
               State::Idle,
               4,
               stop_cr_release,
               "Connect: any other events (Events 8, 10-11, 13, 19, 23, 25-28): stop timers, "
               "release, drop TCP, counter + 1, -> Idle"});

  // ---------------- Active ----------------
  r.push_back({"active",
               kStartEvents,
               State::Active,
               3,
               {},
               "Active: the start events (Events 1, 3-7) are ignored"});
  r.push_back({"active",
               {"ManualStop"},
               State::Idle,
               0,
               stop_cr_release,
               "Active: ManualStop: release, drop TCP, counter to zero, stop ConnectRetryTimer"});
  r.push_back({"active/delaying-notify",
               {"ManualStop"},
               State::Idle,
               0,
               with("SendNotification code=6 subcode=2", stop_delay_release),
               "Active: ManualStop with DelayOpenTimer running and SendNOTIFICATIONwithoutOPEN: "
               "NOTIFICATION Cease first"});
  r.push_back({"active/delaying",
               {"ManualStop"},
               State::Idle,
               0,
               stop_delay_release,
               "Active: ManualStop with DelayOpenTimer running, no SendNOTIFICATIONwithoutOPEN"});
  r.push_back({"active/not-passive",
               {"ConnectRetryTimer_Expires"},
               State::Connect,
               3,
               {"StartTimer ConnectRetry 120", "InitiateTcpConnection"},
               "Active: ConnectRetryTimer_Expires: restart ConnectRetryTimer, initiate TCP, -> "
               "Connect"});
  r.push_back({"active",
               {"ConnectRetryTimer_Expires"},
               State::Active,
               3,
               {"StartTimer ConnectRetry 120"},
               "Active: ConnectRetryTimer_Expires under PassiveTcpEstablishment keeps listening "
               "(deviation: §8.1.1 passive waits for the remote to connect)"});
  r.push_back({"active/delaying",
               {"DelayOpenTimer_Expires"},
               State::OpenSent,
               3,
               {"SendOpen", "StartTimer Hold 240"},
               "Active: DelayOpenTimer_Expires: ConnectRetryTimer to zero, send OPEN, HoldTimer "
               "large, -> OpenSent"});
  r.push_back({"active",
               {"TcpConnection_Valid"},
               State::Active,
               3,
               {"AcceptTcpConnection"},
               "Active: TcpConnection_Valid: process the TCP connection flags, stay"});
  r.push_back({"active",
               {"Tcp_CR_Invalid"},
               State::Active,
               3,
               {"RejectTcpConnection"},
               "Active: Tcp_CR_Invalid: reject the TCP connection, stay"});
  r.push_back({"active",
               {"Tcp_CR_Acked", "TcpConnectionConfirmed"},
               State::OpenSent,
               3,
               {"StopTimer ConnectRetry", "SendOpen", "StartTimer Hold 240"},
               "Active: Events 16/17 with DelayOpen FALSE: ConnectRetryTimer to zero, send OPEN, "
               "HoldTimer large, -> OpenSent"});
  r.push_back({"active/delay-configured",
               {"Tcp_CR_Acked", "TcpConnectionConfirmed"},
               State::Active,
               3,
               {"StopTimer ConnectRetry", "StartTimer DelayOpen 5"},
               "Active: Events 16/17 with DelayOpen TRUE: stop ConnectRetryTimer, start "
               "DelayOpenTimer, stay"});
  r.push_back({"active",
               {"TcpConnectionFails"},
               State::Idle,
               4,
               stop_cr_release,
               "Active: TcpConnectionFails: release, counter + 1, -> Idle (deviation: the "
               "ConnectRetryTimer is stopped, not restarted, since Idle ignores Event 9)"});
  r.push_back({"active/delaying",
               {"TcpConnectionFails"},
               State::Idle,
               4,
               stop_delay_release,
               "Active: TcpConnectionFails stops and clears the DelayOpenTimer"});
  r.push_back({"active/delaying",
               {kOpenDelay},
               State::OpenConfirm,
               3,
               {"StopTimer DelayOpen", "SendOpen", "SendKeepalive", "StartTimer Keepalive 30",
                "StartTimer Hold 90"},
               "Active: BGPOpen with DelayOpenTimer running (Event 20): send OPEN and KEEPALIVE, "
               "negotiated timers, -> OpenConfirm"});
  r.push_back({"active",
               {kHeaderErr, kOpenErr},
               State::Idle,
               4,
               stop_cr_release,
               "Active: BGPHeaderErr / BGPOpenMsgErr: ConnectRetryTimer to zero, release, drop "
               "TCP, counter + 1, -> Idle"});
  r.push_back({"active/notify",
               {kHeaderErr},
               State::Idle,
               4,
               with("SendNotification code=1 subcode=2 data=0013", stop_cr_release),
               "Active: Event 21 with SendNOTIFICATIONwithoutOPEN sends the NOTIFICATION"});
  r.push_back({"active/notify",
               {kOpenErr},
               State::Idle,
               4,
               with("SendNotification code=2 subcode=1 data=0004", stop_cr_release),
               "Active: Event 22 with SendNOTIFICATIONwithoutOPEN sends the NOTIFICATION"});
  r.push_back({"active/delaying",
               {kVerErr},
               State::Idle,
               3,
               stop_delay_release,
               "Active: NotifMsgVerErr with DelayOpenTimer running: -> Idle, counter unchanged"});
  r.push_back({"active",
               {kVerErr},
               State::Idle,
               4,
               stop_cr_release,
               "Active: NotifMsgVerErr, DelayOpenTimer not running: counter + 1, -> Idle"});
  r.push_back({"active",
               {kAutoStop, "HoldTimer_Expires", "KeepaliveTimer_Expires", "IdleHoldTimer_Expires",
                kOpen, "OpenCollisionDump", kNotif, "KeepAliveMsg", "UpdateMsg", kUpdateErr},
               State::Idle,
               4,
               stop_cr_release,
               "Active: any other event (Events 8, 10-11, 13, 19, 23, 25-28): release, drop TCP, "
               "counter + 1, -> Idle"});

  // ---------------- OpenSent ----------------
  r.push_back({"opensent",
               kStartEvents,
               State::OpenSent,
               3,
               {},
               "OpenSent: the start events (Events 1, 3-7) are ignored"});
  r.push_back({"opensent",
               {"ManualStop"},
               State::Idle,
               0,
               with("SendNotification code=6 subcode=2", opensent_down),
               "OpenSent: ManualStop: NOTIFICATION Cease, release, drop TCP, counter to zero"});
  r.push_back({"opensent",
               {kAutoStop},
               State::Idle,
               4,
               with("SendNotification code=6 subcode=1", opensent_down),
               "OpenSent: AutomaticStop: NOTIFICATION Cease, release, drop TCP, counter + 1"});
  r.push_back({"opensent",
               {"HoldTimer_Expires"},
               State::Idle,
               4,
               {"SendNotification code=4 subcode=0", kRelease, kDrop},
               "OpenSent: HoldTimer_Expires: NOTIFICATION Hold Timer Expired, counter + 1"});
  r.push_back({"opensent",
               {"TcpConnection_Valid"},
               State::OpenSent,
               3,
               {"TrackSecondConnection unknown"},
               "OpenSent: Event 14: a second TCP connection is tracked per §6.8"});
  r.push_back({"opensent",
               {"Tcp_CR_Acked"},
               State::OpenSent,
               3,
               {"TrackSecondConnection outgoing"},
               "OpenSent: Event 16: a second TCP connection is tracked per §6.8"});
  r.push_back({"opensent",
               {"TcpConnectionConfirmed"},
               State::OpenSent,
               3,
               {"TrackSecondConnection incoming"},
               "OpenSent: Event 17: a second TCP connection is tracked per §6.8"});
  r.push_back({"opensent",
               {"Tcp_CR_Invalid"},
               State::OpenSent,
               3,
               {},
               "OpenSent: Tcp_CR_Invalid is ignored"});
  r.push_back({"opensent",
               {"TcpConnectionFails"},
               State::Active,
               3,
               {kDrop, "StopTimer Hold", "StartTimer ConnectRetry 120"},
               "OpenSent: TcpConnectionFails: close the BGP connection, restart "
               "ConnectRetryTimer, listen, -> Active"});
  r.push_back({"opensent",
               {kOpen},
               State::OpenConfirm,
               3,
               {"SendKeepalive", "StartTimer Keepalive 30", "StartTimer Hold 90"},
               "OpenSent: BGPOpen (Event 19): send KEEPALIVE, KeepaliveTimer, HoldTimer to the "
               "negotiated value, -> OpenConfirm"});
  r.push_back({"opensent",
               {"BGPOpen as=65001 hold=45 id=10.0.0.2"},
               State::OpenConfirm,
               3,
               {"SendKeepalive", "StartTimer Keepalive 15", "StartTimer Hold 45"},
               "OpenSent: Event 19: the negotiated hold time is the smaller one (§4.2)"});
  r.push_back({"opensent",
               {"BGPOpen as=65001 hold=0 id=10.0.0.2"},
               State::OpenConfirm,
               3,
               {"SendKeepalive", "StopTimer Hold"},
               "OpenSent: Event 19 with negotiated hold time zero: HoldTimer and KeepaliveTimer "
               "are not started"});
  r.push_back({"opensent",
               {"BGPOpen as=65099 hold=90 id=10.0.0.2"},
               State::Idle,
               4,
               with("SendNotification code=2 subcode=2", opensent_down),
               "OpenSent: OPEN checking detects an error (Bad Peer AS, §6.2): Event 22"});
  r.push_back({"opensent",
               {"BGPOpen as=65001 hold=2 id=10.0.0.2"},
               State::Idle,
               4,
               with("SendNotification code=2 subcode=6", opensent_down),
               "OpenSent: Event 22: Unacceptable Hold Time (1 or 2 s MUST be rejected, §6.2)"});
  r.push_back({"opensent",
               {"BGPOpen as=65001 hold=90 id=0.0.0.0"},
               State::Idle,
               4,
               with("SendNotification code=2 subcode=3", opensent_down),
               "OpenSent: Event 22: Bad BGP Identifier"});
  r.push_back({"opensent",
               {kHeaderErr},
               State::Idle,
               4,
               with("SendNotification code=1 subcode=2 data=0013", opensent_down),
               "OpenSent: BGPHeaderErr: NOTIFICATION with the error code, counter + 1"});
  r.push_back({"opensent",
               {kOpenErr},
               State::Idle,
               4,
               with("SendNotification code=2 subcode=1 data=0004", opensent_down),
               "OpenSent: BGPOpenMsgErr: NOTIFICATION with the error code, counter + 1"});
  r.push_back({"opensent",
               {"OpenCollisionDump"},
               State::Idle,
               4,
               with("SendNotification code=6 subcode=7", opensent_down),
               "OpenSent: OpenCollisionDump: NOTIFICATION Cease, counter + 1"});
  r.push_back({"opensent",
               {kVerErr},
               State::Idle,
               3,
               opensent_down,
               "OpenSent: NotifMsgVerErr: release, drop TCP, -> Idle (counter unchanged)"});
  r.push_back({"opensent",
               {"ConnectRetryTimer_Expires", "KeepaliveTimer_Expires", "DelayOpenTimer_Expires",
                "IdleHoldTimer_Expires"},
               State::Idle,
               4,
               with("SendNotification code=5 subcode=0", opensent_down),
               "OpenSent: any other event (Events 9, 11-13): NOTIFICATION FSM Error"});
  r.push_back({"opensent",
               {kOpenDelay, kNotif, "KeepAliveMsg", "UpdateMsg", kUpdateErr},
               State::Idle,
               4,
               with("SendNotification code=5 subcode=1", opensent_down),
               "OpenSent: any other event (Events 20, 25-28): NOTIFICATION FSM Error (RFC 6608 "
               "subcode 1, unexpected message in OpenSent)"});

  // ---------------- OpenConfirm ----------------
  r.push_back({"openconfirm",
               kStartEvents,
               State::OpenConfirm,
               3,
               {},
               "OpenConfirm: any start event (Events 1, 3-7) is ignored"});
  r.push_back({"openconfirm",
               {"ManualStop"},
               State::Idle,
               0,
               with("SendNotification code=6 subcode=2", openconfirm_down),
               "OpenConfirm: ManualStop: NOTIFICATION Cease, release, counter to zero"});
  r.push_back({"openconfirm",
               {kAutoStop},
               State::Idle,
               4,
               with("SendNotification code=6 subcode=1", openconfirm_down),
               "OpenConfirm: AutomaticStop: NOTIFICATION Cease, counter + 1"});
  r.push_back({"openconfirm",
               {"HoldTimer_Expires"},
               State::Idle,
               4,
               {"SendNotification code=4 subcode=0", "StopTimer Keepalive", kRelease, kDrop},
               "OpenConfirm: HoldTimer_Expires: NOTIFICATION Hold Timer Expired, counter + 1"});
  r.push_back({"openconfirm",
               {"KeepaliveTimer_Expires"},
               State::OpenConfirm,
               3,
               {"SendKeepalive", "StartTimer Keepalive 30"},
               "OpenConfirm: KeepaliveTimer_Expires: send KEEPALIVE, restart KeepaliveTimer"});
  r.push_back({"openconfirm",
               {"TcpConnection_Valid"},
               State::OpenConfirm,
               3,
               {"TrackSecondConnection unknown"},
               "OpenConfirm: Event 14: track the second connection"});
  r.push_back({"openconfirm",
               {"Tcp_CR_Acked"},
               State::OpenConfirm,
               3,
               {"TrackSecondConnection outgoing"},
               "OpenConfirm: Event 16: track the second connection"});
  r.push_back({"openconfirm",
               {"TcpConnectionConfirmed"},
               State::OpenConfirm,
               3,
               {"TrackSecondConnection incoming"},
               "OpenConfirm: Event 17: track the second connection"});
  r.push_back({"openconfirm",
               {"Tcp_CR_Invalid"},
               State::OpenConfirm,
               3,
               {},
               "OpenConfirm: Event 15: the second connection attempt is ignored"});
  r.push_back({"openconfirm",
               {"TcpConnectionFails", kNotif},
               State::Idle,
               4,
               openconfirm_down,
               "OpenConfirm: TcpConnectionFails or NotifMsg: release, drop TCP, counter + 1"});
  r.push_back({"openconfirm",
               {kVerErr},
               State::Idle,
               3,
               openconfirm_down,
               "OpenConfirm: NotifMsgVerErr: release, drop TCP, -> Idle (counter unchanged)"});
  r.push_back({"openconfirm",
               {kOpen},
               State::Idle,
               4,
               with("SendNotification code=6 subcode=7", openconfirm_down),
               "OpenConfirm: BGPOpen, collision per §6.8: local ID 10.0.0.1 < 10.0.0.2, so this "
               "(locally initiated) connection is dropped with Cease"});
  r.push_back({"openconfirm/high-id",
               {kOpen},
               State::OpenConfirm,
               3,
               {},
               "OpenConfirm: BGPOpen, collision per §6.8: local ID 10.0.0.9 wins, this "
               "(locally initiated) connection stays"});
  r.push_back({"openconfirm",
               {kHeaderErr},
               State::Idle,
               4,
               with("SendNotification code=1 subcode=2 data=0013", openconfirm_down),
               "OpenConfirm: BGPHeaderErr: NOTIFICATION with the error code, counter + 1"});
  r.push_back({"openconfirm",
               {kOpenErr},
               State::Idle,
               4,
               with("SendNotification code=2 subcode=1 data=0004", openconfirm_down),
               "OpenConfirm: BGPOpenMsgErr: NOTIFICATION with the error code, counter + 1"});
  r.push_back({"openconfirm",
               {"OpenCollisionDump"},
               State::Idle,
               4,
               with("SendNotification code=6 subcode=7", openconfirm_down),
               "OpenConfirm: OpenCollisionDump: NOTIFICATION Cease, counter + 1"});
  r.push_back({"openconfirm",
               {"KeepAliveMsg"},
               State::Established,
               3,
               {"StartTimer Hold 90", "SessionEstablished"},
               "OpenConfirm: KeepAliveMsg: restart HoldTimer, -> Established"});
  r.push_back({"openconfirm",
               {"ConnectRetryTimer_Expires", "DelayOpenTimer_Expires", "IdleHoldTimer_Expires"},
               State::Idle,
               4,
               with("SendNotification code=5 subcode=0", openconfirm_down),
               "OpenConfirm: any other event (Events 9, 12-13): NOTIFICATION FSM Error"});
  r.push_back({"openconfirm",
               {kOpenDelay, "UpdateMsg", kUpdateErr},
               State::Idle,
               4,
               with("SendNotification code=5 subcode=2", openconfirm_down),
               "OpenConfirm: any other event (Events 20, 27-28): NOTIFICATION FSM Error (RFC "
               "6608 subcode 2)"});

  // ---------------- Established ----------------
  r.push_back({"established",
               kStartEvents,
               State::Established,
               3,
               {},
               "Established: any Start event (Events 1, 3-7) is ignored"});
  r.push_back({"established",
               {"ManualStop"},
               State::Idle,
               0,
               with("SendNotification code=6 subcode=2", established_down),
               "Established: ManualStop: NOTIFICATION Cease, delete routes, release, counter to "
               "zero"});
  r.push_back({"established",
               {kAutoStop},
               State::Idle,
               4,
               with("SendNotification code=6 subcode=1", established_down),
               "Established: AutomaticStop: NOTIFICATION Cease, delete routes, counter + 1"});
  r.push_back({"established",
               {"HoldTimer_Expires"},
               State::Idle,
               4,
               {"SendNotification code=4 subcode=0", "StopTimer Keepalive", "DeleteRoutes",
                kRelease, kDrop},
               "Established: HoldTimer_Expires: NOTIFICATION Hold Timer Expired, counter + 1"});
  r.push_back({"established",
               {"KeepaliveTimer_Expires"},
               State::Established,
               3,
               {"SendKeepalive", "StartTimer Keepalive 30"},
               "Established: KeepaliveTimer_Expires: send KEEPALIVE, restart KeepaliveTimer"});
  r.push_back({"established/hold0",
               {"KeepaliveTimer_Expires"},
               State::Established,
               3,
               {"SendKeepalive"},
               "Established: KeepaliveTimer_Expires: not restarted when the negotiated HoldTime "
               "is zero"});
  r.push_back({"established",
               {"TcpConnection_Valid"},
               State::Established,
               3,
               {"TrackSecondConnection unknown"},
               "Established: TcpConnection_Valid causes the second connection to be tracked"});
  r.push_back({"established",
               {"Tcp_CR_Acked"},
               State::Established,
               3,
               {"TrackSecondConnection outgoing"},
               "Established: Event 16: the second connection SHALL be tracked"});
  r.push_back({"established",
               {"TcpConnectionConfirmed"},
               State::Established,
               3,
               {"TrackSecondConnection incoming"},
               "Established: Event 17: the second connection SHALL be tracked"});
  r.push_back({"established",
               {"Tcp_CR_Invalid"},
               State::Established,
               3,
               {},
               "Established: Tcp_CR_Invalid is ignored"});
  r.push_back({"established",
               {kOpen},
               State::Established,
               3,
               {},
               "Established: BGPOpen without CollisionDetectEstablishedState: the new connection "
               "is the one closed (§6.8), this one stays"});
  r.push_back({"established/cde",
               {kOpen},
               State::Idle,
               4,
               with("SendNotification code=6 subcode=7", established_down),
               "Established: BGPOpen with CollisionDetectEstablishedState, collision lost: "
               "NOTIFICATION Cease, delete routes, counter + 1"});
  r.push_back({"established/cde-high-id",
               {kOpen},
               State::Established,
               3,
               {},
               "Established: BGPOpen with CollisionDetectEstablishedState, collision won: stay"});
  r.push_back({"established",
               {"OpenCollisionDump"},
               State::Idle,
               4,
               with("SendNotification code=6 subcode=7", established_down),
               "Established: OpenCollisionDump: NOTIFICATION Cease, delete routes, counter + 1"});
  r.push_back({"established",
               {"TcpConnectionFails", kVerErr, kNotif},
               State::Idle,
               4,
               established_down,
               "Established: NotifMsgVerErr, NotifMsg or TcpConnectionFails: delete routes, "
               "release, drop TCP, counter + 1"});
  r.push_back({"established",
               {"KeepAliveMsg"},
               State::Established,
               3,
               {"StartTimer Hold 90"},
               "Established: KeepAliveMsg: restart HoldTimer"});
  r.push_back({"established/hold0",
               {"KeepAliveMsg"},
               State::Established,
               3,
               {},
               "Established: KeepAliveMsg: HoldTimer not restarted when negotiated HoldTime is 0"});
  r.push_back({"established",
               {"UpdateMsg"},
               State::Established,
               3,
               {"ProcessUpdate", "StartTimer Hold 90"},
               "Established: UpdateMsg: process the message, restart HoldTimer"});
  r.push_back({"established/hold0",
               {"UpdateMsg"},
               State::Established,
               3,
               {"ProcessUpdate"},
               "Established: UpdateMsg with negotiated HoldTime 0: process only"});
  r.push_back({"established",
               {kUpdateErr},
               State::Idle,
               4,
               with("SendNotification code=3 subcode=3", established_down),
               "Established: UpdateMsgErr: NOTIFICATION Update error, delete routes, counter + 1"});
  r.push_back({"established",
               {kHeaderErr},
               State::Idle,
               4,
               with("SendNotification code=1 subcode=2 data=0013", established_down),
               "Established: BGPHeaderErr (RFC lists it under FSM Error; deviation: §6.1 MUST "
               "report header errors as Message Header Error)"});
  r.push_back({"established",
               {kOpenDelay, kOpenErr},
               State::Idle,
               4,
               with("SendNotification code=5 subcode=3", established_down),
               "Established: any other event (Events 20, 22): NOTIFICATION FSM Error (RFC 6608 "
               "subcode 3), delete routes, counter + 1"});
  r.push_back({"established",
               {"ConnectRetryTimer_Expires", "DelayOpenTimer_Expires", "IdleHoldTimer_Expires"},
               State::Idle,
               4,
               with("SendNotification code=5 subcode=0", established_down),
               "Established: any other event (Events 9, 12-13): NOTIFICATION FSM Error"});
  return r;
}

Session reach(const std::string& name) {
  const Fixture& f = fixtures().at(name);
  Config c = base_config();
  f.configure(c);
  Session s = make_session(c);
  for (const auto& text : f.events) {
    auto e = parse_event(text);
    EXPECT_TRUE(e.ok()) << text;
    if (!e.ok()) break;
    s = step(s, *e).session;
  }
  EXPECT_EQ(to_string(s.state), to_string(f.state)) << "fixture " << name;
  s.connect_retry_counter = 3;
  return s;
}

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += "\n    " + s;
  return out;
}

TEST(FsmTable, EveryRowMatchesStep) {
  int checked = 0;
  for (const Row& row : rows()) {
    for (const auto& text : row.events) {
      SCOPED_TRACE(row.fixture + " + " + text + "  [RFC 4271 §8.2.2 " + row.rfc + "]");
      const Session before = reach(row.fixture);
      auto e = parse_event(text);
      ASSERT_TRUE(e.ok()) << e.error().message;
      const Transition t = step(before, *e);
      EXPECT_EQ(to_string(t.session.state), to_string(row.state));
      EXPECT_EQ(t.session.connect_retry_counter, row.counter);
      std::vector<std::string> got;
      for (const Action& a : t.actions) got.push_back(to_string(a));
      EXPECT_EQ(joined(got), joined(row.actions));
      // Every timer the FSM believes is running was started and not stopped since; in Idle
      // only the IdleHoldTimer may run.
      if (t.session.state == State::Idle) {
        EXPECT_EQ(t.session.running_timers & ~(1u << static_cast<int>(Timer::IdleHold)), 0u);
      }
      ++checked;
    }
  }
  EXPECT_GT(checked, 168);
  RecordProperty("rows", static_cast<int>(rows().size()));
  RecordProperty("cases", checked);
}

// The "done when" of the FSM: no (state, event) pair of §8.2.2 goes untested.
TEST(FsmTable, CoversEveryStateEventPair) {
  std::set<std::pair<int, int>> covered;
  for (const Row& row : rows()) {
    const State s = fixtures().at(row.fixture).state;
    for (const auto& text : row.events) {
      auto e = parse_event(text);
      ASSERT_TRUE(e.ok()) << text;
      covered.insert({static_cast<int>(s), event_number(*e)});
    }
  }
  std::vector<std::string> missing;
  for (int s = 0; s < 6; ++s) {
    for (int n = 1; n <= kEventCount; ++n) {
      if (!covered.count({s, n})) {
        missing.push_back(std::string(to_string(static_cast<State>(s))) + " x " +
                          std::string(event_name(n)));
      }
    }
  }
  EXPECT_TRUE(missing.empty()) << "no table row for:" << joined(missing);
  EXPECT_EQ(covered.size(), 6u * kEventCount);
}

}  // namespace
}  // namespace podnet::bgp::fsm
