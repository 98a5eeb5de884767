// Text form of FSM states, events and actions (grammar in fsm_text.hpp).
#include "bgp/fsm_text.hpp"

#include <array>
#include <charconv>
#include <map>
#include <utility>
#include <vector>

namespace podnet::bgp::fsm {
namespace {

constexpr std::array<std::string_view, kEventCount> kEventNames = {
    "ManualStart",
    "ManualStop",
    "AutomaticStart",
    "ManualStart_with_PassiveTcpEstablishment",
    "AutomaticStart_with_PassiveTcpEstablishment",
    "AutomaticStart_with_DampPeerOscillations",
    "AutomaticStart_with_DampPeerOscillations_and_PassiveTcpEstablishment",
    "AutomaticStop",
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
    "BGPOpen",
    "BGPOpen_with_DelayOpenTimer_running",
    "BGPHeaderErr",
    "BGPOpenMsgErr",
    "OpenCollisionDump",
    "NotifMsgVerErr",
    "NotifMsg",
    "KeepAliveMsg",
    "UpdateMsg",
    "UpdateMsgErr",
};

constexpr std::array<std::string_view, 6> kStateNames = {"Idle",     "Connect",     "Active",
                                                         "OpenSent", "OpenConfirm", "Established"};
constexpr std::array<std::string_view, kTimerCount> kTimerNames = {
    "ConnectRetry", "Hold", "Keepalive", "DelayOpen", "IdleHold"};
constexpr std::array<std::string_view, 3> kDirectionNames = {"unknown", "outgoing", "incoming"};

constexpr std::array<std::pair<std::uint32_t, std::string_view>, 8> kCapNames = {{
    {kCapMpIpv4Unicast, "mp4"},
    {kCapMpIpv6Unicast, "mp6"},
    {kCapRouteRefresh, "rr"},
    {kCapFourOctetAs, "as4"},
    {kCapGracefulRestart, "gr"},
    {kCapExtendedNextHop, "enh"},
    {kCapAddPath, "addpath"},
    {kCapEnhancedRouteRefresh, "err"},
}};

// Action names in variant order.
constexpr std::array<std::string_view, std::variant_size_v<Action>> kActionNames = {
    "SendOpen",          "SendKeepalive",         "SendNotification",    "StartTimer",
    "StopTimer",         "InitiateTcpConnection", "AcceptTcpConnection", "RejectTcpConnection",
    "DropTcpConnection", "TrackSecondConnection", "ReleaseResources",    "DeleteRoutes",
    "ProcessUpdate",     "SessionEstablished"};

podnet::Error invalid(std::string message) {
  return podnet::make_error(podnet::Errc::invalid, std::move(message));
}

std::vector<std::string_view> split_words(std::string_view text) {
  std::vector<std::string_view> words;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
    const std::size_t begin = i;
    while (i < text.size() && text[i] != ' ' && text[i] != '\t') ++i;
    if (i > begin) words.push_back(text.substr(begin, i - begin));
  }
  return words;
}

template <class T>
podnet::Result<T> parse_uint(std::string_view text, std::uint64_t max, std::string_view what) {
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size() || text.empty() || v > max) {
    return invalid("bad " + std::string(what) + " '" + std::string(text) + "'");
  }
  return static_cast<T>(v);
}

std::string hex(const std::vector<std::uint8_t>& data) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (std::uint8_t b : data) {
    out += kDigits[b >> 4];
    out += kDigits[b & 0xf];
  }
  return out;
}

podnet::Result<std::vector<std::uint8_t>> parse_hex(std::string_view text) {
  if (text.size() % 2 != 0) return invalid("odd-length hex data '" + std::string(text) + "'");
  std::vector<std::uint8_t> out;
  for (std::size_t i = 0; i < text.size(); i += 2) {
    std::uint8_t b = 0;
    const auto [end, ec] = std::from_chars(text.data() + i, text.data() + i + 2, b, 16);
    if (ec != std::errc{} || end != text.data() + i + 2) {
      return invalid("bad hex data '" + std::string(text) + "'");
    }
    out.push_back(b);
  }
  return out;
}

