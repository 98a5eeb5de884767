// Parser and runner for FSM replay files (format in fsm_replay.hpp).
#include "bgp/tests/fsm_replay.hpp"

#include <charconv>
#include <fstream>
#include <sstream>
#include <utility>

#include "bgp/fsm_text.hpp"

namespace podnet::bgp::fsm::replay {
namespace {

podnet::Error invalid(std::string message) {
  return podnet::make_error(podnet::Errc::invalid, std::move(message));
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

podnet::Result<std::uint64_t> number(std::string_view v, std::uint64_t max) {
  std::uint64_t out = 0;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (v.empty() || ec != std::errc{} || end != v.data() + v.size() || out > max) {
    return invalid("bad number '" + std::string(v) + "'");
  }
  return out;
}

podnet::Result<bool> boolean(std::string_view v) {
  if (v == "true") return true;
  if (v == "false") return false;
  return invalid("bad boolean '" + std::string(v) + "'");
}

// Splits "keyword rest" into its two parts.
std::pair<std::string_view, std::string_view> keyword(std::string_view line) {
  const auto sp = line.find(' ');
  if (sp == std::string_view::npos) return {line, {}};
  return {line.substr(0, sp), trim(line.substr(sp + 1))};
}

}  // namespace

podnet::Result<Config> parse_config(std::string_view line) {
  Config c;
  std::istringstream in{std::string(line)};
  std::string word;
  while (in >> word) {
    const auto eq = word.find('=');
    if (eq == std::string::npos) return invalid("config: expected key=value, got '" + word + "'");
    const std::string key = word.substr(0, eq);
    const std::string_view value = std::string_view(word).substr(eq + 1);
    auto set_u32 = [&](std::uint32_t& field) -> podnet::Status {
      auto v = number(value, 0xffffffffu);
      if (!v) return v.error();
      field = static_cast<std::uint32_t>(*v);
      return podnet::ok_status();
    };
    auto set_u16 = [&](std::uint16_t& field) -> podnet::Status {
      auto v = number(value, 0xffff);
      if (!v) return v.error();
      field = static_cast<std::uint16_t>(*v);
      return podnet::ok_status();
    };
    auto set_bool = [&](bool& field) -> podnet::Status {
      auto v = boolean(value);
      if (!v) return v.error();
      field = *v;
      return podnet::ok_status();
    };
    podnet::Status s = podnet::ok_status();
    if (key == "local_as")
      s = set_u32(c.local_as);
    else if (key == "peer_as")
      s = set_u32(c.peer_as);
    else if (key == "local_id" || key == "local_caps") {
      auto v = key == "local_id" ? parse_bgp_id(value) : parse_capabilities(value);
      if (!v) return v.error();
      (key == "local_id" ? c.local_id : c.local_capabilities) = *v;
    } else if (key == "hold_time")
      s = set_u16(c.hold_time);
    else if (key == "large_hold_time")
      s = set_u16(c.large_hold_time);
    else if (key == "connect_retry_time")
      s = set_u16(c.connect_retry_time);
    else if (key == "delay_open")
      s = set_bool(c.delay_open);
    else if (key == "delay_open_time")
      s = set_u16(c.delay_open_time);
    else if (key == "send_notification_without_open")
      s = set_bool(c.send_notification_without_open);
    else if (key == "collision_detect_established")
      s = set_bool(c.collision_detect_established);
    else if (key == "damp_peer_oscillations")
      s = set_bool(c.damp_peer_oscillations);
    else if (key == "idle_hold_time")
      s = set_u16(c.idle_hold_time);
    else
      return invalid("config: unknown key '" + key + "'");
    if (!s) return s.error();
  }
  return c;
}

std::string format_config(const Config& c) {
  auto b = [](bool v) { return v ? "true" : "false"; };
  std::ostringstream out;
  out << "local_as=" << c.local_as << " local_id=" << format_bgp_id(c.local_id)
      << " peer_as=" << c.peer_as << " hold_time=" << c.hold_time
      << " large_hold_time=" << c.large_hold_time << " connect_retry_time=" << c.connect_retry_time
      << " delay_open=" << b(c.delay_open) << " delay_open_time=" << c.delay_open_time
      << " send_notification_without_open=" << b(c.send_notification_without_open)
      << " collision_detect_established=" << b(c.collision_detect_established)
      << " damp_peer_oscillations=" << b(c.damp_peer_oscillations)
      << " idle_hold_time=" << c.idle_hold_time;
  if (c.local_capabilities != 0) out << " local_caps=" << format_capabilities(c.local_capabilities);
  return out.str();
}

podnet::Result<Replay> parse(std::string_view text) {
  Replay r;
  bool have_config = false;
  bool have_state = false;  // of the last step
  int lineno = 0;
  auto fail = [&](const std::string& what) {
    return invalid("line " + std::to_string(lineno) + ": " + what);
  };
  std::size_t pos = 0;
  while (pos <= text.size()) {
    std::size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(pos, nl - pos);
    pos = nl + 1;
    ++lineno;
    if (auto hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    line = trim(line);
    if (line.empty()) continue;
    const auto [kw, rest] = keyword(line);
    if (kw == "config") {
      if (have_config || !r.steps.empty()) return fail("config must come once, first");
      auto c = parse_config(rest);
      if (!c) return fail(c.error().message);
      r.config = *c;
      have_config = true;
    } else if (kw == "event") {
      if (!have_config) return fail("event before config");
      if (!r.steps.empty() && !have_state) return fail("previous event has no 'state' line");
      auto e = parse_event(rest);
      if (!e) return fail(e.error().message);
      r.steps.push_back(Step{lineno, std::move(*e), State::Idle, std::nullopt, {}});
      have_state = false;
    } else if (kw == "state" || kw == "counter" || kw == "action") {
      if (r.steps.empty()) return fail(std::string(kw) + " before any event");
      Step& s = r.steps.back();
      if (kw == "state") {
        auto st = parse_state(rest);
        if (!st) return fail(st.error().message);
        s.state = *st;
        have_state = true;
      } else if (kw == "counter") {
        auto n = number(rest, 0xffffffffu);
        if (!n) return fail(n.error().message);
        s.counter = static_cast<std::uint32_t>(*n);
      } else {
        auto a = parse_action(rest);
        if (!a) return fail(a.error().message);
        s.actions.push_back(std::move(*a));
      }
    } else {
      return fail("unknown keyword '" + std::string(kw) + "'");
    }
  }
  if (!have_config) return invalid("no config line");
  if (!r.steps.empty() && !have_state) return invalid("last event has no 'state' line");
  return r;
}

podnet::Result<Replay> load(const std::string& path) {
  std::ifstream in(path);
  if (!in) return podnet::make_error(podnet::Errc::io, "cannot open " + path);
  std::ostringstream buf;
  buf << in.rdbuf();
  auto r = parse(buf.str());
  if (!r) return podnet::make_error(r.error().code, path + ": " + r.error().message);
  return r;
}

std::vector<std::string> run(const Replay& replay) {
  std::vector<std::string> problems;
  Session s = make_session(replay.config);
  for (const Step& st : replay.steps) {
    Transition t = step(s, st.event);
    const std::string where =
        "line " + std::to_string(st.line) + " (" + to_string(st.event) + "): ";
    if (t.session.state != st.state) {
      problems.push_back(where + "state " + std::string(to_string(t.session.state)) +
                         ", expected " + std::string(to_string(st.state)));
    }
    if (st.counter && t.session.connect_retry_counter != *st.counter) {
      problems.push_back(where + "counter " + std::to_string(t.session.connect_retry_counter) +
                         ", expected " + std::to_string(*st.counter));
    }
    std::string got, want;
    for (const Action& a : t.actions) got += "\n    " + to_string(a);
    for (const Action& a : st.actions) want += "\n    " + to_string(a);
    if (got != want) problems.push_back(where + "actions:" + got + "\n  expected:" + want);
    s = std::move(t.session);
  }
  return problems;
}

std::string record(const Config& config, const std::vector<Event>& events) {
  std::string out = "config " + format_config(config) + "\n";
  Session s = make_session(config);
  for (const Event& e : events) {
    Transition t = step(s, e);
    out += "event " + to_string(e) + "\n";
    out += "  state " + std::string(to_string(t.session.state)) + "\n";
    out += "  counter " + std::to_string(t.session.connect_retry_counter) + "\n";
    for (const Action& a : t.actions) out += "  action " + to_string(a) + "\n";
    s = std::move(t.session);
  }
  return out;
}

}  // namespace podnet::bgp::fsm::replay
