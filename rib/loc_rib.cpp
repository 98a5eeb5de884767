#include "rib/loc_rib.hpp"

#include <algorithm>

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

LocEntry& LocRib::stage(const Prefix& p) {
  LocEntry& e = entries_[p];
  if (!e.dirty) {
    // Remember what observers were last told, before the first change of this batch.
    e.dirty = true;
    dirty_.push_back({p, selected(e)});
  }
  return e;
}

void LocRib::set(const Prefix& p, const PeerInfo& source, uint32_t path_id, AttrRef attrs) {
  if (auto it = entries_.find(p); it != entries_.end()) {
    Candidate* c = find_candidate(it->second, source.id, path_id);
    if (c != nullptr && c->attrs == attrs) return;
  }
  LocEntry& e = stage(p);
  if (Candidate* c = find_candidate(e, source.id, path_id)) {
    c->attrs = std::move(attrs);
    return;
  }
  Candidate c;
  c.source = &source;
  c.path_id = path_id;
  c.attrs = std::move(attrs);
  e.paths.push_back(std::move(c));
  ++path_count_;
}

bool LocRib::remove(const Prefix& p, PeerId source, uint32_t path_id) {
  auto it = entries_.find(p);
  if (it == entries_.end()) return false;
  if (find_candidate(it->second, source, path_id) == nullptr) return false;
  LocEntry& e = stage(p);
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
  for (std::size_t n = 0; n < budget && !dirty_.empty(); ++n) {
    Staged s = std::move(dirty_.front());
    dirty_.pop_front();
    auto it = entries_.find(s.prefix);
    if (it == entries_.end()) continue;  // cannot happen: staged entries stay until decided
    decide_one(s.prefix, it->second);
    std::vector<RoutePath> after = selected(it->second);
    if (it->second.paths.empty()) entries_.erase(it);
    if (after != s.before) out.push_back({s.prefix, std::move(s.before), std::move(after)});
  }
  return !dirty_.empty();
}

const LocEntry* LocRib::find(const Prefix& p) const {
  auto it = entries_.find(p);
  return it == entries_.end() ? nullptr : &it->second;
}

}  // namespace podnet::rib
