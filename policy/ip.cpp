#include "policy/ip.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>

namespace podnet::policy {

Result<IpAddr> IpAddr::parse(std::string_view text) {
  std::string s(text);
  IpAddr a;
  if (s.find(':') != std::string::npos) {
    a.v6 = true;
    if (::inet_pton(AF_INET6, s.c_str(), a.bytes.data()) == 1) return a;
  } else if (::inet_pton(AF_INET, s.c_str(), a.bytes.data()) == 1) {
    return a;
  }
  return make_error(Errc::invalid, fmt::format("'{}' is not an IP address", text));
}

std::string IpAddr::str() const {
  char buf[INET6_ADDRSTRLEN] = {};
  ::inet_ntop(v6 ? AF_INET6 : AF_INET, bytes.data(), buf, sizeof buf);
  return buf;
}

Result<Cidr> Cidr::parse(std::string_view text) {
  auto slash = text.find('/');
  auto ip = IpAddr::parse(text.substr(0, slash));
  if (!ip) return make_error(Errc::invalid, fmt::format("'{}' is not a CIDR", text));
  Cidr c;
  c.addr = *ip;
  int max = ip->v6 ? 128 : 32;
  c.len = max;
  if (slash != std::string_view::npos) {
    std::string len(text.substr(slash + 1));
    char* end = nullptr;
    long n = std::strtol(len.c_str(), &end, 10);
    if (len.empty() || *end != '\0' || n < 0 || n > max)
      return make_error(Errc::invalid, fmt::format("'{}' has a bad prefix length", text));
    c.len = static_cast<int>(n);
  }
  for (int i = 0; i < 16; ++i) {
    int keep = std::clamp(c.len - i * 8, 0, 8);
    c.addr.bytes[i] &= static_cast<uint8_t>(0xff00 >> keep);
  }
  return c;
}

bool Cidr::contains(const IpAddr& ip) const {
  if (ip.v6 != addr.v6) return false;
  for (int i = 0; i < 16; ++i) {
    int keep = std::clamp(len - i * 8, 0, 8);
    uint8_t mask = static_cast<uint8_t>(0xff00 >> keep);
    if ((ip.bytes[i] & mask) != addr.bytes[i]) return false;
  }
  return true;
}

std::string Cidr::str() const {
  return fmt::format("{}/{}", addr.str(), len);
}

}  // namespace podnet::policy
