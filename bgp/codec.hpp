// The BGP wire codec: stream framing, decode of every message into value types with RFC 7606
// error handling, encode back to bytes, and the UPDATE builder that packs many prefixes sharing
// one attribute set into as few UPDATEs as fit. Stateless: session parameters come in a
// CodecContext. Nothing here throws or reads outside the given bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <variant>
#include <vector>

#include "bgp/errors.hpp"
#include "bgp/messages.hpp"
#include "conf/result.hpp"

namespace podnet::bgp {

// An UPDATE after RFC 7606 processing. A decode that must reset the session returns a
// CodecError instead; everything milder lands here.
struct DecodedUpdate {
  UpdateMessage update;
  // Set when an error requires "treat-as-withdraw": every NLRI in `update` (classic and
  // MP_REACH) must be handled as withdrawn, and update.attributes must not be used.
  std::optional<CodecError> treat_as_withdraw;
  // Attributes dropped by "attribute discard" (already removed from update.attributes), and
  // duplicates dropped by RFC 7606 3 g): for logging.
  std::vector<CodecError> discarded;

  // Routes to remove: withdrawn fields, plus all announced NLRI when treat_as_withdraw is set.
  std::vector<Nlri> withdrawals() const;
  // Routes to install with update.attributes (empty when treat_as_withdraw is set).
  std::vector<Nlri> announcements() const;
};

using DecodedMessage = std::variant<OpenMessage, DecodedUpdate, NotificationMessage,
                                    KeepaliveMessage, RouteRefreshMessage>;

// Framing for a TCP byte stream: nullopt while fewer than 19 bytes are buffered, otherwise the
// length of the next message (which may exceed what is buffered: read more). A bad marker,
// length or type is a session-reset error (RFC 4271 6.1).
CodecResult<std::optional<std::size_t>> frame_length(std::span<const uint8_t> stream,
                                                     const CodecContext& ctx);

// Decodes exactly one message (header included; `message.size()` must be its length).
CodecResult<DecodedMessage> decode_message(std::span<const uint8_t> message,
                                           const CodecContext& ctx);

// Encoders produce a complete message, header included. They fail only when the value cannot
// be represented (too large, a missing next hop for the NLRI given, ...): Errc::invalid.
Result<std::vector<uint8_t>> encode_message(const Message& m, const CodecContext& ctx);
Result<std::vector<uint8_t>> encode_open(const OpenMessage& m);
Result<std::vector<uint8_t>> encode_update(const UpdateMessage& m, const CodecContext& ctx);
std::vector<uint8_t> encode_notification(const NotificationMessage& m);  // data truncated to fit
std::vector<uint8_t> encode_keepalive();
std::vector<uint8_t> encode_route_refresh(const RouteRefreshMessage& m);

// The NOTIFICATION a session-reset error calls for.
NotificationMessage to_notification(const CodecError& e);

// UPDATE builder. Packs `nlri` (any mix of IPv4 and IPv6) with one attribute set into as few
// UPDATEs as fit ctx.max_message_size(): IPv4 in the classic NLRI field with NEXT_HOP (or, with
// no attrs.next_hop and ctx.extended_next_hop_v4, in MP_REACH_NLRI with attrs.mp_next_hop),
// IPv6 in MP_REACH_NLRI with attrs.mp_next_hop. AS4_PATH/AS4_AGGREGATOR are added for a
// 2-octet peer. Path ids are written when ctx.add_path_send(family).
Result<std::vector<std::vector<uint8_t>>> build_announcements(const rib::PathAttributes& attrs,
                                                              std::span<const Nlri> nlri,
                                                              const CodecContext& ctx);
// Withdrawals: IPv4 in the classic Withdrawn Routes field, IPv6 in MP_UNREACH_NLRI.
std::vector<std::vector<uint8_t>> build_withdrawals(std::span<const Nlri> nlri,
                                                    const CodecContext& ctx);
// End-of-RIB marker for a family (RFC 4724 2).
std::vector<uint8_t> encode_end_of_rib(AfiSafi family);

}  // namespace podnet::bgp
