// The node's origination set, with Calico's IPAM semantics: what this node announces over BGP
// and blackholes in its kernel. Every IPAMBlock with affinity host:<this node> is one aggregate
// (the block's CIDR); every address of another node's block that is allocated to this node
// (attributes[].secondary.node) is a borrowed /32 (/128). Blocks of pools with disableBGPExport
// are still originated (their blackholes and local routes matter) but marked not to be exported.
// A pure function of the resources, so the daemon recomputes it on any IPAM change and applies
// the difference.
#pragma once

#include <string>
#include <vector>

#include "conf/types/ipam.hpp"

namespace podnet::ipam {

struct Origination {
  enum class Kind { affine_block, borrowed };
  std::string cidr;  // canonical: "10.244.1.0/26", "10.244.2.7/32", "fd00:1::/122"
  Kind kind = Kind::affine_block;
  std::string block;       // the IPAMBlock's CIDR it comes from
  std::string pool;        // the IPPool's name, "" if the block is in no pool
  bool export_bgp = true;  // false: the pool has disableBGPExport
  friend bool operator==(const Origination&, const Origination&) = default;
};

struct OriginationInputs {
  std::string node_name;
  std::vector<conf::types::IPAMBlock> blocks;
  std::vector<conf::types::IPPool> pools;
};

// Sorted by cidr, no duplicates.
std::vector<Origination> origination_set(const OriginationInputs& in);

// The address at `ordinal` within the block "base/len" (ordinal 0 = base), as a host prefix
// ("/32" or "/128"); "" if the CIDR is bad or the ordinal falls outside the block.
std::string block_address(const std::string& block_cidr, int64_t ordinal);

}  // namespace podnet::ipam
