#include "rib/loc_rib.hpp"

#include <algorithm>
#include <cassert>
#include <utility>

namespace podnet::rib {

namespace {
constexpr uint8_t kEntryBits = LocEntry::kDirty | LocEntry::kMany;
constexpr uint8_t kPathBits = Candidate::kBest | Candidate::kMultipath;
// Visiting a slot in a sweep costs this fraction of a unit of budget (a unit is about one
// route's work): a peer with a few routes in a million-prefix table is swept in ~30 slices.
constexpr std::size_t kVisitsPerUnit = 32;
}  // namespace

// ---- sources ----

SourceId LocRib::add_source(const PeerInfo& info) {
  SourceId id;
  if (!free_sources_.empty()) {
    id = free_sources_.back();
    free_sources_.pop_back();
  } else if (sources_.size() < kNoSource) {
    id = static_cast<SourceId>(sources_.size());
    sources_.emplace_back();
  } else {
    return kNoSource;
  }
  sources_[id] = Source{&info, 0, false, true};
  return id;
}

void LocRib::release_source(SourceId s) {
  if (s >= sources_.size() || !sources_[s].in_use || sources_[s].count != 0) return;
  sources_[s] = Source{};
  free_sources_.push_back(s);
}

void LocRib::drain_source(SourceId s) {
  Source& src = sources_[s];
  if (src.draining) return;
  src.draining = true;
  draining_total_ += src.count;
}

void LocRib::count(SourceId s, int delta) {
  Source& src = sources_[s];
  src.count += delta;
  if (src.draining) draining_total_ += delta;
  path_count_ += delta;
}

// ---- entries ----

std::span<const Candidate> LocRib::paths(Slot s) const {
  const LocEntry& e = table_.value(s);
  if ((e.one.flags & LocEntry::kMany) != 0) {
    const auto& v = many_.find(s)->second;
    return {v.data(), v.size()};
  }
  if (!e.one.attrs) return {};
  return {&e.one, 1};
}

std::span<Candidate> LocRib::mutable_paths(Slot s) {
  LocEntry& e = table_.value(s);
  if ((e.one.flags & LocEntry::kMany) != 0) {
    auto& v = many_.find(s)->second;
    return {v.data(), v.size()};
  }
  if (!e.one.attrs) return {};
  return {&e.one, 1};
}

void LocRib::add_path(Slot s, Candidate c) {
  LocEntry& e = table_.value(s);
  c.flags &= kPathBits;
  count(c.source, +1);
  if ((e.one.flags & LocEntry::kMany) != 0) {
    many_.find(s)->second.push_back(std::move(c));
    return;
  }
  if (!e.one.attrs) {
    uint8_t entry = e.one.flags & kEntryBits;
    e.one = std::move(c);
    e.one.flags |= entry;
    return;
  }
  // A second path: both move to the side table, the inline one keeps the entry's bits.
  uint8_t entry = e.one.flags & kEntryBits;
  Candidate first = std::move(e.one);
  first.flags &= kPathBits;
  auto& v = many_[s];
  v.reserve(2);
  v.push_back(std::move(first));
  v.push_back(std::move(c));
  e.one = Candidate{};
  e.one.flags = entry | LocEntry::kMany;
}

void LocRib::remove_path(Slot s, std::size_t i) {
  LocEntry& e = table_.value(s);
  if ((e.one.flags & LocEntry::kMany) == 0) {
    count(e.one.source, -1);
    uint8_t entry = e.one.flags & kEntryBits;
    e.one = Candidate{};
    e.one.flags = entry;
    return;
  }
  auto it = many_.find(s);
  auto& v = it->second;
  count(v[i].source, -1);
  v.erase(v.begin() + static_cast<std::ptrdiff_t>(i));
  if (v.size() == 1) {
    uint8_t entry = e.one.flags & kEntryBits & ~LocEntry::kMany;
    e.one = std::move(v.front());
    e.one.flags = (e.one.flags & kPathBits) | entry;
    many_.erase(it);
  }
}

std::vector<RoutePath> LocRib::selected(Slot s) const {
  std::vector<RoutePath> out;
  for (const auto& c : paths(s)) {
    if (!c.multipath()) break;
    out.push_back(route(c));
  }
  return out;
}

void LocRib::stage(Slot s) {
  ++version_;
  LocEntry& e = table_.value(s);
  if ((e.one.flags & LocEntry::kDirty) != 0) return;
  // Remember what observers were last told, before the first change of this batch.
  e.one.flags |= LocEntry::kDirty;
  std::vector<RoutePath> before = selected(s);
  bool has_before = !before.empty();
  if (has_before) before_.emplace(s, std::move(before));
  dirty_.push_back({s, has_before});
}

void LocRib::set(const Prefix& p, SourceId source, uint32_t path_id, AttrRef attrs) {
  const PeerId owner = sources_[source].info->id;
  auto [s, fresh] = table_.insert(p);
  if (!fresh) {
    auto ps = mutable_paths(s);
    for (auto& c : ps) {
      if (c.path_id != path_id || sources_[c.source].info->id != owner) continue;
      if (c.source != source) {
        // The new session re-announced a stale or draining route: it is live again.
        count(c.source, -1);
        count(source, +1);
        c.source = source;
        ++version_;
      }
      if (c.attrs == attrs) return;
      stage(s);
      c.attrs = std::move(attrs);
      return;
    }
  }
  stage(s);
  Candidate c;
  c.attrs = std::move(attrs);
  c.path_id = path_id;
  c.source = source;
  add_path(s, std::move(c));
}

bool LocRib::remove(const Prefix& p, PeerId peer, uint32_t path_id) {
  Slot s = table_.find(p);
  if (s == npos) return false;
  auto ps = paths(s);
  for (std::size_t i = 0; i < ps.size(); ++i) {
    if (ps[i].path_id != path_id || sources_[ps[i].source].info->id != peer) continue;
    stage(s);
    remove_path(s, i);
    return true;
  }
  return false;
}

std::size_t LocRib::sweep(std::size_t budget) {
  std::size_t visits = 0;
  std::size_t removed = 0;
  const std::size_t max_visits = budget * kVisitsPerUnit;
  while (draining_total_ > 0 && removed < budget && visits < max_visits) {
    Slot s = table_.next(sweep_at_);
    if (s == npos) {
      sweep_at_ = 0;  // wrap: a source drained since the sweep passed its routes
      s = table_.next(0);
      if (s == npos) break;
    }
    sweep_at_ = s + 1;
    ++visits;
    if (++fruitless_ > table_.slot_end()) {
      // A whole lap without a draining route: the counts are wrong. Recount rather than spin
      // (has_work() would keep the loop busy forever); a bug, so loud in debug builds.
      assert(false && "LocRib: draining count without draining routes");
      recount();
      continue;
    }
    auto ps = paths(s);
    for (std::size_t i = ps.size(); i-- > 0;) {
      if (!sources_[ps[i].source].draining) continue;
      stage(s);
      remove_path(s, i);
      ++removed;
      fruitless_ = 0;
      ps = paths(s);
    }
  }
  return removed + (visits + kVisitsPerUnit - 1) / kVisitsPerUnit;
}

void LocRib::recount() {
  for (auto& src : sources_) src.count = 0;
  draining_total_ = 0;
  path_count_ = 0;
  for (Slot s = table_.begin(); s != npos; s = table_.next(s + 1)) {
    for (const auto& c : paths(s)) count(c.source, +1);
  }
  fruitless_ = 0;
}

// ---- decisions ----

void LocRib::decide_one(Slot s) {
  LocEntry& e = table_.value(s);
  e.one.flags &= static_cast<uint8_t>(~LocEntry::kDirty);
  auto ps = mutable_paths(s);
  if (ps.empty()) return;
  if (ps.size() == 1) {
    // The common case, with nothing to compare: skip the generic decision.
    Candidate& c = ps[0];
    c.reason = Reason::only_path;
    c.flags =
        static_cast<uint8_t>((c.flags & ~kPathBits) | Candidate::kBest | Candidate::kMultipath);
    return;
  }
  scratch_.clear();
  for (const auto& c : ps) scratch_.push_back({sources_[c.source].info, c.attrs.get(), c.path_id});
  Selection sel = select(scratch_, opt_);

  std::vector<bool> in_group(ps.size(), false);
  for (std::size_t i : sel.multipath) in_group[i] = true;
  std::vector<std::size_t> losers;
  for (std::size_t i = 0; i < ps.size(); ++i) {
    if (!in_group[i]) losers.push_back(i);
  }
  // Losers closest to winning first: a later elimination step means a closer race.
  std::stable_sort(losers.begin(), losers.end(),
                   [&](std::size_t a, std::size_t b) { return sel.reasons[a] > sel.reasons[b]; });

  std::vector<Candidate> ordered;
  ordered.reserve(ps.size());
  auto take = [&](std::size_t i, bool best, bool mp) {
    Candidate c = std::move(ps[i]);
    c.reason = sel.reasons[i];
    c.flags =
        static_cast<uint8_t>((best ? Candidate::kBest : 0) | (mp ? Candidate::kMultipath : 0));
    ordered.push_back(std::move(c));
  };
  for (std::size_t i : sel.multipath) take(i, i == sel.best, true);
  for (std::size_t i : losers) take(i, false, false);
  std::move(ordered.begin(), ordered.end(), ps.begin());
}

bool LocRib::decide(std::size_t budget, std::vector<BestChange>& out) {
  if (dirty_.empty()) return false;
  ++version_;
  for (std::size_t n = 0; n < budget && !dirty_.empty(); ++n) {
    Staged st = dirty_.front();
    dirty_.pop_front();
    std::vector<RoutePath> before;
    if (st.has_before) {
      auto it = before_.find(st.slot);
      before = std::move(it->second);
      before_.erase(it);
    }
    decide_one(st.slot);
    std::vector<RoutePath> after = selected(st.slot);
    const Prefix prefix = table_.prefix(st.slot);
    if (paths(st.slot).empty()) table_.erase(st.slot);
    if (after != before) out.push_back({prefix, std::move(before), std::move(after)});
  }
  return !dirty_.empty();
}

// ---- listings ----

std::vector<LocRib::Slot> LocRib::sorted() const {
  std::vector<std::pair<Prefix, Slot>> keyed;
  keyed.reserve(table_.size());
  for (Slot s = table_.begin(); s != npos; s = table_.next(s + 1)) {
    keyed.emplace_back(table_.prefix(s), s);
  }
  std::sort(keyed.begin(), keyed.end());
  std::vector<Slot> out;
  out.reserve(keyed.size());
  for (const auto& [p, s] : keyed) out.push_back(s);
  return out;
}

std::size_t LocRib::memory_bytes() const {
  // The side table's nodes (value, next pointer, cached hash), buckets and path arrays.
  std::size_t n = table_.memory_bytes() + many_.bucket_count() * sizeof(void*);
  for (const auto& [slot, v] : many_) {
    n += sizeof(std::pair<const Slot, std::vector<Candidate>>) + 2 * sizeof(void*) +
         v.capacity() * sizeof(Candidate);
  }
  return n;
}

}  // namespace podnet::rib
