#include "bgp/export_policy.hpp"

#include <algorithm>

#include "fmt/format.h"

namespace podnet::bgp {
namespace {

void prepend(rib::AsPath& path, uint32_t asn) {
  if (!path.segments.empty() && path.segments.front().type == rib::AsSegmentType::as_sequence &&
      path.segments.front().asns.size() < 255) {
    path.segments.front().asns.insert(path.segments.front().asns.begin(), asn);
    return;
  }
  path.segments.insert(path.segments.begin(),
                       rib::AsPathSegment{rib::AsSegmentType::as_sequence, {asn}});
}

bool has_community(const rib::PathAttributes& a, uint32_t c) {
  return std::find(a.communities.begin(), a.communities.end(), c) != a.communities.end();
}

std::size_t count_as(const rib::AsPath& p, uint32_t asn) {
  std::size_t n = 0;
  for (const auto& s : p.segments)
    n += static_cast<std::size_t>(std::count(s.asns.begin(), s.asns.end(), asn));
  return n;
}

std::string opt_addr(const std::optional<rib::Address>& a) {
  return a ? a->to_string() : "-";
}

}  // namespace

std::string ExportPolicy::key() const {
  const std::string session = fmt::format(
      "{} las={} pas={} rid={} cl={} nh={} rrc={} v4={} v6={} self4={} self6={} as4={} xm={} "
      "ap4={} ap6={} enh={}",
      ebgp ? "ebgp" : "ibgp", local_as, ebgp ? peer_as : 0, router_id, cluster_id,
      static_cast<int>(next_hop_mode), rr_client, ipv4, ipv6, opt_addr(self_v4), opt_addr(self_v6),
      four_octet_as, extended_message, add_path_v4, add_path_v6, extended_next_hop_v4);
  return session + route_policy.export_key();
}

std::optional<rib::PathAttributes> ExportPolicy::apply(const rib::Prefix& prefix,
                                                       const rib::ExportCandidate& best) const {
  const bool v6 = prefix.family() == rib::Family::v6;
  if (v6 ? !ipv6 : !ipv4) return std::nullopt;
  if (!best.attrs) return std::nullopt;
  rib::PathAttributes a = *best.attrs;
  const rib::PeerInfo& src = best.source;
  if (has_community(a, rib::kCommunityNoAdvertise)) return std::nullopt;
  // Calico's export filter: the peer's BGPFilters, then (no rule decided) its own rules, of
  // which prefixAdvertisements' communities are the part that shapes attributes.
  const Verdict verdict =
      run_filters(route_policy, false, prefix, a, RouteContext{!ebgp, !src.is_local()});
  if (verdict == Verdict::reject) return std::nullopt;
  if (verdict == Verdict::none) add_prefix_communities(route_policy, prefix, a);
  const bool local = src.is_local();
  if (local) {
    // The node's own blocks: ORIGIN IGP, an empty AS_PATH, whatever the daemon left unset.
    if (!a.origin) a.origin = rib::Origin::igp;
    if (!a.as_path) a.as_path = rib::AsPath{};
  }
  if (!a.origin) a.origin = rib::Origin::incomplete;
  if (!a.as_path) a.as_path = rib::AsPath{};

  bool self = next_hop_mode == NextHopMode::self;
  if (ebgp) {
    if (has_community(a, rib::kCommunityNoExport) ||
        has_community(a, rib::kCommunityNoExportSubconfed)) {
      return std::nullopt;
    }
    // Never send a route back to the AS it came from (the peer would drop it anyway).
    if (src.is_external() && src.asn == peer_as) return std::nullopt;
    prepend(*a.as_path, local_as);
    a.local_pref.reset();       // RFC 4271 5.1.5: not sent to external peers
    if (!local) a.med.reset();  // 5.1.4: a received MED is not passed to other ASes
    a.originator_id.reset();
    a.cluster_list.clear();
    if (next_hop_mode != NextHopMode::keep) self = true;
  } else {
    if (src.is_internal()) {
      // RFC 4456 8: a client's routes go to everyone, a non-client's only to clients; without
      // reflection an iBGP route is never passed to another iBGP peer.
      if (!src.route_reflector_client && !rr_client) return std::nullopt;
      if (!a.originator_id) a.originator_id = rib::Address::v4(src.router_id);
      a.cluster_list.insert(a.cluster_list.begin(), cluster_id);
    }
    if (!a.local_pref) a.local_pref = 100;
    if (local && next_hop_mode != NextHopMode::keep) self = true;
  }
  a.prepare_unknown_for_propagation();
  // One next hop per family: the classic NEXT_HOP for IPv4, MP_REACH's for IPv6.
  if (v6) {
    a.next_hop.reset();
    if (self || !a.mp_next_hop) {
      if (!self_v6) return std::nullopt;  // no IPv6 address to offer as next hop
      a.mp_next_hop = self_v6;
      a.mp_link_local_next_hop.reset();
    }
  } else {
    a.mp_next_hop.reset();
    a.mp_link_local_next_hop.reset();
    if (self || !a.next_hop) {
      if (!self_v4) return std::nullopt;
      a.next_hop = self_v4;
    }
  }
  return a;
}

rib::ExportFn ExportPolicy::export_fn() const {
  return [p = *this](std::string_view, const rib::Prefix& prefix,
                     const rib::ExportCandidate& best) { return p.apply(prefix, best); };
}

bool import_allowed(const rib::PathAttributes& a, uint32_t local_as, uint8_t allow_local_as,
                    uint32_t router_id, uint32_t cluster_id, std::string* why) {
  if (a.as_path && count_as(*a.as_path, local_as) > allow_local_as) {
    if (why) *why = fmt::format("AS_PATH contains our AS {}", local_as);
    return false;
  }
  if (a.originator_id && a.originator_id->family() == rib::Family::v4 &&
      a.originator_id->v4_value() == router_id) {
    if (why) *why = "ORIGINATOR_ID is our router id";
    return false;
  }
  if (std::find(a.cluster_list.begin(), a.cluster_list.end(), cluster_id) != a.cluster_list.end()) {
    if (why) *why = "CLUSTER_LIST contains our cluster id";
    return false;
  }
  return true;
}

}  // namespace podnet::bgp
