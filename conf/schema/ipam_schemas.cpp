// IPPool, IPAMBlock, BlockAffinity, IPAMConfig, IPAMHandle (api/pkg/apis/projectcalico/v3/
// {ippool,ipamblocks,blockaffinity,ipamconfig}.go, libcalico-go ipam_handle.go; defaults from
// libcalico-go/lib/clientv3/ippool.go).
#include <fmt/format.h>

#include "conf/schema/checks.hpp"
#include "conf/schema/common.hpp"

namespace podnet::conf::schema {
namespace {

const std::vector<std::string> kEncapModes = {"Never", "Always", "CrossSubnet"};

S ippool_spec() {
  return obj({
      {"cidr", str().req()},
      {"vxlanMode", str().def("Never").oneof(kEncapModes)},
      {"ipipMode", str().def("Never").oneof(kEncapModes)},
      {"natOutgoing", boolean().def(false)},
      {"disabled", boolean().def(false)},
      {"disableBGPExport", boolean().def(false)},
      {"blockSize", integer()},
      {"nodeSelector", selector().def("all()")},
      {"namespaceSelector", selector()},
      {"allowedUses", list(str().oneof({"Workload", "Tunnel", "LoadBalancer"}))
                          .def(Json::array({"Workload", "Tunnel"}))},
      {"assignmentMode", str().def("Automatic").oneof({"Automatic", "Manual"})},
  });
}

void finish_ippool(Json& doc, Walk& w) {
  Json& spec = doc["spec"];
  if (!spec.contains("cidr")) return;  // already reported
  auto text = spec["cidr"].get<std::string>();
  auto c = parse_cidr(text, false);
  if (!c) {
    w.error("spec.cidr", fmt::format("\"{}\" is not a valid CIDR", text));
    return;
  }
  if (c->host_bits_set()) {
    w.error("spec.cidr", fmt::format("\"{}\" is not strictly masked (did you mean {}?)", text,
                                     c->masked().str()));
    return;
  }
  spec["cidr"] = c->str();  // canonical text: "fd00:0::/64" is stored as "fd00::/64"
  bool v4 = c->addr.family == 4;
  int lo = v4 ? 20 : 116, hi = v4 ? 32 : 128;
  if (!spec.contains("blockSize")) spec["blockSize"] = v4 ? 26 : 122;
  int64_t bs = spec["blockSize"].get<int64_t>();
  if (bs < lo || bs > hi) {
    w.error("spec.blockSize",
            fmt::format("{} is out of range {}-{} for an IPv{} pool", bs, lo, hi, v4 ? 4 : 6));
    return;
  }
  if (c->prefix_len > bs)
    w.error("spec.cidr", fmt::format("pool {} is smaller than its blocks (/{}); use a prefix of "
                                     "/{} or shorter, or a larger blockSize",
                                     text, bs, bs));
  if (!v4 && spec["ipipMode"] != "Never")
    w.error("spec.ipipMode", "IPIP is not supported on an IPv6 pool");
  if (spec["ipipMode"] != "Never" && spec["vxlanMode"] != "Never")
    w.error("spec.vxlanMode", "ipipMode and vxlanMode cannot both be enabled");
  static const SpecPtr order = ippool_spec();
  order_like(spec, *order);
}

S ipamblock_spec() {
  return obj({
      {"cidr", strict_cidr().req()},
      {"affinity", str()},
      {"affinityClaimTime", str()},
      {"allocations", list(integer().nullable()).def(Json::array())},
      {"unallocated", list(integer()).def(Json::array())},
      {"attributes", list(obj({{"handle_id", str()},
                               {"secondary", map(str())},
                               {"alternateOwnerAttrs", map(str())},
                               {"releasedAt", str()}}))
                         .def(Json::array())},
      {"sequenceNumber", integer().range(0, INT64_MAX).def(0)},
      {"sequenceNumberForAllocation", map(integer()).def(Json::object())},
      {"deleted", boolean().def(false)},
      {"strictAffinity", boolean().def(false)},
  });
}

void finish_ipamblock(Json& doc, Walk& w) {
  const Json& spec = doc["spec"];
  if (!spec.contains("cidr")) return;
  auto c = parse_cidr(spec["cidr"].get<std::string>());
  if (c && c->host_bits_set()) w.error("spec.cidr", "block CIDR is not strictly masked");
  if (spec.contains("affinity")) {
    auto a = spec["affinity"].get<std::string>();
    if (a.rfind("host:", 0) != 0 && a.rfind("virtual:", 0) != 0)
      w.error("spec.affinity", fmt::format("\"{}\" must be host:<node> or virtual:<name>", a));
  }
  if (c) {
    size_t n = size_t{1} << std::min(20, (c->addr.family == 4 ? 32 : 128) - c->prefix_len);
    if (spec["allocations"].size() != 0 && spec["allocations"].size() != n)
      w.error("spec.allocations", fmt::format("has {} entries; a /{} block has {}",
                                              spec["allocations"].size(), c->prefix_len, n));
    const size_t attrs = spec["attributes"].size();
    for (size_t i = 0; i < spec["allocations"].size(); ++i) {
      const Json& a = spec["allocations"][i];
      if (a.is_number() && (a.get<int64_t>() < 0 || static_cast<size_t>(a.get<int64_t>()) >= attrs))
        w.error(index("spec.allocations", i),
                fmt::format("attribute index {} does not exist ({} attributes)", a.get<int64_t>(),
                            attrs));
    }
  }
}

S block_affinity_spec() {
  return obj({
      {"state", str().req().oneof({"pending", "confirmed", "pendingDeletion"})},
      {"node", name_ref().req()},
      {"type", str().oneof({"host", "virtual"})},
      {"cidr", strict_cidr().req()},
      {"deleted", boolean().def(false)},
  });
}

S ipamconfig_spec() {
  return obj({
      {"strictAffinity", boolean().def(false)},
      {"maxBlocksPerHost", integer().range(0, 2147483647)},
      {"autoAllocateBlocks", boolean().def(true)},
      {"kubeVirtVMAddressPersistence", str().oneof({"Enabled", "Disabled"})},
      {"ipCooldownSeconds", integer().range(0, 2147483647)},
  });
}

// libcalico-go's IPAMHandle: spec.block maps a block's name to how many of the handle's
// addresses it holds.
S ipamhandle_spec() {
  return obj({
      {"handleID", str().req()},
      {"block", map(integer().range(0, INT64_MAX)).def(Json::object())},
      {"deleted", boolean().def(false)},
  });
}

}  // namespace

std::vector<std::pair<std::string, KindSchema>> ipam_schemas() {
  std::vector<std::pair<std::string, KindSchema>> v;
  v.push_back({"ippools",
               {document(*find_kind("IPPool"), ippool_spec(), obj({{"conditions", list(any())}})),
                finish_ippool}});
  v.push_back({"ipamblocks",
               {document(*find_kind("IPAMBlock"), ipamblock_spec(), obj({})), finish_ipamblock}});
  v.push_back({"blockaffinities",
               {document(*find_kind("BlockAffinity"), block_affinity_spec(), obj({})), nullptr}});
  v.push_back({"ipamconfigs",
               {document(*find_kind("IPAMConfig"), ipamconfig_spec(), obj({}), false,
                         [](std::string_view n) -> std::string {
                           return n == "default" ? ""
                                                 : "the IPAM configuration must be named default";
                         }),
                nullptr}});
  v.push_back(
      {"ipamhandles", {document(*find_kind("IPAMHandle"), ipamhandle_spec(), obj({})), nullptr}});
  return v;
}

}  // namespace podnet::conf::schema
