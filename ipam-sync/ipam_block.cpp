#include "ipam-sync/ipam_block.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <ctime>

#include "ipam-sync/resource_ops.hpp"

namespace podnet::ipam {

namespace {

constexpr int kMaxAttempts = 1000;

std::string now_rfc3339() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

Doc base_doc(const char* kind, const std::string& name) {
  return Doc{
      {"apiVersion", "projectcalico.org/v3"}, {"kind", kind}, {"metadata", {{"name", name}}}};
}

Attrs secondary_of(const Doc& attr) {
  Attrs out;
  if (auto s = attr.find("secondary"); s != attr.end() && s->is_object())
    for (auto& [k, v] : s->items())
      if (v.is_string()) out[k] = v.get<std::string>();
  return out;
}

std::optional<std::string> handle_of(const Doc& attr) {
  if (auto h = attr.find("handle_id"); h != attr.end() && h->is_string())
    return h->get<std::string>();
  return std::nullopt;
}

void bump_sequence(Doc& spec, int64_t ordinal) {
  int64_t seq = spec.value("sequenceNumber", int64_t{0}) + 1;
  spec["sequenceNumber"] = seq;
  spec["sequenceNumberForAllocation"][std::to_string(ordinal)] = seq;
}

}  // namespace

Doc new_block_doc(const Net& block, const std::string& affinity) {
  Doc d = base_doc("IPAMBlock", cidr_name(block));
  Doc& s = d["spec"];
  s["cidr"] = block.str();
  if (!affinity.empty()) {
    s["affinity"] = affinity;
    s["affinityClaimTime"] = now_rfc3339();
  }
  const auto n = static_cast<int64_t>(block.size());
  s["allocations"] = Doc::array();
  s["unallocated"] = Doc::array();
  for (int64_t i = 0; i < n; ++i) {
    s["allocations"].push_back(nullptr);
    s["unallocated"].push_back(i);
  }
  s["attributes"] = Doc::array();
  return d;
}

Doc new_affinity_doc(const std::string& node, const Net& block, const std::string& state) {
  Doc d = base_doc("BlockAffinity", affinity_name(node, block));
  d["spec"] = {{"state", state}, {"node", node}, {"type", "host"}, {"cidr", block.str()}};
  return d;
}

Doc new_handle_doc(const std::string& handle) {
  Doc d = base_doc("IPAMHandle", handle);
  d["spec"] = {{"handleID", handle}, {"block", Doc::object()}};
  return d;
}

int64_t free_count(const Doc& block) {
  return static_cast<int64_t>(block["spec"]["unallocated"].size());
}

int64_t used_count(const Doc& block) {
  const Doc& a = block["spec"]["allocations"];
  return std::count_if(a.begin(), a.end(), [](const Doc& v) { return !v.is_null(); });
}

std::optional<std::string> block_affinity(const Doc& block) {
  const Doc& s = block["spec"];
  if (auto a = s.find("affinity"); a != s.end() && a->is_string()) return a->get<std::string>();
  return std::nullopt;
}

std::optional<int64_t> assign_ordinal(Doc& block, std::optional<int64_t> want,
                                      const std::optional<std::string>& handle,
                                      const Attrs& secondary) {
  Doc& s = block["spec"];
  Doc& un = s["unallocated"];
  int64_t ord = 0;
  if (want) {
    auto it = std::find(un.begin(), un.end(), Doc(*want));
    if (it == un.end()) return std::nullopt;
    ord = *want;
    un.erase(it);
  } else {
    if (un.empty()) return std::nullopt;
    ord = un.front().get<int64_t>();
    un.erase(un.begin());
  }
  // Identical owners share one attribute entry, as in Calico.
  Doc attr = Doc::object();
  attr["handle_id"] = handle ? Doc(*handle) : Doc(nullptr);
  attr["secondary"] = secondary;
  Doc& attrs = s["attributes"];
  size_t idx = 0;
  for (; idx < attrs.size(); ++idx)
    if (handle_of(attrs[idx]) == handle && secondary_of(attrs[idx]) == secondary) break;
  if (idx == attrs.size()) {
    if (!handle) attr.erase("handle_id");
    attrs.push_back(attr);
  }
  s["allocations"][static_cast<size_t>(ord)] = static_cast<int64_t>(idx);
  bump_sequence(s, ord);
  return ord;
}

std::optional<Freed> allocation_at(const Doc& block, int64_t ordinal) {
  const Doc& s = block["spec"];
  const Doc& allocs = s["allocations"];
  if (ordinal < 0 || static_cast<size_t>(ordinal) >= allocs.size()) return std::nullopt;
  const Doc& idx = allocs[static_cast<size_t>(ordinal)];
  if (idx.is_null()) return std::nullopt;
  const Doc& attr = s["attributes"].at(idx.get<size_t>());
  return Freed{ordinal, handle_of(attr), secondary_of(attr)};
}

std::vector<Freed> release_ordinals(Doc& block, const Pick& pick) {
  Doc& s = block["spec"];
  Doc& allocs = s["allocations"];
  std::vector<Freed> freed;
  for (size_t ord = 0; ord < allocs.size(); ++ord) {
    auto a = allocation_at(block, static_cast<int64_t>(ord));
    if (!a || !pick(a->ordinal, a->handle, a->secondary)) continue;
    allocs[ord] = nullptr;
    s["unallocated"].push_back(static_cast<int64_t>(ord));
    bump_sequence(s, static_cast<int64_t>(ord));
    freed.push_back(std::move(*a));
  }
  if (freed.empty()) return freed;
  // Drop attributes nothing refers to any more and renumber the rest.
  Doc& attrs = s["attributes"];
  std::vector<int64_t> remap(attrs.size(), -1);
  for (const Doc& i : allocs)
    if (!i.is_null()) remap[i.get<size_t>()] = 0;
  Doc kept = Doc::array();
  for (size_t i = 0; i < attrs.size(); ++i)
    if (remap[i] == 0) {
      remap[i] = static_cast<int64_t>(kept.size());
      kept.push_back(attrs[i]);
    }
  for (Doc& i : allocs)
    if (!i.is_null()) i = remap[i.get<size_t>()];
  attrs = std::move(kept);
  for (auto& f : freed) s["sequenceNumberForAllocation"].erase(std::to_string(f.ordinal));
  return freed;
}

Result<Outcome> cas_change(store::Datastore& ds, const std::string& key, const Change& change) {
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    auto entry = ds.get(key);
    if (!entry) return entry.error();
    auto current = conf::decode_stored(entry->value, entry->mod_revision);
    if (!current)
      return make_error(Errc::invalid, fmt::format("stored {}: {}", key, current.error().message));
    Doc doc = current->doc;
    auto outcome = change(doc);
    if (!outcome) return outcome.error();
    Result<int64_t> rev = int64_t{0};
    if (*outcome == Outcome::keep) return Outcome::keep;
    if (*outcome == Outcome::remove) {
      rev = ds.remove(key, entry->mod_revision);
    } else {
      auto updated = conf::parse_resource(doc, "<" + key + ">");
      if (!updated) return updated.error();
      if (updated->key() != key)
        return make_error(Errc::internal, fmt::format("{}: a change renamed it", key));
      rev = ds.update(key, store::stored_value(*updated), entry->mod_revision);
    }
    if (rev) return *outcome;
    if (rev.error().code != Errc::conflict && rev.error().code != Errc::not_found)
      return rev.error();
    // Changed (or removed) underneath us: read again and redo the change on the new version.
  }
  return make_error(Errc::conflict,
                    fmt::format("{}: gave up after {} conflicting writers", key, kMaxAttempts));
}

Status create_doc(store::Datastore& ds, const Doc& doc) {
  auto r = conf::parse_resource(doc, "<new>");
  if (!r) return r.error();
  conf::stamp_new(*r);
  auto rev = ds.create(r->key(), store::stored_value(*r));
  if (!rev) return rev.error();
  return ok_status();
}

}  // namespace podnet::ipam
