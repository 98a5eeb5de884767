// Adj-RIB-Out organised as update groups. Peers whose export policy is identical (the BGP layer
// decides that and names it with a key) share one group: the export function runs once per
// group and prefix, the group keeps one record of what its members have been sent, and its
// pending changes come out packed by attribute set so the BGP layer encodes each UPDATE once
// and writes the same bytes to every member.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "rib/attr_store.hpp"
#include "rib/loc_rib.hpp"
#include "rib/peer_info.hpp"
#include "rib/route.hpp"

namespace podnet::rib {

using GroupId = uint32_t;

// The best path offered for export.
struct ExportCandidate {
  const PeerInfo& source;  // where the best path came from (kind local: this node's own)
  uint32_t path_id;
  const AttrRef& attrs;
};

// What a group's members are to be sent for `prefix` whose best path is `best`: the attributes
// as they go on the wire (next hop rewritten, AS prepended, LOCAL_PREF set or removed, ...),
// or nullopt to not advertise it (and withdraw it if it was). Split horizon, the iBGP and route
// reflection rules, disableBGPExport pools and BGPFilters live in this function; it must
// depend only on its arguments and the group's policy, never on which member asks.
using ExportFn = std::function<std::optional<PathAttributes>(
    std::string_view group_key, const Prefix& prefix, const ExportCandidate& best)>;

// A path of a prefix as an ADD-PATH (RFC 7911) group sends it: the prefix and its path id.
struct PathNlri {
  Prefix prefix;
  uint32_t path_id = 0;
  friend auto operator<=>(const PathNlri&, const PathNlri&) = default;
};

// Changes ready to encode: each `announce` entry is one attribute set with every prefix that
// carries it (one UPDATE, or several if they do not fit one message); then withdrawals. An
// ADD-PATH group fills the *_paths fields instead, with the path ids to put on the wire.
struct UpdateBatch {
  std::map<AttrRef, std::vector<Prefix>> announce;
  std::vector<Prefix> withdraw;
  std::map<AttrRef, std::vector<PathNlri>> announce_paths;
  std::vector<PathNlri> withdraw_paths;

  bool empty() const {
    return announce.empty() && withdraw.empty() && announce_paths.empty() && withdraw_paths.empty();
  }
  std::size_t prefix_count() const;
};

class AdjRibOut {
 public:
  AdjRibOut(const LocRib& loc, AttrStore& store) : loc_(loc), store_(store) {}

  // Puts `peer` in the group named `key`, creating the group (with `fn`) if none has that key;
  // a group that already exists keeps its function. A new group computes its table from the
  // Loc-RIB in slices (advance()); a member joining an existing group gets the group's table
  // through take_dump(). A peer already in a group is moved.
  //
  // `add_path` (ADD-PATH send negotiated, RFC 7911; part of the key, so every member agrees):
  // the group advertises every selected path of a prefix, the best and its ECMP set (the
  // Loc-RIB's multipath group), each through `fn`, each with a path id that stays the same as
  // long as that path (source peer, source path id) is advertised; a path that goes is
  // withdrawn by its id. Other groups advertise the best path only.
  GroupId join(PeerId peer, const std::string& key, ExportFn fn, bool add_path = false);
  // Leaves its group; the last member leaving deletes the group. False if it was in none.
  bool leave(PeerId peer);
  // The member's export policy changed (a BGPFilter, prefixAdvertisements): moves it to the
  // group `key` (created with `fn` if none has it) without resetting its session. Its peer holds
  // the old group's routes, so it is sent only the difference once the group is built: routes
  // whose attributes differ or are new, and withdrawals of those the new group does not
  // advertise. Not a member: same as join().
  // A member of an ADD-PATH group stays ADD-PATH (that is negotiated, it changes only with a
  // new session): it gets the new group's whole table, then withdrawals of the paths it has
  // that the new group does not advertise.
  GroupId regroup(PeerId peer, const std::string& key, ExportFn fn);

  // Best-path changes of one decision batch.
  void on_best_changes(std::span<const BestChange> changes);
  // Builds new groups' tables from the Loc-RIB: up to `budget` prefixes. True while more.
  bool advance(std::size_t budget);
  bool building() const;

