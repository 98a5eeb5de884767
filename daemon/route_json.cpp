#include "daemon/route_json.hpp"

#include <fmt/format.h>

namespace podnet::daemon {

std::string kind_name(rib::PeerKind k) {
  switch (k) {
    case rib::PeerKind::local:
      return "local";
    case rib::PeerKind::ibgp:
      return "ibgp";
    case rib::PeerKind::ebgp:
      return "ebgp";
    case rib::PeerKind::confed_ebgp:
      return "confed-ebgp";
  }
  return "?";
}

std::string as_path_text(const rib::AsPath& p) {
  std::string out;
  for (const auto& seg : p.segments) {
    std::string inner = fmt::format("{}", fmt::join(seg.asns, " "));
    std::string s;
    switch (seg.type) {
      case rib::AsSegmentType::as_sequence:
        s = inner;
        break;
      case rib::AsSegmentType::as_set:
        s = "{" + inner + "}";
        break;
      case rib::AsSegmentType::confed_sequence:
        s = "(" + inner + ")";
        break;
      case rib::AsSegmentType::confed_set:
        s = "[" + inner + "]";
        break;
    }
    if (s.empty()) continue;
    out += (out.empty() ? "" : " ") + s;
  }
  return out;
}

nlohmann::ordered_json attributes_json(const rib::PathAttributes& a) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  if (a.origin) {
    static const char* names[] = {"IGP", "EGP", "incomplete"};
    j["origin"] = names[static_cast<int>(*a.origin)];
  }
  if (a.as_path) j["asPath"] = as_path_text(*a.as_path);
  if (a.next_hop) j["nextHop"] = a.next_hop->to_string();
  if (a.mp_next_hop) j["mpNextHop"] = a.mp_next_hop->to_string();
  if (a.mp_link_local_next_hop) j["mpLinkLocalNextHop"] = a.mp_link_local_next_hop->to_string();
  if (a.med) j["med"] = *a.med;
  if (a.local_pref) j["localPref"] = *a.local_pref;
  if (a.atomic_aggregate) j["atomicAggregate"] = true;
  if (a.aggregator)
    j["aggregator"] = {{"as", a.aggregator->asn}, {"address", a.aggregator->address.to_string()}};
  if (!a.communities.empty()) {
    auto& c = j["communities"] = nlohmann::ordered_json::array();
    for (uint32_t v : a.communities) c.push_back(fmt::format("{}:{}", v >> 16, v & 0xffff));
  }
  if (!a.large_communities.empty()) {
    auto& c = j["largeCommunities"] = nlohmann::ordered_json::array();
    for (const auto& v : a.large_communities)
      c.push_back(fmt::format("{}:{}:{}", v.global_admin, v.local1, v.local2));
  }
  if (!a.extended_communities.empty()) {
    auto& c = j["extendedCommunities"] = nlohmann::ordered_json::array();
    for (uint64_t v : a.extended_communities) c.push_back(fmt::format("0x{:016x}", v));
  }
  if (a.originator_id) j["originatorId"] = a.originator_id->to_string();
  if (!a.cluster_list.empty()) {
    auto& c = j["clusterList"] = nlohmann::ordered_json::array();
    for (uint32_t v : a.cluster_list)
      c.push_back(fmt::format("{}.{}.{}.{}", v >> 24, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff));
  }
  if (!a.unknown.empty()) {
    auto& c = j["unknownAttributes"] = nlohmann::ordered_json::array();
    for (const auto& u : a.unknown)
      c.push_back({{"type", u.type}, {"flags", u.flags}, {"length", u.value.size()}});
  }
  return j;
}

}  // namespace podnet::daemon
