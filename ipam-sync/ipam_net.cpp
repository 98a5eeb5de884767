#include "ipam-sync/ipam_net.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

namespace podnet::ipam {

namespace {

std::optional<Addr> parse_raw(std::string_view text) {
  std::string s(text);
  Addr a;
  if (s.find(':') == std::string::npos) {
    in_addr v4{};
    if (inet_pton(AF_INET, s.c_str(), &v4) != 1) return std::nullopt;
    a.family = 4;
    a.value = ntohl(v4.s_addr);
    return a;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, s.c_str(), &v6) != 1) return std::nullopt;
  a.family = 6;
  for (int i = 0; i < 16; ++i) a.value = (a.value << 8) | v6.s6_addr[i];
  return a;
}

u128 host_mask(int host_bits) {
  return host_bits >= 128 ? ~u128{0} : (u128{1} << host_bits) - 1;
}

}  // namespace

u128 Net::size() const {
  return host_bits() >= 128 ? ~u128{0} : u128{1} << host_bits();
}

bool Net::contains(u128 addr) const {
  return (addr & ~host_mask(host_bits())) == base;
}

bool Net::contains(const Net& inner) const {
  return inner.family == family && inner.prefix >= prefix && contains(inner.base);
}

std::string Net::str() const {
  return addr_str(family, base) + "/" + std::to_string(prefix);
}

std::string Addr::str() const {
  return addr_str(family, value);
}

std::string addr_str(int family, u128 value) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (family == 4) {
    in_addr v4{};
    v4.s_addr = htonl(static_cast<uint32_t>(value));
    inet_ntop(AF_INET, &v4, buf, sizeof buf);
  } else {
    in6_addr v6{};
    for (int i = 15; i >= 0; --i, value >>= 8) v6.s6_addr[i] = static_cast<uint8_t>(value & 0xff);
    inet_ntop(AF_INET6, &v6, buf, sizeof buf);
  }
  return buf;
}

std::optional<Net> parse_net(std::string_view cidr) {
  auto slash = cidr.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto a = parse_raw(cidr.substr(0, slash));
  if (!a) return std::nullopt;
  std::string len(cidr.substr(slash + 1));
  if (len.empty() || len.size() > 3 || !std::all_of(len.begin(), len.end(), ::isdigit))
    return std::nullopt;
  Net n;
  n.family = a->family;
  n.prefix = std::stoi(len);
  if (n.prefix > n.width()) return std::nullopt;
  n.base = a->value;
  if (n.base & host_mask(n.host_bits())) return std::nullopt;
  return n;
}

std::optional<Addr> parse_addr(std::string_view ip) {
  auto slash = ip.find('/');
  if (slash == std::string_view::npos) return parse_raw(ip);
  auto a = parse_raw(ip.substr(0, slash));
  if (!a) return std::nullopt;
  if (ip.substr(slash + 1) != (a->family == 4 ? "32" : "128")) return std::nullopt;
  return a;
}

Net block_of(const Net& pool, int block_prefix, u128 addr) {
  Net b;
  b.family = pool.family;
  b.prefix = block_prefix;
  b.base = addr & ~host_mask(b.host_bits());
  return b;
}

std::optional<Net> nth_block(const Net& pool, int block_prefix, u128 i) {
  const int shift = pool.width() - block_prefix;
  const int index_bits = block_prefix - pool.prefix;
  if (index_bits < 128 && i >= (u128{1} << index_bits)) return std::nullopt;
  Net b;
  b.family = pool.family;
  b.prefix = block_prefix;
  b.base = pool.base + (shift >= 128 ? 0 : i << shift);
  return b;
}

std::string cidr_name(const Net& n) {
  std::string s = n.str();
  std::replace_if(
      s.begin(), s.end(), [](char c) { return c == '.' || c == ':' || c == '/'; }, '-');
  return s;
}

std::string block_key(const Net& n) {
  return "ipamblocks/" + cidr_name(n);
}

std::string affinity_name(const std::string& node, const Net& n) {
  return node + "-" + cidr_name(n);
}

std::string affinity_key(const std::string& node, const Net& n) {
  return "blockaffinities/" + affinity_name(node, n);
}

std::string handle_key(const std::string& handle) {
  return "ipamhandles/" + handle;
}

std::string u128_str(u128 v) {
  if (v == 0) return "0";
  std::string s;
  for (; v; v /= 10) s.push_back(static_cast<char>('0' + static_cast<int>(v % 10)));
  std::reverse(s.begin(), s.end());
  return s;
}

}  // namespace podnet::ipam
