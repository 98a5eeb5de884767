// Hash mixing shared by the RIB's value types (prefixes, attribute sets).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace podnet::rib {

inline void hash_mix(std::size_t& seed, std::size_t v) {
  // 64-bit variant of boost::hash_combine's mixer (splitmix-style finaliser).
  v += 0x9e3779b97f4a7c15ull + (seed << 6) + (seed >> 2);
  v ^= v >> 30;
  v *= 0xbf58476d1ce4e5b9ull;
  v ^= v >> 27;
  seed ^= v;
}

inline void hash_bytes(std::size_t& seed, std::span<const uint8_t> bytes) {
  hash_mix(seed, bytes.size());
  std::size_t acc = 0;
  std::size_t n = 0;
  for (uint8_t b : bytes) {
    acc = (acc << 8) | b;
    if (++n == sizeof(std::size_t)) {
      hash_mix(seed, acc);
      acc = 0;
      n = 0;
    }
  }
  if (n != 0) hash_mix(seed, acc);
}

}  // namespace podnet::rib
