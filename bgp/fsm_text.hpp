// A stable, one-line text form for FSM states, events and actions, so recorded event sequences
// (bgp/tests/fsm_replays/*.replay) and logs are readable and diffable. Grammar:
//
//   event   := NAME { " " key "=" value }   NAME is the RFC 4271 §8.1 event name
//   action  := NAME { " " arg }             e.g. "StartTimer Hold 240", "SendNotification code=6
//   subcode=2"
//
// Keys: as, hold, id (dotted quad), caps ("as4+rr+mp4"), code, subcode, data (hex octets).
// to_string() prints the canonical form (zero / empty fields omitted); parse_*() accepts it
// back and rejects unknown names, keys and malformed values with Errc::invalid.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "bgp/fsm.hpp"
#include "conf/result.hpp"

namespace podnet::bgp::fsm {

std::string_view to_string(State state);
std::string_view to_string(Timer timer);
std::string_view to_string(Direction direction);
std::string to_string(const Event& event);
std::string to_string(const Action& action);

// The RFC name of event number 1..28 ("ManualStart", ..., "UpdateMsgErr").
std::string_view event_name(int number);

podnet::Result<State> parse_state(std::string_view text);
podnet::Result<Timer> parse_timer(std::string_view text);
podnet::Result<Event> parse_event(std::string_view text);
podnet::Result<Action> parse_action(std::string_view text);

// Dotted-quad BGP identifiers and capability flag sets, as the text form writes them.
std::string format_bgp_id(std::uint32_t id);
podnet::Result<std::uint32_t> parse_bgp_id(std::string_view text);
std::string format_capabilities(std::uint32_t caps);
podnet::Result<std::uint32_t> parse_capabilities(std::string_view text);

}  // namespace podnet::bgp::fsm
