#include "ipam-sync/ipam_report.hpp"

#include <fmt/format.h>

#include <set>

#include "ipam-sync/ipam_block.hpp"
#include "ipam-sync/pool_choice.hpp"

namespace podnet::ipam {

namespace {

struct StoredBlock {
  std::string key;
  Net net;
  Doc doc;
};

Result<std::vector<StoredBlock>> load_blocks(store::Datastore& ds) {
  auto l = ds.list("ipamblocks/");
  if (!l) return l.error();
  std::vector<StoredBlock> out;
  for (const auto& e : l->entries) {
    auto r = conf::decode_stored(e.value, e.mod_revision);
    if (!r)
      return make_error(Errc::invalid, fmt::format("stored {}: {}", e.key, r.error().message));
    auto net = parse_net(r->doc["spec"].value("cidr", ""));
    if (!net) return make_error(Errc::invalid, fmt::format("stored {}: bad cidr", e.key));
    out.push_back({e.key, *net, r->doc});
  }
  return out;
}

// Every stored document under prefix.
Result<std::vector<Doc>> load_docs(store::Datastore& ds, const std::string& prefix) {
  auto l = ds.list(prefix);
  if (!l) return l.error();
  std::vector<Doc> out;
  for (const auto& e : l->entries) {
    auto r = conf::decode_stored(e.value, e.mod_revision);
    if (!r)
      return make_error(Errc::invalid, fmt::format("stored {}: {}", e.key, r.error().message));
    out.push_back(r->doc);
  }
  return out;
}

std::string pool_of(const std::vector<PoolView>& pools, const Net& block) {
  for (const auto& p : pools)
    if (p.net.contains(block)) return p.name;
  return "";
}

void check_block(const StoredBlock& b, std::vector<std::string>& out) {
  const Doc& s = b.doc["spec"];
  const Doc& allocs = s["allocations"];
  const auto size = static_cast<size_t>(b.net.size());
  if (allocs.size() != size) {
    out.push_back(fmt::format("block {}: {} allocation slots for {} addresses", b.net.str(),
                              allocs.size(), size));
    return;
  }
  std::vector<int> free_seen(size, 0);
  for (const Doc& u : s["unallocated"]) {
    auto o = u.get<int64_t>();
    if (o < 0 || static_cast<size_t>(o) >= size) {
      out.push_back(fmt::format("block {}: free ordinal {} is outside the block", b.net.str(), o));
      continue;
    }
    ++free_seen[static_cast<size_t>(o)];
  }
  for (size_t o = 0; o < size; ++o) {
    const std::string addr = addr_str(b.net.family, b.net.base + o);
    const bool used = !allocs[o].is_null();
    if (used && free_seen[o])
      out.push_back(
          fmt::format("double-allocated: {} (block {}) is allocated and also on the "
                      "free list",
                      addr, b.net.str()));
    else if (free_seen[o] > 1)
      out.push_back(fmt::format("double-allocated: {} (block {}) is on the free list {} times",
                                addr, b.net.str(), free_seen[o]));
    else if (!used && !free_seen[o])
      out.push_back(
          fmt::format("lost: {} (block {}) is neither allocated nor free", addr, b.net.str()));
  }
}

}  // namespace

Result<Usage> ipam_usage(store::Datastore& ds) {
  auto pools = load_pools(ds);
  if (!pools) return pools.error();
  auto blocks = load_blocks(ds);
  if (!blocks) return blocks.error();
  Usage u;
  std::map<std::string, PoolUsage*> by_name;
  for (const auto& p : *pools)
    u.pools.push_back({p.name, p.net.str(), u128_str(p.net.size()), p.disabled, 0, 0, 0});
  for (auto& p : u.pools) by_name[p.name] = &p;
  for (const auto& b : *blocks) {
    BlockUsage bu{b.net.str(), pool_of(*pools, b.net), block_affinity(b.doc).value_or(""),
                  static_cast<int64_t>(b.net.size()), used_count(b.doc)};
    if (auto it = by_name.find(bu.pool); it != by_name.end()) {
      it->second->blocks++;
      it->second->block_addresses += bu.size;
      it->second->used += bu.used;
    }
    u.blocks.push_back(std::move(bu));
  }
  return u;
}

Result<AddressInfo> ipam_lookup(store::Datastore& ds, const std::string& ip) {
  auto addr = parse_addr(ip);
  if (!addr) return make_error(Errc::invalid, fmt::format("'{}' is not an IP address", ip));
  auto pools = load_pools(ds);
  if (!pools) return pools.error();
  auto blocks = load_blocks(ds);
  if (!blocks) return blocks.error();
  for (const auto& b : *blocks) {
    if (b.net.family != addr->family || !b.net.contains(addr->value)) continue;
    AddressInfo info;
    info.address = addr->str();
    info.block = b.net.str();
    info.pool = pool_of(*pools, b.net);
    info.affinity = block_affinity(b.doc).value_or("");
    if (auto a = allocation_at(b.doc, static_cast<int64_t>(addr->value - b.net.base))) {
      info.allocated = true;
      info.handle = a->handle;
      info.secondary = a->secondary;
    }
    return info;
  }
  return make_error(Errc::not_found, fmt::format("{} is in no IPAM block", addr->str()));
}

Result<std::vector<std::string>> ipam_check(store::Datastore& ds) {
  auto pools = load_pools(ds);
  if (!pools) return pools.error();
  auto blocks = load_blocks(ds);
  if (!blocks) return blocks.error();
  auto affinities = load_docs(ds, "blockaffinities/");
  if (!affinities) return affinities.error();
  auto handles = load_docs(ds, "ipamhandles/");
  if (!handles) return handles.error();
  auto nodes = load_docs(ds, "nodes/");
  if (!nodes) return nodes.error();
  std::vector<std::string> out;

  // Addresses: every ordinal exactly once allocated or free; no two blocks overlap.
  for (size_t i = 0; i < blocks->size(); ++i) {
    const auto& b = (*blocks)[i];
    check_block(b, out);
    if (pool_of(*pools, b.net).empty())
      out.push_back(fmt::format("block {} is in no IPPool", b.net.str()));
    for (size_t j = i + 1; j < blocks->size(); ++j) {
      const auto& c = (*blocks)[j];
      if (b.net.contains(c.net) || c.net.contains(b.net))
        out.push_back(
            fmt::format("double-allocated: blocks {} and {} overlap", b.net.str(), c.net.str()));
    }
  }

  // Affinities against blocks.
  std::map<std::string, std::string> block_affinity_by_key;  // block key -> affinity
  for (const auto& b : *blocks) block_affinity_by_key[b.key] = block_affinity(b.doc).value_or("");
  std::set<std::string> confirmed;  // "host:<node> <block key>"
  for (const auto& a : *affinities) {
    const Doc& s = a["spec"];
    const std::string node = s.value("node", ""), state = s.value("state", "");
    auto net = parse_net(s.value("cidr", ""));
    if (!net) continue;
    const std::string key = block_key(*net);
    auto it = block_affinity_by_key.find(key);
    if (state == "pending") {
      out.push_back(
          fmt::format("affinity of node {} for {} is still pending (an interrupted "
                      "claim)",
                      node, net->str()));
    } else if (it == block_affinity_by_key.end()) {
      out.push_back(
          fmt::format("affinity of node {} for {} ({}) has no block", node, net->str(), state));
    } else if (it->second != "host:" + node) {
      out.push_back(fmt::format("affinity of node {} for {} but the block's affinity is '{}'", node,
                                net->str(), it->second));
    }
    confirmed.insert("host:" + node + " " + key);
  }
  for (const auto& b : *blocks) {
    auto aff = block_affinity(b.doc);
    if (aff && aff->starts_with("host:") && !confirmed.count(*aff + " " + b.key))
      out.push_back(
          fmt::format("block {} has affinity {} but no BlockAffinity", b.net.str(), *aff));
  }

  // Handles against allocations; allocations of nodes that do not exist.
  std::set<std::string> node_names;
  for (const auto& n : *nodes) node_names.insert(n["metadata"].value("name", ""));
  std::map<std::string, std::map<std::string, int64_t>> counted;  // handle -> block name -> n
  for (const auto& b : *blocks) {
    const std::string name = cidr_name(b.net);
    for (int64_t o = 0; o < static_cast<int64_t>(b.net.size()); ++o) {
      auto a = allocation_at(b.doc, o);
      if (!a) continue;
      if (a->handle) ++counted[*a->handle][name];
      auto node = a->secondary.find("node");
      // A store that registers no Node at all is a bare IPAM store: nothing to compare with.
      if (!node_names.empty() && node != a->secondary.end() && !node_names.count(node->second))
        out.push_back(fmt::format("leaked: {} (block {}) belongs to node {}, which does not exist",
                                  addr_str(b.net.family, b.net.base + static_cast<u128>(o)),
                                  b.net.str(), node->second));
    }
  }
  std::set<std::string> handle_ids;
  for (const auto& h : *handles) {
    const std::string id = h["spec"].value("handleID", "");
    handle_ids.insert(id);
    std::map<std::string, int64_t> recorded;
    for (auto& [k, v] : h["spec"]["block"].items()) recorded[k] = v.get<int64_t>();
    auto it = counted.find(id);
    const auto actual = it == counted.end() ? std::map<std::string, int64_t>{} : it->second;
    if (actual.empty())
      out.push_back(fmt::format("handle {} holds no addresses (leaked handle)", id));
    else if (recorded != actual)
      for (const auto& name : [&] {
             std::set<std::string> all;
             for (auto& [k, v] : recorded) all.insert(k);
             for (auto& [k, v] : actual) all.insert(k);
             return all;
           }()) {
        int64_t r = recorded.count(name) ? recorded.at(name) : 0;
        int64_t a = actual.count(name) ? actual.at(name) : 0;
        if (r != a)
          out.push_back(fmt::format("handle {} counts {} addresses in block {}, which holds {}", id,
                                    r, name, a));
      }
  }
  for (const auto& [id, per_block] : counted)
    if (!handle_ids.count(id))
      out.push_back(fmt::format("handle {} has addresses but no IPAMHandle", id));
  return out;
}

}  // namespace podnet::ipam
