#include "ipam-sync/store_key.hpp"

#include <fmt/format.h>

#include <vector>

namespace podnet::store {
namespace {

bool allowed_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == ':' || c == '-';
}

std::vector<std::string_view> split(std::string_view key) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t slash = key.find('/', start);
    if (slash == std::string_view::npos) {
      out.push_back(key.substr(start));
      return out;
    }
    out.push_back(key.substr(start, slash - start));
    start = slash + 1;
  }
}

}  // namespace

bool valid_segment(std::string_view s) {
  if (s.empty() || s.size() > kMaxSegment) return false;
  // A leading '.' covers "." and ".." and keeps keys away from temp files and ".podnet".
  if (s.front() == '.') return false;
  for (char c : s) {
    if (!allowed_char(c)) return false;
  }
  return true;
}

Status validate_key(const std::string& key) {
  auto parts = split(key);
  if (parts.size() < 2 || parts.size() > 3) {
    return make_error(Errc::invalid, fmt::format("datastore key \"{}\": want <plural>/<name> or "
                                                 "<plural>/<namespace>/<name>",
                                                 key));
  }
  for (auto p : parts) {
    if (!valid_segment(p)) {
      return make_error(
          Errc::invalid,
          fmt::format("datastore key \"{}\": segment \"{}\" must be 1..{} characters of "
                      "[A-Za-z0-9._:-] and must not start with '.'",
                      key, p, kMaxSegment));
    }
  }
  if (parts.back().size() > kMaxNameSegment) {
    return make_error(
        Errc::invalid,
        fmt::format("datastore key \"{}\": name longer than {} characters", key, kMaxNameSegment));
  }
  return ok_status();
}

std::string key_to_relpath(const std::string& key) {
  return key + std::string(kEntrySuffix);
}

std::string key_dir(const std::string& key) {
  return key.substr(0, key.rfind('/'));
}

std::string key_file_name(const std::string& key) {
  return key.substr(key.rfind('/') + 1) + std::string(kEntrySuffix);
}

std::optional<std::string> entry_key_from_file(const std::string& dir_key,
                                               std::string_view file_name) {
  if (file_name.size() <= kEntrySuffix.size() || !file_name.ends_with(kEntrySuffix)) {
    return std::nullopt;
  }
  auto name = file_name.substr(0, file_name.size() - kEntrySuffix.size());
  if (!valid_segment(name)) return std::nullopt;
  std::string key = dir_key + "/" + std::string(name);
  if (!validate_key(key).ok()) return std::nullopt;
  return key;
}

}  // namespace podnet::store