// key=value fields after the name; each key at most once, only the allowed ones.
class Fields {
 public:
  static podnet::Result<Fields> parse(const std::vector<std::string_view>& words,
                                      std::initializer_list<std::string_view> allowed) {
    Fields f;
    for (std::size_t i = 1; i < words.size(); ++i) {
      const auto eq = words[i].find('=');
      if (eq == std::string_view::npos) {
        return invalid("expected key=value, got '" + std::string(words[i]) + "'");
      }
      const std::string_view key = words[i].substr(0, eq);
      bool ok = false;
      for (std::string_view a : allowed) ok = ok || a == key;
      if (!ok)
        return invalid("unknown field '" + std::string(key) + "' for " + std::string(words[0]));
      if (!f.values_.emplace(std::string(key), words[i].substr(eq + 1)).second) {
        return invalid("field '" + std::string(key) + "' given twice");
      }
    }
    return f;
  }

  std::optional<std::string_view> get(std::string_view key) const {
    auto it = values_.find(std::string(key));
    if (it == values_.end()) return std::nullopt;
    return it->second;
  }

  template <class T>
  podnet::Result<T> uint(std::string_view key, std::uint64_t max) const {
    auto v = get(key);
    if (!v) return T{0};
    return parse_uint<T>(*v, max, key);
  }

  podnet::Result<std::vector<std::uint8_t>> data() const {
    auto v = get("data");
    if (!v) return std::vector<std::uint8_t>{};
    return parse_hex(*v);
  }

 private:
  std::map<std::string, std::string_view> values_;
};

std::string fields_of(const Notification& n) {
  std::string out = " code=" + std::to_string(n.code) + " subcode=" + std::to_string(n.subcode);
  if (!n.data.empty()) out += " data=" + hex(n.data);
  return out;
}

std::string error_fields(std::uint8_t subcode, const std::vector<std::uint8_t>& data) {
  std::string out = " subcode=" + std::to_string(subcode);
  if (!data.empty()) out += " data=" + hex(data);
  return out;
}

std::string fields_of(const OpenInfo& o) {
  std::string out = " as=" + std::to_string(o.peer_as) + " hold=" + std::to_string(o.hold_time) +
                    " id=" + format_bgp_id(o.bgp_id);
  if (o.capabilities != 0) out += " caps=" + format_capabilities(o.capabilities);
  return out;
}

podnet::Result<Notification> notification_from(const Fields& f) {
  auto code = f.uint<std::uint8_t>("code", 255);
  if (!code) return code.error();
  auto subcode = f.uint<std::uint8_t>("subcode", 255);
  if (!subcode) return subcode.error();
  auto data = f.data();
  if (!data) return data.error();
  return Notification{*code, *subcode, std::move(*data)};
}

podnet::Result<OpenInfo> open_from(const Fields& f) {
  OpenInfo o;
  auto as = f.uint<std::uint32_t>("as", 0xffffffffu);
  if (!as) return as.error();
  auto hold = f.uint<std::uint16_t>("hold", 0xffff);
  if (!hold) return hold.error();
  o.peer_as = *as;
  o.hold_time = *hold;
  if (auto id = f.get("id")) {
    auto parsed = parse_bgp_id(*id);
    if (!parsed) return parsed.error();
    o.bgp_id = *parsed;
  }
  if (auto caps = f.get("caps")) {
    auto parsed = parse_capabilities(*caps);
    if (!parsed) return parsed.error();
    o.capabilities = *parsed;
  }
  return o;
}

// Builds the event of index I when its name matches, with its payload from the fields.
template <std::size_t I>
podnet::Result<Event> event_of_index(const std::vector<std::string_view>& words) {
  using T = std::variant_alternative_t<I, Event>;
  if constexpr (std::is_same_v<T, ev::BGPOpen> ||
                std::is_same_v<T, ev::BGPOpen_with_DelayOpenTimer_running>) {
    auto f = Fields::parse(words, {"as", "hold", "id", "caps"});
    if (!f) return f.error();
    auto open = open_from(*f);
    if (!open) return open.error();
    return Event{std::in_place_index<I>, T{*open}};
  } else if constexpr (std::is_same_v<T, ev::NotifMsg> || std::is_same_v<T, ev::NotifMsgVerErr>) {
    auto f = Fields::parse(words, {"code", "subcode", "data"});
    if (!f) return f.error();
    auto n = notification_from(*f);
    if (!n) return n.error();
    return Event{std::in_place_index<I>, T{std::move(*n)}};
  } else if constexpr (std::is_same_v<T, ev::BGPHeaderErr> ||
                       std::is_same_v<T, ev::BGPOpenMsgErr> ||
                       std::is_same_v<T, ev::UpdateMsgErr>) {
    auto f = Fields::parse(words, {"subcode", "data"});
    if (!f) return f.error();
    auto subcode = f->uint<std::uint8_t>("subcode", 255);
    if (!subcode) return subcode.error();
    auto data = f->data();
    if (!data) return data.error();
    return Event{std::in_place_index<I>, T{*subcode, std::move(*data)}};
  } else if constexpr (std::is_same_v<T, ev::AutomaticStop>) {
    auto f = Fields::parse(words, {"subcode"});
    if (!f) return f.error();
    auto subcode = f->uint<std::uint8_t>("subcode", 255);
    if (!subcode) return subcode.error();
    return Event{std::in_place_index<I>, T{*subcode}};
  } else {
    if (words.size() > 1) {
      return invalid(std::string(kEventNames[I]) + " takes no fields");
    }
    return Event{std::in_place_index<I>, T{}};
  }
}

