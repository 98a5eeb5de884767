#include "rib/decision.hpp"

#include <algorithm>
#include <limits>

namespace podnet::rib {

std::string_view reason_name(Reason r) {
  switch (r) {
    case Reason::only_path:
      return "only path";
    case Reason::local_pref:
      return "local preference";
    case Reason::local_origin:
      return "locally originated";
    case Reason::as_path_length:
      return "AS path length";
    case Reason::origin:
      return "origin";
    case Reason::med:
      return "MED";
    case Reason::ebgp_over_ibgp:
      return "eBGP over iBGP";
    case Reason::router_id:
      return "router id";
    case Reason::cluster_list_length:
      return "cluster list length";
    case Reason::peer_address:
      return "peer address";
    case Reason::path_id:
      return "path id";
  }
  return "?";
}

std::string_view peer_kind_name(PeerKind k) {
  switch (k) {
    case PeerKind::local:
      return "local";
    case PeerKind::ibgp:
      return "iBGP";
    case PeerKind::ebgp:
      return "eBGP";
    case PeerKind::confed_ebgp:
      return "confed-eBGP";
  }
  return "?";
}

std::optional<uint32_t> neighbor_as(const PathAttributes& a) {
  if (!a.as_path) return std::nullopt;
  for (const auto& s : a.as_path->segments) {
    if (s.type == AsSegmentType::confed_sequence || s.type == AsSegmentType::confed_set) continue;
    if (s.type == AsSegmentType::as_sequence && !s.asns.empty()) return s.asns.front();
    return std::nullopt;  // an AS_SET first: no single neighbour
  }
  return std::nullopt;
}

namespace {

// Each key: smaller is better.
uint64_t key_local_pref(const Path& p, const DecisionOptions& o) {
  return std::numeric_limits<uint32_t>::max() - p.attrs->local_pref.value_or(o.default_local_pref);
}
uint64_t key_local_origin(const Path& p) {
  return p.source->is_local() ? 0 : 1;
}
uint64_t key_as_path(const Path& p) {
  return p.attrs->as_path ? p.attrs->as_path->length() : 0;
}
uint64_t key_origin(const Path& p) {
  // ORIGIN is mandatory; a path without it ranks as the least trusted kind.
  return static_cast<uint64_t>(p.attrs->origin.value_or(Origin::incomplete));
}
uint64_t key_med(const Path& p, const DecisionOptions& o) {
  if (p.attrs->med) return *p.attrs->med;
  return o.med_missing_as_worst ? std::numeric_limits<uint32_t>::max() : 0;
}
uint64_t key_ebgp(const Path& p) {
  return p.source->is_external() ? 0 : 1;
}
uint64_t key_router_id(const Path& p) {
  // RFC 4456 9: a reflected route is ranked by its ORIGINATOR_ID in place of the peer's id.
  return p.attrs->originator_id ? p.attrs->originator_id->v4_value() : p.source->router_id;
}
uint64_t key_cluster_len(const Path& p) {
  return p.attrs->cluster_list.size();
}

bool med_comparable(const Path& a, const Path& b, const DecisionOptions& o) {
  return o.always_compare_med || neighbor_as(*a.attrs) == neighbor_as(*b.attrs);
}

template <class T>
int cmp(const T& a, const T& b) {
  return a < b ? -1 : (b < a ? 1 : 0);
}

// Steps 7-10: a total order (lexicographic on plain keys) used to finish the selection and to
// order a multipath group.
Comparison compare_tail(const Path& a, const Path& b) {
  if (int c = cmp(key_router_id(a), key_router_id(b))) return {c, Reason::router_id};
  if (int c = cmp(key_cluster_len(a), key_cluster_len(b))) return {c, Reason::cluster_list_length};
  if (int c = cmp(a.source->address, b.source->address)) return {c, Reason::peer_address};
  if (int c = cmp(a.path_id, b.path_id)) return {c, Reason::path_id};
  if (int c = cmp(a.source->id, b.source->id)) return {c, Reason::path_id};
  return {0, Reason::path_id};
}

// Steps 1-6 pairwise.
Comparison compare_head(const Path& a, const Path& b, const DecisionOptions& o) {
  if (int c = cmp(key_local_pref(a, o), key_local_pref(b, o))) return {c, Reason::local_pref};
  if (int c = cmp(key_local_origin(a), key_local_origin(b))) return {c, Reason::local_origin};
  if (int c = cmp(key_as_path(a), key_as_path(b))) return {c, Reason::as_path_length};
  if (int c = cmp(key_origin(a), key_origin(b))) return {c, Reason::origin};
  if (med_comparable(a, b, o)) {
    if (int c = cmp(key_med(a, o), key_med(b, o))) return {c, Reason::med};
  }
  if (int c = cmp(key_ebgp(a), key_ebgp(b))) return {c, Reason::ebgp_over_ibgp};
  return {0, Reason::ebgp_over_ibgp};
}

class Narrower {
 public:
  Narrower(std::span<const Path> paths, Selection& sel) : paths_(paths), sel_(sel) {
    alive_.resize(paths.size());
    for (std::size_t i = 0; i < paths.size(); ++i) alive_[i] = i;
  }

