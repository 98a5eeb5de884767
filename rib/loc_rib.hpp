// The Loc-RIB: every candidate path of every prefix and the outcome of the decision process.
// Changes are staged (the prefix is marked and its previously selected paths remembered) and
// decided later in bounded batches, so one batch yields one list of best-route changes however
// many updates it folds together.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <vector>

#include "rib/attr_store.hpp"
#include "rib/decision.hpp"
#include "rib/peer_info.hpp"
#include "rib/route.hpp"

namespace podnet::rib {

// Members ordered so it packs into 24 bytes (a million prefixes hold one each).
struct Candidate {
  const PeerInfo* source = nullptr;  // owned by the Rib's peer table, outlives the candidate
  AttrRef attrs;
  uint32_t path_id = 0;
  Reason reason = Reason::only_path;
  bool best = false;
  bool multipath = false;

  RoutePath route() const { return {source->id, source->kind, path_id, attrs}; }
};

struct LocEntry {
  // After a decision: the multipath group first (best at [0]), then the losers.
  std::vector<Candidate> paths;
  bool dirty = false;

  const Candidate* best() const {
    return !paths.empty() && paths.front().best ? &paths.front() : nullptr;
  }
};

class LocRib {
 public:
  using Map = std::map<Prefix, LocEntry>;

  explicit LocRib(DecisionOptions opt = {}) : opt_(opt) {}

  // Adds or replaces the path (source, path_id) of `p`.
  void set(const Prefix& p, const PeerInfo& source, uint32_t path_id, AttrRef attrs);
  // Removes it; false if it was not there.
  bool remove(const Prefix& p, PeerId source, uint32_t path_id);

  // Decides up to `budget` staged prefixes, appending those whose selected set changed.
  // Returns true while staged prefixes remain.
  bool decide(std::size_t budget, std::vector<BestChange>& out);
  std::size_t staged() const { return dirty_.size(); }

  const LocEntry* find(const Prefix& p) const;
  const Map& entries() const { return entries_; }
  std::size_t path_count() const { return path_count_; }
  const DecisionOptions& options() const { return opt_; }

 private:
  // A map iterator, not the prefix: staged entries stay until decided, and the decision then
  // needs no second lookup (a million-prefix map is ~20 cache misses deep).
  struct Staged {
    Map::iterator it;
    std::vector<RoutePath> before;
  };
  LocEntry& stage(Map::iterator it);
  void decide_one(const Prefix& p, LocEntry& e);
  static std::vector<RoutePath> selected(const LocEntry& e);

  // Looked up through recent_, the tree only if it is not there.
  const LocEntry* find_recent(const Prefix& p) const;

  DecisionOptions opt_;
  Map entries_;
  // The prefixes the last decide() reported, in order, with their entries (null: erased).
  // Consumers of a batch of best changes (the update groups) look each prefix up right after
  // the decision, in the same order: a cursor over this list answers that without a walk down
  // a million-node tree. Any mutation clears it.
  std::vector<std::pair<Prefix, const LocEntry*>> recent_;
  mutable std::size_t recent_pos_ = 0;
  std::deque<Staged> dirty_;
  std::size_t path_count_ = 0;
  std::vector<Path> scratch_;
};

}  // namespace podnet::rib
