// Typed IPAM resources: IPPool, IPAMBlock, BlockAffinity, IPAMConfig, IPAMHandle.
#pragma once

#include "conf/types/read.hpp"

namespace podnet::conf::types {

struct IPPool {
  static constexpr const char* kPlural = "ippools";
  ObjectMeta metadata;
  struct Spec {
    std::string cidr;
    std::string vxlan_mode = "Never";  // Never | Always | CrossSubnet
    std::string ipip_mode = "Never";
    bool nat_outgoing = false;
    bool disabled = false;
    bool disable_bgp_export = false;
    int64_t block_size = 26;  // 122 for IPv6 (always present in a parsed document)
    std::string node_selector = "all()";
    std::string namespace_selector;
    std::vector<std::string> allowed_uses = {"Workload", "Tunnel"};
    std::string assignment_mode = "Automatic";
  } spec;
};

struct AllocationAttribute {
  std::optional<std::string> handle_id;
  std::map<std::string, std::string> secondary;  // node, namespace, pod, type, timestamp
  std::map<std::string, std::string> alternate_owner_attrs;
  std::string released_at;
};

struct IPAMBlock {
  static constexpr const char* kPlural = "ipamblocks";
  ObjectMeta metadata;
  struct Spec {
    std::string cidr;
    std::optional<std::string> affinity;  // "host:<node>" or "virtual:<name>"
    std::string affinity_claim_time;
    std::vector<std::optional<int64_t>> allocations;  // per ordinal: index into attributes
    std::vector<int64_t> unallocated;
    std::vector<AllocationAttribute> attributes;
    int64_t sequence_number = 0;
    std::map<std::string, int64_t> sequence_number_for_allocation;
    bool deleted = false;
    bool strict_affinity = false;
  } spec;
};

struct BlockAffinity {
  static constexpr const char* kPlural = "blockaffinities";
  ObjectMeta metadata;
  struct Spec {
    std::string state;  // pending | confirmed | pendingDeletion
    std::string node;
    std::string type;  // host | virtual
    std::string cidr;
    bool deleted = false;
  } spec;
};

struct IPAMConfig {
  static constexpr const char* kPlural = "ipamconfigs";
  ObjectMeta metadata;
  struct Spec {
    bool strict_affinity = false;
    int64_t max_blocks_per_host = 0;  // 0 = unlimited
    bool auto_allocate_blocks = true;
    std::string kubevirt_vm_address_persistence;
    int64_t ip_cooldown_seconds = 0;
  } spec;
};

// Which blocks hold a handle's addresses, and how many in each: the index that makes "release
// by handle" touch only those blocks.
struct IPAMHandle {
  static constexpr const char* kPlural = "ipamhandles";
  ObjectMeta metadata;
  struct Spec {
    std::string handle_id;
    std::map<std::string, int64_t> block;  // block name ("10-244-1-0-26") -> addresses
    bool deleted = false;
  } spec;
};

void from_json(const Json& j, IPPool& v);
void from_json(const Json& j, AllocationAttribute& v);
void from_json(const Json& j, IPAMBlock& v);
void from_json(const Json& j, BlockAffinity& v);
void from_json(const Json& j, IPAMConfig& v);
void from_json(const Json& j, IPAMHandle& v);

}  // namespace podnet::conf::types