  // Keeps the paths with the smallest key; the rest lose for `why`.
  template <class Key>
  void keep_min(Reason why, Key key) {
    if (alive_.size() <= 1) return;
    uint64_t best = std::numeric_limits<uint64_t>::max();
    for (std::size_t i : alive_) best = std::min<uint64_t>(best, key(paths_[i]));
    filter(why, [&](std::size_t i) { return key(paths_[i]) == best; });
  }

  // RFC 4271 9.1.2.2 (c): within each neighbour-AS group, drop paths whose MED is not the
  // group's lowest.
  void keep_min_med(const DecisionOptions& o) {
    if (alive_.size() <= 1) return;
    if (o.always_compare_med) {
      keep_min(Reason::med, [&](const Path& p) { return key_med(p, o); });
      return;
    }
    std::vector<std::pair<std::optional<uint32_t>, uint64_t>> group_min;  // few groups
    for (std::size_t i : alive_) {
      auto nas = neighbor_as(*paths_[i].attrs);
      uint64_t m = key_med(paths_[i], o);
      auto it = std::find_if(group_min.begin(), group_min.end(),
                             [&](const auto& g) { return g.first == nas; });
      if (it == group_min.end()) {
        group_min.emplace_back(nas, m);
      } else {
        it->second = std::min(it->second, m);
      }
    }
    filter(Reason::med, [&](std::size_t i) {
      auto nas = neighbor_as(*paths_[i].attrs);
      for (const auto& g : group_min) {
        if (g.first == nas) return key_med(paths_[i], o) == g.second;
      }
      return true;
    });
  }

  void keep_first_by_tail() {
    if (alive_.size() <= 1) return;
    std::size_t winner = alive_.front();
    for (std::size_t i : alive_) {
      if (compare_tail(paths_[i], paths_[winner]).order < 0) winner = i;
    }
    for (std::size_t i : alive_) {
      if (i != winner) sel_.reasons[i] = compare_tail(paths_[winner], paths_[i]).reason;
    }
    // The winner's reason: the closest race, i.e. the latest step that separated it from a
    // runner-up.
    Reason latest = Reason::router_id;
    for (std::size_t i : alive_) {
      if (i != winner) latest = std::max(latest, sel_.reasons[i]);
    }
    alive_ = {winner};
    decided(latest);
  }

  const std::vector<std::size_t>& alive() const { return alive_; }

 private:
  template <class Keep>
  void filter(Reason why, Keep keep) {
    std::vector<std::size_t> next;
    next.reserve(alive_.size());
    for (std::size_t i : alive_) {
      if (keep(i)) {
        next.push_back(i);
      } else {
        sel_.reasons[i] = why;
      }
    }
    alive_ = std::move(next);
    if (alive_.size() == 1) decided(why);
  }
  void decided(Reason why) {
    if (!decided_) {
      decided_ = true;
      sel_.reasons[alive_.front()] = why;
    }
  }

  std::span<const Path> paths_;
  Selection& sel_;
  std::vector<std::size_t> alive_;
  bool decided_ = false;
};

}  // namespace

Comparison compare(const Path& a, const Path& b, const DecisionOptions& opt) {
  Comparison c = compare_head(a, b, opt);
  if (c.order != 0) return c;
  return compare_tail(a, b);
}

bool multipath_equal(const Path& a, const Path& b, const DecisionOptions& opt) {
  if (compare_head(a, b, opt).order != 0) return false;
  return !opt.multipath_same_neighbor_as || neighbor_as(*a.attrs) == neighbor_as(*b.attrs);
}

Selection select(std::span<const Path> paths, const DecisionOptions& opt) {
  Selection sel;
  if (paths.empty()) return sel;
  sel.reasons.assign(paths.size(), Reason::only_path);
  if (paths.size() == 1) {
    sel.multipath = {0};
    return sel;
  }
  Narrower n(paths, sel);
  n.keep_min(Reason::local_pref, [&](const Path& p) { return key_local_pref(p, opt); });
  n.keep_min(Reason::local_origin, key_local_origin);
  n.keep_min(Reason::as_path_length, key_as_path);
  n.keep_min(Reason::origin, key_origin);
  n.keep_min_med(opt);
  n.keep_min(Reason::ebgp_over_ibgp, key_ebgp);
  std::vector<std::size_t> equal = n.alive();  // the ECMP candidates
  n.keep_first_by_tail();
  sel.best = n.alive().front();

  if (opt.max_paths == 1) {
    sel.multipath = {sel.best};
    return sel;
  }
  const Path& best = paths[sel.best];
  if (opt.multipath_same_neighbor_as) {
    auto nas = neighbor_as(*best.attrs);
    std::erase_if(equal, [&](std::size_t i) { return neighbor_as(*paths[i].attrs) != nas; });
  }
  std::sort(equal.begin(), equal.end(), [&](std::size_t a, std::size_t b) {
    return compare_tail(paths[a], paths[b]).order < 0;
  });
  if (opt.max_paths != 0 && equal.size() > opt.max_paths) equal.resize(opt.max_paths);
  sel.multipath = std::move(equal);
  return sel;
}

}  // namespace podnet::rib
