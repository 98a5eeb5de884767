#include "rib/adj_rib_out.hpp"

namespace podnet::rib {

std::size_t UpdateBatch::prefix_count() const {
  std::size_t n = withdraw.size();
  for (const auto& [attrs, prefixes] : announce) n += prefixes.size();
  return n;
}

GroupId AdjRibOut::join(PeerId peer, const std::string& key, ExportFn fn) {
  leave(peer);
  Member m;
  if (auto it = by_key_.find(key); it != by_key_.end()) {
    m.group = it->second;
    m.dumping = true;  // the group's table so far reaches this peer only through a dump
  } else {
    auto g = std::make_unique<Group>();
    g->id = next_group_++;
    g->key = key;
    g->fn = std::move(fn);
    m.group = g->id;  // a new group's build queues the whole table for its members
    by_key_.emplace(key, g->id);
    groups_.emplace(g->id, std::move(g));
  }
  groups_.at(m.group)->members.insert(peer);
  members_[peer] = m;
  return m.group;
}

GroupId AdjRibOut::regroup(PeerId peer, const std::string& key, ExportFn fn) {
  auto mit = members_.find(peer);
  if (mit == members_.end()) return join(peer, key, std::move(fn));
  if (const Group& old = *groups_.at(mit->second.group); old.key == key) return old.id;
  // What the peer has: the old group's table minus the changes still queued for it (their
  // value before the change is what was sent). A peer whose dump was unfinished may lack some.
  Member before = mit->second;
  std::map<Prefix, AttrRef> prior = before.diff ? before.prior : std::map<Prefix, AttrRef>{};
  const Group& old = *groups_.at(before.group);
  if (before.diff && before.dumped_up_to) {
    // Regrouped again mid-difference: what it was sent so far is the old table's up to there.
    for (auto it = old.adv.begin(); it != old.adv.end() && it->first <= *before.dumped_up_to; ++it)
      prior[it->first] = it->second;
  }
  if (!before.diff) {
    prior = old.adv;
    for (const auto& [p, was] : old.pending) {
      if (was) {
        prior[p] = was;
      } else {
        prior.erase(p);
      }
    }
  }
  const bool full = before.dumping && !before.diff ? true : before.full;
  leave(peer);
  Member m;
  if (auto it = by_key_.find(key); it != by_key_.end()) {
    m.group = it->second;
    m.dumping = true;
    m.diff = true;
    m.full = full;
    m.prior = std::move(prior);
  } else {
    auto g = std::make_unique<Group>();
    g->id = next_group_++;
    g->key = key;
    g->fn = std::move(fn);
    g->seeded = true;
    g->adv = std::move(prior);  // the build queues only what changes against it
    m.group = g->id;
    m.dumping = full;  // an unfinished dump restarts in full once the group is built
    m.diff = full;
    m.full = full;
    by_key_.emplace(key, g->id);
    groups_.emplace(g->id, std::move(g));
  }
  groups_.at(m.group)->members.insert(peer);
  members_[peer] = std::move(m);
  return members_[peer].group;
}

bool AdjRibOut::leave(PeerId peer) {
  auto it = members_.find(peer);
  if (it == members_.end()) return false;
  auto git = groups_.find(it->second.group);
  members_.erase(it);
  if (git != groups_.end()) {
    git->second->members.erase(peer);
    if (git->second->members.empty()) {
      by_key_.erase(git->second->key);
      groups_.erase(git);
    }
  }
  return true;
}

void AdjRibOut::set_advertised(Group& g, const Prefix& p, AttrRef desired) {
  auto it = g.adv.find(p);
  AttrRef current = it == g.adv.end() ? AttrRef() : it->second;
  if (current == desired) return;  // best changed, export result did not: nothing to send
  auto [pit, inserted] = g.pending.try_emplace(p, current);
  if (!inserted && pit->second == desired) g.pending.erase(pit);  // back to what was sent
  if (desired) {
    if (it == g.adv.end()) {
      g.adv.emplace(p, std::move(desired));
    } else {
      it->second = std::move(desired);
    }
  } else {
    g.adv.erase(it);
  }
}

void AdjRibOut::export_prefix(Group& g, const Prefix& p, const Candidate* best) {
  AttrRef desired;
  if (best != nullptr) {
    std::optional<PathAttributes> out =
        g.fn(g.key, p, ExportCandidate{*best->source, best->path_id, best->attrs});
    if (out) desired = store_.intern(std::move(*out));
  }
  set_advertised(g, p, std::move(desired));
}

void AdjRibOut::on_best_changes(std::span<const BestChange> changes) {
  if (groups_.empty()) return;
  for (const auto& ch : changes) {
    // Only the best path is exported; a change confined to the other ECMP members is not.
    bool best_same =
        !ch.before.empty() && !ch.after.empty() && ch.before.front() == ch.after.front();
    if (best_same) continue;
    const LocEntry* e = loc_.find(ch.prefix);
    const Candidate* best = e != nullptr ? e->best() : nullptr;
    for (auto& [id, g] : groups_) export_prefix(*g, ch.prefix, best);
  }
}

bool AdjRibOut::advance(std::size_t budget) {
  const auto& entries = loc_.entries();
  for (auto& [id, g] : groups_) {
    if (!g->building) continue;
    auto it = g->built_up_to ? entries.upper_bound(*g->built_up_to) : entries.begin();
    for (; budget > 0 && it != entries.end(); ++it, --budget) {
      export_prefix(*g, it->first, it->second.best());
      g->built_up_to = it->first;
    }
    if (it == entries.end()) {
      g->building = false;
      g->built_up_to.reset();
      if (g->seeded) {
        g->seeded = false;
        std::vector<Prefix> gone;
        for (const auto& [p, a] : g->adv) {
          if (loc_.find(p) == nullptr) gone.push_back(p);
        }
        for (const auto& p : gone) set_advertised(*g, p, AttrRef());
      }
    }
    if (budget == 0) break;
  }
  return building();
}

bool AdjRibOut::building() const {
  for (const auto& [id, g] : groups_) {
    if (g->building) return true;
  }
  return false;
}

void AdjRibOut::pack(UpdateBatch& b, const Prefix& p, const AttrRef* attrs) {
  if (attrs != nullptr) {
    b.announce[*attrs].push_back(p);
  } else {
    b.withdraw.push_back(p);
  }
}

UpdateBatch AdjRibOut::take_updates(GroupId id, std::size_t max_prefixes) {
  UpdateBatch b;
  auto git = groups_.find(id);
  if (git == groups_.end()) return b;
  Group& g = *git->second;
  std::size_t n = 0;
  auto it = g.pending.begin();
  while (it != g.pending.end() && (max_prefixes == 0 || n < max_prefixes)) {
    auto a = g.adv.find(it->first);
    pack(b, it->first, a == g.adv.end() ? nullptr : &a->second);
    it = g.pending.erase(it);
    ++n;
  }
  return b;
}

std::vector<GroupId> AdjRibOut::groups_with_updates() const {
  std::vector<GroupId> out;
  for (const auto& [id, g] : groups_) {
    if (!g->pending.empty()) out.push_back(id);
  }
  return out;
}

UpdateBatch AdjRibOut::take_dump(PeerId peer, std::size_t max_prefixes) {
  UpdateBatch b;
  auto mit = members_.find(peer);
  if (mit == members_.end() || !mit->second.dumping) return b;
  Member& m = mit->second;
  const Group& g = *groups_.at(m.group);
  if (m.diff) return take_diff_dump(m, g, max_prefixes);
  // Resumes by key, so changes to the table between slices are fine: a prefix changed before
  // the cursor reaches it is dumped in its new form, one already dumped gets the change through
  // the group queue like every other member.
  auto it = m.dumped_up_to ? g.adv.upper_bound(*m.dumped_up_to) : g.adv.begin();
  for (std::size_t n = 0; it != g.adv.end() && (max_prefixes == 0 || n < max_prefixes); ++it, ++n) {
    pack(b, it->first, &it->second);
    m.dumped_up_to = it->first;
  }
  if (it == g.adv.end()) {
    m.dumping = false;
    m.dumped_up_to.reset();
  }
  return b;
}

UpdateBatch AdjRibOut::take_diff_dump(Member& m, const Group& g, std::size_t max_prefixes) {
  UpdateBatch b;
  if (g.building) return b;  // the table is not final yet
  std::size_t n = 0;
  auto it = m.dumped_up_to ? g.adv.upper_bound(*m.dumped_up_to) : g.adv.begin();
  for (; it != g.adv.end() && (max_prefixes == 0 || n < max_prefixes); ++it) {
    m.dumped_up_to = it->first;
    auto had = m.prior.find(it->first);
    const bool same = had != m.prior.end() && had->second == it->second;
    if (had != m.prior.end()) m.prior.erase(had);
    if (same && !m.full) continue;
    pack(b, it->first, &it->second);
    ++n;
  }
  if (it != g.adv.end()) return b;
  // Table done: what is left of prior is advertised no more.
  for (auto p = m.prior.begin(); p != m.prior.end() && (max_prefixes == 0 || n < max_prefixes);) {
    if (!g.adv.count(p->first)) {
      pack(b, p->first, nullptr);
      ++n;
    }
    p = m.prior.erase(p);
  }
  if (m.prior.empty()) {
    m.dumping = m.diff = m.full = false;
    m.dumped_up_to.reset();
  }
  return b;
}

bool AdjRibOut::dump_pending(PeerId peer) const {
  auto it = members_.find(peer);
  if (it == members_.end() || !it->second.dumping) return false;
  // A regrouped member's difference waits for its group's build.
  return !(it->second.diff && groups_.at(it->second.group)->building);
}

bool AdjRibOut::refresh(PeerId peer) {
  auto it = members_.find(peer);
  if (it == members_.end()) return false;
  it->second.dumping = true;
  it->second.dumped_up_to.reset();
  if (it->second.diff) it->second.full = true;  // still owed withdrawals: keep them, send all
  return true;
}

bool AdjRibOut::in_sync(PeerId peer) const {
  auto it = members_.find(peer);
  if (it == members_.end() || it->second.dumping) return false;
  const Group& g = *groups_.at(it->second.group);
  return !g.building && g.pending.empty();
}

std::optional<GroupId> AdjRibOut::group_of(PeerId peer) const {
  auto it = members_.find(peer);
  if (it == members_.end()) return std::nullopt;
  return it->second.group;
}

std::vector<PeerId> AdjRibOut::members(GroupId id) const {
  auto it = groups_.find(id);
  if (it == groups_.end()) return {};
  return {it->second->members.begin(), it->second->members.end()};
}

std::vector<GroupId> AdjRibOut::groups() const {
  std::vector<GroupId> out;
  for (const auto& [id, g] : groups_) out.push_back(id);
  return out;
}

const std::string* AdjRibOut::key(GroupId id) const {
  auto it = groups_.find(id);
  return it == groups_.end() ? nullptr : &it->second->key;
}

const std::map<Prefix, AttrRef>* AdjRibOut::advertised(GroupId id) const {
  auto it = groups_.find(id);
  return it == groups_.end() ? nullptr : &it->second->adv;
}

std::size_t AdjRibOut::pending_count(GroupId id) const {
  auto it = groups_.find(id);
  return it == groups_.end() ? 0 : it->second->pending.size();
}

}  // namespace podnet::rib
