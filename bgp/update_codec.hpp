// UPDATE body decode (RFC 4271 4.3 + RFC 7606) and the header writer shared by the encoders.
#pragma once

#include <span>
#include <vector>

#include "bgp/codec.hpp"

namespace podnet::bgp {

// `body` is the UPDATE after the 19-byte header.
CodecResult<DecodedUpdate> decode_update_body(std::span<const uint8_t> body,
                                              const CodecContext& ctx);

// Starts a message: marker, length placeholder, type. finish_message() patches the length.
void begin_message(std::vector<uint8_t>& out, MessageType type);
void finish_message(std::vector<uint8_t>& out);

}  // namespace podnet::bgp
