// The RIB: Adj-RIB-In per peer, the Loc-RIB with best-path selection, and the Adj-RIB-Out in
// update groups. It knows nothing of sockets or netlink: the BGP layer feeds it routes and
// drains export batches, ipam-sync's origination set comes in through originate(), and the
// dataplane route programmer listens as a BestRouteObserver.
//
// Mutations only stage work; process() does it in bounded slices (the daemon calls it from the
// event loop until it returns false) and notifies observers once per slice with every best
// change of that slice. So a peer going down with a million routes costs a few dozen slices
// and as many notifications, and keepalives keep flowing in between.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "conf/result.hpp"
#include "rib/adj_rib_out.hpp"
#include "rib/attr_store.hpp"
#include "rib/decision.hpp"
#include "rib/loc_rib.hpp"
#include "rib/path_attributes.hpp"
#include "rib/peer_info.hpp"
#include "rib/prefix.hpp"
#include "rib/route.hpp"

namespace podnet::rib {

struct RibOptions {
  DecisionOptions decision;
  // The node's own BGP Identifier and AS, recorded on locally originated routes.
  uint32_t router_id = 0;
  uint32_t local_asn = 0;
};

// Slice size when the caller has no better idea: a few milliseconds of work.
inline constexpr std::size_t kDefaultBudget = 10000;

struct RibStats {
  std::size_t peers = 0;  // registered BGP peers (not counting the node itself)
  std::size_t prefixes = 0;
  std::size_t paths = 0;
  std::size_t attribute_sets = 0;  // distinct interned sets alive (Adj-RIB-In and -Out)
  std::size_t staged = 0;          // prefixes waiting for a decision
  std::size_t draining = 0;        // routes of downed peers not yet removed
  std::size_t stale = 0;           // routes kept for restarting peers (graceful restart)
  std::size_t memory_bytes = 0;    // heap held by the Loc-RIB (every peer's routes)
};

class Rib {
 public:
  explicit Rib(RibOptions opt = {});
  Rib(const Rib&) = delete;
  Rib& operator=(const Rib&) = delete;
  ~Rib();

  AttrStore& attr_store() { return store_; }
  AttrRef intern(const PathAttributes& a) { return store_.intern(a); }

  // ---- peers ----
  // Registers a peer whose session came up. Errors: id 0 (the node itself), kind local, a peer
  // with that id already up. A downed peer (peer_down, maybe still being torn down) may be
  // added again for its next session: its info is replaced and the new session's routes
  // override the stale ones as they arrive.
  Status add_peer(const PeerInfo& info);
  // The session went down: all its routes are withdrawn (in slices, by process()), it leaves
  // its update group, and update()/withdraw() are refused until add_peer() again.
  Status peer_down(PeerId id);
  // Graceful restart helper (RFC 4724 §4.2): the session went down but the peer preserves
  // its forwarding state, so its routes stay in the Loc-RIB (and the kernel), marked stale,
  // until the next session replaces them, flush_stale() removes what it did not, or the
  // restart timer (the BGP layer's) runs out and flush_stale() removes all. Down again while
  // routes are still stale (consecutive restarts) keeps them stale: nothing is flushed early.
  Status peer_down_retain(PeerId id);
  // Removes the stale routes of `id` (of one family, or all), in slices like peer_down():
  // on End-of-RIB, when the new session does not preserve forwarding state, or on timeout.
  Status flush_stale(PeerId id, std::optional<Family> family = std::nullopt);
  // Stale routes of `id` still waiting (0 for an unknown peer).
  std::size_t stale_count(PeerId id) const;
  // Enhanced route refresh (RFC 7313 4), Beginning-of-RIB-Refresh: the live routes of `family`
  // of an up peer become stale (the Loc-RIB keeps them); the re-advertisement replaces them and
  // flush_stale(id, family) at End-of-RIB-Refresh removes the ones not re-advertised.
  Status mark_stale(PeerId id, Family family);
  // Routes of `id` in the RIB, live and stale (0 for an unknown peer).
  std::size_t route_count(PeerId id) const;
  // peer_down, then forgets the peer once its routes are gone.
  Status remove_peer(PeerId id);
  const PeerInfo* peer(PeerId id) const;
  // The peer's route-reflector-client flag changed while its session runs (a node became a
  // reflector, or a BGPPeer now names it a client): RFC 4456 reflects a client's routes to
  // every iBGP peer but a non-client's to clients only, so every update group re-evaluates the
  // prefixes this peer has a path for and sends the difference. The Loc-RIB, its
  // observers (the kernel) and the peer's own session see no change.
  Status set_route_reflector_client(PeerId id, bool client);

