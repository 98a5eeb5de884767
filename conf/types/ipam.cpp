#include "conf/types/ipam.hpp"

namespace podnet::conf::types {

void from_json(const Json& j, IPPool& v) {
  field(j, "metadata", v.metadata);
  if (!j.contains("spec")) return;
  const Json& s = j["spec"];
  auto& o = v.spec;
  field(s, "cidr", o.cidr);
  field(s, "vxlanMode", o.vxlan_mode);
  field(s, "ipipMode", o.ipip_mode);
  field(s, "natOutgoing", o.nat_outgoing);
  field(s, "disabled", o.disabled);
  field(s, "disableBGPExport", o.disable_bgp_export);
  field(s, "blockSize", o.block_size);
  field(s, "nodeSelector", o.node_selector);
  field(s, "namespaceSelector", o.namespace_selector);
  field(s, "allowedUses", o.allowed_uses);
  field(s, "assignmentMode", o.assignment_mode);
}

void from_json(const Json& j, AllocationAttribute& v) {
  field(j, "handle_id", v.handle_id);
  field(j, "secondary", v.secondary);
  field(j, "alternateOwnerAttrs", v.alternate_owner_attrs);
  field(j, "releasedAt", v.released_at);
}

void from_json(const Json& j, IPAMBlock& v) {
  field(j, "metadata", v.metadata);
  if (!j.contains("spec")) return;
  const Json& s = j["spec"];
  auto& o = v.spec;
  field(s, "cidr", o.cidr);
  field(s, "affinity", o.affinity);
  field(s, "affinityClaimTime", o.affinity_claim_time);
  field(s, "allocations", o.allocations);
  field(s, "unallocated", o.unallocated);
  field(s, "attributes", o.attributes);
  field(s, "sequenceNumber", o.sequence_number);
  field(s, "sequenceNumberForAllocation", o.sequence_number_for_allocation);
  field(s, "deleted", o.deleted);
  field(s, "strictAffinity", o.strict_affinity);
}

void from_json(const Json& j, BlockAffinity& v) {
  field(j, "metadata", v.metadata);
  if (!j.contains("spec")) return;
  const Json& s = j["spec"];
  field(s, "state", v.spec.state);
  field(s, "node", v.spec.node);
  field(s, "type", v.spec.type);
  field(s, "cidr", v.spec.cidr);
  field(s, "deleted", v.spec.deleted);
}

void from_json(const Json& j, IPAMConfig& v) {
  field(j, "metadata", v.metadata);
  if (!j.contains("spec")) return;
  const Json& s = j["spec"];
  field(s, "strictAffinity", v.spec.strict_affinity);
  field(s, "maxBlocksPerHost", v.spec.max_blocks_per_host);
  field(s, "autoAllocateBlocks", v.spec.auto_allocate_blocks);
  field(s, "kubeVirtVMAddressPersistence", v.spec.kubevirt_vm_address_persistence);
  field(s, "ipCooldownSeconds", v.spec.ip_cooldown_seconds);
}

void from_json(const Json& j, IPAMHandle& v) {
  field(j, "metadata", v.metadata);
  if (!j.contains("spec")) return;
  const Json& s = j["spec"];
  field(s, "handleID", v.spec.handle_id);
  field(s, "block", v.spec.block);
  field(s, "deleted", v.spec.deleted);
}

}  // namespace podnet::conf::types
