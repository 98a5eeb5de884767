// Self-checking values for the SIGKILL test: a YAML document whose payload's hash is in the
// document itself, so any torn or mixed write is detectable from the value alone.
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <optional>
#include <string>

#include "ipam-sync/entry_file.hpp"

namespace podnet::store::testing {

inline std::string make_blob_value(uint64_t seq, size_t size) {
  std::string payload;
  payload.reserve(size);
  uint64_t x = seq * 0x9E3779B97F4A7C15ull + 1;
  for (size_t i = 0; i < size; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    payload.push_back(static_cast<char>('a' + x % 26));
  }
  return fmt::format("seq: {}\nsum: \"{:016x}\"\npayload: {}\n", seq, content_hash(payload),
                     payload);
}

// The checks a reader can do without a YAML parser: the three lines are there, complete, and
// the payload hashes to sum. Returns the seq if the value is intact.
inline std::optional<uint64_t> check_blob_value(const std::string& v) {
  uint64_t seq = 0;
  unsigned long long sum = 0;
  if (std::sscanf(v.c_str(), "seq: %lu\nsum: \"%llx\"\n", &seq, &sum) != 2) return std::nullopt;
  auto p = v.find("\npayload: ");
  if (p == std::string::npos || v.empty() || v.back() != '\n') return std::nullopt;
  std::string payload = v.substr(p + 10, v.size() - p - 11);
  if (content_hash(payload) != sum) return std::nullopt;
  return seq;
}

}  // namespace podnet::store::testing
