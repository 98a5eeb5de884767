#include "rib/path_attributes.hpp"

#include <algorithm>

#include "rib/hash_combine.hpp"

namespace podnet::rib {

std::size_t AsPath::length() const {
  std::size_t n = 0;
  for (const auto& s : segments) {
    if (s.type == AsSegmentType::as_sequence) n += s.asns.size();
    if (s.type == AsSegmentType::as_set) n += 1;
  }
  return n;
}

std::optional<uint32_t> AsPath::first_as() const {
  if (segments.empty() || segments.front().type != AsSegmentType::as_sequence ||
      segments.front().asns.empty()) {
    return std::nullopt;
  }
  return segments.front().asns.front();
}

bool AsPath::contains(uint32_t asn) const {
  return std::any_of(segments.begin(), segments.end(), [&](const AsPathSegment& s) {
    return std::find(s.asns.begin(), s.asns.end(), asn) != s.asns.end();
  });
}

void PathAttributes::prepare_unknown_for_propagation() {
  std::erase_if(unknown,
                [](const UnknownAttribute& u) { return (u.flags & kAttrFlagTransitive) == 0; });
  for (auto& u : unknown) u.flags |= kAttrFlagPartial;
}

namespace {
template <class T>
void mix_opt(std::size_t& seed, const std::optional<T>& v) {
  hash_mix(seed, v.has_value());
  if (v) hash_mix(seed, static_cast<std::size_t>(*v));
}
void mix_addr(std::size_t& seed, const std::optional<Address>& a) {
  hash_mix(seed, a.has_value());
  if (a) hash_mix(seed, hash_value(*a));
}
}  // namespace

std::size_t hash_value(const PathAttributes& a) {
  std::size_t seed = 0;
  mix_opt(seed, a.origin);
  hash_mix(seed, a.as_path.has_value());
  if (a.as_path) {
    for (const auto& s : a.as_path->segments) {
      hash_mix(seed, static_cast<std::size_t>(s.type));
      hash_mix(seed, s.asns.size());
      for (uint32_t asn : s.asns) hash_mix(seed, asn);
    }
  }
  mix_addr(seed, a.next_hop);
  mix_addr(seed, a.mp_next_hop);
  mix_addr(seed, a.mp_link_local_next_hop);
  mix_opt(seed, a.med);
  mix_opt(seed, a.local_pref);
  hash_mix(seed, a.atomic_aggregate);
  hash_mix(seed, a.aggregator.has_value());
  if (a.aggregator) {
    hash_mix(seed, a.aggregator->asn);
    hash_mix(seed, hash_value(a.aggregator->address));
  }
  hash_mix(seed, a.communities.size());
  for (uint32_t c : a.communities) hash_mix(seed, c);
  hash_mix(seed, a.extended_communities.size());
  for (uint64_t c : a.extended_communities) hash_mix(seed, c);
  hash_mix(seed, a.large_communities.size());
  for (const auto& c : a.large_communities) {
    hash_mix(seed, c.global_admin);
    hash_mix(seed, c.local1);
    hash_mix(seed, c.local2);
  }
  mix_addr(seed, a.originator_id);
  hash_mix(seed, a.cluster_list.size());
  for (uint32_t c : a.cluster_list) hash_mix(seed, c);
  hash_mix(seed, a.unknown.size());
  for (const auto& u : a.unknown) {
    hash_mix(seed, u.flags);
    hash_mix(seed, u.type);
    hash_bytes(seed, u.value);
  }
  return seed;
}

}  // namespace podnet::rib
