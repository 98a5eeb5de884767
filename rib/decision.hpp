// Best-path selection: RFC 4271 9.1.2.2 with the RFC 4456 route-reflection tie-breaks, as a
// pure function of the candidate paths. The Loc-RIB calls select(); `show routes` reports the
// per-path reasons it returns.
//
// Steps, in order (each keeps only the paths that are best at that step):
//   1. highest LOCAL_PREF (absent: DecisionOptions::default_local_pref)
//   2. locally originated over learned (as FRR/Cisco do: the node's own blocks beat a copy
//      learned back from a peer unless local policy ranks that copy higher by LOCAL_PREF)
//   3. shortest AS_PATH (AS_SET counts 1, confederation segments 0)
//   4. lowest ORIGIN (IGP < EGP < INCOMPLETE)
//   5. lowest MED, compared only among paths from the same neighbour AS unless
//      always_compare_med (absent MED: 0, or worst with med_missing_as_worst)
//   6. eBGP over iBGP (confederation peers count as iBGP, RFC 5065)
//      -- IGP cost to the next hop would come here; podnet has no IGP, all next hops tie --
//      -- multipath: the paths still in the running here are ECMP-equal --
//   7. lowest ORIGINATOR_ID, else the peer's BGP Identifier (RFC 4456 9)
//   8. shortest CLUSTER_LIST (RFC 4456 9)
//   9. lowest peer address
//  10. lowest ADD-PATH path id, then lowest PeerId (only so the result is total)
//
// Step 5 is applied per neighbour-AS group over the whole set, as RFC 4271 9.1.2.2 (c)
// specifies, rather than pairwise: pairwise MED comparison is not transitive, and the set form
// makes the outcome independent of the order candidates arrive in.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "rib/path_attributes.hpp"
#include "rib/peer_info.hpp"

namespace podnet::rib {

struct DecisionOptions {
  uint32_t default_local_pref = 100;
  bool always_compare_med = false;
  bool med_missing_as_worst = false;
  // ECMP: 1 disables multipath; 0 means no limit.
  std::size_t max_paths = 0;
  // Only paths whose neighbouring AS equals the best path's join its multipath group.
  bool multipath_same_neighbor_as = false;
};

// Why a path won (for the best path: the step that removed its last competitor) or lost (for
// the others: the step that removed it).
enum class Reason : uint8_t {
  only_path,
  local_pref,
  local_origin,
  as_path_length,
  origin,
  med,
  ebgp_over_ibgp,
  router_id,
  cluster_list_length,
  peer_address,
  path_id,
};

std::string_view reason_name(Reason r);

// A candidate: where it came from and its attributes. Non-owning views.
struct Path {
  const PeerInfo* source = nullptr;
  const PathAttributes* attrs = nullptr;
  uint32_t path_id = 0;
};

// The neighbouring AS of RFC 4271 9.1.2.2 (c): the first AS of the path after any
// confederation segments; nullopt for a path originated inside our AS.
std::optional<uint32_t> neighbor_as(const PathAttributes& a);

struct Comparison {
  int order = 0;  // < 0: a is better, > 0: b is better, 0: identical for selection
  Reason reason = Reason::only_path;
};

// Pairwise form (MED only when both paths share a neighbour AS). Use select() for a set.
Comparison compare(const Path& a, const Path& b, const DecisionOptions& opt);

// True when a and b tie on every step up to and including eBGP-over-iBGP (and, with
// multipath_same_neighbor_as, share a neighbour AS): they may be used together as ECMP.
bool multipath_equal(const Path& a, const Path& b, const DecisionOptions& opt);

struct Selection {
  std::size_t best = 0;  // index into the input
  // Indices of the multipath group, best first, then in tie-break order. Always holds at
  // least `best` when the input is non-empty.
  std::vector<std::size_t> multipath;
  std::vector<Reason> reasons;  // per input index
};

// Empty input gives an empty Selection (multipath empty).
Selection select(std::span<const Path> paths, const DecisionOptions& opt);

}  // namespace podnet::rib
