// Big-endian byte helpers shared by the IR and the netlink encoder.
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

namespace podnet::policy::nft {

inline std::vector<uint8_t> be_bytes(uint64_t v, std::size_t width) {
  std::vector<uint8_t> b(width);
  for (std::size_t i = 0; i < width; ++i) b[width - 1 - i] = static_cast<uint8_t>(v >> (8 * i));
  return b;
}

inline uint64_t from_be(const std::vector<uint8_t>& b) {
  uint64_t v = 0;
  for (uint8_t x : b) v = (v << 8) | x;
  return v;
}

inline int bit_at(const std::vector<uint8_t>& b, int i) {
  return (b[i / 8] >> (7 - i % 8)) & 1;
}

// Adds one; returns true when it wrapped around (the value was all ones).
inline bool increment(std::vector<uint8_t>& b) {
  for (std::size_t i = b.size(); i-- > 0;)
    if (++b[i] != 0) return false;
  return true;
}

inline std::size_t strnlen_bytes(const std::vector<uint8_t>& b) {
  std::size_t n = 0;
  while (n < b.size() && b[n] != 0) ++n;
  return n;
}

}  // namespace podnet::policy::nft
