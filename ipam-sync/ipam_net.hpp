// Address arithmetic and datastore names for IPAM: a CIDR as a number range (IPv4 and IPv6 alike,
// in 128 bits), the ordinal of an address within its block, the block of a pool that holds an
// address, and the resource names Calico's CRDs use ("10-244-1-0-26").
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace podnet::ipam {

using u128 = unsigned __int128;

struct Net {
  int family = 4;  // 4 or 6
  u128 base = 0;   // the network address (host bits clear)
  int prefix = 0;  // prefix length
  int width() const { return family == 4 ? 32 : 128; }
  int host_bits() const { return width() - prefix; }
  u128 size() const;  // number of addresses
  bool contains(u128 addr) const;
  bool contains(const Net& inner) const;
  std::string str() const;  // canonical "a.b.c.d/n"
  friend bool operator==(const Net&, const Net&) = default;
};

struct Addr {
  int family = 4;
  u128 value = 0;
  std::string str() const;  // canonical text, no prefix length
};

std::optional<Net> parse_net(std::string_view cidr);  // must be strictly masked
std::optional<Addr> parse_addr(std::string_view ip);  // a bare address ("/32" tolerated)
std::string addr_str(int family, u128 value);

// The block of blockSize `block_prefix` inside `pool` that holds addr.
Net block_of(const Net& pool, int block_prefix, u128 addr);
// The i-th block of blockSize block_prefix in pool; nullopt past the end.
std::optional<Net> nth_block(const Net& pool, int block_prefix, u128 i);

// "10.244.1.0/26" -> "10-244-1-0-26"; "fd00::/122" -> "fd00---122" (names.CIDRToName).
std::string cidr_name(const Net& n);
std::string block_key(const Net& n);                               // "ipamblocks/<name>"
std::string affinity_name(const std::string& node, const Net& n);  // "<node>-<name>"
std::string affinity_key(const std::string& node, const Net& n);
std::string handle_key(const std::string& handle);  // "ipamhandles/<handle>"
inline constexpr const char* kConfigKey = "ipamconfigs/default";

// Decimal text of a 128-bit count (pool sizes of IPv6 pools).
std::string u128_str(u128 v);

}  // namespace podnet::ipam
