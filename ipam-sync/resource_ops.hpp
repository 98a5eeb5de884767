// Typed access to the datastore, for podnetctl and podnetd alike: reading resources back as
// conf::Resource, and the read-modify-write loop that makes concurrent writers safe
// (compare-and-swap on the stored revision, retried on conflict, so two writers never lose
// each other's update).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "conf/resource.hpp"
#include "conf/result.hpp"
#include "ipam-sync/datastore.hpp"

namespace podnet::store {

// The value stored for r: canonical YAML without metadata.resourceVersion (the store owns it).
std::string stored_value(const conf::Resource& r);

Result<conf::Resource> load(Datastore& ds, const std::string& key);

// Every resource of a kind; ns empty lists all namespaces of a namespaced kind.
Result<std::vector<conf::Resource>> load_all(Datastore& ds, const conf::KindInfo& kind,
                                             const std::string& ns);

std::string make_key(const conf::KindInfo& kind, const std::string& ns, const std::string& name);

// Loads key, lets mutate() change it (returning an error aborts), validates the result and
// writes it back with CAS; on conflict re-reads and retries. Returns the stored resource.
using Mutator = std::function<Status(nlohmann::json& doc)>;
Result<conf::Resource> modify(Datastore& ds, const std::string& key, const Mutator& mutate);

// Writes r: create if absent (stamping uid and creationTimestamp), else replace, keeping the
// existing uid, creationTimestamp and (if r has none) status. mode selects calicoctl's verbs:
// apply = create or replace; create = must not exist; replace = must exist, and if r carries
// metadata.resourceVersion the write is conditional on it (conflict if stale).
enum class WriteMode { apply, create, replace };
Result<conf::Resource> write(Datastore& ds, conf::Resource r, WriteMode mode);

}  // namespace podnet::store