  // ---- routes in ----
  // Announce (or replace) a path. `path_id` is the ADD-PATH identifier (0 without ADD-PATH).
  Status update(PeerId peer, const Prefix& p, AttrRef attrs, uint32_t path_id = 0);
  Status update(PeerId peer, const Prefix& p, const PathAttributes& attrs, uint32_t path_id = 0);
  // Withdrawing something never announced is not an error (RFC 4271 leaves it harmless).
  Status withdraw(PeerId peer, const Prefix& p, uint32_t path_id = 0);

  // The node's own routes (its affine blocks and borrowed /32s). They compete in the decision
  // process like any path from a peer of kind local.
  void originate(const Prefix& p, const PathAttributes& attrs);
  void originate(const Prefix& p, AttrRef attrs);
  void withdraw_origination(const Prefix& p);

  // ---- work ----
  // Does up to `budget` units of staged work (a unit is about one route): tearing down downed
  // peers, deciding changed prefixes (then notifying observers and update groups), building
  // new update groups' tables. Returns true while work remains.
  bool process(std::size_t budget = kDefaultBudget);
  bool has_work() const;

  void add_observer(BestRouteObserver* o);
  void remove_observer(BestRouteObserver* o);

  // ---- lookups (show routes) ----
  // Every path of `p`, selected ones first.
  std::vector<RouteView> routes(const Prefix& p) const;
  // Paths of all prefixes after `after` (exclusive; nullopt: from the start), at most `limit`
  // prefixes (0: no limit); page by passing the last prefix seen.
  std::vector<RouteView> all_routes(std::optional<Prefix> after, std::size_t limit) const;
  // The paths `peer` announced (its Adj-RIB-In), with their standing in the Loc-RIB.
  std::vector<RouteView> routes_from(PeerId peer, std::optional<Prefix> after,
                                     std::size_t limit) const;
  // Selected paths (multipath group, best first) of `p`; empty if none.
  std::vector<RoutePath> best(const Prefix& p) const;
  // Selected paths of every prefix, paged like all_routes(): a late observer's initial view.
  std::vector<BestRoute> best_routes(std::optional<Prefix> after, std::size_t limit) const;
  RibStats stats() const;
  const LocRib& loc_rib() const { return loc_; }

  // ---- routes out (update groups) ----
  // See AdjRibOut. The peer must be registered.
  Result<GroupId> join_group(PeerId peer, const std::string& key, ExportFn fn,
                             bool add_path = false);
  Status leave_group(PeerId peer);
  AdjRibOut& adj_rib_out() { return out_; }
  const AdjRibOut& adj_rib_out() const { return out_; }

 private:
  // A peer's routes are grouped by source (see loc_rib.hpp): the live routes of each family
  // (allocated with the first route), the stale sets kept for a restarting peer or a route
  // refresh, and retired sources whose routes the sweep is still removing.
  struct PeerState {
    PeerInfo info;
    SourceId live[2] = {kNoSource, kNoSource};  // IPv4, IPv6
    std::vector<SourceId> stale[2];
    std::vector<SourceId> draining;
    bool up = false;  // a session is established: updates are accepted
    bool remove_when_drained = false;
  };
  static int family_index(Family f) { return f == Family::v4 ? 0 : 1; }
  PeerState* find_peer(PeerId id);
  void route_view(LocRib::Slot s, std::vector<RouteView>& out) const;
  std::size_t drain(std::size_t budget);
  void retire(PeerState& s, SourceId id);
  // The live source of family index `f` becomes a stale one.
  void make_stale(PeerState& s, int f);
  std::size_t count_of(const std::vector<SourceId>& ids) const;
  // Loc-RIB slots in prefix order, cached until the next change (listings page through it).
  const std::vector<LocRib::Slot>& sorted_slots() const;
  std::vector<LocRib::Slot>::const_iterator sorted_after(std::optional<Prefix> after) const;

  RibOptions opt_;
  AttrStore store_;  // declared before every holder of handles, so destroyed after them
  std::map<PeerId, std::unique_ptr<PeerState>> peers_;
  LocRib loc_;
  AdjRibOut out_;
  std::vector<BestRouteObserver*> observers_;
  std::vector<BestChange> changes_;  // reused per slice
  bool releasing_ = false;           // retired sources wait to be freed
  mutable std::vector<LocRib::Slot> sorted_;
  mutable uint64_t sorted_version_ = UINT64_MAX;
};

}  // namespace podnet::rib
