#include "bgp/codec.hpp"

#include <algorithm>
#include <string>

#include "bgp/capabilities.hpp"
#include "bgp/cursor.hpp"
#include "bgp/update_codec.hpp"

namespace podnet::bgp {

const char* action_name(ErrorAction a) {
  switch (a) {
    case ErrorAction::attribute_discard:
      return "attribute-discard";
    case ErrorAction::treat_as_withdraw:
      return "treat-as-withdraw";
    case ErrorAction::afi_safi_disable:
      return "afi-safi-disable";
    case ErrorAction::session_reset:
      return "session-reset";
  }
  return "?";
}

std::string describe(const CodecError& e) {
  return std::string(action_name(e.action)) + " (" + std::to_string(e.code) + "/" +
         std::to_string(e.subcode) + "): " + e.text;
}

NotificationMessage to_notification(const CodecError& e) {
  return NotificationMessage{e.code, e.subcode, e.data};
}

namespace {

std::vector<uint8_t> u16_bytes(std::size_t v) {
  return {static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
}

// RFC 4271 6.1 minimum lengths per type; RFC 7313 5 gives ROUTE-REFRESH its own error code.
std::optional<CodecError> check_length_for_type(uint8_t type, std::size_t len) {
  bool ok = true;
  switch (static_cast<MessageType>(type)) {
    case MessageType::open:
      ok = len >= 29;
      break;
    case MessageType::update:
      ok = len >= 23;
      break;
    case MessageType::notification:
      ok = len >= 21;
      break;
    case MessageType::keepalive:
      ok = len == 19;
      break;
    case MessageType::route_refresh:
      ok = true;
      break;  // checked with code 7 on decode
  }
  if (ok) return std::nullopt;
  return session_reset(
      err::kHeader, err::kBadMessageLength,
      "length " + std::to_string(len) + " invalid for message type " + std::to_string(type),
      u16_bytes(len));
}

// Validates a header; returns the message length.
CodecResult<std::size_t> check_header(Cursor& c, const CodecContext& ctx) {
  auto marker = c.bytes(16);
  auto len = c.u16();
  auto type = c.u8();
  if (!marker || !len || !type) {
    return session_reset(err::kHeader, err::kBadMessageLength, "truncated message header");
  }
  if (std::any_of(marker->begin(), marker->end(), [](uint8_t b) { return b != 0xFF; })) {
    return session_reset(err::kHeader, err::kConnectionNotSynchronized, "marker is not all ones");
  }
  if (*len < kHeaderSize || *len > ctx.max_message_size()) {
    return session_reset(err::kHeader, err::kBadMessageLength,
                         "message length " + std::to_string(*len) + " out of range",
                         u16_bytes(*len));
  }
  if (*type < 1 || *type > 5) {
    return session_reset(err::kHeader, err::kBadMessageType,
                         "unknown message type " + std::to_string(*type), {*type});
  }
  if (auto e = check_length_for_type(*type, *len)) return std::move(*e);
  return std::size_t{*len};
}

CodecResult<OpenMessage> decode_open(Cursor c) {
  OpenMessage m;
  auto version = c.u8();
  auto my_as = c.u16();
  auto hold = c.u16();
  auto id = c.u32();
  auto opt_len = c.u8();
  if (!version || !my_as || !hold || !id || !opt_len) {
    return session_reset(err::kHeader, err::kBadMessageLength, "OPEN shorter than 29 bytes");
  }
  if (*version != 4) {
    // Data: the largest version we support (RFC 4271 6.2).
    return session_reset(err::kOpen, err::kUnsupportedVersion,
                         "BGP version " + std::to_string(*version), {0, 4});
  }
  if (*hold == 1 || *hold == 2) {
    return session_reset(err::kOpen, err::kUnacceptableHoldTime,
                         "hold time " + std::to_string(*hold));
  }
  if (*id == 0) {
    return session_reset(err::kOpen, err::kBadBgpIdentifier, "BGP identifier 0");
  }
  if (*opt_len != c.remaining()) {
    return session_reset(err::kOpen, err::kOpenUnspecific,
                         "optional parameters length " + std::to_string(*opt_len) +
                             " does not match the " + std::to_string(c.remaining()) +
                             " bytes left in the message");
  }
  auto caps = decode_optional_parameters(c.rest());
  if (!caps) return caps.error();
  m.version = *version;
  m.my_as = *my_as;
  m.hold_time = *hold;
  m.bgp_identifier = *id;
  m.capabilities = std::move(*caps);
  return m;
}

}  // namespace

CodecResult<std::optional<std::size_t>> frame_length(std::span<const uint8_t> stream,
                                                     const CodecContext& ctx) {
  if (stream.size() < kHeaderSize) return std::optional<std::size_t>{};
  Cursor c(stream.first(kHeaderSize));
  auto len = check_header(c, ctx);
  if (!len) return len.error();
  return std::optional<std::size_t>{*len};
}

CodecResult<DecodedMessage> decode_message(std::span<const uint8_t> message,
                                           const CodecContext& ctx) {
  Cursor c(message);
  auto len = check_header(c, ctx);
  if (!len) return len.error();
  if (*len != message.size()) {
    return session_reset(err::kHeader, err::kBadMessageLength,
                         "header says " + std::to_string(*len) + " bytes, message has " +
                             std::to_string(message.size()),
                         u16_bytes(*len));
  }
  const auto type = static_cast<MessageType>(message[18]);
  switch (type) {
    case MessageType::open: {
      auto m = decode_open(c);
      if (!m) return m.error();
      return DecodedMessage{std::move(*m)};
    }
    case MessageType::update: {
      auto u = decode_update_body(c.rest(), ctx);
      if (!u) return u.error();
      return DecodedMessage{std::move(*u)};
    }
    case MessageType::notification: {
      NotificationMessage n;
      n.code = *c.u8();  // length >= 21 checked in the header
      n.subcode = *c.u8();
      auto rest = c.rest();
      n.data.assign(rest.begin(), rest.end());
      return DecodedMessage{std::move(n)};
    }
    case MessageType::keepalive:
      return DecodedMessage{KeepaliveMessage{}};
    case MessageType::route_refresh: {
      if (c.remaining() != 4) {
        // RFC 7313 5: with enhanced route refresh negotiated, NOTIFICATION "ROUTE-REFRESH
        // Message Error / Invalid Message Length" with the whole message as data. Without it
        // RFC 2918 names no error: the header's Bad Message Length (RFC 4271 6.1) applies.
        if (!ctx.enhanced_route_refresh) {
          return session_reset(err::kHeader, err::kBadMessageLength,
                               "ROUTE-REFRESH of " + std::to_string(message.size()) + " bytes",
                               u16_bytes(message.size()));
        }
        return session_reset(err::kRouteRefresh, err::kInvalidMessageLength,
                             "ROUTE-REFRESH of " + std::to_string(message.size()) + " bytes",
                             std::vector<uint8_t>(message.begin(), message.end()));
      }
      RouteRefreshMessage r;
      r.afi_safi.afi = *c.u16();
      r.subtype = static_cast<RouteRefreshSubtype>(*c.u8());
      r.afi_safi.safi = *c.u8();
      return DecodedMessage{r};
    }
  }
  return session_reset(err::kHeader, err::kBadMessageType, "unknown message type");
}

Result<std::vector<uint8_t>> encode_open(const OpenMessage& m) {
  auto params = encode_optional_parameters(m.capabilities);
  if (!params) return params.error();
  std::vector<uint8_t> out;
  begin_message(out, MessageType::open);
  Writer w(out);
  w.u8(m.version);
  w.u16(m.my_as);
  w.u16(m.hold_time);
  w.u32(m.bgp_identifier);
  w.u8(static_cast<uint8_t>(params->size()));
  w.bytes(*params);
  finish_message(out);
  return out;
}

std::vector<uint8_t> encode_notification(const NotificationMessage& m) {
  std::vector<uint8_t> out;
  begin_message(out, MessageType::notification);
  Writer w(out);
  w.u8(m.code);
  w.u8(m.subcode);
  const std::size_t room = kMaxMessageSize - out.size();
  w.bytes(std::span<const uint8_t>(m.data).first(std::min(room, m.data.size())));
  finish_message(out);
  return out;
}

std::vector<uint8_t> encode_keepalive() {
  std::vector<uint8_t> out;
  begin_message(out, MessageType::keepalive);
  finish_message(out);
  return out;
}

std::vector<uint8_t> encode_route_refresh(const RouteRefreshMessage& m) {
  std::vector<uint8_t> out;
  begin_message(out, MessageType::route_refresh);
  Writer w(out);
  w.u16(m.afi_safi.afi);
  w.u8(static_cast<uint8_t>(m.subtype));
  w.u8(m.afi_safi.safi);
  finish_message(out);
  return out;
}

Result<std::vector<uint8_t>> encode_message(const Message& m, const CodecContext& ctx) {
  struct Visitor {
    const CodecContext& ctx;
    Result<std::vector<uint8_t>> operator()(const OpenMessage& o) const { return encode_open(o); }
    Result<std::vector<uint8_t>> operator()(const UpdateMessage& u) const {
      return encode_update(u, ctx);
    }
    Result<std::vector<uint8_t>> operator()(const NotificationMessage& n) const {
      return encode_notification(n);
    }
    Result<std::vector<uint8_t>> operator()(const KeepaliveMessage&) const {
      return encode_keepalive();
    }
    Result<std::vector<uint8_t>> operator()(const RouteRefreshMessage& r) const {
      return encode_route_refresh(r);
    }
  };
  return std::visit(Visitor{ctx}, m);
}

CodecContext negotiate(const OpenMessage& local, const OpenMessage& remote, bool ebgp) {
  const auto& l = local.capabilities;
  const auto& r = remote.capabilities;
  CodecContext ctx;
  ctx.ebgp = ebgp;
  ctx.four_octet_as = l.four_octet_as.has_value() && r.four_octet_as.has_value();
  ctx.extended_message = l.extended_message && r.extended_message;
  auto mode = [](const Capabilities& c, AfiSafi f) -> uint8_t {
    uint8_t m = 0;
    for (const auto& a : c.add_path) {
      if (a.afi_safi == f) m |= static_cast<uint8_t>(a.mode);
    }
    return m;
  };
  constexpr uint8_t kRx = static_cast<uint8_t>(AddPathMode::receive);
  constexpr uint8_t kTx = static_cast<uint8_t>(AddPathMode::send);
  // RFC 7911 4: we receive path ids if we said "receive" and the peer said "send".
  ctx.add_path_receive_v4 = (mode(l, kIpv4Unicast) & kRx) && (mode(r, kIpv4Unicast) & kTx);
  ctx.add_path_receive_v6 = (mode(l, kIpv6Unicast) & kRx) && (mode(r, kIpv6Unicast) & kTx);
  ctx.add_path_send_v4 = (mode(l, kIpv4Unicast) & kTx) && (mode(r, kIpv4Unicast) & kRx);
  ctx.add_path_send_v6 = (mode(l, kIpv6Unicast) & kTx) && (mode(r, kIpv6Unicast) & kRx);
  auto has_enh = [](const Capabilities& c) {
    return std::any_of(c.extended_next_hop.begin(), c.extended_next_hop.end(),
                       [](const auto& e) { return e.nlri == kIpv4Unicast && e.next_hop_afi == 2; });
  };
  ctx.extended_next_hop_v4 = has_enh(l) && has_enh(r);
  ctx.route_refresh = l.route_refresh && r.route_refresh;
  // RFC 7313 3: enhanced route refresh rides on route refresh.
  ctx.enhanced_route_refresh =
      ctx.route_refresh && l.enhanced_route_refresh && r.enhanced_route_refresh;
  return ctx;
}

}  // namespace podnet::bgp