template <std::size_t... I>
podnet::Result<Event> event_by_index(std::size_t index, const std::vector<std::string_view>& words,
                                     std::index_sequence<I...>) {
  using Maker = podnet::Result<Event> (*)(const std::vector<std::string_view>&);
  static constexpr Maker kMakers[] = {&event_of_index<I>...};
  return kMakers[index](words);
}

podnet::Result<Direction> parse_direction(std::string_view text) {
  for (std::size_t i = 0; i < kDirectionNames.size(); ++i) {
    if (kDirectionNames[i] == text) return static_cast<Direction>(i);
  }
  return invalid("unknown direction '" + std::string(text) + "'");
}

}  // namespace

std::string_view to_string(State state) {
  return kStateNames[static_cast<int>(state)];
}
std::string_view to_string(Timer timer) {
  return kTimerNames[static_cast<int>(timer)];
}
std::string_view to_string(Direction d) {
  return kDirectionNames[static_cast<int>(d)];
}

std::string_view event_name(int number) {
  if (number < 1 || number > kEventCount) return "?";
  return kEventNames[number - 1];
}

std::string to_string(const Event& event) {
  std::string out(kEventNames[event.index()]);
  if (const auto* o = std::get_if<ev::BGPOpen>(&event)) out += fields_of(o->open);
  if (const auto* o = std::get_if<ev::BGPOpen_with_DelayOpenTimer_running>(&event)) {
    out += fields_of(o->open);
  }
  if (const auto* n = std::get_if<ev::NotifMsg>(&event)) out += fields_of(n->notification);
  if (const auto* n = std::get_if<ev::NotifMsgVerErr>(&event)) out += fields_of(n->notification);
  if (const auto* h = std::get_if<ev::BGPHeaderErr>(&event))
    out += error_fields(h->subcode, h->data);
  if (const auto* h = std::get_if<ev::BGPOpenMsgErr>(&event))
    out += error_fields(h->subcode, h->data);
  if (const auto* h = std::get_if<ev::UpdateMsgErr>(&event))
    out += error_fields(h->subcode, h->data);
  if (const auto* s = std::get_if<ev::AutomaticStop>(&event)) {
    if (s->cease_subcode != 0) out += " subcode=" + std::to_string(s->cease_subcode);
  }
  return out;
}

std::string to_string(const Action& action) {
  std::string out(kActionNames[action.index()]);
  if (const auto* n = std::get_if<act::SendNotification>(&action))
    out += fields_of(n->notification);
  if (const auto* t = std::get_if<act::StartTimer>(&action)) {
    out += " " + std::string(to_string(t->timer)) + " " + std::to_string(t->seconds);
  }
  if (const auto* t = std::get_if<act::StopTimer>(&action))
    out += " " + std::string(to_string(t->timer));
  if (const auto* t = std::get_if<act::TrackSecondConnection>(&action)) {
    out += " " + std::string(to_string(t->direction));
  }
  return out;
}

podnet::Result<State> parse_state(std::string_view text) {
  for (std::size_t i = 0; i < kStateNames.size(); ++i) {
    if (kStateNames[i] == text) return static_cast<State>(i);
  }
  return invalid("unknown state '" + std::string(text) + "'");
}

podnet::Result<Timer> parse_timer(std::string_view text) {
  for (std::size_t i = 0; i < kTimerNames.size(); ++i) {
    if (kTimerNames[i] == text) return static_cast<Timer>(i);
  }
  return invalid("unknown timer '" + std::string(text) + "'");
}

podnet::Result<Event> parse_event(std::string_view text) {
  const auto words = split_words(text);
  if (words.empty()) return invalid("empty event");
  for (std::size_t i = 0; i < kEventNames.size(); ++i) {
    if (kEventNames[i] == words[0]) {
      return event_by_index(i, words, std::make_index_sequence<kEventCount>{});
    }
  }
  return invalid("unknown event '" + std::string(words[0]) + "'");
}

