// IPv4/IPv6 addresses and prefixes as small value types. The RIB keys routes by Prefix, the BGP
// codec reads and writes them, the dataplane programs them: one representation for all three.
#pragma once

#include <array>
#include <bit>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "conf/result.hpp"

namespace podnet::rib {

enum class Family : uint8_t { v4 = 4, v6 = 6 };

inline constexpr std::size_t address_bytes(Family f) {
  return f == Family::v4 ? 4 : 16;
}
inline constexpr uint8_t max_length(Family f) {
  return f == Family::v4 ? 32 : 128;
}

// An IP address. Bytes beyond address_bytes(family) are always zero, so the defaulted
// comparisons are meaningful.
class Address {
 public:
  Address() = default;  // 0.0.0.0
  static Address v4(uint32_t host_order);
  // `bytes` must hold address_bytes(f) bytes (network order); extra bytes are ignored.
  static Address from_bytes(Family f, std::span<const uint8_t> bytes);
  static Result<Address> parse(std::string_view text);

  Family family() const { return family_; }
  std::span<const uint8_t> bytes() const { return {bytes_.data(), address_bytes(family_)}; }
  uint32_t v4_value() const;  // host order; only meaningful for v4
  bool is_unspecified() const;
  bool is_v6_link_local() const {
    return family_ == Family::v6 && bytes_[0] == 0xfe && (bytes_[1] & 0xc0) == 0x80;
  }
  std::string to_string() const;

  // Family, then the bytes in network order. Compared as two big-endian words instead of a
  // memcmp call: every ordered RIB table is keyed by prefixes, and at a million routes the
  // comparisons were a visible share of a full table's receive time.
  friend std::strong_ordering operator<=>(const Address& a, const Address& b) {
    if (a.family_ != b.family_) return a.family_ <=> b.family_;
    if (auto c = a.word(0) <=> b.word(0); c != 0) return c;
    return a.word(1) <=> b.word(1);
  }
  friend bool operator==(const Address&, const Address&) = default;

 private:
  // Bytes [8 * i, 8 * i + 8) as a number whose order is their lexicographic order.
  uint64_t word(std::size_t i) const {
    uint64_t w;
    std::memcpy(&w, bytes_.data() + 8 * i, sizeof w);
    if constexpr (std::endian::native == std::endian::little) w = __builtin_bswap64(w);
    return w;
  }

  Family family_ = Family::v4;
  std::array<uint8_t, 16> bytes_{};
};

// A prefix: family, address with host bits zero (always normalised), length.
// Ordering: family, then address bytes, then length (so a covering prefix sorts before the
// more-specifics it contains).
class Prefix {
 public:
  Prefix() = default;  // 0.0.0.0/0
  // Clears host bits. Returns an error if length exceeds the family's maximum.
  static Result<Prefix> make(Family f, std::span<const uint8_t> bytes, uint8_t length);
  static Result<Prefix> make(const Address& a, uint8_t length);
  // An IPv4 prefix from a host-order address; host bits are cleared, a length over 32 is 32.
  static Prefix v4(uint32_t host_order, uint8_t length);
  // "10.0.0.0/26", "2001:db8::/122"; a bare address means a host route (/32, /128). Host bits
  // in the text are cleared ("10.0.0.1/24" -> 10.0.0.0/24).
  static Result<Prefix> parse(std::string_view text);

  Family family() const { return addr_.family(); }
  uint8_t length() const { return len_; }
  const Address& address() const { return addr_; }
  std::span<const uint8_t> bytes() const { return addr_.bytes(); }
  // The number of address bytes a BGP NLRI carries for this prefix: ceil(length / 8).
  std::size_t significant_bytes() const { return (len_ + 7u) / 8u; }
  bool contains(const Prefix& other) const;
  bool contains(const Address& a) const;
  std::string to_string() const;

  friend auto operator<=>(const Prefix&, const Prefix&) = default;
  friend bool operator==(const Prefix&, const Prefix&) = default;

 private:
  Address addr_;
  uint8_t len_ = 0;
};

std::size_t hash_value(const Address& a);
std::size_t hash_value(const Prefix& p);

}  // namespace podnet::rib

template <>
struct std::hash<podnet::rib::Address> {
  std::size_t operator()(const podnet::rib::Address& a) const noexcept {
    return podnet::rib::hash_value(a);
  }
};
template <>
struct std::hash<podnet::rib::Prefix> {
  std::size_t operator()(const podnet::rib::Prefix& p) const noexcept {
    return podnet::rib::hash_value(p);
  }
};
