// An IPAMBlock document changed the way Calico's allocationBlock changes it (ordinals taken from
// the front of `unallocated` and returned to its back; attributes shared by identical owners and
// compacted when unused; sequence numbers bumped), and the one compare-and-swap loop every IPAM
// write goes through.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "conf/resource.hpp"
#include "conf/result.hpp"
#include "ipam-sync/datastore.hpp"
#include "ipam-sync/ipam_net.hpp"

namespace podnet::ipam {

using Doc = nlohmann::json;  // a whole resource document (apiVersion, kind, metadata, spec)
using Attrs = std::map<std::string, std::string>;  // secondary: node, namespace, pod, type

// A fresh block: every ordinal unallocated. affinity "" means none.
Doc new_block_doc(const Net& block, const std::string& affinity);
Doc new_affinity_doc(const std::string& node, const Net& block, const std::string& state);
Doc new_handle_doc(const std::string& handle);

int64_t free_count(const Doc& block);
int64_t used_count(const Doc& block);
std::optional<std::string> block_affinity(const Doc& block);

// Allocates `want` if given (nullopt if it is not free), else the first unallocated ordinal
// (nullopt if the block is full).
std::optional<int64_t> assign_ordinal(Doc& block, std::optional<int64_t> want,
                                      const std::optional<std::string>& handle,
                                      const Attrs& secondary);

struct Freed {
  int64_t ordinal = 0;
  std::optional<std::string> handle;
  Attrs secondary;
};
// Frees every allocated ordinal for which pick(ordinal, handle, secondary) is true.
using Pick = std::function<bool(int64_t, const std::optional<std::string>&, const Attrs&)>;
std::vector<Freed> release_ordinals(Doc& block, const Pick& pick);

// The owner recorded for an allocated ordinal; nullopt if it is free.
std::optional<Freed> allocation_at(const Doc& block, int64_t ordinal);

// What a change does with the document it was given.
enum class Outcome { write, remove, keep };
// Called with the current document (metadata.resourceVersion set); re-run from scratch after a
// conflict, so it must not keep state from an earlier call other than by overwriting it.
using Change = std::function<Result<Outcome>(Doc& doc)>;
// Loads key, applies change and writes the result (validated) or removes the key, conditional
// on the revision read; retries on conflict. Errc::not_found if the key does not exist.
Result<Outcome> cas_change(store::Datastore& ds, const std::string& key, const Change& change);
// Validates doc, stamps uid/creationTimestamp and creates it (Errc::already_exists if present).
Status create_doc(store::Datastore& ds, const Doc& doc);

}  // namespace podnet::ipam
