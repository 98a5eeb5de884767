// Value checks shared by the resource schemas and the daemon config: IP addresses and CIDRs,
// Kubernetes names and labels, Go durations, BGP AS numbers and communities. Each returns an
// empty string when the value is fine, otherwise the reason (without the field path, which the
// caller adds).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace podnet::conf {

struct IpAddr {
  int family = 4;                   // 4 or 6
  std::array<uint8_t, 16> bytes{};  // v4 uses the first 4
  std::string str() const;          // canonical text (inet_ntop)
};

struct Cidr {
  IpAddr addr;
  int prefix_len = 0;
  std::string str() const;  // "addr/len", canonical
  bool host_bits_set() const;
  Cidr masked() const;  // host bits cleared
};

std::optional<IpAddr> parse_ip(std::string_view s);
// "a.b.c.d/n" or "v6/n"; with allow_bare_ip an address alone is a /32 (/128).
std::optional<Cidr> parse_cidr(std::string_view s, bool allow_bare_ip = false);

// BGP peer address: "ip", "ip:port" or "[v6]:port".
std::string check_peer_ip(std::string_view s);
// Kubernetes DNS-1123 subdomain (most resource names) and label (namespaces).
std::string check_dns_subdomain(std::string_view s);
std::string check_dns_label(std::string_view s);
// Label / annotation keys ("prefix/name"), label values.
std::string check_label_key(std::string_view s);
std::string check_label_value(std::string_view s);
// Go time.Duration text: "90s", "1m30s", "0".
std::string check_duration(std::string_view s);
// 48-bit MAC "aa:bb:cc:dd:ee:ff".
std::string check_mac(std::string_view s);
// AS number as written by Calico users: 65000 or dotted "1.10" (asdot). Returns the 32-bit value.
std::optional<uint32_t> parse_as_number(std::string_view s);
// Standard "aa:nn" (16-bit parts) or large "aa:nn:mm" (32-bit parts) community.
std::string check_community(std::string_view s);

}  // namespace podnet::conf