  // The group's pending changes, up to `max_prefixes` prefixes (0: all), in prefix order.
  UpdateBatch take_updates(GroupId g, std::size_t max_prefixes);
  std::vector<GroupId> groups_with_updates() const;
  // The member's initial table (or a re-send for ROUTE-REFRESH), up to `max_prefixes`.
  UpdateBatch take_dump(PeerId peer, std::size_t max_prefixes);
  bool dump_pending(PeerId peer) const;
  // Restarts the member's full dump (ROUTE-REFRESH from that peer).
  bool refresh(PeerId peer);
  // The member has been given everything: its dump is done, its group is built and the
  // group's queue is empty. The BGP layer sends End-of-RIB when this first becomes true.
  bool in_sync(PeerId peer) const;

  std::optional<GroupId> group_of(PeerId peer) const;
  std::vector<PeerId> members(GroupId g) const;
  std::vector<GroupId> groups() const;
  const std::string* key(GroupId g) const;
  // What the group has advertised (including changes still queued); nullptr for no group. For
  // an ADD-PATH group: its best exported path per prefix (advertised_paths() has them all).
  const std::map<Prefix, AttrRef>* advertised(GroupId g) const;
  // An ADD-PATH group's advertised paths of `p`, as (path id, attributes); empty otherwise.
  std::vector<std::pair<uint32_t, AttrRef>> advertised_paths(GroupId g, const Prefix& p) const;
  std::size_t pending_count(GroupId g) const;

 private:
  // One path an ADD-PATH group advertises for a prefix.
  struct OutPath {
    PeerId source = 0;
    uint32_t source_path = 0;
    uint32_t id = 0;  // the path id on the wire
    AttrRef attrs;
    friend bool operator==(const OutPath&, const OutPath&) = default;
  };
  using OutPaths = std::vector<OutPath>;
  struct Group {
    GroupId id = 0;
    std::string key;
    ExportFn fn;
    // ADD-PATH: `paths` is what is advertised; `adv` mirrors its first (best) path per prefix
    // and `pending` marks changed prefixes, so the bookkeeping below serves both kinds;
    // `paths_before` holds the paths as sent before the first change of a pending prefix.
    bool add_path = false;
    std::map<Prefix, OutPaths> paths;
    std::map<Prefix, OutPaths> paths_before;
    std::map<Prefix, AttrRef> adv;
    // Changed since the last take_updates(): the advertised value before the first change
    // (null: not advertised), so a change that is undone before it is sent cancels out.
    std::map<Prefix, AttrRef> pending;
    std::set<PeerId> members;
    bool building = true;
    // The next Loc-RIB slot the build visits (slot order: a prefix added behind it comes
    // through on_best_changes() like any change).
    uint32_t build_at = 0;
    // Created by regroup() with `adv` seeded from what its member already has: at the end of
    // the build, seeded prefixes the Loc-RIB no longer holds are withdrawn.
    bool seeded = false;
  };
  struct Member {
    GroupId group = 0;
    bool dumping = false;
    std::optional<Prefix> dumped_up_to;
    // regroup() into an existing group: the dump waits for the group's build and sends only
    // what differs from `prior` (what the peer has), then withdraws prior prefixes the group
    // does not advertise. `full`: the peer's earlier dump was unfinished, send every route.
    bool diff = false;
    bool full = false;
    std::map<Prefix, AttrRef> prior;
    // ADD-PATH regroup: the paths the peer has, withdrawn (those the group does not advertise)
    // once the group is built and the member's dump is done.
    std::set<PathNlri> prior_paths;
  };

  UpdateBatch take_diff_dump(Member& m, const Group& g, std::size_t max_prefixes);
  void export_prefix(Group& g, const Prefix& p, const Candidate* best);
  void export_paths(Group& g, const Prefix& p, std::span<const Candidate> paths);
  Group& new_group(const std::string& key, ExportFn fn, bool add_path);
  static std::set<PathNlri> sent_paths(const Group& g);
  static void pack_paths(UpdateBatch& b, const Prefix& p, const OutPaths& before,
                         const OutPaths& now);
  void set_advertised(Group& g, const Prefix& p, AttrRef desired);
  static void pack(UpdateBatch& b, const Prefix& p, const AttrRef* attrs);

  const LocRib& loc_;
  AttrStore& store_;
  std::map<GroupId, std::unique_ptr<Group>> groups_;
  std::unordered_map<std::string, GroupId> by_key_;
  std::map<PeerId, Member> members_;
  GroupId next_group_ = 1;
};

}  // namespace podnet::rib
