// The export and import rules of one session, as plain data: ExportPolicy is everything a
// peer's outgoing routes depend on, so its key() names the RIB update group (peers with equal
// policies share one group and one encoding of every UPDATE) and apply() is the group's
// ExportFn. import_allowed() is the loop check on routes received.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "bgp/messages.hpp"
#include "bgp/peer_config.hpp"
#include "bgp/route_filter.hpp"
#include "rib/adj_rib_out.hpp"
#include "rib/path_attributes.hpp"

namespace podnet::bgp {

struct ExportPolicy {
  bool ebgp = false;
  uint32_t local_as = 0;
  uint32_t peer_as = 0;
  uint32_t router_id = 0;
  uint32_t cluster_id = 0;  // used when reflecting
  NextHopMode next_hop_mode = NextHopMode::automatic;
  bool rr_client = false;  // the peer is our route-reflector client
  bool ipv4 = true, ipv6 = false;
  std::optional<rib::Address> self_v4, self_v6;  // next hop "self" per family
  // The codec parameters one encoding must be valid for (RFC 6793, 8654, 7911, 8950).
  bool four_octet_as = true, extended_message = false, add_path_v4 = false, add_path_v6 = false,
       extended_next_hop_v4 = false;
  // BGPFilter export rules (run first; Accept skips the rest of Calico's export rules) and
  // prefixAdvertisement communities (added when no filter rule decided).
  RoutePolicy route_policy;

  std::string key() const;
  std::optional<rib::PathAttributes> apply(const rib::Prefix& prefix,
                                           const rib::ExportCandidate& best) const;
  rib::ExportFn export_fn() const;
};

// RFC 4271 9.1.2 / RFC 4456 8: reject a received path whose AS_PATH carries our AS more than
// `allow_local_as` times, whose ORIGINATOR_ID is us, or whose CLUSTER_LIST has our cluster.
bool import_allowed(const rib::PathAttributes& a, uint32_t local_as, uint8_t allow_local_as,
                    uint32_t router_id, uint32_t cluster_id, std::string* why = nullptr);

}  // namespace podnet::bgp
