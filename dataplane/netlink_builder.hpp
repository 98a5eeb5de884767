// Building and reading rtnetlink messages attribute by attribute, for the link, address and
// neighbour messages of the tunnel programmers (the route messages, built by the million, have
// their own tight code in route_message.cpp). Also used by the tests to take apart the bytes
// the programmers send, so what the kernel will see is checked attribute by attribute.
#pragma once

#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace podnet::dataplane::nl {

// Appends one attribute (header, payload, padding) to `buf`; returns its offset.
std::size_t append_attr(std::vector<uint8_t>& buf, uint16_t type, const void* data,
                        std::size_t len);

// Appends messages to a buffer: begin(), attributes (nested ones too), end().
class Builder {
 public:
  explicit Builder(std::vector<uint8_t>& buf) : buf_(buf) {}

  // Header plus the family header (ifinfomsg, ifaddrmsg, ndmsg...).
  template <class Body>
  void begin(uint16_t type, uint16_t flags, uint32_t seq, const Body& body) {
    begin_raw(type, flags, seq, &body, sizeof body);
  }
  void begin_raw(uint16_t type, uint16_t flags, uint32_t seq, const void* body, std::size_t len);
  void attr(uint16_t type, const void* data, std::size_t len);
  void attr_u8(uint16_t type, uint8_t v) { attr(type, &v, 1); }
  void attr_u16(uint16_t type, uint16_t v) { attr(type, &v, 2); }
  void attr_u32(uint16_t type, uint32_t v) { attr(type, &v, 4); }
  void attr_bytes(uint16_t type, std::span<const uint8_t> b) { attr(type, b.data(), b.size()); }
  // A NUL-terminated string, as the kernel's NLA_STRING / NLA_NUL_STRING policies want.
  void attr_str(uint16_t type, std::string_view s);
  // Opens a nested attribute; returns its offset for nest_end().
  std::size_t nest_begin(uint16_t type);
  void nest_end(std::size_t offset);
  // Fixes the message's length; returns the whole message's offset in the buffer.
  std::size_t end();

 private:
  std::vector<uint8_t>& buf_;
  std::size_t start_ = 0;
};

// A read-only view of one message's attributes, by type (last one wins).
class Attrs {
 public:
  Attrs() = default;
  Attrs(const void* first, std::size_t len);
  // The attributes after the family header of `h` (of size `body`).
  static Attrs of(const nlmsghdr& h, std::size_t body);
  bool has(uint16_t type) const { return map_.count(type) != 0; }
  std::span<const uint8_t> get(uint16_t type) const;
  std::optional<uint8_t> u8(uint16_t type) const;
  std::optional<uint16_t> u16(uint16_t type) const;
  std::optional<uint32_t> u32(uint16_t type) const;
  std::optional<std::string> str(uint16_t type) const;
  Attrs nested(uint16_t type) const;
  // Every (type, length) in order, for tests that check exactly what a message carries.
  const std::vector<std::pair<uint16_t, std::size_t>>& order() const { return order_; }

 private:
  std::map<uint16_t, std::span<const uint8_t>> map_;
  std::vector<std::pair<uint16_t, std::size_t>> order_;
};

// Splits a buffer of concatenated messages.
std::vector<const nlmsghdr*> messages(std::span<const uint8_t> buf);

}  // namespace podnet::dataplane::nl
