// Small helpers shared by the codec tests.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "bgp/codec.hpp"

namespace podnet::bgp::testing {

inline Nlri nlri(const std::string& p, uint32_t path_id = 0) {
  return Nlri{rib::Prefix::parse(p).value(), path_id};
}

inline CodecContext ctx4(bool ebgp = false) {
  CodecContext c;
  c.four_octet_as = true;
  c.ebgp = ebgp;
  return c;
}

// Decodes and requires success of the given alternative.
template <class T>
T decode_as(const std::vector<uint8_t>& bytes, const CodecContext& ctx) {
  auto r = decode_message(bytes, ctx);
  if (!r.ok()) {
    ADD_FAILURE() << "decode failed: " << describe(r.error());
    return T{};
  }
  if (!std::holds_alternative<T>(*r)) {
    ADD_FAILURE() << "decoded to another message type (index " << r->index() << ")";
    return T{};
  }
  return std::get<T>(std::move(*r));
}

}  // namespace podnet::bgp::testing

namespace podnet::bgp::testing {

inline Message to_message(const DecodedMessage& d) {
  return std::visit(
      [](const auto& m) -> Message {
        if constexpr (std::is_same_v<std::decay_t<decltype(m)>, DecodedUpdate>) {
          return m.update;
        } else {
          return m;
        }
      },
      d);
}

// The fuzzer's oracle as a test assertion: whatever decodes cleanly re-encodes losslessly.
// Returns false (with a test failure recorded) when it does not.
inline bool round_trips(std::span<const uint8_t> bytes, const CodecContext& ctx) {
  auto first = decode_message(bytes, ctx);
  if (!first.ok()) return true;
  if (auto* u = std::get_if<DecodedUpdate>(&*first); u && u->treat_as_withdraw) return true;
  const Message m = to_message(*first);
  auto again = encode_message(m, ctx);
  if (!again.ok()) {
    ADD_FAILURE() << "encode failed: " << again.error().message;
    return false;
  }
  auto second = decode_message(*again, ctx);
  if (!second.ok()) {
    ADD_FAILURE() << "re-decode failed: " << describe(second.error());
    return false;
  }
  if (to_message(*second) != m) {
    ADD_FAILURE() << "re-decoded value differs";
    return false;
  }
  return true;
}

}  // namespace podnet::bgp::testing
