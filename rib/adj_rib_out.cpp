#include "rib/adj_rib_out.hpp"

#include <algorithm>

namespace podnet::rib {

std::size_t UpdateBatch::prefix_count() const {
  std::size_t n = withdraw.size() + withdraw_paths.size();
  for (const auto& [attrs, prefixes] : announce) n += prefixes.size();
  for (const auto& [attrs, paths] : announce_paths) n += paths.size();
  return n;
}

AdjRibOut::Group& AdjRibOut::new_group(const std::string& key, ExportFn fn, bool add_path) {
  auto g = std::make_unique<Group>();
  g->id = next_group_++;
  g->key = key;
  g->fn = std::move(fn);
  g->add_path = add_path;
  Group& ref = *g;
  by_key_.emplace(key, g->id);
  groups_.emplace(g->id, std::move(g));
  return ref;
}

GroupId AdjRibOut::join(PeerId peer, const std::string& key, ExportFn fn, bool add_path) {
  leave(peer);
  Member m;
  if (auto it = by_key_.find(key); it != by_key_.end()) {
    m.group = it->second;
    m.dumping = true;  // the group's table so far reaches this peer only through a dump
  } else {
    // A new group's build queues the whole table for its members.
    m.group = new_group(key, std::move(fn), add_path).id;
  }
  groups_.at(m.group)->members.insert(peer);
  members_[peer] = m;
  return m.group;
}

std::set<PathNlri> AdjRibOut::sent_paths(const Group& g) {
  // What was sent: the current paths, except for pending prefixes, whose paths as sent are
  // their paths_before (none if the prefix is new).
  std::set<PathNlri> out;
  for (const auto& [p, paths] : g.paths) {
    if (g.pending.count(p)) continue;
    for (const auto& x : paths) out.insert({p, x.id});
  }
  for (const auto& [p, paths] : g.paths_before) {
    for (const auto& x : paths) out.insert({p, x.id});
  }
  return out;
}

GroupId AdjRibOut::regroup(PeerId peer, const std::string& key, ExportFn fn) {
  auto mit = members_.find(peer);
  if (mit == members_.end()) return join(peer, key, std::move(fn));
  if (const Group& old = *groups_.at(mit->second.group); old.key == key) return old.id;
  if (const Group& old = *groups_.at(mit->second.group); old.add_path) {
    // The whole new table, then withdrawals of what the peer has beyond it.
    std::set<PathNlri> prior = sent_paths(old);
    prior.insert(mit->second.prior_paths.begin(), mit->second.prior_paths.end());
    const GroupId id = join(peer, key, std::move(fn), true);
    members_[peer].prior_paths = std::move(prior);
    return id;
  }
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
    Group& g = new_group(key, std::move(fn), false);
    g.seeded = true;
    g.adv = std::move(prior);  // the build queues only what changes against it
    m.group = g.id;
    m.dumping = full;  // an unfinished dump restarts in full once the group is built
    m.diff = full;
    m.full = full;
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
        g.fn(g.key, p, ExportCandidate{loc_.source_info(best->source), best->path_id, best->attrs});
    if (out) desired = store_.intern(std::move(*out));
  }
  set_advertised(g, p, std::move(desired));
}

void AdjRibOut::export_paths(Group& g, const Prefix& p, std::span<const Candidate> paths) {
  OutPaths want;
  for (const Candidate& c : paths) {
    if (!c.best() && !c.multipath()) continue;
    const PeerInfo& source = loc_.source_info(c.source);
    std::optional<PathAttributes> out = g.fn(g.key, p, ExportCandidate{source, c.path_id, c.attrs});
    if (out) want.push_back({source.id, c.path_id, 0, store_.intern(std::move(*out))});
  }
  auto cit = g.paths.find(p);
  const OutPaths none;
  const OutPaths& cur = cit == g.paths.end() ? none : cit->second;
  // A path keeps its id while it stays; a new one takes the lowest id not in use.
  std::vector<uint32_t> used;
  for (auto& w : want) {
    for (const auto& c : cur) {
      if (c.source == w.source && c.source_path == w.source_path) {
        w.id = c.id;
        used.push_back(c.id);
      }
    }
  }
  uint32_t next = 1;
  for (auto& w : want) {
    if (w.id != 0) continue;
    while (std::find(used.begin(), used.end(), next) != used.end()) ++next;
    w.id = next;
    used.push_back(next);
  }
  if (want == cur) return;
  auto [bit, fresh] = g.paths_before.try_emplace(p, cur);
  if (!fresh && bit->second == want) {  // back to what was sent
    g.paths_before.erase(bit);
    g.pending.erase(p);
  } else {
    g.pending.try_emplace(p, AttrRef());  // a marker: take_updates() reads the paths
  }
  if (want.empty()) {
    g.adv.erase(p);
    if (cit != g.paths.end()) g.paths.erase(cit);
  } else {
    g.adv[p] = want.front().attrs;
    g.paths[p] = std::move(want);
  }
}

