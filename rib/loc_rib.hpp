// The Loc-RIB, which is also every peer's Adj-RIB-In: one table entry per prefix holds every
// candidate path (after import policy) and the outcome of the decision process. Keeping the
// received routes only here, not again per peer, is what makes a full table cost ~35 bytes a
// route instead of ~200 (issue 4's memory target: no more per route than BIRD).
//
// A candidate names its *source*: a 16-bit number for one peer session's routes of one state
// (the Rib allocates one for a peer's live routes of a family, one per stale set, and retires
// them to "draining" when the session ends). Changing the state of all of a peer's routes is
// then relabelling a source, O(1); routes of draining sources are removed in bounded slices by
// a sweep of the table. A re-announced route moves to the announcing session's source.
//
// Changes are staged (the prefix is marked and its previously selected paths remembered) and
// decided later in bounded batches, so one batch yields one list of best-route changes however
// many updates it folds together. Entries are erased only by decide(), so a staged slot stays
// valid until it is decided.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <span>
#include <unordered_map>
#include <vector>

#include "rib/attr_store.hpp"
#include "rib/decision.hpp"
#include "rib/peer_info.hpp"
#include "rib/prefix_table.hpp"
#include "rib/route.hpp"

namespace podnet::rib {

using SourceId = uint16_t;
inline constexpr SourceId kNoSource = UINT16_MAX;

// One candidate path: 16 bytes (a million prefixes hold one each).
struct Candidate {
  AttrRef attrs;
  uint32_t path_id = 0;
  SourceId source = kNoSource;
  Reason reason = Reason::only_path;
  uint8_t flags = 0;  // kBest | kMultipath; on the inline candidate also the entry's bits

  static constexpr uint8_t kBest = 1;
  static constexpr uint8_t kMultipath = 2;
  bool best() const { return (flags & kBest) != 0; }
  bool multipath() const { return (flags & kMultipath) != 0; }
};
static_assert(sizeof(Candidate) == 16);

// A table entry: the only path inline; with several, all of them live in LocRib's side table
// and `one` only carries the entry's flags.
struct LocEntry {
  Candidate one;
  static constexpr uint8_t kDirty = 4;  // staged, waiting for a decision
  static constexpr uint8_t kMany = 8;   // paths are in LocRib::many_
};
static_assert(sizeof(LocEntry) == 16);

class LocRib {
 public:
  using Table = PrefixTable<LocEntry>;
  using Slot = Table::Slot;
  static constexpr Slot npos = Table::npos;

  explicit LocRib(DecisionOptions opt = {}) : opt_(opt) {}

  // ---- sources ----
  // A new source for routes of `info` (which must outlive the source); kNoSource when all
  // 65535 are taken.
  SourceId add_source(const PeerInfo& info);
  // Frees a source with no candidates left.
  void release_source(SourceId s);
  // Its candidates are removed by sweep(). A draining source accepts no new candidates.
  void drain_source(SourceId s);
  const PeerInfo& source_info(SourceId s) const { return *sources_[s].info; }
  std::size_t source_count(SourceId s) const { return sources_[s].count; }
  bool source_draining(SourceId s) const { return sources_[s].draining; }
  std::size_t draining_count() const { return draining_total_; }

  // ---- paths ----
  // Adds or replaces the path (owner of `source`, path_id) of `p`; a path of the same owner in
  // another source (stale, draining) moves to `source`.
  void set(const Prefix& p, SourceId source, uint32_t path_id, AttrRef attrs);
  // Removes the path of `peer` with `path_id`, whatever its source; false if it was not there.
  bool remove(const Prefix& p, PeerId peer, uint32_t path_id);

  // Removes up to about `budget` routes of draining sources (visiting a slot costs 1/32);
  // returns the budget used.
  std::size_t sweep(std::size_t budget);

  // Decides up to `budget` staged prefixes, appending those whose selected set changed.
  // Returns true while staged prefixes remain.
  bool decide(std::size_t budget, std::vector<BestChange>& out);
  std::size_t staged() const { return dirty_.size(); }

  // ---- lookups ----
  Slot find(const Prefix& p) const { return table_.find(p); }
  // The paths of an entry: after a decision the multipath group first (best at [0]), then the
  // losers.
  std::span<const Candidate> paths(Slot s) const;
  const Candidate* best(Slot s) const {
    auto ps = paths(s);
    return !ps.empty() && ps.front().best() ? &ps.front() : nullptr;
  }
  Prefix prefix(Slot s) const { return table_.prefix(s); }
  RoutePath route(const Candidate& c) const {
    const PeerInfo& i = source_info(c.source);
    return {i.id, i.kind, c.path_id, c.attrs};
  }
  std::vector<RoutePath> selected(Slot s) const;
  // Iteration by slot (not prefix order): first occupied slot at or after `from`.
  Slot next(Slot from) const { return table_.next(from); }
  // Occupied slots in prefix order (for listings; sorts the table).
  std::vector<Slot> sorted() const;
  // Changes with every change to the table (a cached sorted listing is stale once it differs).
  uint64_t version() const { return version_; }

  std::size_t size() const { return table_.size(); }
  std::size_t path_count() const { return path_count_; }
  std::size_t memory_bytes() const;
  const DecisionOptions& options() const { return opt_; }

 private:
  struct Source {
    const PeerInfo* info = nullptr;
    uint32_t count = 0;
    bool draining = false;
    bool in_use = false;
  };
  struct Staged {
    Slot slot;
    bool has_before;  // the selection before is in before_ (fresh prefixes had none)
  };

  std::span<Candidate> mutable_paths(Slot s);
  void stage(Slot s);
  void add_path(Slot s, Candidate c);
  void remove_path(Slot s, std::size_t i);
  void count(SourceId s, int delta);
  void decide_one(Slot s);
  void recount();

  DecisionOptions opt_;
  Table table_;
  std::unordered_map<Slot, std::vector<Candidate>> many_;  // entries with 2+ paths
  std::vector<Source> sources_;
  std::vector<SourceId> free_sources_;
  std::size_t draining_total_ = 0;
  Slot sweep_at_ = 0;
  std::size_t fruitless_ = 0;  // slots swept since the last removal
  std::deque<Staged> dirty_;
  std::unordered_map<Slot, std::vector<RoutePath>> before_;
  std::size_t path_count_ = 0;
  uint64_t version_ = 0;
  std::vector<Path> scratch_;
};

}  // namespace podnet::rib
