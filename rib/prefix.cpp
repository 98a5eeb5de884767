#include "rib/prefix.hpp"

#include <arpa/inet.h>

#include <charconv>

#include "rib/hash_combine.hpp"

namespace podnet::rib {

Address Address::v4(uint32_t host_order) {
  Address a;
  a.family_ = Family::v4;
  a.bytes_[0] = static_cast<uint8_t>(host_order >> 24);
  a.bytes_[1] = static_cast<uint8_t>(host_order >> 16);
  a.bytes_[2] = static_cast<uint8_t>(host_order >> 8);
  a.bytes_[3] = static_cast<uint8_t>(host_order);
  return a;
}

Address Address::from_bytes(Family f, std::span<const uint8_t> bytes) {
  Address a;
  a.family_ = f;
  std::size_t n = std::min(bytes.size(), address_bytes(f));
  for (std::size_t i = 0; i < n; ++i) a.bytes_[i] = bytes[i];
  return a;
}

Result<Address> Address::parse(std::string_view text) {
  // inet_pton needs a NUL-terminated string; the longest textual IPv6 address is 45 chars.
  if (text.empty() || text.size() > 45) {
    return make_error(Errc::invalid, "invalid IP address '" + std::string(text) + "'");
  }
  std::string s(text);
  Address a;
  if (s.find(':') != std::string::npos) {
    a.family_ = Family::v6;
    if (inet_pton(AF_INET6, s.c_str(), a.bytes_.data()) == 1) return a;
  } else {
    a.family_ = Family::v4;
    if (inet_pton(AF_INET, s.c_str(), a.bytes_.data()) == 1) return a;
  }
  return make_error(Errc::invalid, "invalid IP address '" + s + "'");
}

Prefix Prefix::v4(uint32_t host_order, uint8_t length) {
  if (length > 32) length = 32;
  uint32_t mask = length == 0 ? 0 : ~uint32_t{0} << (32 - length);
  Prefix p;
  p.addr_ = Address::v4(host_order & mask);
  p.len_ = length;
  return p;
}

uint32_t Address::v4_value() const {
  return (uint32_t{bytes_[0]} << 24) | (uint32_t{bytes_[1]} << 16) | (uint32_t{bytes_[2]} << 8) |
         uint32_t{bytes_[3]};
}

bool Address::is_unspecified() const {
  for (uint8_t b : bytes()) {
    if (b != 0) return false;
  }
  return true;
}

std::string Address::to_string() const {
  char buf[INET6_ADDRSTRLEN] = {};
  if (family_ == Family::v4) {
    inet_ntop(AF_INET, bytes_.data(), buf, sizeof(buf));
  } else {
    inet_ntop(AF_INET6, bytes_.data(), buf, sizeof(buf));
  }
  return buf;
}

Result<Prefix> Prefix::make(Family f, std::span<const uint8_t> bytes, uint8_t length) {
  if (length > max_length(f)) {
    return make_error(Errc::invalid, "prefix length " + std::to_string(length) + " exceeds " +
                                         std::to_string(max_length(f)));
  }
  std::array<uint8_t, 16> b{};
  std::size_t n = std::min(bytes.size(), address_bytes(f));
  for (std::size_t i = 0; i < n; ++i) b[i] = bytes[i];
  // Host bits zero: keep `length` leading bits, clear the rest.
  for (std::size_t i = 0; i < b.size(); ++i) {
    int keep = static_cast<int>(length) - static_cast<int>(i * 8);
    if (keep >= 8) continue;
    if (keep <= 0) {
      b[i] = 0;
    } else {
      b[i] &= static_cast<uint8_t>(0xff << (8 - keep));
    }
  }
  Prefix p;
  p.addr_ = Address::from_bytes(f, b);
  p.len_ = length;
  return p;
}

Result<Prefix> Prefix::make(const Address& a, uint8_t length) {
  return make(a.family(), a.bytes(), length);
}

Result<Prefix> Prefix::parse(std::string_view text) {
  auto slash = text.find('/');
  auto addr = Address::parse(text.substr(0, slash));
  if (!addr) return make_error(Errc::invalid, "invalid prefix '" + std::string(text) + "'");
  uint8_t len = max_length(addr->family());
  if (slash != std::string_view::npos) {
    auto digits = text.substr(slash + 1);
    unsigned v = 0;
    auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
    if (digits.empty() || ec != std::errc() || ptr != digits.data() + digits.size() ||
        v > max_length(addr->family())) {
      return make_error(Errc::invalid, "invalid prefix length in '" + std::string(text) + "'");
    }
    len = static_cast<uint8_t>(v);
  }
  return make(*addr, len);
}

bool Prefix::contains(const Prefix& other) const {
  if (other.family() != family() || other.len_ < len_) return false;
  auto narrowed = make(other.addr_, len_);
  return narrowed.ok() && narrowed->addr_ == addr_;
}

bool Prefix::contains(const Address& a) const {
  if (a.family() != family()) return false;
  return contains(make(a, max_length(a.family())).value());
}

std::string Prefix::to_string() const {
  return addr_.to_string() + "/" + std::to_string(len_);
}

std::size_t hash_value(const Address& a) {
  std::size_t seed = static_cast<std::size_t>(a.family());
  hash_bytes(seed, a.bytes());
  return seed;
}

std::size_t hash_value(const Prefix& p) {
  std::size_t seed = hash_value(p.address());
  hash_mix(seed, p.length());
  return seed;
}

}  // namespace podnet::rib
