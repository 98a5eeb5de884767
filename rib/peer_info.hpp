// What the decision process and the export hook need to know about where a route came from.
// The BGP layer fills one PeerInfo per session when it registers the peer with the Rib.
#pragma once

#include <cstdint>
#include <string_view>

#include "rib/prefix.hpp"

namespace podnet::rib {

// Opaque to the RIB: the BGP layer picks the numbers. 0 is the node itself.
using PeerId = uint32_t;
inline constexpr PeerId kLocalPeer = 0;

enum class PeerKind : uint8_t {
  local,        // routes this node originates (its blocks, borrowed /32s)
  ibgp,         // same AS
  ebgp,         // different AS
  confed_ebgp,  // another member AS of our confederation (RFC 5065): internal for selection
};

std::string_view peer_kind_name(PeerKind k);

struct PeerInfo {
  PeerId id = kLocalPeer;
  PeerKind kind = PeerKind::ibgp;
  Address address;         // the neighbour's transport address (tie-breaker, split horizon)
  uint32_t router_id = 0;  // BGP Identifier, host order
  uint32_t asn = 0;        // the neighbour's AS
  bool route_reflector_client = false;  // this node reflects to it (RFC 4456)

  // eBGP for the "prefer eBGP over iBGP" step; confederation peers count as internal.
  bool is_external() const { return kind == PeerKind::ebgp; }
  bool is_internal() const { return kind == PeerKind::ibgp || kind == PeerKind::confed_ebgp; }
  bool is_local() const { return kind == PeerKind::local; }
};

}  // namespace podnet::rib
