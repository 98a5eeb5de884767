// Assigning: auto_assign (affine blocks, then a new block, then borrowing) and assign_ip, and
// the block claim they share.
#include "ipam-sync/allocator.hpp"

#include <fmt/format.h>

#include <set>

#include "ipam-sync/handle_ops.hpp"
#include "ipam-sync/ipam_block.hpp"
#include "ipam-sync/pool_choice.hpp"

namespace podnet::ipam {

namespace {

constexpr int kMaxRounds = 100;

Attrs secondary_for(const AssignRequest& req) {
  Attrs s{{"node", req.node}};
  if (!req.ns.empty()) s["namespace"] = req.ns;
  if (!req.pod.empty()) s["pod"] = req.pod;
  if (!req.type.empty()) s["type"] = req.type;
  return s;
}

bool in_pools(const std::vector<PoolView>& pools, const Net& block, const PoolView** which) {
  for (const auto& p : pools)
    if (p.net.contains(block)) {
      if (which) *which = &p;
      return true;
    }
  return false;
}

// The blocks of the node's affinities (pending ones too: a claim interrupted before its block
// was written is finished by the next claim, and the block's own affinity is what counts).
Result<std::vector<Net>> affine_blocks(store::Datastore& ds, const std::string& node) {
  auto l = ds.list("blockaffinities/" + node + "-");
  if (!l) return l.error();
  std::vector<Net> out;
  for (const auto& e : l->entries) {
    auto r = conf::decode_stored(e.value, e.mod_revision);
    if (!r) continue;
    const auto& s = r->doc["spec"];
    if (s.value("node", "") != node || s.value("state", "") == "pendingDeletion") continue;
    if (auto n = parse_net(s.value("cidr", ""))) out.push_back(*n);
  }
  return out;
}

// Every existing block key.
Result<std::set<std::string>> block_keys(store::Datastore& ds) {
  auto l = ds.list("ipamblocks/");
  if (!l) return l.error();
  std::set<std::string> out;
  for (const auto& e : l->entries) out.insert(e.key);
  return out;
}

// Claims block for node: affinity pending, block written with the affinity, affinity
// confirmed. Errc::conflict if another node's (or an unaffine) block is there.
Status claim_block(store::Datastore& ds, const std::string& node, const Net& block) {
  auto pending = create_doc(ds, new_affinity_doc(node, block, "pending"));
  if (!pending && pending.error().code != Errc::already_exists) return pending.error();
  const std::string mine = "host:" + node;
  auto created = create_doc(ds, new_block_doc(block, mine));
  if (!created) {
    if (created.error().code != Errc::already_exists) return created.error();
    auto e = ds.get(block_key(block));
    if (!e) return e.error();
    auto r = conf::decode_stored(e->value, e->mod_revision);
    if (!r) return r.error();
    if (block_affinity(r->doc) != mine) {
      // Lost the race: take back our pending claim (never a confirmed one).
      auto undo = cas_change(ds, affinity_key(node, block), [](Doc& d) -> Result<Outcome> {
        return d["spec"].value("state", "") == "pending" ? Outcome::remove : Outcome::keep;
      });
      if (!undo && undo.error().code != Errc::not_found) return undo.error();
      return make_error(Errc::conflict,
                        fmt::format("block {} belongs to someone else", block.str()));
    }
  }
  auto confirmed = cas_change(ds, affinity_key(node, block), [](Doc& d) -> Result<Outcome> {
    if (d["spec"].value("state", "") == "confirmed") return Outcome::keep;
    d["spec"]["state"] = "confirmed";
    return Outcome::write;
  });
  if (!confirmed) return confirmed.error();
  return ok_status();
}

// One allocation attempt in one block: the handle first, then the block (one CAS, retried on
// conflict). Returns the ordinal, or nullopt when the block has no room for it (full, the
// wanted ordinal taken, or -- for require_affinity -- no longer this node's).
Result<std::optional<int64_t>> assign_in_block(store::Datastore& ds, const Net& block,
                                               const AssignRequest& req,
                                               std::optional<int64_t> want, bool require_affinity) {
  const std::string key = block_key(block);
  const std::string mine = "host:" + req.node;
  // A cheap look first, so a full block costs no handle writes.
  {
    auto e = ds.get(key);
    if (!e) return e.error();
    auto r = conf::decode_stored(e->value, e->mod_revision);
    if (!r) return r.error();
    if (free_count(r->doc) == 0) return std::optional<int64_t>{};
    if (require_affinity && block_affinity(r->doc) != mine) return std::optional<int64_t>{};
  }
  if (req.handle) {
    if (auto h = handle_add(ds, *req.handle, cidr_name(block), 1); !h) return h.error();
  }
  std::optional<int64_t> got;
  const Attrs secondary = secondary_for(req);
  auto r = cas_change(ds, key, [&](Doc& d) -> Result<Outcome> {
    got.reset();
    if (require_affinity && block_affinity(d) != mine) return Outcome::keep;
    got = assign_ordinal(d, want, req.handle, secondary);
    return got ? Outcome::write : Outcome::keep;
  });
  if (!r || !got) {
    if (req.handle) {
      if (auto h = handle_add(ds, *req.handle, cidr_name(block), -1); !h) return h.error();
    }
    if (!r) return r.error();
  }
  return got;
}

Assignment make_assignment(const Net& block, int64_t ordinal, const PoolView* pool, bool borrowed) {
  Assignment a;
  a.address = addr_str(block.family, block.base + static_cast<u128>(ordinal));
  a.block = block.str();
  a.pool = pool ? pool->name : "";
  a.borrowed = borrowed;
  return a;
}

std::string pool_names(const std::vector<PoolView>& pools) {
  std::string s;
  for (const auto& p : pools) s += (s.empty() ? "" : ", ") + p.name;
  return s;
}

}  // namespace

Allocator::Allocator(store::Datastore& ds, NodeSelectorMatcher matcher)
    : ds_(ds), matcher_(std::move(matcher)) {}

Result<Assignment> Allocator::auto_assign(const AssignRequest& req) {
  if (req.node.empty()) return make_error(Errc::invalid, "a node name is required");
  auto all = load_pools(ds_);
  if (!all) return all.error();
  auto cfg = load_config(ds_);
  if (!cfg) return cfg.error();
  int family = req.family;
  auto pools = choose_pools(ds_, req, *all, matcher_, &family);
  if (!pools) return pools.error();

  if (hint_ && hint_->first == req.node) {
    auto b = parse_net(hint_->second);
    const PoolView* pool = nullptr;
    if (b && in_pools(*pools, *b, &pool)) {
      auto got = assign_in_block(ds_, *b, req, std::nullopt, true);
      if (!got && got.error().code != Errc::not_found) return got.error();
      if (got && *got) return make_assignment(*b, **got, pool, false);
    }
  }
  for (int round = 0; round < kMaxRounds; ++round) {
    // 1. The node's own blocks.
    auto affine = affine_blocks(ds_, req.node);
    if (!affine) return affine.error();
    int owned = 0;
    for (const auto& b : *affine) {
      const PoolView* pool = nullptr;
      if (!in_pools(*pools, b, &pool)) continue;
      ++owned;
      auto got = assign_in_block(ds_, b, req, std::nullopt, true);
      if (!got) {
        if (got.error().code == Errc::not_found) continue;  // released meanwhile
        return got.error();
      }
      if (*got) {
        hint_ = {req.node, b.str()};
        return make_assignment(b, **got, pool, false);
      }
    }
    // 2. A new block, unless the node has as many as it may.
    if (cfg->max_blocks_per_host > 0 && owned >= cfg->max_blocks_per_host)
      return make_error(Errc::not_found,
                        fmt::format("node {} has {} blocks in pools [{}], the limit "
                                    "(IPAMConfig maxBlocksPerHost {}), and they are full",
                                    req.node, owned, pool_names(*pools), cfg->max_blocks_per_host));
    if (!cfg->auto_allocate_blocks) break;
    auto existing = block_keys(ds_);
    if (!existing) return existing.error();
    bool claimed = false;
    for (const auto& p : *pools) {
      // The first free block is among the first (blocks that exist + 1) of the pool.
      for (u128 i = 0; i <= existing->size() && !claimed; ++i) {
        auto b = nth_block(p.net, p.block_prefix, i);
        if (!b) break;
        if (existing->count(block_key(*b))) continue;
        auto c = claim_block(ds_, req.node, *b);
        if (!c && c.error().code != Errc::conflict) return c.error();
        claimed = true;  // ours now, or taken by another node: look again either way
      }
      if (claimed) break;
    }
    if (!claimed) break;  // no free block in any pool
  }

  // 3. Borrow one address from another node's block.
  if (cfg->strict_affinity)
    return make_error(Errc::not_found,
                      fmt::format("node {}: its blocks are full, no free block is left in pools "
                                  "[{}], and strictAffinity forbids borrowing",
                                  req.node, pool_names(*pools)));
  auto listing = ds_.list("ipamblocks/");
  if (!listing) return listing.error();
  for (const auto& e : listing->entries) {
    auto r = conf::decode_stored(e.value, e.mod_revision);
    if (!r || free_count(r->doc) == 0) continue;
    auto b = parse_net(r->doc["spec"].value("cidr", ""));
    const PoolView* pool = nullptr;
    if (!b || !in_pools(*pools, *b, &pool)) continue;
    auto got = assign_in_block(ds_, *b, req, std::nullopt, false);
    if (!got) {
      if (got.error().code == Errc::not_found) continue;
      return got.error();
    }
    if (*got) return make_assignment(*b, **got, pool, block_affinity(r->doc) != "host:" + req.node);
  }
  return make_error(Errc::not_found, fmt::format("no free address for node {} in pools [{}]",
                                                 req.node, pool_names(*pools)));
}

Result<Assignment> Allocator::assign_ip(const std::string& ip, const AssignRequest& req) {
  if (req.node.empty()) return make_error(Errc::invalid, "a node name is required");
  auto addr = parse_addr(ip);
  if (!addr) return make_error(Errc::invalid, fmt::format("'{}' is not an IP address", ip));
  auto all = load_pools(ds_);
  if (!all) return all.error();
  auto cfg = load_config(ds_);
  if (!cfg) return cfg.error();
  const PoolView* pool = pool_for(*all, *addr);
  if (!pool) return make_error(Errc::invalid, fmt::format("{} is in no IPPool", addr->str()));
  if (pool->disabled)
    return make_error(Errc::invalid, fmt::format("{} is in IPPool {}, which is disabled",
                                                 addr->str(), pool->name));
  const std::string use = intended_use(req);
  if (!pool->allows(use))
    return make_error(Errc::invalid,
                      fmt::format("IPPool {} does not allow {} addresses", pool->name, use));
  const Net block = block_of(pool->net, pool->block_prefix, addr->value);
  const auto ordinal = static_cast<int64_t>(addr->value - block.base);
  const std::string mine = "host:" + req.node;

  for (int round = 0; round < kMaxRounds; ++round) {
    auto e = ds_.get(block_key(block));
    if (!e) {
      if (e.error().code != Errc::not_found) return e.error();
      auto c = claim_block(ds_, req.node, block);
      if (!c && c.error().code != Errc::conflict) return c.error();
      continue;
    }
    auto r = conf::decode_stored(e->value, e->mod_revision);
    if (!r) return r.error();
    const auto affinity = block_affinity(r->doc);
    if (affinity != mine && cfg->strict_affinity)
      return make_error(
          Errc::invalid,
          fmt::format("{} is in block {} ({}), and strictAffinity forbids "
                      "borrowing it for node {}",
                      addr->str(), block.str(), affinity.value_or("no affinity"), req.node));
    auto got = assign_in_block(ds_, block, req, ordinal, false);
    if (!got) {
      if (got.error().code == Errc::not_found) continue;  // block deleted meanwhile
      return got.error();
    }
    if (!*got) {
      auto now = ds_.get(block_key(block));
      std::string owner;
      if (now)
        if (auto d = conf::decode_stored(now->value, now->mod_revision))
          if (auto a = allocation_at(d->doc, ordinal))
            owner = fmt::format(" (handle {}, node {})", a->handle.value_or("none"),
                                a->secondary.count("node") ? a->secondary.at("node") : "?");
      return make_error(Errc::already_exists,
                        fmt::format("{} is already allocated{}", addr->str(), owner));
    }
    return make_assignment(block, **got, pool, affinity != mine);
  }
  return make_error(Errc::conflict, fmt::format("{}: too many concurrent writers", addr->str()));
}

}  // namespace podnet::ipam
