// Calico's IPAM over the datastore interface (so it runs unchanged on the directory and the
// etcd backend). A node claims a block of a pool (BlockAffinity pending -> IPAMBlock written with
// the node's affinity -> affinity confirmed) when it needs one, allocates from its affine blocks
// first, claims a new block when they are full, and borrows a single address from another
// node's block only when no block is free and IPAMConfig strictAffinity is false.
// maxBlocksPerHost bounds the claims. Pools are chosen by the request (--pool), else the pod's or
// namespace's cni.projectcalico.org/ipv4pools / ipv6pools annotation, else every enabled pool
// whose nodeSelector selects the node; allowedUses separates workload and tunnel addresses.
//
// Every change is one compare-and-swap on one resource (block, handle or affinity), retried on
// conflict, so concurrent allocators in any number of processes never hand out an address twice
// and never lose one. A handle's IPAMHandle counts its addresses per block; it is written before
// the block on assign and after it on release (Calico's order), so a crash between the two can
// leave a handle counting too much, never too little.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "conf/result.hpp"
#include "ipam-sync/datastore.hpp"

namespace podnet::ipam {

using Labels = std::map<std::string, std::string>;

// Does `selector` (an IPPool nodeSelector) select a node with these labels? Errc::invalid for a
// selector it cannot parse.
using NodeSelectorMatcher =
    std::function<Result<bool>(const std::string& selector, const Labels& node_labels)>;
// Calico's selector language (policy/selector.hpp) when the build has the policy module
// (PODNET_IPAM_SELECTOR defined); otherwise it knows only "all()" and says so for anything else.
Result<bool> match_node_selector(const std::string& selector, const Labels& node_labels);

struct AssignRequest {
  std::string node;                   // required
  int family = 4;                     // 4 or 6 (auto-assign only; --ip decides for itself)
  std::optional<std::string> handle;  // IPAMHandle to record the address under
  std::string ns, pod;                // the workload (secondary namespace / pod)
  // secondary.type: "" for a workload; a tunnel address type ("ipipTunnelAddress",
  // "vxlanTunnelAddress", "vxlanV6TunnelAddress", "wireguardTunnelAddress",
  // "wireguardV6TunnelAddress") makes it a Tunnel use.
  std::string type;
  // Pool names or CIDRs asked for; empty: the annotations, then the node selectors decide.
  std::vector<std::string> pools;
};

struct Assignment {
  std::string address;    // "10.244.1.5" / "fd00::5"
  std::string block;      // "10.244.1.0/26"
  std::string pool;       // the IPPool's name
  bool borrowed = false;  // from another node's block
};

struct NodeCleanup {
  int released_addresses = 0;  // the node's own allocations freed
  int deleted_blocks = 0;      // its empty affine blocks removed
  int orphaned_blocks = 0;     // its blocks others still use: affinity dropped, kept
  int deleted_affinities = 0;
};

class Allocator {
 public:
  explicit Allocator(store::Datastore& ds, NodeSelectorMatcher matcher = match_node_selector);

  Result<Assignment> auto_assign(const AssignRequest& req);
  // A specific address (claims its block for the node if nobody has; borrows it otherwise
  // unless strictAffinity). Errc::already_exists if it is taken.
  Result<Assignment> assign_ip(const std::string& ip, const AssignRequest& req);

  // Frees one address; Errc::not_found if it is not allocated.
  Status release_ip(const std::string& ip);
  // Frees every address of the handle and deletes the IPAMHandle; returns how many.
  Result<int> release_handle(const std::string& handle);
  // Drops an empty block and its affinity (an emptied block otherwise keeps its affinity).
  Status release_block(const std::string& cidr);
  // The node is gone: free its addresses (in any block), delete its empty affine blocks, drop the
  // affinity of the blocks others still borrow from, delete its BlockAffinities.
  Result<NodeCleanup> release_node(const std::string& node);

 private:
  store::Datastore& ds_;
  NodeSelectorMatcher matcher_;
  // The block of the last auto-assignment, tried first next time: a node fills one block at a
  // time, so this saves reading every full affine block on each call.
  std::optional<std::pair<std::string, std::string>> hint_;  // (node, block CIDR)
};

}  // namespace podnet::ipam
