// The pure decisions behind step(): OPEN checks (§6.2), hold-time negotiation (§4.2, §10),
// event classification and collision resolution (§6.8, RFC 6286 §2.3).
#include <gtest/gtest.h>

#include "bgp/fsm.hpp"
#include "bgp/fsm_text.hpp"

namespace podnet::bgp::fsm {
namespace {

constexpr std::uint32_t kId1 = 0x0a000001;  // 10.0.0.1
constexpr std::uint32_t kId2 = 0x0a000002;  // 10.0.0.2

Config ebgp() {
  Config c;
  c.local_as = 65000;
  c.local_id = kId1;
  c.peer_as = 65001;
  return c;
}

TEST(FsmOpenChecks, AcceptsAWellFormedOpen) {
  EXPECT_FALSE(validate_open(ebgp(), OpenInfo{65001, 90, kId2, 0}).has_value());
  EXPECT_FALSE(validate_open(ebgp(), OpenInfo{65001, 0, kId2, 0}).has_value());  // 0 is allowed
  EXPECT_FALSE(validate_open(ebgp(), OpenInfo{65001, 3, kId2, 0}).has_value());  // >= 3 allowed
}

TEST(FsmOpenChecks, BadPeerAs) {
  auto n = validate_open(ebgp(), OpenInfo{65002, 90, kId2, 0});
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(n->code, err::kOpenMessage);
  EXPECT_EQ(n->subcode, err::kBadPeerAs);
  Config any = ebgp();
  any.peer_as = 0;  // no expectation configured: any AS passes this check
  EXPECT_FALSE(validate_open(any, OpenInfo{65002, 90, kId2, 0}).has_value());
}

TEST(FsmOpenChecks, BadBgpIdentifier) {
  auto zero = validate_open(ebgp(), OpenInfo{65001, 90, 0, 0});
  ASSERT_TRUE(zero.has_value());
  EXPECT_EQ(zero->subcode, err::kBadBgpId);
  // Our own identifier: refused from an internal peer, allowed from an external one (RFC 6286).
  Config ibgp = ebgp();
  ibgp.peer_as = 65000;
  auto same = validate_open(ibgp, OpenInfo{65000, 90, kId1, 0});
  ASSERT_TRUE(same.has_value());
  EXPECT_EQ(same->subcode, err::kBadBgpId);
  EXPECT_FALSE(validate_open(ebgp(), OpenInfo{65001, 90, kId1, 0}).has_value());
}

TEST(FsmOpenChecks, HoldTimeOfOneOrTwoSecondsIsRefused) {
  for (std::uint16_t hold : {1, 2}) {
    auto n = validate_open(ebgp(), OpenInfo{65001, hold, kId2, 0});
    ASSERT_TRUE(n.has_value()) << hold;
    EXPECT_EQ(n->code, err::kOpenMessage);
    EXPECT_EQ(n->subcode, err::kUnacceptableHoldTime);
  }
}

TEST(FsmNegotiation, HoldTimeIsTheSmallerAndKeepaliveAThird) {
  EXPECT_EQ(negotiate_hold_time(90, 180), 90);
  EXPECT_EQ(negotiate_hold_time(90, 30), 30);
  EXPECT_EQ(negotiate_hold_time(90, 0), 0);
  EXPECT_EQ(negotiate_hold_time(0, 90), 0);
  EXPECT_EQ(keepalive_time_for(90), 30);
  EXPECT_EQ(keepalive_time_for(3), 1);
  EXPECT_EQ(keepalive_time_for(4), 1);
  EXPECT_EQ(keepalive_time_for(0), 0);
  EXPECT_EQ(keepalive_time_for(65535), 21845);
}

TEST(FsmNegotiation, ConfiguredKeepaliveIsUsedWhenShorterThanAThirdOfTheHoldTime) {
  auto keepalive_after_open = [](uint16_t configured, uint16_t hold) {
    Config c = ebgp();
    c.hold_time = 240;
    c.keepalive_time = configured;
    Session s = make_session(c);
    s = step(s, ev::ManualStart{}).session;
    s = step(s, ev::Tcp_CR_Acked{}).session;
    s = step(s, ev::BGPOpen{OpenInfo{65001, hold, kId2, 0}}).session;
    EXPECT_EQ(s.state, State::OpenConfirm);
    return s.keepalive_time;
  };
  EXPECT_EQ(keepalive_after_open(0, 240), 80);
  EXPECT_EQ(keepalive_after_open(20, 240), 20);
  EXPECT_EQ(keepalive_after_open(20, 9), 3);  // never beyond a third of what was negotiated
  EXPECT_EQ(keepalive_after_open(20, 0), 0);  // no keepalives at all with hold time 0
}

TEST(FsmNegotiation, CapabilitiesAreTheIntersection) {
  Config c = ebgp();
  c.local_capabilities = kCapMpIpv4Unicast | kCapRouteRefresh | kCapFourOctetAs;
  Session s = make_session(c);
  for (const char* e :
       {"ManualStart", "Tcp_CR_Acked", "BGPOpen as=65001 hold=90 id=10.0.0.2 caps=mp4+as4+gr"}) {
    s = step(s, *parse_event(e)).session;
  }
  ASSERT_EQ(s.state, State::OpenConfirm);
  EXPECT_EQ(s.negotiated_capabilities, kCapMpIpv4Unicast | kCapFourOctetAs);
  EXPECT_FALSE(s.internal);
  ASSERT_TRUE(s.peer_open.has_value());
  EXPECT_EQ(s.peer_open->bgp_id, kId2);
}

TEST(FsmClassify, OpenEventDependsOnTheDelayOpenTimer) {
  Config c = ebgp();
  c.delay_open = true;
  c.delay_open_time = 5;
  Session s = make_session(c);
  const OpenInfo open{65001, 90, kId2, 0};
  s = step(s, ev::ManualStart{}).session;
  EXPECT_EQ(event_number(open_event(s, open)), 19);
  s = step(s, ev::Tcp_CR_Acked{}).session;
  ASSERT_TRUE(s.timer_running(Timer::DelayOpen));
  EXPECT_EQ(event_number(open_event(s, open)), 20);
}

TEST(FsmClassify, VersionErrorNotification) {
  EXPECT_EQ(event_number(notification_event(Notification{2, 1, {0, 4}})), 24);
  EXPECT_EQ(event_number(notification_event(Notification{2, 2, {}})), 25);
  EXPECT_EQ(event_number(notification_event(Notification{6, 1, {}})), 25);
}

TEST(FsmCollision, HigherIdentifierKeepsTheConnectionItInitiated) {
  // We are higher: keep the connection we initiated (outgoing).
  EXPECT_EQ(collision_survivor(kId2, kId1, 1, 2), Direction::Outgoing);
  // We are lower: keep the one the peer initiated (incoming).
  EXPECT_EQ(collision_survivor(kId1, kId2, 1, 2), Direction::Incoming);
  // Identifiers compare as unsigned host-order integers: 200.0.0.1 > 10.0.0.1.
  EXPECT_EQ(collision_survivor(0xc8000001, kId1, 1, 2), Direction::Outgoing);
  // Equal identifiers (allowed between ASes, RFC 6286 §2.3): the higher AS wins.
  EXPECT_EQ(collision_survivor(kId1, kId1, 65001, 65000), Direction::Outgoing);
  EXPECT_EQ(collision_survivor(kId1, kId1, 65000, 65001), Direction::Incoming);
}

Session existing_in(State state, Direction direction, bool detect_established = false) {
  Session s = make_session(ebgp());
  s.config.collision_detect_established = detect_established;
  s.state = state;
  s.direction = direction;
  return s;
}

TEST(FsmCollision, ResolveByStateOfTheExistingConnection) {
  // 10.0.0.1 (us) < 10.0.0.2 (peer): the peer-initiated connection must survive.
  for (State st : {State::Idle, State::Connect, State::Active}) {
    EXPECT_EQ(
        resolve_collision(existing_in(st, Direction::Outgoing), Direction::Incoming, kId2, 65001),
        CollisionVerdict::NoCollision)
        << to_string(st);
  }
  for (State st : {State::OpenSent, State::OpenConfirm}) {
    EXPECT_EQ(
        resolve_collision(existing_in(st, Direction::Outgoing), Direction::Incoming, kId2, 65001),
        CollisionVerdict::CloseExisting)
        << to_string(st);
    EXPECT_EQ(
        resolve_collision(existing_in(st, Direction::Incoming), Direction::Outgoing, kId2, 65001),
        CollisionVerdict::CloseNew)
        << to_string(st);
  }
  // Established keeps itself unless CollisionDetectEstablishedState.
  EXPECT_EQ(resolve_collision(existing_in(State::Established, Direction::Outgoing),
                              Direction::Incoming, kId2, 65001),
            CollisionVerdict::CloseNew);
  EXPECT_EQ(resolve_collision(existing_in(State::Established, Direction::Outgoing, true),
                              Direction::Incoming, kId2, 65001),
            CollisionVerdict::CloseExisting);
  // The peer is lower (10.0.0.0 < 10.0.0.1): our outgoing connection survives.
  EXPECT_EQ(resolve_collision(existing_in(State::OpenConfirm, Direction::Outgoing),
                              Direction::Incoming, 0x0a000000, 65001),
            CollisionVerdict::CloseNew);
}

TEST(FsmCollision, BothFsmsOfOneCollisionAgree) {
  // The peer manager asks from either side; exactly one of the two connections is closed.
  for (std::uint32_t remote : {kId2, 0x0a000000u}) {
    const auto a = resolve_collision(existing_in(State::OpenConfirm, Direction::Outgoing),
                                     Direction::Incoming, remote, 65001);
    const auto b = resolve_collision(existing_in(State::OpenConfirm, Direction::Incoming),
                                     Direction::Outgoing, remote, 65001);
    EXPECT_NE(a, b) << remote;
    EXPECT_NE(a, CollisionVerdict::NoCollision);
  }
}

// A collision played through two FSMs the way the peer manager will: our outgoing connection
// reached OpenConfirm, then the peer's incoming connection delivers its OPEN. The manager asks
// resolve_collision() and dumps the loser with OpenCollisionDump; the other one goes on.
struct CollisionRun {
  Session outgoing;
  Session incoming;
};

CollisionRun collide(std::uint32_t local_id) {
  Config c = ebgp();
  c.local_id = local_id;
  const OpenInfo peer{65001, 90, kId2, 0};
  CollisionRun r{make_session(c), make_session(c)};
  r.outgoing = step(r.outgoing, ev::ManualStart{}).session;
  r.outgoing = step(r.outgoing, ev::Tcp_CR_Acked{}).session;
  r.outgoing = step(r.outgoing, open_event(r.outgoing, peer)).session;
  EXPECT_EQ(r.outgoing.state, State::OpenConfirm);
  // The incoming connection gets its own FSM (TrackSecondConnection), started passive.
  r.incoming = step(r.incoming, ev::ManualStart_with_PassiveTcpEstablishment{}).session;
  r.incoming = step(r.incoming, ev::TcpConnectionConfirmed{}).session;
  r.incoming = step(r.incoming, open_event(r.incoming, peer)).session;
  EXPECT_EQ(r.incoming.state, State::OpenConfirm);
  const auto verdict =
      resolve_collision(r.outgoing, Direction::Incoming, peer.bgp_id, peer.peer_as);
  Session& loser = verdict == CollisionVerdict::CloseExisting ? r.outgoing : r.incoming;
  const Transition t = step(loser, ev::OpenCollisionDump{});
  EXPECT_EQ(to_string(t.actions.front()), "SendNotification code=6 subcode=7");
  loser = t.session;
  return r;
}

TEST(FsmCollision, LowerLocalIdentifierDumpsOurOutgoingConnection) {
  const CollisionRun r = collide(kId1);  // 10.0.0.1 < 10.0.0.2
  EXPECT_EQ(r.outgoing.state, State::Idle);
  EXPECT_EQ(r.outgoing.last_error, "connection collision resolution");
  EXPECT_EQ(r.incoming.state, State::OpenConfirm);
  EXPECT_EQ(step(r.incoming, ev::KeepAliveMsg{}).session.state, State::Established);
}

TEST(FsmCollision, HigherLocalIdentifierDumpsTheIncomingConnection) {
  const CollisionRun r = collide(0x0a000009);  // 10.0.0.9 > 10.0.0.2
  EXPECT_EQ(r.incoming.state, State::Idle);
  EXPECT_EQ(r.outgoing.state, State::OpenConfirm);
  EXPECT_EQ(step(r.outgoing, ev::KeepAliveMsg{}).session.state, State::Established);
}

TEST(FsmStep, IsPureAndLastErrorExplainsIdle) {
  Session s = make_session(ebgp());
  s = step(s, ev::ManualStart{}).session;
  s = step(s, ev::Tcp_CR_Acked{}).session;
  const Session before = s;
  const Transition a = step(before, ev::HoldTimer_Expires{});
  const Transition b = step(before, ev::HoldTimer_Expires{});
  EXPECT_EQ(before, s);  // the input is untouched
  EXPECT_EQ(a.session, b.session);
  ASSERT_EQ(a.actions.size(), b.actions.size());
  for (std::size_t i = 0; i < a.actions.size(); ++i) {
    EXPECT_EQ(to_string(a.actions[i]), to_string(b.actions[i]));
  }
  EXPECT_EQ(a.session.state, State::Idle);
  EXPECT_EQ(a.session.last_error, "hold timer expired");
  // A new start clears it.
  EXPECT_EQ(step(a.session, ev::ManualStart{}).session.last_error, "");
}

}  // namespace
}  // namespace podnet::bgp::fsm
