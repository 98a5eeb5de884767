// IP addresses and CIDRs for the policy model: parsed once, compared by bytes. IPv4 is kept as
// its own family (not v4-mapped) because Calico renders rules per family and skips a rule for a
// family its nets do not mention.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "conf/result.hpp"

namespace podnet::policy {

struct IpAddr {
  bool v6 = false;
  std::array<uint8_t, 16> bytes{};  // v4 uses the first 4
  static Result<IpAddr> parse(std::string_view text);
  int family() const { return v6 ? 6 : 4; }
  std::string str() const;
  friend bool operator==(const IpAddr&, const IpAddr&) = default;
  friend auto operator<=>(const IpAddr&, const IpAddr&) = default;
};

struct Cidr {
  IpAddr addr;  // masked to len (Calico normalises nets the same way)
  int len = 0;
  // "10.0.0.0/8", "fd00::/64", or a bare address (a /32 or /128), as Calico accepts.
  static Result<Cidr> parse(std::string_view text);
  bool contains(const IpAddr& ip) const;
  int family() const { return addr.family(); }
  std::string str() const;
  friend bool operator==(const Cidr&, const Cidr&) = default;
};

}  // namespace podnet::policy
