// Bounds-checked big-endian reader and writer for the wire codec. Every read returns a value or
// nullopt; a Cursor never reads outside the span it was given, which is what keeps a malformed
// message from turning into an out-of-bounds read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace podnet::bgp {

class Cursor {
 public:
  Cursor() = default;
  explicit Cursor(std::span<const uint8_t> data) : data_(data) {}

  std::size_t remaining() const { return data_.size() - pos_; }
  std::size_t offset() const { return pos_; }
  bool empty() const { return remaining() == 0; }
  // Everything not read yet (does not advance).
  std::span<const uint8_t> rest() const { return data_.subspan(pos_); }

  std::optional<uint8_t> u8() {
    if (remaining() < 1) return std::nullopt;
    return data_[pos_++];
  }
  std::optional<uint16_t> u16() {
    if (remaining() < 2) return std::nullopt;
    uint16_t v = static_cast<uint16_t>((data_[pos_] << 8) | data_[pos_ + 1]);
    pos_ += 2;
    return v;
  }
  std::optional<uint32_t> u32() {
    if (remaining() < 4) return std::nullopt;
    uint32_t v = (uint32_t{data_[pos_]} << 24) | (uint32_t{data_[pos_ + 1]} << 16) |
                 (uint32_t{data_[pos_ + 2]} << 8) | uint32_t{data_[pos_ + 3]};
    pos_ += 4;
    return v;
  }
  std::optional<uint64_t> u64() {
    auto hi = u32();
    if (!hi) return std::nullopt;
    auto lo = u32();
    if (!lo) {
      pos_ -= 4;
      return std::nullopt;
    }
    return (uint64_t{*hi} << 32) | *lo;
  }
  std::optional<std::span<const uint8_t>> bytes(std::size_t n) {
    if (remaining() < n) return std::nullopt;
    auto s = data_.subspan(pos_, n);
    pos_ += n;
    return s;
  }
  // A cursor over the next n bytes; this cursor moves past them.
  std::optional<Cursor> sub(std::size_t n) {
    auto s = bytes(n);
    if (!s) return std::nullopt;
    return Cursor(*s);
  }

 private:
  std::span<const uint8_t> data_;
  std::size_t pos_ = 0;
};

// Appends big-endian fields to a byte vector; length fields are reserved and patched later.
class Writer {
 public:
  explicit Writer(std::vector<uint8_t>& out) : out_(out) {}

  void u8(uint8_t v) { out_.push_back(v); }
  void u16(uint16_t v) {
    out_.push_back(static_cast<uint8_t>(v >> 8));
    out_.push_back(static_cast<uint8_t>(v));
  }
  void u32(uint32_t v) {
    u16(static_cast<uint16_t>(v >> 16));
    u16(static_cast<uint16_t>(v));
  }
  void u64(uint64_t v) {
    u32(static_cast<uint32_t>(v >> 32));
    u32(static_cast<uint32_t>(v));
  }
  void bytes(std::span<const uint8_t> b) { out_.insert(out_.end(), b.begin(), b.end()); }
  std::size_t size() const { return out_.size(); }
  // Reserve a length field and return its position for patch_*().
  std::size_t reserve_u8() {
    out_.push_back(0);
    return out_.size() - 1;
  }
  std::size_t reserve_u16() {
    out_.push_back(0);
    out_.push_back(0);
    return out_.size() - 2;
  }
  void patch_u8(std::size_t at, uint8_t v) { out_.at(at) = v; }
  void patch_u16(std::size_t at, uint16_t v) {
    out_.at(at) = static_cast<uint8_t>(v >> 8);
    out_.at(at + 1) = static_cast<uint8_t>(v);
  }

 private:
  std::vector<uint8_t>& out_;
};

}  // namespace podnet::bgp
