// The values the RIB hands out: selected paths, best-route changes and the per-path view for
// `show routes`. Plain values (with counted attribute handles), valid after the RIB moves on.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "rib/attr_store.hpp"
#include "rib/decision.hpp"
#include "rib/peer_info.hpp"
#include "rib/prefix.hpp"

namespace podnet::rib {

// One path of a prefix as observers see it. The dataplane reads the next hop from attrs and
// installs a blackhole when kind == local (the node's own block).
struct RoutePath {
  PeerId peer = kLocalPeer;
  PeerKind kind = PeerKind::local;
  uint32_t path_id = 0;
  AttrRef attrs;
  friend bool operator==(const RoutePath& a, const RoutePath& b) {
    return a.peer == b.peer && a.path_id == b.path_id && a.attrs == b.attrs;
  }
};

// A prefix whose selected path set changed. `after` is the multipath group, best first; empty
// means the prefix is gone (no feasible path). `before` is what the previous notification said.
struct BestChange {
  Prefix prefix;
  std::vector<RoutePath> before;
  std::vector<RoutePath> after;
};

// A prefix and its selected paths (best first), for a full listing.
struct BestRoute {
  Prefix prefix;
  std::vector<RoutePath> paths;
};

// Called once per processed batch with every change of that batch, never mid-change. An
// observer must not call Rib mutators from inside the callback.
class BestRouteObserver {
 public:
  virtual ~BestRouteObserver() = default;
  virtual void on_best_changes(std::span<const BestChange> changes) = 0;
};

// One candidate path with its standing, for `show routes`.
struct RouteView {
  Prefix prefix;
  RoutePath path;
  Address peer_address;
  bool best = false;
  bool multipath = false;  // part of the ECMP group (the best path included)
  Reason reason = Reason::only_path;
};

}  // namespace podnet::rib
