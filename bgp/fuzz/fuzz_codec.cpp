// libFuzzer target: decode -> encode -> decode round trips of single BGP messages.
// Input: one byte of session parameters (CodecContext flags), then the message bytes.
// Oracle: the decoder never crashes or reads out of bounds (ASan/UBSan), and anything it accepts
// without treat-as-withdraw re-encodes to something that decodes to the same value:
//   decode(x) ok => decode(encode(decode(x))) == decode(x).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>

#include "bgp/codec.hpp"

using namespace podnet::bgp;

namespace {

CodecContext context_from(uint8_t f) {
  CodecContext ctx;
  ctx.four_octet_as = (f & 0x01) == 0;  // most inputs: 4-octet sessions
  ctx.ebgp = (f & 0x02) != 0;
  ctx.add_path_receive_v4 = ctx.add_path_send_v4 = (f & 0x04) != 0;
  ctx.add_path_receive_v6 = ctx.add_path_send_v6 = (f & 0x08) != 0;
  ctx.extended_next_hop_v4 = (f & 0x10) != 0;
  ctx.extended_message = (f & 0x20) != 0;
  return ctx;
}

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "round-trip oracle failed: %s\n", what);
  std::abort();
}

Message to_message(const DecodedMessage& d) {
  return std::visit(
      [](const auto& m) -> Message {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, DecodedUpdate>) {
          return m.update;
        } else {
          return m;
        }
      },
      d);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const CodecContext ctx = context_from(data[0]);
  std::span<const uint8_t> msg(data + 1, size - 1);

  // Framing must agree with decode about the length.
  auto framed = frame_length(msg, ctx);
  auto first = decode_message(msg, ctx);
  if (first.ok() && (!framed.ok() || !framed->has_value() || **framed != msg.size())) {
    fail("frame_length disagrees with decode_message");
  }
  if (!first.ok()) {
    if (first.error().action != ErrorAction::session_reset) fail("fatal error not session reset");
    return 0;
  }
  if (auto* u = std::get_if<DecodedUpdate>(&*first); u && u->treat_as_withdraw) {
    if (u->treat_as_withdraw->action != ErrorAction::treat_as_withdraw) fail("taw action");
    (void)u->withdrawals();
    return 0;  // attributes are unusable by definition: nothing to round-trip
  }
  const Message m = to_message(*first);
  auto bytes = encode_message(m, ctx);
  if (!bytes.ok()) {
    // Only legitimate refusal: towards a 2-octet peer the re-encoding may grow (AS4_PATH carries
    // the whole path, AS_PATH segments split by the RFC 6793 merge) past the message size limit.
    // A 4-octet encoding never grows.
    if (!ctx.four_octet_as &&
        bytes.error().message.find("exceeds the maximum message size") != std::string::npos) {
      return 0;
    }
    fail("encode rejected a decoded message");
  }
  auto second = decode_message(*bytes, ctx);
  if (!second.ok()) fail("re-decode failed");
  if (auto* u = std::get_if<DecodedUpdate>(&*second)) {
    if (u->treat_as_withdraw || !u->discarded.empty()) fail("re-decode reported errors");
  }
  if (to_message(*second) != m) fail("re-decoded value differs");
  return 0;
}
