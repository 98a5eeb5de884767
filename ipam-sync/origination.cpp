#include "ipam-sync/origination.hpp"

#include <algorithm>
#include <map>

#include "conf/schema/checks.hpp"

namespace podnet::ipam {

namespace {

// Does pool CIDR p contain block CIDR b?
bool contains(const conf::Cidr& p, const conf::Cidr& b) {
  if (p.addr.family != b.addr.family || b.prefix_len < p.prefix_len) return false;
  int bits = p.prefix_len;
  for (int i = 0; bits > 0; ++i, bits -= 8) {
    uint8_t mask = bits >= 8 ? 0xff : static_cast<uint8_t>(0xff << (8 - bits));
    if ((p.addr.bytes[i] & mask) != (b.addr.bytes[i] & mask)) return false;
  }
  return true;
}

}  // namespace

std::string block_address(const std::string& block_cidr, int64_t ordinal) {
  auto c = conf::parse_cidr(block_cidr);
  if (!c || ordinal < 0) return "";
  const int width = c->addr.family == 4 ? 32 : 128;
  const int host_bits = width - c->prefix_len;
  if (host_bits < 63 && ordinal >= (int64_t{1} << host_bits)) return "";
  conf::IpAddr a = c->masked().addr;
  // Add the ordinal to the address, big-endian, with carry.
  const int nbytes = c->addr.family == 4 ? 4 : 16;
  uint64_t carry = static_cast<uint64_t>(ordinal);
  for (int i = nbytes - 1; i >= 0 && carry; --i) {
    uint64_t sum = a.bytes[i] + (carry & 0xff);
    a.bytes[i] = static_cast<uint8_t>(sum & 0xff);
    carry = (carry >> 8) + (sum >> 8);
  }
  return a.str() + "/" + std::to_string(width);
}

std::vector<Origination> origination_set(const OriginationInputs& in) {
  struct PoolInfo {
    conf::Cidr cidr;
    const conf::types::IPPool* pool;
  };
  std::vector<PoolInfo> pools;
  for (const auto& p : in.pools)
    if (auto c = conf::parse_cidr(p.spec.cidr)) pools.push_back({*c, &p});
  // Most specific pool first, should pools nest.
  std::sort(pools.begin(), pools.end(), [](const PoolInfo& a, const PoolInfo& b) {
    return a.cidr.prefix_len > b.cidr.prefix_len;
  });

  std::map<std::string, Origination> out;
  const std::string mine = "host:" + in.node_name;
  for (const auto& b : in.blocks) {
    if (b.spec.deleted) continue;
    auto cidr = conf::parse_cidr(b.spec.cidr);
    if (!cidr) continue;
    const PoolInfo* pool = nullptr;
    for (const auto& p : pools)
      if (contains(p.cidr, *cidr)) {
        pool = &p;
        break;
      }
    Origination base;
    base.block = cidr->str();
    base.pool = pool ? pool->pool->metadata.name : "";
    base.export_bgp = !(pool && pool->pool->spec.disable_bgp_export);

    const bool affine = b.spec.affinity && *b.spec.affinity == mine;
    const int width = cidr->addr.family == 4 ? 32 : 128;
    if (affine) {
      // A /32 "block" is an address, not an aggregate (Calico's template skips those).
      if (cidr->prefix_len == width) continue;
      Origination o = base;
      o.cidr = cidr->str();
      o.kind = Origination::Kind::affine_block;
      out[o.cidr] = o;
      continue;
    }
    // Someone else's block (or an unaffine one): our workloads' addresses in it are borrowed.
    for (std::size_t ord = 0; ord < b.spec.allocations.size(); ++ord) {
      const auto& idx = b.spec.allocations[ord];
      if (!idx || *idx < 0 || static_cast<std::size_t>(*idx) >= b.spec.attributes.size()) continue;
      const auto& attr = b.spec.attributes[static_cast<std::size_t>(*idx)];
      auto node = attr.secondary.find("node");
      if (node == attr.secondary.end() || node->second != in.node_name) continue;
      std::string addr = block_address(b.spec.cidr, static_cast<int64_t>(ord));
      if (addr.empty()) continue;
      Origination o = base;
      o.cidr = addr;
      o.kind = Origination::Kind::borrowed;
      out[o.cidr] = o;
    }
  }
  std::vector<Origination> v;
  v.reserve(out.size());
  for (auto& [k, o] : out) v.push_back(std::move(o));
  return v;
}

}  // namespace podnet::ipam