void AdjRibOut::on_best_changes(std::span<const BestChange> changes) {
  if (groups_.empty()) return;
  for (const auto& ch : changes) {
    // A group without ADD-PATH exports the best path only: a change confined to the other
    // ECMP members is not exported there.
    bool best_same =
        !ch.before.empty() && !ch.after.empty() && ch.before.front() == ch.after.front();
    LocRib::Slot slot = LocRib::npos;
    bool looked_up = false;
    for (auto& [id, g] : groups_) {
      if (best_same && !g->add_path) continue;
      if (!looked_up) {
        slot = loc_.find(ch.prefix);
        looked_up = true;
      }
      if (g->add_path) {
        export_paths(*g, ch.prefix,
                     slot == LocRib::npos ? std::span<const Candidate>() : loc_.paths(slot));
      } else {
        export_prefix(*g, ch.prefix, slot == LocRib::npos ? nullptr : loc_.best(slot));
      }
    }
  }
}

bool AdjRibOut::advance(std::size_t budget) {
  for (auto& [id, g] : groups_) {
    if (!g->building) continue;
    LocRib::Slot s = loc_.next(g->build_at);
    for (; budget > 0 && s != LocRib::npos; s = loc_.next(s + 1), --budget) {
      const Prefix p = loc_.prefix(s);
      if (g->add_path) {
        export_paths(*g, p, loc_.paths(s));
      } else {
        export_prefix(*g, p, loc_.best(s));
      }
      g->build_at = s + 1;
    }
    if (s == LocRib::npos) {
      g->building = false;
      g->build_at = 0;
      if (g->seeded) {
        g->seeded = false;
        std::vector<Prefix> gone;
        for (const auto& [p, a] : g->adv) {
          if (loc_.find(p) == LocRib::npos) gone.push_back(p);
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
  if (g.add_path) {
    const OutPaths none;
    for (; it != g.pending.end() && (max_prefixes == 0 || n < max_prefixes); ++n) {
      auto before = g.paths_before.find(it->first);
      auto now = g.paths.find(it->first);
      pack_paths(b, it->first, before == g.paths_before.end() ? none : before->second,
                 now == g.paths.end() ? none : now->second);
      if (before != g.paths_before.end()) g.paths_before.erase(before);
      it = g.pending.erase(it);
    }
    return b;
  }
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

void AdjRibOut::pack_paths(UpdateBatch& b, const Prefix& p, const OutPaths& before,
                           const OutPaths& now) {
  for (const auto& x : before) {
    const bool stays =
        std::any_of(now.begin(), now.end(), [&](const auto& y) { return y.id == x.id; });
    if (!stays) b.withdraw_paths.push_back({p, x.id});
  }
  for (const auto& y : now) {
    const bool same = std::any_of(before.begin(), before.end(), [&](const auto& x) {
      return x.id == y.id && x.attrs == y.attrs;
    });
    if (!same) b.announce_paths[y.attrs].push_back({p, y.id});
  }
}

UpdateBatch AdjRibOut::take_dump(PeerId peer, std::size_t max_prefixes) {
  UpdateBatch b;
  auto mit = members_.find(peer);
  if (mit == members_.end()) return b;
  Member& m = mit->second;
  const Group& g = *groups_.at(m.group);
  if (g.add_path) {
    std::size_t n = 0;
    if (m.dumping) {
      auto it = m.dumped_up_to ? g.paths.upper_bound(*m.dumped_up_to) : g.paths.begin();
      for (; it != g.paths.end() && (max_prefixes == 0 || n < max_prefixes); ++it, ++n) {
        pack_paths(b, it->first, {}, it->second);
        m.dumped_up_to = it->first;
      }
      if (it != g.paths.end()) return b;
      m.dumping = false;
      m.dumped_up_to.reset();
    }
    // After a regroup: what the peer has that the (built) group does not advertise.
    if (g.building) return b;
    for (auto it = m.prior_paths.begin();
         it != m.prior_paths.end() && (max_prefixes == 0 || n < max_prefixes); ++n) {
      auto paths = g.paths.find(it->prefix);
      const bool kept =
          paths != g.paths.end() && std::any_of(paths->second.begin(), paths->second.end(),
                                                [&](const auto& x) { return x.id == it->path_id; });
      if (!kept) b.withdraw_paths.push_back(*it);
      it = m.prior_paths.erase(it);
    }
    return b;
  }
  if (!m.dumping) return b;
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
  if (it == members_.end()) return false;
  const bool building = groups_.at(it->second.group)->building;
  // ADD-PATH regroup: withdrawals owed once the group is built.
  if (!it->second.dumping) return !it->second.prior_paths.empty() && !building;
  // A regrouped member's difference waits for its group's build.
  return !(it->second.diff && building);
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
  if (it == members_.end() || it->second.dumping || !it->second.prior_paths.empty()) return false;
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

std::vector<std::pair<uint32_t, AttrRef>> AdjRibOut::advertised_paths(GroupId id,
                                                                      const Prefix& p) const {
  std::vector<std::pair<uint32_t, AttrRef>> out;
  auto it = groups_.find(id);
  if (it == groups_.end()) return out;
  auto pit = it->second->paths.find(p);
  if (pit == it->second->paths.end()) return out;
  for (const auto& x : pit->second) out.emplace_back(x.id, x.attrs);
  return out;
}

std::size_t AdjRibOut::pending_count(GroupId id) const {
  auto it = groups_.find(id);
  return it == groups_.end() ? 0 : it->second->pending.size();
}

}  // namespace podnet::rib
