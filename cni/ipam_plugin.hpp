// podnet-ipam: Calico's calico-ipam over podnet's allocator (ipam-sync/allocator.hpp). Addresses
// are recorded under the handle "<network name>.<container id>" with the node / namespace / pod
// attributes Calico's CNI sets; pools come from ipam.ipv4_pools / ipv6_pools, else the Pod's or
// Namespace's cni.projectcalico.org/ipv4pools annotation, else the node selectors.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "cni/cni.hpp"
#include "ipam-sync/datastore.hpp"

namespace podnet::cni {

std::string handle_id(const NetConf& c, const Env& env);

// The config's datastore spec opened; an unparsable spec is an invalid config (7).
Outcome<std::unique_ptr<store::Datastore>> open_store(const NetConf& c);

// The addresses (bare, canonical) allocated under handle, in block order; empty if none.
Result<std::vector<std::string>> handle_addresses(store::Datastore& ds, const std::string& handle);

// ADD is idempotent: a handle that already holds addresses (a retried ADD) gets them back.
Outcome<AddResult> ipam_add(store::Datastore& ds, const Env& env, const NetConf& c);
// Releases the handle; success when there is nothing to release.
Done ipam_del(store::Datastore& ds, const Env& env, const NetConf& c);
// The handle holds addresses, and every address of prevResult (if given) among them.
Done ipam_check(store::Datastore& ds, const Env& env, const NetConf& c);

// The three commands with their datastore opened from the config, for podnet-ipam's main().
Handlers ipam_handlers();

}  // namespace podnet::cni
