// One peer's Adj-RIB-In: the routes it announced (after import policy, which the BGP layer
// applies), keyed by prefix and ADD-PATH path id. Ordered, so `show routes from peer` lists in
// prefix order and a large teardown can resume where it stopped.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <utility>
#include <vector>

#include "rib/attr_store.hpp"
#include "rib/prefix.hpp"

namespace podnet::rib {

struct PathKey {
  Prefix prefix;
  uint32_t path_id = 0;
  friend auto operator<=>(const PathKey&, const PathKey&) = default;
  friend bool operator==(const PathKey&, const PathKey&) = default;
};

enum class InChange : uint8_t {
  added,      // new (prefix, path id)
  replaced,   // present with different attributes
  unchanged,  // present with the same attributes: nothing to recompute
  removed,    // withdrawn
  absent,     // withdraw of something never announced (harmless per RFC 4271)
};

class AdjRibIn {
 public:
  using Table = std::map<PathKey, AttrRef>;

  InChange replace(const PathKey& k, AttrRef attrs);
  InChange withdraw(const PathKey& k);
  const AttrRef* find(const PathKey& k) const;

  // Removes up to `limit` routes (lowest keys first) and appends them to `out`; for a peer
  // going down in bounded slices. Returns true while routes remain.
  bool take(std::size_t limit, std::vector<std::pair<PathKey, AttrRef>>& out);

  std::size_t size() const { return table_.size(); }
  bool empty() const { return table_.empty(); }
  const Table& table() const { return table_; }

 private:
  Table table_;
};

}  // namespace podnet::rib
