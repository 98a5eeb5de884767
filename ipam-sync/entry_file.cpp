#include "ipam-sync/entry_file.hpp"

#include <fmt/format.h>

#include <charconv>

namespace podnet::store {
namespace {

constexpr std::string_view kHeaderPrefix = "# podnet: ";

// Parses "name=<number>" at the front of s (number in base), advancing s past a trailing space.
template <class T>
bool take_field(std::string_view& s, std::string_view name, T& out, int base) {
  if (!s.starts_with(name) || s.size() <= name.size() || s[name.size()] != '=') return false;
  s.remove_prefix(name.size() + 1);
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out, base);
  if (ec != std::errc() || ptr == s.data()) return false;
  s.remove_prefix(static_cast<size_t>(ptr - s.data()));
  if (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  return true;
}

}  // namespace

uint64_t content_hash(std::string_view data) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : data) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

std::string encode_entry_file(std::string_view value, int64_t mod_revision,
                              int64_t create_revision) {
  std::string out = fmt::format("{}mod={} create={} sum={:016x}\n", kHeaderPrefix, mod_revision,
                                create_revision, content_hash(value));
  out.append(value);
  return out;
}

DecodedEntryFile decode_entry_file(std::string content) {
  DecodedEntryFile d;
  size_t nl = content.find('\n');
  std::string_view first(content.data(), nl == std::string::npos ? content.size() : nl);
  if (first.starts_with(kHeaderPrefix)) {
    first.remove_prefix(kHeaderPrefix.size());
    int64_t mod = 0;
    int64_t create = 0;
    uint64_t sum = 0;
    if (take_field(first, "mod", mod, 10) && take_field(first, "create", create, 10) &&
        take_field(first, "sum", sum, 16) && first.empty() && mod > 0 && create > 0 &&
        create <= mod && nl != std::string::npos) {
      d.has_header = true;
      d.value = content.substr(nl + 1);
      d.header_valid = content_hash(d.value) == sum;
      d.mod_revision = mod;
      d.create_revision = create;
      return d;
    }
  }
  d.value = std::move(content);
  return d;
}

}  // namespace podnet::store
