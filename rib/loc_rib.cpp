#include "rib/loc_rib.hpp"

#include <algorithm>
#include <utility>

namespace podnet::rib {

namespace {
Candidate* find_candidate(LocEntry& e, PeerId source, uint32_t path_id) {
  for (auto& c : e.paths) {
    if (c.source->id == source && c.path_id == path_id) return &c;
  }
  return nullptr;
}
}  // namespace

std::vector<RoutePath> LocRib::selected(const LocEntry& e) {
  std::vector<RoutePath> out;
  for (const auto& c : e.paths) {
    if (!c.multipath) break;
    out.push_back(c.route());
  }
  return out;
}

LocEntry& LocRib::stage(Map::iterator it) {
  LocEntry& e = it->second;
  if (!e.dirty) {
    // Remember what observers were last told, before the first change of this batch.
    e.dirty = true;
    dirty_.push_back({it, selected(e)});
  }
  return e;
}

void LocRib::set(const Prefix& p, const PeerInfo& source, uint32_t path_id, AttrRef attrs) {
  recent_.clear();
  // One lookup: a new prefix is staged right away, so no empty entry is left behind.
  auto [it, fresh] = entries_.try_emplace(p);
  Candidate* c = fresh ? nullptr : find_candidate(it->second, source.id, path_id);
  if (c != nullptr && c->attrs == attrs) return;
  LocEntry& e = stage(it);
  if (c != nullptr) {
    c->attrs = std::move(attrs);
    return;
  }
  Candidate added;
  added.source = &source;
  added.path_id = path_id;
  added.attrs = std::move(attrs);
  e.paths.push_back(std::move(added));
  ++path_count_;
}

bool LocRib::remove(const Prefix& p, PeerId source, uint32_t path_id) {
  recent_.clear();
  auto it = entries_.find(p);
  if (it == entries_.end()) return false;
  if (find_candidate(it->second, source, path_id) == nullptr) return false;
  LocEntry& e = stage(it);
  auto pos = std::find_if(e.paths.begin(), e.paths.end(), [&](const Candidate& c) {
    return c.source->id == source && c.path_id == path_id;
  });
  e.paths.erase(pos);
  --path_count_;
  return true;
}

void LocRib::decide_one(const Prefix&, LocEntry& e) {
  e.dirty = false;
  if (e.paths.empty()) return;
  scratch_.clear();
  for (const auto& c : e.paths) scratch_.push_back({c.source, c.attrs.get(), c.path_id});
  Selection sel = select(scratch_, opt_);

  std::vector<bool> in_group(e.paths.size(), false);
  for (std::size_t i : sel.multipath) in_group[i] = true;
  std::vector<std::size_t> losers;
  for (std::size_t i = 0; i < e.paths.size(); ++i) {
    if (!in_group[i]) losers.push_back(i);
  }
  // Losers closest to winning first: a later elimination step means a closer race.
  std::stable_sort(losers.begin(), losers.end(),
                   [&](std::size_t a, std::size_t b) { return sel.reasons[a] > sel.reasons[b]; });

  std::vector<Candidate> ordered;
  ordered.reserve(e.paths.size());
  auto take = [&](std::size_t i, bool best, bool mp) {
    Candidate c = std::move(e.paths[i]);
    c.reason = sel.reasons[i];
    c.best = best;
    c.multipath = mp;
    ordered.push_back(std::move(c));
  };
  for (std::size_t i : sel.multipath) take(i, i == sel.best, true);
  for (std::size_t i : losers) take(i, false, false);
  e.paths = std::move(ordered);
}

bool LocRib::decide(std::size_t budget, std::vector<BestChange>& out) {
  recent_.clear();
  recent_pos_ = 0;
  for (std::size_t n = 0; n < budget && !dirty_.empty(); ++n) {
    Staged s = std::move(dirty_.front());
    dirty_.pop_front();
    auto it = s.it;
    const Prefix prefix = it->first;
    decide_one(prefix, it->second);
    std::vector<RoutePath> after = selected(it->second);
    const LocEntry* kept = &it->second;
    if (it->second.paths.empty()) {
      entries_.erase(it);
      kept = nullptr;
    }
    if (after != s.before) {
      out.push_back({prefix, std::move(s.before), std::move(after)});
      recent_.emplace_back(prefix, kept);
    }
  }
  return !dirty_.empty();
}

const LocEntry* LocRib::find_recent(const Prefix& p) const {
  // A consumer may skip some changes (the update groups skip those whose best path stayed):
  // look a few ahead of the cursor.
  constexpr std::size_t kLookahead = 8;
  for (std::size_t i = recent_pos_; i < recent_.size() && i < recent_pos_ + kLookahead; ++i) {
    if (recent_[i].first == p) {
      recent_pos_ = i + 1;
      return recent_[i].second;
    }
  }
  auto it = entries_.find(p);
  return it == entries_.end() ? nullptr : &it->second;
}

const LocEntry* LocRib::find(const Prefix& p) const {
  if (!recent_.empty()) return find_recent(p);
  auto it = entries_.find(p);
  return it == entries_.end() ? nullptr : &it->second;
}

}  // namespace podnet::rib
