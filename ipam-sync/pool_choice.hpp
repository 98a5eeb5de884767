// Which pools an allocation may use, and the IPAM configuration: the allocator's reading of
// IPPool, IPAMConfig, Node labels and the pool annotations on pods and namespaces. Internal to
// podnet_ipam (allocator.hpp is the public face).
#pragma once

#include <string>
#include <vector>

#include "conf/result.hpp"
#include "ipam-sync/allocator.hpp"
#include "ipam-sync/datastore.hpp"
#include "ipam-sync/ipam_net.hpp"

namespace podnet::ipam {

struct PoolView {
  std::string name;
  Net net;
  int block_prefix = 26;
  bool disabled = false;
  std::vector<std::string> allowed_uses;
  std::string node_selector;
  bool allows(const std::string& use) const;
};

struct ConfigView {
  bool strict_affinity = false;
  int64_t max_blocks_per_host = 0;  // 0: no limit
  bool auto_allocate_blocks = true;
};

Result<std::vector<PoolView>> load_pools(store::Datastore& ds);
// IPAMConfig "default", or Calico's defaults when there is none.
Result<ConfigView> load_config(store::Datastore& ds);

// "Workload" or "Tunnel", from the request's type.
std::string intended_use(const AssignRequest& req);

// The pools auto_assign may take addresses from, in preference order; sets *family from
// explicitly requested pools. Precise errors for a requested pool that is missing, disabled, of
// the wrong use or does not select the node, and when no pool is left.
Result<std::vector<PoolView>> choose_pools(store::Datastore& ds, const AssignRequest& req,
                                           const std::vector<PoolView>& pools,
                                           const NodeSelectorMatcher& matcher, int* family);

// The most specific pool containing addr (nullptr if none).
const PoolView* pool_for(const std::vector<PoolView>& pools, const Addr& addr);

}  // namespace podnet::ipam
