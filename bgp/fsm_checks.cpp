// The pure decisions step() shares with the session layer and the peer manager: OPEN checks
// (§6.2), hold-time negotiation (§4.2, §10), event classification and collision resolution
// (§6.8).
#include <algorithm>

#include "bgp/fsm.hpp"

namespace podnet::bgp::fsm {

std::optional<Notification> validate_open(const Config& config, const OpenInfo& open) {
  if (config.peer_as != 0 && open.peer_as != config.peer_as) {
    return Notification{err::kOpenMessage, err::kBadPeerAs, {}};
  }
  // RFC 6286 relaxed "a valid unicast host address" to "any non-zero value", and requires a
  // different identifier only between internal peers.
  const bool internal = open.peer_as == config.local_as;
  if (open.bgp_id == 0 || (internal && open.bgp_id == config.local_id)) {
    return Notification{err::kOpenMessage, err::kBadBgpId, {}};
  }
  // §4.2: "the Hold Time MUST be either zero or at least three seconds".
  if (open.hold_time == 1 || open.hold_time == 2) {
    return Notification{err::kOpenMessage, err::kUnacceptableHoldTime, {}};
  }
  return std::nullopt;
}

std::uint16_t negotiate_hold_time(std::uint16_t local, std::uint16_t remote) {
  return std::min(local, remote);
}

std::uint16_t keepalive_time_for(std::uint16_t negotiated_hold_time) {
  // §4.4: a third of the hold time; never more often than once a second.
  if (negotiated_hold_time == 0) return 0;
  return std::max<std::uint16_t>(1, negotiated_hold_time / 3);
}

Event open_event(const Session& session, const OpenInfo& open) {
  if (session.timer_running(Timer::DelayOpen)) return ev::BGPOpen_with_DelayOpenTimer_running{open};
  return ev::BGPOpen{open};
}

Event notification_event(const Notification& notification) {
  if (notification.code == err::kOpenMessage && notification.subcode == err::kUnsupportedVersion) {
    return ev::NotifMsgVerErr{notification};
  }
  return ev::NotifMsg{notification};
}

Direction collision_survivor(std::uint32_t local_id, std::uint32_t remote_id,
                             std::uint32_t local_as, std::uint32_t remote_as) {
  if (local_id != remote_id) {
    return local_id > remote_id ? Direction::Outgoing : Direction::Incoming;
  }
  return local_as > remote_as ? Direction::Outgoing : Direction::Incoming;
}

CollisionVerdict resolve_collision(const Session& existing, Direction new_direction,
                                   std::uint32_t remote_id, std::uint32_t remote_as) {
  switch (existing.state) {
    case State::Idle:
    case State::Connect:
    case State::Active:
      return CollisionVerdict::NoCollision;  // §6.8: "cannot be detected"
    case State::Established:
      if (!existing.config.collision_detect_established) return CollisionVerdict::CloseNew;
      break;
    case State::OpenSent:
    case State::OpenConfirm:
      break;
  }
  // Two connections of the same direction are not the crossed pair §6.8 describes; keep the
  // one that got further.
  if (existing.direction == new_direction) return CollisionVerdict::CloseNew;
  const Direction keep =
      collision_survivor(existing.config.local_id, remote_id, existing.config.local_as, remote_as);
  return keep == existing.direction ? CollisionVerdict::CloseNew : CollisionVerdict::CloseExisting;
}

}  // namespace podnet::bgp::fsm
