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

struct Candidate {
  const PeerInfo* source = nullptr;  // owned by the Rib's peer table, outlives the candidate
  uint32_t path_id = 0;
  AttrRef attrs;
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
  struct Staged {
    Prefix prefix;
    std::vector<RoutePath> before;
  };
  LocEntry& stage(const Prefix& p);
  void decide_one(const Prefix& p, LocEntry& e);
  static std::vector<RoutePath> selected(const LocEntry& e);

  DecisionOptions opt_;
  Map entries_;
  std::deque<Staged> dirty_;
  std::size_t path_count_ = 0;
  std::vector<Path> scratch_;
};

}  // namespace podnet::rib
