#include "rib/rib.hpp"

#include <algorithm>
#include <string>

namespace podnet::rib {

namespace {
Error unknown_peer(PeerId id) {
  return make_error(Errc::not_found, "rib: unknown peer " + std::to_string(id));
}
bool family_matches(int index, std::optional<Family> family) {
  return !family || (*family == Family::v4) == (index == 0);
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

void Rib::retire(PeerState& s, SourceId id) {
  if (id == kNoSource) return;
  loc_.drain_source(id);
  s.draining.push_back(id);
  releasing_ = true;
}

void Rib::make_stale(PeerState& s, int f) {
  if (s.live[f] == kNoSource) return;
  // Stale sets the new session has emptied (every route re-announced) are freed here: a peer
  // that keeps sending BoRR without EoRR, or restarting without End-of-RIB, would otherwise
  // pile up empty sources until none are left.
  std::erase_if(s.stale[f], [&](SourceId st) {
    if (loc_.source_count(st) != 0) return false;
    loc_.release_source(st);
    return true;
  });
  s.stale[f].push_back(std::exchange(s.live[f], kNoSource));
}

std::size_t Rib::count_of(const std::vector<SourceId>& ids) const {
  std::size_t n = 0;
  for (SourceId id : ids) n += loc_.source_count(id);
  return n;
}

Status Rib::set_route_reflector_client(PeerId id, bool client) {
  PeerState* s = find_peer(id);
  if (s == nullptr || id == kLocalPeer) return unknown_peer(id);
  if (s->info.route_reflector_client == client) return ok_status();
  // The Loc-RIB's candidates point at this PeerInfo: the export functions see the new flag.
  s->info.route_reflector_client = client;
  std::vector<BestChange> changes;
  for (LocRib::Slot slot = loc_.next(0); slot != LocRib::npos; slot = loc_.next(slot + 1)) {
    bool has = false;
    for (const Candidate& c : loc_.paths(slot)) {
      has = has || (loc_.source_info(c.source).id == id && !loc_.source_draining(c.source));
    }
    const Candidate* best = has ? loc_.best(slot) : nullptr;
    if (best == nullptr) continue;
    // No "before": the update groups run their export again (ADD-PATH groups every path,
    // the others the best, whoever it came from) and queue only what differs from what they
    // advertised. A prefix still staged is exported again once decided.
    changes.push_back({loc_.prefix(slot), {}, {loc_.route(*best)}});
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
  // Every route goes, live and stale (kept from an earlier graceful restart: this end is not
  // graceful), including any of a teardown still under way.
  for (int f = 0; f < 2; ++f) {
    retire(*s, std::exchange(s->live[f], kNoSource));
    for (SourceId st : s->stale[f]) retire(*s, st);
    s->stale[f].clear();
  }
  return ok_status();
}

Status Rib::peer_down_retain(PeerId id) {
  PeerState* s = find_peer(id);
  if (s == nullptr || id == kLocalPeer) return unknown_peer(id);
  out_.leave(id);
  s->up = false;
  // The live routes join the stale ones: the paths in the Loc-RIB stay as they are.
  for (int f = 0; f < 2; ++f) make_stale(*s, f);
  return ok_status();
}

Status Rib::flush_stale(PeerId id, std::optional<Family> family) {
  PeerState* s = find_peer(id);
  if (s == nullptr || id == kLocalPeer) return unknown_peer(id);
  for (int f = 0; f < 2; ++f) {
    if (!family_matches(f, family)) continue;
    for (SourceId st : s->stale[f]) retire(*s, st);
    s->stale[f].clear();
  }
  return ok_status();
}

std::size_t Rib::stale_count(PeerId id) const {
  auto it = peers_.find(id);
  if (it == peers_.end()) return 0;
  return count_of(it->second->stale[0]) + count_of(it->second->stale[1]);
}

Status Rib::mark_stale(PeerId id, Family family) {
  PeerState* s = find_peer(id);
  if (s == nullptr || id == kLocalPeer || !s->up) return unknown_peer(id);
  make_stale(*s, family_index(family));
  return ok_status();
}

std::size_t Rib::route_count(PeerId id) const {
  auto it = peers_.find(id);
  if (it == peers_.end()) return 0;
  const PeerState& s = *it->second;
  std::size_t n = stale_count(id);
  for (SourceId live : s.live) {
    if (live != kNoSource) n += loc_.source_count(live);
  }
  return n;
}

Status Rib::remove_peer(PeerId id) {
  Status st = peer_down(id);
  if (!st.ok()) return st;
  PeerState* s = find_peer(id);
  if (count_of(s->draining) == 0) {
    for (SourceId d : s->draining) loc_.release_source(d);
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
  SourceId& live = s->live[family_index(p.family())];
  if (live == kNoSource) {
    live = loc_.add_source(s->info);
    if (live == kNoSource) return make_error(Errc::invalid, "rib: out of route sources");
  }
  // A stale or draining route of the old session is replaced in place (it moves to `live`).
  loc_.set(p, live, path_id, std::move(attrs));
  return ok_status();
}

Status Rib::update(PeerId peer, const Prefix& p, const PathAttributes& attrs, uint32_t path_id) {
  return update(peer, p, store_.intern(attrs), path_id);
}

Status Rib::withdraw(PeerId peer, const Prefix& p, uint32_t path_id) {
  PeerState* s = find_peer(peer);
  if (s == nullptr || !s->up) return unknown_peer(peer);
  loc_.remove(p, peer, path_id);
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
  std::size_t used = loc_.sweep(budget);
  if (!releasing_) return used;
  // Free the retired sources the sweep has emptied; forget removed peers with none left.
  releasing_ = false;
  for (auto it = peers_.begin(); it != peers_.end();) {
    PeerState& s = *it->second;
    std::erase_if(s.draining, [&](SourceId d) {
      if (loc_.source_count(d) != 0) return false;
      loc_.release_source(d);
      return true;
    });
    releasing_ = releasing_ || !s.draining.empty();
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
  // Teardown stages every prefix it touches, each remembering its selection until decided: a
  // peer with a million routes going down would hold a million of those at once. So the
  // sweep waits while a slice's worth is staged, and decisions catch up first.
  std::size_t used = loc_.staged() < budget ? drain(budget) : 0;
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
  return loc_.staged() != 0 || out_.building() || loc_.draining_count() != 0 || releasing_;
}

void Rib::add_observer(BestRouteObserver* o) {
  if (std::find(observers_.begin(), observers_.end(), o) == observers_.end()) {
    observers_.push_back(o);
  }
}

void Rib::remove_observer(BestRouteObserver* o) {
  std::erase(observers_, o);
}

void Rib::route_view(LocRib::Slot slot, std::vector<RouteView>& out) const {
  const Prefix p = loc_.prefix(slot);
  for (const auto& c : loc_.paths(slot)) {
    RouteView v;
    v.prefix = p;
    v.path = loc_.route(c);
    v.peer_address = loc_.source_info(c.source).address;
    v.best = c.best();
    v.multipath = c.multipath();
    v.reason = c.reason;
    out.push_back(std::move(v));
  }
}

const std::vector<LocRib::Slot>& Rib::sorted_slots() const {
  if (sorted_version_ != loc_.version()) {
    sorted_ = loc_.sorted();
    sorted_version_ = loc_.version();
  }
  return sorted_;
}

std::vector<LocRib::Slot>::const_iterator Rib::sorted_after(std::optional<Prefix> after) const {
  const auto& v = sorted_slots();
  if (!after) return v.begin();
  return std::upper_bound(v.begin(), v.end(), *after,
                          [&](const Prefix& p, LocRib::Slot s) { return p < loc_.prefix(s); });
}

std::vector<RouteView> Rib::routes(const Prefix& p) const {
  std::vector<RouteView> out;
  if (LocRib::Slot s = loc_.find(p); s != LocRib::npos) route_view(s, out);
  return out;
}

std::vector<RouteView> Rib::all_routes(std::optional<Prefix> after, std::size_t limit) const {
  std::vector<RouteView> out;
  const auto& v = sorted_slots();
  std::size_t n = 0;
  for (auto it = sorted_after(after); it != v.end() && (limit == 0 || n < limit); ++it) {
    if (loc_.paths(*it).empty()) continue;  // emptied, awaiting its decision
    route_view(*it, out);
    ++n;
  }
  return out;
}

std::vector<RouteView> Rib::routes_from(PeerId peer, std::optional<Prefix> after,
                                        std::size_t limit) const {
  std::vector<RouteView> out;
  auto pit = peers_.find(peer);
  if (pit == peers_.end()) return out;
  const PeerState& s = *pit->second;
  // Its Adj-RIB-In: the routes of its live sources (not stale or draining ones).
  const auto& v = sorted_slots();
  std::size_t n = 0;
  for (auto it = sorted_after(after); it != v.end(); ++it) {
    bool counted = false;
    for (const auto& c : loc_.paths(*it)) {
      if (c.source != s.live[0] && c.source != s.live[1]) continue;
      if (!counted) {
        if (limit != 0 && n == limit) return out;
        counted = true;
        ++n;
      }
      RouteView rv;
      rv.prefix = loc_.prefix(*it);
      rv.path = loc_.route(c);
      rv.peer_address = s.info.address;
      rv.best = c.best();
      rv.multipath = c.multipath();
      rv.reason = c.reason;
      out.push_back(std::move(rv));
    }
  }
  return out;
}

std::vector<RoutePath> Rib::best(const Prefix& p) const {
  LocRib::Slot s = loc_.find(p);
  return s == LocRib::npos ? std::vector<RoutePath>{} : loc_.selected(s);
}

std::vector<BestRoute> Rib::best_routes(std::optional<Prefix> after, std::size_t limit) const {
  std::vector<BestRoute> out;
  const auto& v = sorted_slots();
  for (auto it = sorted_after(after); it != v.end() && (limit == 0 || out.size() < limit); ++it) {
    BestRoute r{loc_.prefix(*it), loc_.selected(*it)};
    if (!r.paths.empty()) out.push_back(std::move(r));
  }
  return out;
}

RibStats Rib::stats() const {
  RibStats st;
  st.peers = peers_.size() - 1;
  st.prefixes = loc_.size();
  st.paths = loc_.path_count();
  st.attribute_sets = store_.size();
  st.staged = loc_.staged();
  st.draining = loc_.draining_count();
  for (const auto& [id, s] : peers_) st.stale += count_of(s->stale[0]) + count_of(s->stale[1]);
  st.memory_bytes = loc_.memory_bytes();
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
