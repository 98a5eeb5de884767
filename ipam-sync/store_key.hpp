// Datastore keys and where they live on disk. A key is "<plural>/<name>" or
// "<plural>/<namespace>/<name>"; its file is "<root>/<plural>/[<namespace>/]<name>.yaml".
// Validation is strict because a key becomes a path: nothing in it may climb out of the root
// or collide with the store's own dot-files.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "conf/result.hpp"

namespace podnet::store {

inline constexpr std::string_view kEntrySuffix = ".yaml";
// Longest segment we accept (Kubernetes object names); the last segment also has to fit
// NAME_MAX (255) together with ".yaml".
inline constexpr size_t kMaxSegment = 253;
inline constexpr size_t kMaxNameSegment = 255 - kEntrySuffix.size();

// Ok if key is 2 or 3 valid segments; Errc::invalid with the reason otherwise.
Status validate_key(const std::string& key);
// True if s is a valid single segment (used when mapping files back to keys).
bool valid_segment(std::string_view s);

// "ippools/default" -> "ippools/default.yaml" (relative to the root). Key must be valid.
std::string key_to_relpath(const std::string& key);
// The directory part of key_to_relpath ("ippools", "networkpolicies/yaobank").
std::string key_dir(const std::string& key);
// The file name part ("default.yaml").
std::string key_file_name(const std::string& key);

// "kind" + "ns" + "db.yaml" -> "kind/ns/db"; nullopt if the file is not an entry (dot-file,
// temp file, wrong suffix, invalid segment).
std::optional<std::string> entry_key_from_file(const std::string& dir_key,
                                               std::string_view file_name);

}  // namespace podnet::store
