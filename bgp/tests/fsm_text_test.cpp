// The text form of events and actions, and the replay file format built on it.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "bgp/fsm_text.hpp"
#include "bgp/tests/fsm_replay.hpp"

namespace podnet::bgp::fsm {
namespace {

// One canonical text per event kind, payloads included.
const std::vector<std::string>& every_event_text() {
  static const std::vector<std::string> v = {
      "ManualStart",
      "ManualStop",
      "AutomaticStart",
      "ManualStart_with_PassiveTcpEstablishment",
      "AutomaticStart_with_PassiveTcpEstablishment",
      "AutomaticStart_with_DampPeerOscillations",
      "AutomaticStart_with_DampPeerOscillations_and_PassiveTcpEstablishment",
      "AutomaticStop subcode=1",
      "ConnectRetryTimer_Expires",
      "HoldTimer_Expires",
      "KeepaliveTimer_Expires",
      "DelayOpenTimer_Expires",
      "IdleHoldTimer_Expires",
      "TcpConnection_Valid",
      "Tcp_CR_Invalid",
      "Tcp_CR_Acked",
      "TcpConnectionConfirmed",
      "TcpConnectionFails",
      "BGPOpen as=4200000001 hold=90 id=192.168.255.1 caps=mp4+mp6+rr+as4+gr+enh+addpath+err",
      "BGPOpen_with_DelayOpenTimer_running as=65001 hold=0 id=10.0.0.2",
      "BGPHeaderErr subcode=2 data=0013",
      "BGPOpenMsgErr subcode=1 data=0004",
      "OpenCollisionDump",
      "NotifMsgVerErr code=2 subcode=1 data=0004",
      "NotifMsg code=6 subcode=2 data=ff00",
      "KeepAliveMsg",
      "UpdateMsg",
      "UpdateMsgErr subcode=11",
  };
  return v;
}

TEST(FsmText, EveryEventRoundTripsInRfcOrder) {
  ASSERT_EQ(every_event_text().size(), static_cast<std::size_t>(kEventCount));
  for (std::size_t i = 0; i < every_event_text().size(); ++i) {
    const std::string& text = every_event_text()[i];
    auto e = parse_event(text);
    ASSERT_TRUE(e.ok()) << text << ": " << e.error().message;
    EXPECT_EQ(event_number(*e), static_cast<int>(i) + 1) << text;
    EXPECT_EQ(to_string(*e), text);
    EXPECT_EQ(event_name(event_number(*e)), text.substr(0, text.find(' ')));
  }
}

TEST(FsmText, PayloadsAreParsed) {
  auto e = parse_event("BGPOpen as=4200000001 hold=90 id=192.168.255.1 caps=rr+as4");
  ASSERT_TRUE(e.ok());
  const auto& open = std::get<ev::BGPOpen>(*e).open;
  EXPECT_EQ(open.peer_as, 4200000001u);
  EXPECT_EQ(open.hold_time, 90);
  EXPECT_EQ(open.bgp_id, 0xc0a8ff01u);
  EXPECT_EQ(open.capabilities, kCapRouteRefresh | kCapFourOctetAs);
  auto n = parse_event("NotifMsg code=6 subcode=2 data=ff00");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(std::get<ev::NotifMsg>(*n).notification,
            (Notification{6, 2, std::vector<std::uint8_t>{0xff, 0x00}}));
}

TEST(FsmText, MalformedEventsAreRejected) {
  for (const char* bad :
       {"", "NoSuchEvent", "ManualStart extra=1", "BGPOpen as=x", "BGPOpen as=1 as=2",
        "BGPOpen id=10.0.0", "BGPOpen id=10.0.0.256", "BGPOpen hold=65536",
        "BGPOpen caps=as4+bogus", "NotifMsg code=256", "NotifMsg data=abc", "NotifMsg data=zz",
        "BGPHeaderErr code=1", "UpdateMsgErr subcode", "AutomaticStop subcode=-1"}) {
    auto e = parse_event(bad);
    EXPECT_FALSE(e.ok()) << "'" << bad << "' parsed";
    if (!e.ok()) {
      EXPECT_EQ(e.error().code, podnet::Errc::invalid);
    }
  }
}

TEST(FsmText, EveryActionRoundTrips) {
  const std::vector<std::string> texts = {
      "SendOpen",
      "SendKeepalive",
      "SendNotification code=4 subcode=0",
      "SendNotification code=3 subcode=3 data=0101",
      "StartTimer ConnectRetry 120",
      "StartTimer Hold 240",
      "StartTimer Keepalive 30",
      "StartTimer DelayOpen 5",
      "StartTimer IdleHold 30",
      "StopTimer Hold",
      "InitiateTcpConnection",
      "AcceptTcpConnection",
      "RejectTcpConnection",
      "DropTcpConnection",
      "TrackSecondConnection incoming",
      "TrackSecondConnection outgoing",
      "TrackSecondConnection unknown",
      "ReleaseResources",
      "DeleteRoutes",
      "ProcessUpdate",
      "SessionEstablished",
  };
  std::set<std::size_t> kinds;
  for (const auto& text : texts) {
    auto a = parse_action(text);
    ASSERT_TRUE(a.ok()) << text << ": " << a.error().message;
    EXPECT_EQ(to_string(*a), text);
    kinds.insert(a->index());
  }
  EXPECT_EQ(kinds.size(), std::variant_size_v<Action>);  // every action kind has a text form
  for (const char* bad : {"", "Nope", "StartTimer Hold", "StartTimer Bogus 3", "StopTimer",
                          "SendOpen now", "TrackSecondConnection sideways"}) {
    EXPECT_FALSE(parse_action(bad).ok()) << "'" << bad << "' parsed";
  }
}

TEST(FsmText, StatesAndTimers) {
  for (State s : {State::Idle, State::Connect, State::Active, State::OpenSent, State::OpenConfirm,
                  State::Established}) {
    auto p = parse_state(to_string(s));
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(*p, s);
  }
  EXPECT_FALSE(parse_state("Estab").ok());
  EXPECT_FALSE(parse_timer("Retry").ok());
  EXPECT_EQ(format_bgp_id(0x0a000001), "10.0.0.1");
}

TEST(FsmReplayFormat, RecordedRunsReplay) {
  Config c;
  c.local_as = 65000;
  c.local_id = 0x0a000001;
  c.peer_as = 65001;
  c.delay_open = true;
  c.delay_open_time = 7;
  std::vector<Event> events;
  for (const auto& text : every_event_text()) events.push_back(*parse_event(text));
  const std::string recorded = replay::record(c, events);
  auto parsed = replay::parse(recorded);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->config, c);
  EXPECT_EQ(parsed->steps.size(), events.size());
  EXPECT_TRUE(replay::run(*parsed).empty());
}

TEST(FsmReplayFormat, MismatchesAreReportedWithTheirLine) {
  const std::string text =
      "config local_as=65000 local_id=10.0.0.1 peer_as=65001\n"
      "event ManualStart\n"
      "  state Active        # wrong: an active start goes to Connect\n"
      "  counter 1           # wrong: a start zeroes the counter\n"
      "  action StartTimer ConnectRetry 120\n";
  auto r = replay::parse(text);
  ASSERT_TRUE(r.ok()) << r.error().message;
  const auto problems = replay::run(*r);
  ASSERT_EQ(problems.size(), 3u);
  EXPECT_NE(problems[0].find("line 2"), std::string::npos);
  EXPECT_NE(problems[0].find("state Connect, expected Active"), std::string::npos);
  EXPECT_NE(problems[1].find("counter 0, expected 1"), std::string::npos);
  EXPECT_NE(problems[2].find("InitiateTcpConnection"), std::string::npos);
}

TEST(FsmReplayFormat, MalformedFilesAreRejected) {
  for (const char* bad : {
           "event ManualStart\n  state Connect\n",    // no config first
           "config local_as=1\nevent ManualStart\n",  // no state
           "config local_as=1\nevent ManualStart\nevent ManualStop\n  state Idle\n",
           "config local_as=1\nstate Idle\n",                          // state before event
           "config bogus=1\n",                                         // unknown config key
           "config delay_open=maybe\n",                                // bad boolean
           "config local_as=1\nevent ManualStart\n  state Nowhere\n",  // bad state
           "config local_as=1\nevent ManualStart\n  state Connect\n  action Fly\n",
           "config local_as=1\nconfig local_as=2\n",
           "config local_as=1\nfrobnicate\n",
       }) {
    EXPECT_FALSE(replay::parse(bad).ok()) << bad;
  }
  EXPECT_FALSE(replay::load("/nonexistent/x.replay").ok());
}

}  // namespace
}  // namespace podnet::bgp::fsm
