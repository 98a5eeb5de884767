// What IPAM holds, for `podnetctl ipam show` and `ipam check`: utilisation per pool and per
// block, the owner of one address, and a consistency check (addresses lost or given twice,
// overlapping blocks, affinities that disagree with their blocks, handles that disagree with
// the allocations, allocations of nodes that no longer exist).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "conf/result.hpp"
#include "ipam-sync/datastore.hpp"

namespace podnet::ipam {

struct BlockUsage {
  std::string cidr, pool, affinity;  // affinity "" when none
  int64_t size = 0, used = 0;
};

struct PoolUsage {
  std::string name, cidr;
  std::string size;  // decimal (an IPv6 pool's size does not fit 64 bits)
  bool disabled = false;
  int64_t blocks = 0, block_addresses = 0, used = 0;
};

struct Usage {
  std::vector<PoolUsage> pools;    // by name
  std::vector<BlockUsage> blocks;  // by key
};
Result<Usage> ipam_usage(store::Datastore& ds);

struct AddressInfo {
  std::string address, block, pool, affinity;
  bool allocated = false;
  std::optional<std::string> handle;
  std::map<std::string, std::string> secondary;
};
// Errc::not_found if no block holds the address.
Result<AddressInfo> ipam_lookup(store::Datastore& ds, const std::string& ip);

// One line per problem; empty when IPAM is consistent.
Result<std::vector<std::string>> ipam_check(store::Datastore& ds);

}  // namespace podnet::ipam