podnet::Result<Action> parse_action(std::string_view text) {
  const auto words = split_words(text);
  if (words.empty()) return invalid("empty action");
  const std::string_view name = words[0];
  auto expect_args = [&](std::size_t n) -> podnet::Status {
    if (words.size() != n + 1) {
      return invalid(std::string(name) + " takes " + std::to_string(n) + " argument(s)");
    }
    return podnet::ok_status();
  };
  if (name == "SendNotification") {
    auto f = Fields::parse(words, {"code", "subcode", "data"});
    if (!f) return f.error();
    auto n = notification_from(*f);
    if (!n) return n.error();
    return Action{act::SendNotification{std::move(*n)}};
  }
  if (name == "StartTimer") {
    if (auto s = expect_args(2); !s) return s.error();
    auto timer = parse_timer(words[1]);
    if (!timer) return timer.error();
    auto seconds = parse_uint<std::uint32_t>(words[2], 0xffffffffu, "seconds");
    if (!seconds) return seconds.error();
    return Action{act::StartTimer{*timer, *seconds}};
  }
  if (name == "StopTimer") {
    if (auto s = expect_args(1); !s) return s.error();
    auto timer = parse_timer(words[1]);
    if (!timer) return timer.error();
    return Action{act::StopTimer{*timer}};
  }
  if (name == "TrackSecondConnection") {
    if (auto s = expect_args(1); !s) return s.error();
    auto d = parse_direction(words[1]);
    if (!d) return d.error();
    return Action{act::TrackSecondConnection{*d}};
  }
  if (auto s = expect_args(0); !s) return s.error();
  if (name == "SendOpen") return Action{act::SendOpen{}};
  if (name == "SendKeepalive") return Action{act::SendKeepalive{}};
  if (name == "InitiateTcpConnection") return Action{act::InitiateTcpConnection{}};
  if (name == "AcceptTcpConnection") return Action{act::AcceptTcpConnection{}};
  if (name == "RejectTcpConnection") return Action{act::RejectTcpConnection{}};
  if (name == "DropTcpConnection") return Action{act::DropTcpConnection{}};
  if (name == "ReleaseResources") return Action{act::ReleaseResources{}};
  if (name == "DeleteRoutes") return Action{act::DeleteRoutes{}};
  if (name == "ProcessUpdate") return Action{act::ProcessUpdate{}};
  if (name == "SessionEstablished") return Action{act::SessionEstablished{}};
  return invalid("unknown action '" + std::string(name) + "'");
}

std::string format_bgp_id(std::uint32_t id) {
  return std::to_string(id >> 24) + "." + std::to_string((id >> 16) & 0xff) + "." +
         std::to_string((id >> 8) & 0xff) + "." + std::to_string(id & 0xff);
}

podnet::Result<std::uint32_t> parse_bgp_id(std::string_view text) {
  std::uint32_t id = 0;
  std::size_t pos = 0;
  for (int octet = 0; octet < 4; ++octet) {
    const std::size_t dot = octet < 3 ? text.find('.', pos) : text.size();
    if (dot == std::string_view::npos)
      return invalid("bad BGP identifier '" + std::string(text) + "'");
    auto v = parse_uint<std::uint32_t>(text.substr(pos, dot - pos), 255, "BGP identifier octet");
    if (!v) return invalid("bad BGP identifier '" + std::string(text) + "'");
    id = (id << 8) | *v;
    pos = dot + 1;
  }
  return id;
}

std::string format_capabilities(std::uint32_t caps) {
  std::string out;
  for (const auto& [flag, name] : kCapNames) {
    if ((caps & flag) == 0) continue;
    if (!out.empty()) out += '+';
    out += name;
  }
  return out;
}

podnet::Result<std::uint32_t> parse_capabilities(std::string_view text) {
  std::uint32_t caps = 0;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    std::size_t plus = text.find('+', pos);
    if (plus == std::string_view::npos) plus = text.size();
    const std::string_view name = text.substr(pos, plus - pos);
    bool found = false;
    for (const auto& [flag, n] : kCapNames) {
      if (n == name) {
        caps |= flag;
        found = true;
      }
    }
    if (!found) return invalid("unknown capability '" + std::string(name) + "'");
    pos = plus + 1;
  }
  return caps;
}

}  // namespace podnet::bgp::fsm
