#include "ipam-sync/resource_ops.hpp"

#include <fmt/format.h>

namespace podnet::store {

namespace {
// Enough for any realistic contention; a writer that loses this often has a bug to report.
constexpr int kMaxAttempts = 200;

int64_t parse_revision(const nlohmann::ordered_json& doc) {
  auto md = doc.find("metadata");
  if (md == doc.end() || !md->is_object()) return 0;
  auto rv = md->find("resourceVersion");
  if (rv == md->end()) return 0;
  if (rv->is_number_integer()) return rv->get<int64_t>();
  if (rv->is_string()) {
    try {
      return std::stoll(rv->get<std::string>());
    } catch (...) {
      return -1;
    }
  }
  return -1;
}
}  // namespace

std::string stored_value(const conf::Resource& r) {
  conf::Resource copy = r;
  if (copy.doc.contains("metadata")) copy.doc["metadata"].erase("resourceVersion");
  return conf::to_yaml(copy);
}

std::string make_key(const conf::KindInfo& kind, const std::string& ns, const std::string& name) {
  if (kind.namespaced) return fmt::format("{}/{}/{}", kind.plural, ns, name);
  return fmt::format("{}/{}", kind.plural, name);
}

Result<conf::Resource> load(Datastore& ds, const std::string& key) {
  auto e = ds.get(key);
  if (!e) return e.error();
  auto r = conf::decode_stored(e->value, e->mod_revision);
  if (!r) return make_error(Errc::invalid, fmt::format("stored {}: {}", key, r.error().message));
  return r;
}

Result<std::vector<conf::Resource>> load_all(Datastore& ds, const conf::KindInfo& kind,
                                             const std::string& ns) {
  std::string prefix = kind.plural + "/";
  if (kind.namespaced && !ns.empty()) prefix += ns + "/";
  auto listing = ds.list(prefix);
  if (!listing) return listing.error();
  std::vector<conf::Resource> out;
  for (const auto& e : listing->entries) {
    auto r = conf::decode_stored(e.value, e.mod_revision);
    if (!r)
      return make_error(Errc::invalid, fmt::format("stored {}: {}", e.key, r.error().message));
    out.push_back(std::move(r.value()));
  }
  return out;
}

Result<conf::Resource> modify(Datastore& ds, const std::string& key, const Mutator& mutate) {
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    auto entry = ds.get(key);
    if (!entry) return entry.error();
    auto current = conf::decode_stored(entry->value, entry->mod_revision);
    if (!current)
      return make_error(Errc::invalid, fmt::format("stored {}: {}", key, current.error().message));
    nlohmann::json doc = current->doc;
    if (auto st = mutate(doc); !st) return st.error();
    // Identity is not patchable: the result must still be the same object.
    auto updated = conf::parse_resource(doc, "<patched " + key + ">");
    if (!updated) return updated.error();
    if (updated->key() != key)
      return make_error(Errc::invalid,
                        fmt::format("the change renames {} to {}: identity fields are immutable",
                                    key, updated->key()));
    for (const char* f : {"uid", "creationTimestamp"}) {
      if (current->doc["metadata"].contains(f))
        updated->doc["metadata"][f] = current->doc["metadata"][f];
    }
    auto rev = ds.update(key, stored_value(*updated), entry->mod_revision);
    if (rev) {
      updated->doc["metadata"]["resourceVersion"] = std::to_string(*rev);
      return updated;
    }
    if (rev.error().code != Errc::conflict) return rev.error();
    // Someone else wrote in between: read their version and apply our change on top of it.
  }
  return make_error(Errc::conflict,
                    fmt::format("{}: gave up after {} conflicting writers", key, kMaxAttempts));
}

Result<conf::Resource> write(Datastore& ds, conf::Resource r, WriteMode mode) {
  const std::string key = r.key();
  // Only replace is conditional on a resourceVersion the document carries. apply and create
  // ignore it, as calicoctl's apply does, so the output of `get -o yaml` applies unchanged.
  const int64_t wanted = mode == WriteMode::replace ? parse_revision(r.doc) : 0;
  if (wanted < 0)
    return make_error(Errc::invalid,
                      fmt::format("{}: metadata.resourceVersion is not a number", key));
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    auto entry = ds.get(key);
    if (!entry && entry.error().code != Errc::not_found) return entry.error();
    if (!entry) {
      if (mode == WriteMode::replace)
        return make_error(Errc::not_found, fmt::format("resource does not exist: {}", key));
      if (wanted > 0)
        return make_error(
            Errc::conflict,
            fmt::format("{}: resourceVersion {} given but the resource does not exist", key,
                        wanted));
      conf::Resource fresh = r;
      conf::stamp_new(fresh);
      auto rev = ds.create(key, stored_value(fresh));
      if (rev) {
        fresh.doc["metadata"]["resourceVersion"] = std::to_string(*rev);
        return fresh;
      }
      if (rev.error().code == Errc::already_exists && mode == WriteMode::apply) continue;
      if (rev.error().code == Errc::already_exists)
        return make_error(Errc::already_exists, fmt::format("resource already exists: {}", key));
      return rev.error();
    }
    if (mode == WriteMode::create)
      return make_error(Errc::already_exists, fmt::format("resource already exists: {}", key));
    if (wanted > 0 && wanted != entry->mod_revision)
      return make_error(Errc::conflict, fmt::format("{}: resourceVersion {} is stale (current {})",
                                                    key, wanted, entry->mod_revision));
    auto current = conf::decode_stored(entry->value, entry->mod_revision);
    conf::Resource next = r;
    if (current) {
      for (const char* f : {"uid", "creationTimestamp"}) {
        if (current->doc["metadata"].contains(f) && !next.doc["metadata"].contains(f))
          next.doc["metadata"][f] = current->doc["metadata"][f];
      }
      if (!next.doc.contains("status") && current->doc.contains("status"))
        next.doc["status"] = current->doc["status"];
    }
    auto rev = ds.update(key, stored_value(next), entry->mod_revision);
    if (rev) {
      next.doc["metadata"]["resourceVersion"] = std::to_string(*rev);
      return next;
    }
    if (rev.error().code != Errc::conflict || wanted > 0) return rev.error();
  }
  return make_error(Errc::conflict,
                    fmt::format("{}: gave up after {} conflicting writers", key, kMaxAttempts));
}

}  // namespace podnet::store
