// Hand-assembled wire bytes for the codec tests: every field spelled out per the RFC layouts,
// independent of the encoder under test.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <vector>

namespace podnet::bgp::testwire {

using Bytes = std::vector<uint8_t>;

inline Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}
inline Bytes be16(uint32_t v) {
  return {uint8_t(v >> 8), uint8_t(v)};
}
inline Bytes be32(uint32_t v) {
  return {uint8_t(v >> 24), uint8_t(v >> 16), uint8_t(v >> 8), uint8_t(v)};
}

// RFC 4271 4.1: 16-byte marker, 2-byte length, 1-byte type.
inline Bytes message(uint8_t type, const Bytes& body) {
  Bytes out(16, 0xFF);
  auto len = be16(uint32_t(19 + body.size()));
  out.insert(out.end(), len.begin(), len.end());
  out.push_back(type);
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

// RFC 4271 4.3 path attribute: flags, type, 1- or 2-byte length (Extended Length bit 0x10).
inline Bytes attribute(uint8_t flags, uint8_t type, const Bytes& value) {
  Bytes out{flags, type};
  if (flags & 0x10) {
    auto l = be16(uint32_t(value.size()));
    out.insert(out.end(), l.begin(), l.end());
  } else {
    out.push_back(uint8_t(value.size()));
  }
  out.insert(out.end(), value.begin(), value.end());
  return out;
}

inline Bytes update(const Bytes& withdrawn, const Bytes& attrs, const Bytes& nlri) {
  return message(2, cat({be16(uint32_t(withdrawn.size())), withdrawn, be16(uint32_t(attrs.size())),
                         attrs, nlri}));
}

// Common attributes.
inline Bytes origin(uint8_t v = 0) {
  return attribute(0x40, 1, {v});
}
inline Bytes as_path4(std::initializer_list<uint32_t> seq) {
  Bytes v{2, uint8_t(seq.size())};
  for (uint32_t a : seq) {
    auto b = be32(a);
    v.insert(v.end(), b.begin(), b.end());
  }
  return attribute(0x40, 2, v);
}
inline Bytes next_hop(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  return attribute(0x40, 3, {a, b, c, d});
}
// ORIGIN IGP, AS_PATH [65001], NEXT_HOP 192.0.2.1.
inline Bytes base_attrs() {
  return cat({origin(0), as_path4({65001}), next_hop(192, 0, 2, 1)});
}

}  // namespace podnet::bgp::testwire
