#include "daemon/resource_cache.hpp"

#include <set>

#include <spdlog/spdlog.h>

namespace podnet::daemon {

std::vector<std::string> ResourceCache::apply(const std::vector<store::WatchEvent>& events,
                                              bool initial) {
  std::vector<std::string> changed;
  std::set<std::string> seen;
  for (const auto& ev : events) {
    const auto& e = ev.entry;
    revision_ = std::max(revision_, e.mod_revision);
    ++events_applied_;
    if (initial) seen.insert(e.key);
    if (ev.type == store::WatchEvent::Type::del) {
      rejected_.erase(e.key);
      if (resources_.erase(e.key)) changed.push_back(e.key);
      continue;
    }
    auto decoded = conf::decode_stored(e.value, e.mod_revision);
    if (!decoded) {
      // Keep the last good version programmed; say precisely what is wrong and where.
      spdlog::error("datastore: {} (revision {}) rejected, keeping last good version: {}", e.key,
                    e.mod_revision, decoded.error().message);
      rejected_[e.key] = Rejected{e.key, e.mod_revision, decoded.error().message};
      continue;
    }
    if (decoded->key() != e.key) {
      std::string why = "stored under " + e.key + " but the document names " + decoded->key();
      spdlog::error("datastore: {} rejected: {}", e.key, why);
      rejected_[e.key] = Rejected{e.key, e.mod_revision, why};
      continue;
    }
    rejected_.erase(e.key);
    resources_[e.key] = std::move(decoded.value());
    changed.push_back(e.key);
  }
  if (initial) {
    // A snapshot replaces what we knew: anything not in it is gone (a resync after a restart
    // of the watch must not leave ghosts behind).
    for (auto it = resources_.begin(); it != resources_.end();) {
      if (!seen.count(it->first)) {
        changed.push_back(it->first);
        it = resources_.erase(it);
      } else {
        ++it;
      }
    }
    std::erase_if(rejected_, [&](const auto& kv) { return !seen.count(kv.first); });
    synced_ = true;
  }
  return changed;
}

std::map<const conf::KindInfo*, std::size_t> ResourceCache::counts_by_kind() const {
  std::map<const conf::KindInfo*, std::size_t> counts;
  for (const auto& [key, r] : resources_) ++counts[r.kind];
  return counts;
}

conf::types::FelixConfiguration felix_config_for(const ResourceCache& cache,
                                                 const std::string& node) {
  const auto& all = cache.resources();
  auto base = all.find("felixconfigurations/default");
  auto over = all.find("felixconfigurations/node." + node);
  conf::Resource merged;
  if (base != all.end()) {
    merged = base->second;
  } else if (over != all.end()) {
    merged = over->second;
    merged.doc["spec"] = nlohmann::ordered_json::object();
  } else {
    return {};
  }
  if (over != all.end() && over->second.doc.contains("spec")) {
    for (const auto& [k, v] : over->second.doc["spec"].items()) merged.doc["spec"][k] = v;
  }
  auto f = conf::decode<conf::types::FelixConfiguration>(merged);
  return f ? std::move(f.value()) : conf::types::FelixConfiguration{};
}

}  // namespace podnet::daemon
