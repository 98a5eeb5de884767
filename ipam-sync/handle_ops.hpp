// IPAMHandle bookkeeping: how many addresses a handle holds in each block.
#pragma once

#include <string>

#include "conf/result.hpp"
#include "ipam-sync/datastore.hpp"

namespace podnet::ipam {

// Adds delta (may be negative) to the handle's count for block_name, creating the handle when it
// is first counted and deleting it when its last count drops to zero. One CAS per call.
Status handle_add(store::Datastore& ds, const std::string& handle, const std::string& block_name,
                  int64_t delta);

}  // namespace podnet::ipam
