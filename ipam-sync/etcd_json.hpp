// The JSON shapes of etcd's gRPC gateway (/v3/...): keys and values are base64, int64 fields
// are decimal strings, and fields at their default (0, false, PUT) are left out entirely.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "ipam-sync/datastore.hpp"

namespace podnet::store::etcd {

std::string base64_encode(std::string_view in);
// nullopt on malformed input.
std::optional<std::string> base64_decode(std::string_view in);

// An int64 field that may be a string ("12"), a number, or absent (0).
int64_t int_field(const nlohmann::json& j, const char* name);

// The range end that makes [prefix, end) every key starting with prefix.
std::string prefix_range_end(const std::string& prefix);

// A gateway KeyValue as an Entry with the etcd key (not yet mapped to ours).
std::optional<Entry> decode_kv(const nlohmann::json& kv);

}  // namespace podnet::store::etcd
