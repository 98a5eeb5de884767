// Replay files for the FSM: a session config and a list of recorded events, each followed by
// the state, ConnectRetryCounter and actions step() must produce. Format (one item a line,
// '#' starts a comment):
//
//   config local_as=65000 local_id=10.0.0.1 peer_as=65001 hold_time=90 delay_open=true ...
//   event Tcp_CR_Acked
//     state OpenSent
//     counter 0                       (optional)
//     action SendOpen
//     action StartTimer Hold 240
//
// An event without "action" lines expects no actions at all.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bgp/fsm.hpp"
#include "conf/result.hpp"

namespace podnet::bgp::fsm::replay {

struct Step {
  int line = 0;  // of the "event" line, for messages
  Event event;
  State state = State::Idle;
  std::optional<std::uint32_t> counter;
  std::vector<Action> actions;
};

struct Replay {
  Config config;
  std::vector<Step> steps;
};

podnet::Result<Config> parse_config(std::string_view line);
std::string format_config(const Config& config);

podnet::Result<Replay> parse(std::string_view text);
podnet::Result<Replay> load(const std::string& path);

// Feeds every step's event through step() from a fresh Idle session; returns one message per
// mismatch ("line 12: ..."), empty when the replay holds.
std::vector<std::string> run(const Replay& replay);

// Records what step() does for `events` in the replay format (for writing new replays).
std::string record(const Config& config, const std::vector<Event>& events);

}  // namespace podnet::bgp::fsm::replay
