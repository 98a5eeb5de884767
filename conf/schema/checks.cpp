#include "conf/schema/checks.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace podnet::conf {
namespace {

bool is_alnum_lower(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}
bool is_alnum(char c) {
  return is_alnum_lower(c) || (c >= 'A' && c <= 'Z');
}

std::optional<uint64_t> parse_uint(std::string_view s) {
  if (s.empty() || s.size() > 19) return std::nullopt;
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace

std::string IpAddr::str() const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(family == 4 ? AF_INET : AF_INET6, bytes.data(), buf, sizeof buf);
  return buf;
}

std::string Cidr::str() const {
  return addr.str() + "/" + std::to_string(prefix_len);
}

Cidr Cidr::masked() const {
  Cidr c = *this;
  int total = addr.family == 4 ? 32 : 128;
  for (int bit = prefix_len; bit < total; ++bit) c.addr.bytes[bit / 8] &= ~(0x80 >> (bit % 8));
  return c;
}

bool Cidr::host_bits_set() const {
  return masked().addr.bytes != addr.bytes;
}

std::optional<IpAddr> parse_ip(std::string_view s) {
  if (s.empty() || s.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  std::string z(s);
  IpAddr a;
  if (z.find(':') == std::string::npos) {
    if (inet_pton(AF_INET, z.c_str(), a.bytes.data()) != 1) return std::nullopt;
    a.family = 4;
  } else {
    if (inet_pton(AF_INET6, z.c_str(), a.bytes.data()) != 1) return std::nullopt;
    a.family = 6;
  }
  return a;
}

std::optional<Cidr> parse_cidr(std::string_view s, bool allow_bare_ip) {
  auto slash = s.find('/');
  if (slash == std::string_view::npos) {
    if (!allow_bare_ip) return std::nullopt;
    auto ip = parse_ip(s);
    if (!ip) return std::nullopt;
    return Cidr{*ip, ip->family == 4 ? 32 : 128};
  }
  auto ip = parse_ip(s.substr(0, slash));
  auto len = parse_uint(s.substr(slash + 1));
  if (!ip || !len || s.size() - slash - 1 > 3) return std::nullopt;
  if (*len > (ip->family == 4 ? 32u : 128u)) return std::nullopt;
  return Cidr{*ip, static_cast<int>(*len)};
}

std::string check_peer_ip(std::string_view s) {
  if (parse_ip(s)) return "";
  std::string_view host, port;
  if (!s.empty() && s.front() == '[') {
    auto close = s.find("]:");
    if (close == std::string_view::npos) return "expected ip, ip:port or [ipv6]:port";
    host = s.substr(1, close - 1);
    port = s.substr(close + 2);
    auto ip = parse_ip(host);
    if (!ip || ip->family != 6) return "expected an IPv6 address inside [ ]";
  } else {
    auto colon = s.rfind(':');
    if (colon == std::string_view::npos || s.find(':') != colon)
      return "expected ip, ip:port or [ipv6]:port";
    host = s.substr(0, colon);
    port = s.substr(colon + 1);
    auto ip = parse_ip(host);
    if (!ip || ip->family != 4) return "expected ip, ip:port or [ipv6]:port";
  }
  auto p = parse_uint(port);
  if (!p || *p < 1 || *p > 65535) return "port must be 1-65535";
  return "";
}

std::string check_dns_label(std::string_view s) {
  if (s.empty()) return "must not be empty";
  if (s.size() > 63) return "must be no more than 63 characters";
  for (char c : s)
    if (!is_alnum_lower(c) && c != '-')
      return "must consist of lower case alphanumeric characters or '-' (DNS-1123 label)";
  if (!is_alnum_lower(s.front()) || !is_alnum_lower(s.back()))
    return "must start and end with a lower case alphanumeric character (DNS-1123 label)";
  return "";
}

std::string check_dns_subdomain(std::string_view s) {
  if (s.empty()) return "must not be empty";
  if (s.size() > 253) return "must be no more than 253 characters";
  for (char c : s)
    if (!is_alnum_lower(c) && c != '-' && c != '.')
      return "must consist of lower case alphanumeric characters, '-' or '.' (DNS-1123 subdomain)";
  if (!is_alnum_lower(s.front()) || !is_alnum_lower(s.back()))
    return "must start and end with a lower case alphanumeric character (DNS-1123 subdomain)";
  return "";
}

namespace {
// A qualified name part: [A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?, at most 63 characters.
std::string check_qualified_part(std::string_view s, const char* what) {
  if (s.empty()) return std::string(what) + " must not be empty";
  if (s.size() > 63) return std::string(what) + " must be no more than 63 characters";
  for (char c : s)
    if (!is_alnum(c) && c != '-' && c != '_' && c != '.')
      return std::string(what) + " must consist of alphanumeric characters, '-', '_' or '.'";
  if (!is_alnum(s.front()) || !is_alnum(s.back()))
    return std::string(what) + " must start and end with an alphanumeric character";
  return "";
}
}  // namespace

std::string check_label_key(std::string_view s) {
  auto slash = s.find('/');
  if (slash != std::string_view::npos) {
    auto prefix = s.substr(0, slash);
    if (auto e = check_dns_subdomain(prefix); !e.empty()) return "key prefix " + e;
    return check_qualified_part(s.substr(slash + 1), "key name");
  }
  return check_qualified_part(s, "key");
}

std::string check_label_value(std::string_view s) {
  if (s.empty()) return "";
  return check_qualified_part(s, "value");
}

std::string check_duration(std::string_view s) {
  if (s == "0") return "";
  std::string_view r = s;
  if (!r.empty() && (r.front() == '+' || r.front() == '-')) r.remove_prefix(1);
  if (r.empty()) return "expected a duration such as 90s, 5m or 1h30m";
  while (!r.empty()) {
    size_t i = 0;
    bool digits = false;
    while (i < r.size() && ((r[i] >= '0' && r[i] <= '9') || r[i] == '.')) {
      digits |= r[i] != '.';
      ++i;
    }
    if (!digits) return "expected a duration such as 90s, 5m or 1h30m";
    r.remove_prefix(i);
    static constexpr std::string_view units[] = {"ns", "us", "\xc2\xb5s", "ms", "s", "m", "h"};
    bool found = false;
    for (auto u : units) {
      if (r.substr(0, u.size()) == u && !(u == "m" && r.substr(0, 2) == "ms")) {
        r.remove_prefix(u.size());
        found = true;
        break;
      }
    }
    if (!found) return "expected a duration such as 90s, 5m or 1h30m (unit ns, us, ms, s, m, h)";
  }
  return "";
}

std::string check_mac(std::string_view s) {
  if (s.size() != 17) return "expected a MAC address aa:bb:cc:dd:ee:ff";
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    if (i % 3 == 2 ? c != ':' : !hex) return "expected a MAC address aa:bb:cc:dd:ee:ff";
  }
  return "";
}

std::optional<uint32_t> parse_as_number(std::string_view s) {
  auto dot = s.find('.');
  if (dot == std::string_view::npos) {
    auto v = parse_uint(s);
    if (!v || *v > 0xffffffffULL) return std::nullopt;
    return static_cast<uint32_t>(*v);
  }
  auto hi = parse_uint(s.substr(0, dot)), lo = parse_uint(s.substr(dot + 1));
  if (!hi || !lo || *hi > 0xffff || *lo > 0xffff) return std::nullopt;
  return static_cast<uint32_t>((*hi << 16) | *lo);
}

std::string check_community(std::string_view s) {
  std::string_view parts[3];
  int n = 0;
  size_t start = 0;
  while (n < 3) {
    auto colon = s.find(':', start);
    parts[n++] = s.substr(start, colon == std::string_view::npos ? colon : colon - start);
    if (colon == std::string_view::npos) break;
    start = colon + 1;
    if (n == 3) return "expected aa:nn or aa:nn:mm";
  }
  if (n < 2) return "expected aa:nn or aa:nn:mm";
  uint64_t limit = n == 2 ? 0xffff : 0xffffffffULL;
  for (int i = 0; i < n; ++i) {
    auto v = parse_uint(parts[i]);
    if (!v || *v > limit)
      return n == 2 ? "standard community parts must be 0-65535"
                    : "large community parts must be 0-4294967295";
  }
  return "";
}

}  // namespace podnet::conf
