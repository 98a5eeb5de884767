#include "rib/rib.hpp"

#include <algorithm>
#include <string>

namespace podnet::rib {

namespace {
Error unknown_peer(PeerId id) {
  return make_error(Errc::not_found, "rib: unknown peer " + std::to_string(id));
}
// Moves every route of `from` (of `family`, or all) into `to`, keeping what `to` holds for
// the same key (the newer session's route wins over an older session's).
void fold_into(AdjRibIn& from, AdjRibIn& to, std::optional<Family> family = std::nullopt) {
  std::vector<std::pair<PathKey, AttrRef>> moved;
  if (!family) {
    if (to.empty()) {
      std::swap(from, to);
      return;
    }
    from.take(from.size(), moved);
  } else {
    for (const auto& [k, a] : from.table()) {
      if (k.prefix.family() == *family) moved.emplace_back(k, a);
    }
    for (const auto& [k, a] : moved) from.withdraw(k);
  }
  for (auto& [k, a] : moved) {
    if (to.find(k) == nullptr) to.replace(k, std::move(a));
  }
}
}  // namespace

Rib::Rib(RibOptions opt) : opt_(opt), loc_(opt.decision), out_(loc_, store_) {
  auto local = std::make_unique<PeerState>();
  local->info.id = kLocalPeer;
  local->info.kind = PeerKind::local;
  local->info.router_id = opt.router_id;
  local->info.asn = opt.local_asn;
  local->up = true;
  peers_.emplace(kLocalPeer, std::move(local));
}

Rib::~Rib() = default;

Rib::PeerState* Rib::find_peer(PeerId id) {
  auto it = peers_.find(id);
  return it == peers_.end() ? nullptr : it->second.get();
}

const PeerInfo* Rib::peer(PeerId id) const {
  auto it = peers_.find(id);
  return it == peers_.end() ? nullptr : &it->second->info;
}

Status Rib::set_route_reflector_client(PeerId id, bool client) {
  PeerState* s = find_peer(id);
  if (s == nullptr || id == kLocalPeer) return unknown_peer(id);
  if (s->info.route_reflector_client == client) return ok_status();
  // The Loc-RIB's candidates point at this PeerInfo: the export functions see the new flag.
  s->info.route_reflector_client = client;
  std::vector<BestChange> changes;
  for (const AdjRibIn* table : {&s->in, &s->stale}) {
    for (const auto& [k, attrs] : table->table()) {
      if (!changes.empty() && changes.back().prefix == k.prefix) continue;
      const LocEntry* e = loc_.find(k.prefix);
      const Candidate* best = e != nullptr ? e->best() : nullptr;
      if (best == nullptr) continue;
      // No "before": the update groups run their export again (ADD-PATH groups every path,
      // the others the best, whoever it came from) and queue only what differs from what they
      // advertised. A prefix still staged is exported again once decided.
      changes.push_back({k.prefix, {}, {best->route()}});
    }
  }
  out_.on_best_changes(changes);
  return ok_status();
}

Status Rib::add_peer(const PeerInfo& info) {
  if (info.id == kLocalPeer || info.kind == PeerKind::local) {
    return make_error(Errc::invalid, "rib: peer id 0 and kind local are the node itself");
  }
  if (PeerState* s = find_peer(info.id)) {
    if (s->up) {
      return make_error(Errc::already_exists,
                        "rib: peer " + std::to_string(info.id) + " is already up");
    }
    // A new session of a downed peer, perhaps still draining. The stale paths in the Loc-RIB
    // point at this same PeerInfo; the new session's routes replace them as they arrive.
    s->info = info;
    s->up = true;
    s->remove_when_drained = false;
    return ok_status();
  }
  auto s = std::make_unique<PeerState>();
  s->info = info;
  s->up = true;
  peers_.emplace(info.id, std::move(s));
  return ok_status();
}

Status Rib::peer_down(PeerId id) {
  PeerState* s = find_peer(id);
  if (s == nullptr || id == kLocalPeer) return unknown_peer(id);
  out_.leave(id);
  s->up = false;
  // Down again before the last teardown finished: the live routes join it. So do routes
  // still kept stale from an earlier graceful restart: this end is not graceful.
  fold_into(s->in, s->draining);
  fold_into(s->stale, s->draining);
  return ok_status();
}

Status Rib::peer_down_retain(PeerId id) {
  PeerState* s = find_peer(id);
  if (s == nullptr || id == kLocalPeer) return unknown_peer(id);
  out_.leave(id);
  s->up = false;
  // The live routes join the stale ones: the paths in the Loc-RIB stay as they are.
  std::vector<std::pair<PathKey, AttrRef>> live;
  s->in.take(s->in.size(), live);
  for (auto& [k, a] : live) s->stale.replace(k, std::move(a));
  return ok_status();
}

Status Rib::flush_stale(PeerId id, std::optional<Family> family) {
  PeerState* s = find_peer(id);
  if (s == nullptr || id == kLocalPeer) return unknown_peer(id);
  fold_into(s->stale, s->draining, family);
  return ok_status();
}

std::size_t Rib::stale_count(PeerId id) const {
  auto it = peers_.find(id);
  return it == peers_.end() ? 0 : it->second->stale.size();
}

Status Rib::mark_stale(PeerId id, Family family) {
  PeerState* s = find_peer(id);
  if (s == nullptr || id == kLocalPeer || !s->up) return unknown_peer(id);
  fold_into(s->in, s->stale, family);
  return ok_status();
}

std::size_t Rib::route_count(PeerId id) const {
  auto it = peers_.find(id);
  return it == peers_.end() ? 0 : it->second->in.size() + it->second->stale.size();
}

Status Rib::remove_peer(PeerId id) {
  Status st = peer_down(id);
  if (!st.ok()) return st;
  PeerState* s = find_peer(id);
  if (s->draining.empty()) {
    peers_.erase(id);
  } else {
    s->remove_when_drained = true;
  }
  return ok_status();
}

Status Rib::update(PeerId peer, const Prefix& p, AttrRef attrs, uint32_t path_id) {
  PeerState* s = find_peer(peer);
  if (s == nullptr || !s->up) return unknown_peer(peer);
  if (!attrs) return make_error(Errc::invalid, "rib: update without attributes");
  PathKey k{p, path_id};
  // The new session's route replaces the stale one of the old session in place.
  s->draining.withdraw(k);
  s->stale.withdraw(k);
  if (s->in.replace(k, attrs) == InChange::unchanged) return ok_status();
  loc_.set(p, s->info, path_id, std::move(attrs));
  return ok_status();
}

Status Rib::update(PeerId peer, const Prefix& p, const PathAttributes& attrs, uint32_t path_id) {
  return update(peer, p, store_.intern(attrs), path_id);
}

Status Rib::withdraw(PeerId peer, const Prefix& p, uint32_t path_id) {
  PeerState* s = find_peer(peer);
  if (s == nullptr || !s->up) return unknown_peer(peer);
  PathKey k{p, path_id};
  bool stale = s->draining.withdraw(k) == InChange::removed;
  stale = s->stale.withdraw(k) == InChange::removed || stale;
  if (s->in.withdraw(k) == InChange::removed || stale) loc_.remove(p, peer, path_id);
  return ok_status();
}

void Rib::originate(const Prefix& p, AttrRef attrs) {
  if (!attrs) return;
  (void)update(kLocalPeer, p, std::move(attrs), 0);
}

void Rib::originate(const Prefix& p, const PathAttributes& attrs) {
  originate(p, store_.intern(attrs));
}

void Rib::withdraw_origination(const Prefix& p) {
  (void)withdraw(kLocalPeer, p, 0);
}

std::size_t Rib::drain(std::size_t budget) {
  std::size_t used = 0;
  std::vector<std::pair<PathKey, AttrRef>> batch;
  for (auto it = peers_.begin(); it != peers_.end() && used < budget;) {
    PeerState& s = *it->second;
    if (!s.draining.empty()) {
      batch.clear();
      s.draining.take(budget - used, batch);
      used += batch.size();
      for (const auto& [k, a] : batch) loc_.remove(k.prefix, s.info.id, k.path_id);
    }
    if (s.draining.empty() && s.remove_when_drained) {
      it = peers_.erase(it);
    } else {
      ++it;
    }
  }
  return used;
}

bool Rib::process(std::size_t budget) {
  budget = std::max<std::size_t>(budget, 1);
  std::size_t used = drain(budget);
  if (used < budget) {
    changes_.clear();
    std::size_t staged = loc_.staged();
    loc_.decide(budget - used, changes_);
    used += staged - loc_.staged();
    if (!changes_.empty()) {
      for (BestRouteObserver* o : observers_) o->on_best_changes(changes_);
      out_.on_best_changes(changes_);
      changes_.clear();
    }
  }
  if (used < budget) out_.advance(budget - used);
  return has_work();
}

bool Rib::has_work() const {
  if (loc_.staged() != 0 || out_.building()) return true;
  for (const auto& [id, s] : peers_) {
    if (!s->draining.empty()) return true;
  }
  return false;
}

void Rib::add_observer(BestRouteObserver* o) {
  if (std::find(observers_.begin(), observers_.end(), o) == observers_.end()) {
    observers_.push_back(o);
  }
}

void Rib::remove_observer(BestRouteObserver* o) {
  std::erase(observers_, o);
}

void Rib::route_view(const Prefix& p, const LocEntry& e, std::vector<RouteView>& out) const {
  for (const auto& c : e.paths) {
    RouteView v;
    v.prefix = p;
    v.path = c.route();
    v.peer_address = c.source->address;
    v.best = c.best;
    v.multipath = c.multipath;
    v.reason = c.reason;
    out.push_back(std::move(v));
  }
}

std::vector<RouteView> Rib::routes(const Prefix& p) const {
  std::vector<RouteView> out;
  if (const LocEntry* e = loc_.find(p)) route_view(p, *e, out);
  return out;
}

std::vector<RouteView> Rib::all_routes(std::optional<Prefix> after, std::size_t limit) const {
  std::vector<RouteView> out;
  const auto& m = loc_.entries();
  auto it = after ? m.upper_bound(*after) : m.begin();
  for (std::size_t n = 0; it != m.end() && (limit == 0 || n < limit); ++it) {
    if (it->second.paths.empty()) continue;  // emptied, awaiting its decision
    route_view(it->first, it->second, out);
    ++n;
  }
  return out;
}

std::vector<RouteView> Rib::routes_from(PeerId peer, std::optional<Prefix> after,
                                        std::size_t limit) const {
  std::vector<RouteView> out;
  auto pit = peers_.find(peer);
  if (pit == peers_.end()) return out;
  const auto& table = pit->second->in.table();
  auto it = after ? table.upper_bound(PathKey{*after, UINT32_MAX}) : table.begin();
  std::optional<Prefix> last;
  std::size_t n = 0;
  for (; it != table.end(); ++it) {
    if (!last || *last != it->first.prefix) {
      if (limit != 0 && n == limit) break;
      last = it->first.prefix;
      ++n;
    }
    const LocEntry* e = loc_.find(it->first.prefix);
    if (e == nullptr) continue;
    for (const auto& c : e->paths) {
      if (c.source->id != peer || c.path_id != it->first.path_id) continue;
      RouteView v;
      v.prefix = it->first.prefix;
      v.path = c.route();
      v.peer_address = c.source->address;
      v.best = c.best;
      v.multipath = c.multipath;
      v.reason = c.reason;
      out.push_back(std::move(v));
    }
  }
  return out;
}

std::vector<RoutePath> Rib::best(const Prefix& p) const {
  std::vector<RoutePath> out;
  if (const LocEntry* e = loc_.find(p)) {
    for (const auto& c : e->paths) {
      if (!c.multipath) break;
      out.push_back(c.route());
    }
  }
  return out;
}

std::vector<BestRoute> Rib::best_routes(std::optional<Prefix> after, std::size_t limit) const {
  std::vector<BestRoute> out;
  const auto& m = loc_.entries();
  auto it = after ? m.upper_bound(*after) : m.begin();
  for (; it != m.end() && (limit == 0 || out.size() < limit); ++it) {
    BestRoute r{it->first, {}};
    for (const auto& c : it->second.paths) {
      if (!c.multipath) break;
      r.paths.push_back(c.route());
    }
    if (!r.paths.empty()) out.push_back(std::move(r));
  }
  return out;
}

RibStats Rib::stats() const {
  RibStats st;
  st.peers = peers_.size() - 1;
  st.prefixes = loc_.entries().size();
  st.paths = loc_.path_count();
  st.attribute_sets = store_.size();
  st.staged = loc_.staged();
  for (const auto& [id, s] : peers_) {
    st.draining += s->draining.size();
    st.stale += s->stale.size();
  }
  return st;
}

Result<GroupId> Rib::join_group(PeerId peer, const std::string& key, ExportFn fn, bool add_path) {
  PeerState* s = find_peer(peer);
  if (s == nullptr || peer == kLocalPeer || !s->up) return unknown_peer(peer);
  if (!fn) return make_error(Errc::invalid, "rib: update group without an export function");
  return out_.join(peer, key, std::move(fn), add_path);
}

Status Rib::leave_group(PeerId peer) {
  if (!out_.leave(peer)) {
    return make_error(Errc::not_found, "rib: peer " + std::to_string(peer) + " is in no group");
  }
  return ok_status();
}

}  // namespace podnet::rib
