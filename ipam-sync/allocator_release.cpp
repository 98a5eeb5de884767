// Releasing: by address, by handle, a whole (empty) block, and everything of a deleted node.
#include <fmt/format.h>

#include <map>
#include <set>

#include "conf/decode.hpp"
#include "ipam-sync/allocator.hpp"
#include "ipam-sync/handle_ops.hpp"
#include "ipam-sync/ipam_block.hpp"
#include "ipam-sync/resource_ops.hpp"

namespace podnet::ipam {

namespace {

// The existing block holding addr: blocks are /20../32 (v4) or /116../128 (v6), so at most 13
// candidate names, checked against one listing.
Result<std::optional<Net>> block_holding(store::Datastore& ds, const Addr& addr) {
  auto l = ds.list("ipamblocks/");
  if (!l) return l.error();
  std::set<std::string> keys;
  for (const auto& e : l->entries) keys.insert(e.key);
  const int width = addr.family == 4 ? 32 : 128;
  for (int prefix = width - 12; prefix <= width; ++prefix) {
    Net pool{addr.family, 0, 0};
    Net b = block_of(pool, prefix, addr.value);
    if (keys.count(block_key(b))) return std::optional<Net>(b);
  }
  return std::optional<Net>();
}

// After the block write: the handles of the freed addresses count them no more.
Status uncount_handles(store::Datastore& ds, const std::string& block_key,
                       const std::vector<Freed>& freed) {
  const std::string name = block_key.substr(block_key.find('/') + 1);
  std::map<std::string, int64_t> per_handle;
  for (const auto& f : freed)
    if (f.handle) ++per_handle[*f.handle];
  for (const auto& [h, n] : per_handle)
    if (auto st = handle_add(ds, h, name, -n); !st) return st.error();
  return ok_status();
}

// Frees what pick selects in one block (one CAS); an unaffine block left empty is deleted, as
// nobody will allocate from it again. Returns what was freed.
Result<std::vector<Freed>> release_in_block(store::Datastore& ds, const std::string& key,
                                            const Pick& pick) {
  std::vector<Freed> freed;
  auto r = cas_change(ds, key, [&](Doc& d) -> Result<Outcome> {
    freed = release_ordinals(d, pick);
    if (freed.empty()) return Outcome::keep;
    if (used_count(d) == 0 && !block_affinity(d)) return Outcome::remove;
    return Outcome::write;
  });
  if (!r) return r.error();
  if (auto st = uncount_handles(ds, key, freed); !st) return st.error();
  return freed;
}

// Removes key (an affinity, a handle) if it is there.
Status remove_if_present(store::Datastore& ds, const std::string& key) {
  auto r = cas_change(ds, key, [](Doc&) -> Result<Outcome> { return Outcome::remove; });
  if (!r && r.error().code != Errc::not_found) return r.error();
  return ok_status();
}

}  // namespace

Status Allocator::release_ip(const std::string& ip) {
  auto addr = parse_addr(ip);
  if (!addr) return make_error(Errc::invalid, fmt::format("'{}' is not an IP address", ip));
  auto block = block_holding(ds_, *addr);
  if (!block) return block.error();
  if (!*block)
    return make_error(Errc::not_found, fmt::format("{} is in no IPAM block", addr->str()));
  const auto ordinal = static_cast<int64_t>(addr->value - (*block)->base);
  auto freed = release_in_block(ds_, block_key(**block),
                                [&](int64_t o, const auto&, const auto&) { return o == ordinal; });
  if (!freed) return freed.error();
  if (freed->empty())
    return make_error(Errc::not_found, fmt::format("{} is not allocated", addr->str()));
  return ok_status();
}

Result<int> Allocator::release_handle(const std::string& handle) {
  // The handle names the blocks to visit; without it (lost, or never written), look everywhere.
  std::vector<std::string> keys;
  auto h = store::load(ds_, handle_key(handle));
  if (h) {
    auto typed = conf::decode<conf::types::IPAMHandle>(*h);
    if (!typed) return typed.error();
    for (const auto& [name, n] : typed->spec.block) keys.push_back("ipamblocks/" + name);
  } else if (h.error().code != Errc::not_found) {
    return h.error();
  }
  if (keys.empty()) {
    auto l = ds_.list("ipamblocks/");
    if (!l) return l.error();
    for (const auto& e : l->entries) keys.push_back(e.key);
  }
  int total = 0;
  for (const auto& key : keys) {
    auto freed = release_in_block(
        ds_, key, [&](int64_t, const auto& hid, const auto&) { return hid && *hid == handle; });
    if (!freed) {
      if (freed.error().code == Errc::not_found) continue;  // block gone meanwhile
      return freed.error();
    }
    total += static_cast<int>(freed->size());
  }
  // Whatever the handle still counts (a crash between handle and block writes) is stale now.
  if (auto st = remove_if_present(ds_, handle_key(handle)); !st) return st.error();
  if (total == 0 && !h)
    return make_error(Errc::not_found, fmt::format("handle {} holds no addresses", handle));
  return total;
}

Status Allocator::release_block(const std::string& cidr) {
  auto net = parse_net(cidr);
  if (!net) return make_error(Errc::invalid, fmt::format("'{}' is not a block CIDR", cidr));
  const std::string key = block_key(*net);
  std::optional<std::string> affinity;
  std::vector<std::string> in_use;
  auto r = cas_change(ds_, key, [&](Doc& d) -> Result<Outcome> {
    affinity = block_affinity(d);
    in_use.clear();
    const auto& allocs = d["spec"]["allocations"];
    for (size_t o = 0; o < allocs.size(); ++o)
      if (!allocs[o].is_null())
        in_use.push_back(addr_str(net->family, net->base + static_cast<u128>(o)));
    return in_use.empty() ? Outcome::remove : Outcome::keep;
  });
  if (!r) {
    if (r.error().code == Errc::not_found)
      return make_error(Errc::not_found, fmt::format("no IPAM block {}", net->str()));
    return r.error();
  }
  if (!in_use.empty()) {
    std::string list;
    for (size_t i = 0; i < in_use.size() && i < 8; ++i) list += (i ? ", " : "") + in_use[i];
    if (in_use.size() > 8) list += ", ...";
    return make_error(Errc::invalid,
                      fmt::format("block {} still has {} allocated addresses ({}); release "
                                  "them first",
                                  net->str(), in_use.size(), list));
  }
  if (affinity && affinity->starts_with("host:"))
    return remove_if_present(ds_, affinity_key(affinity->substr(5), *net));
  return ok_status();
}

Result<NodeCleanup> Allocator::release_node(const std::string& node) {
  if (node.empty()) return make_error(Errc::invalid, "a node name is required");
  NodeCleanup out;
  const std::string mine = "host:" + node;
  auto l = ds_.list("ipamblocks/");
  if (!l) return l.error();
  for (const auto& e : l->entries) {
    std::vector<Freed> freed;
    bool was_mine = false;
    auto r = cas_change(ds_, e.key, [&](Doc& d) -> Result<Outcome> {
      freed = release_ordinals(d, [&](int64_t, const auto&, const Attrs& s) {
        auto n = s.find("node");
        return n != s.end() && n->second == node;
      });
      was_mine = block_affinity(d) == mine;
      if (was_mine && used_count(d) > 0) {
        // Others still borrow from it: it stays, nobody's.
        d["spec"].erase("affinity");
        d["spec"].erase("affinityClaimTime");
        return Outcome::write;
      }
      if (used_count(d) == 0 && (was_mine || (!freed.empty() && !block_affinity(d))))
        return Outcome::remove;
      return freed.empty() ? Outcome::keep : Outcome::write;
    });
    if (!r) {
      if (r.error().code == Errc::not_found) continue;
      return r.error();
    }
    out.released_addresses += static_cast<int>(freed.size());
    if (was_mine) (*r == Outcome::remove ? out.deleted_blocks : out.orphaned_blocks)++;
    if (auto st = uncount_handles(ds_, e.key, freed); !st) return st.error();
  }
  auto affs = ds_.list("blockaffinities/" + node + "-");
  if (!affs) return affs.error();
  for (const auto& e : affs->entries) {
    auto r = conf::decode_stored(e.value, e.mod_revision);
    if (!r || r->doc["spec"].value("node", "") != node) continue;
    if (auto st = remove_if_present(ds_, e.key); !st) return st.error();
    ++out.deleted_affinities;
  }
  if (hint_ && hint_->first == node) hint_.reset();
  return out;
}

}  // namespace podnet::ipam
