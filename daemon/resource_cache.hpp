// The daemon's view of the datastore: every resource decoded once from the watch, the last good
// version kept when a stored value turns bad (a hand-edited file with a typo must not make a
// programmed resource vanish), and the counts health, metrics and status report.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "conf/decode.hpp"
#include "conf/resource.hpp"
#include "conf/types/routing.hpp"
#include "ipam-sync/datastore.hpp"

namespace podnet::daemon {

class ResourceCache {
 public:
  struct Rejected {
    std::string key;
    int64_t revision = 0;
    std::string error;
  };

  // Applies one watch delivery (see Datastore::watch). Returns the keys whose decoded resource
  // changed (added, replaced or removed), for observers.
  std::vector<std::string> apply(const std::vector<store::WatchEvent>& events, bool initial);

  bool synced() const { return synced_; }
  int64_t revision() const { return revision_; }
  uint64_t events_applied() const { return events_applied_; }
  const std::map<std::string, conf::Resource>& resources() const { return resources_; }
  const std::map<std::string, Rejected>& rejected() const { return rejected_; }
  // Keyed by kind (two kinds share the name NetworkPolicy; their KindInfo tells them apart).
  std::map<const conf::KindInfo*, std::size_t> counts_by_kind() const;

 private:
  bool synced_ = false;
  int64_t revision_ = 0;
  uint64_t events_applied_ = 0;
  std::map<std::string, conf::Resource> resources_;  // key -> last good decoded resource
  std::map<std::string, Rejected> rejected_;         // key -> why its current value is refused
};

// Every cached resource of a kind (by plural) decoded to its typed struct; those that do not
// decode are left out (the cache holds only validated resources, so that is rare).
template <class T>
std::vector<T> decode_all(const ResourceCache& cache, const std::string& plural) {
  std::vector<T> out;
  const std::string prefix = plural + "/";
  for (auto it = cache.resources().lower_bound(prefix);
       it != cache.resources().end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
    auto t = conf::decode<T>(it->second);
    if (t) out.push_back(std::move(t.value()));
  }
  return out;
}

// The FelixConfiguration in force on `node`: `default`, with the fields that the per-node
// `node.<node>` resource sets laid over it (Calico's per-node overrides).
conf::types::FelixConfiguration felix_config_for(const ResourceCache& cache,
                                                 const std::string& node);

}  // namespace podnet::daemon
