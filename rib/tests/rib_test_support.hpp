// Builders shared by the RIB tests: peers, prefixes and attribute sets in one line each.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>

#include "rib/path_attributes.hpp"
#include "rib/peer_info.hpp"
#include "rib/prefix.hpp"

namespace podnet::rib::testing {

inline Prefix pfx(const std::string& s) {
  return Prefix::parse(s).value();
}
inline Address addr(const std::string& s) {
  return Address::parse(s).value();
}

// 10.<i/256>.<i%256>.0/24 style distinct prefixes.
inline Prefix nth_prefix(uint32_t i) {
  return Prefix::make(Address::v4(0x0A000000u | (i << 8)), 24).value();
}

inline PeerInfo peer(PeerId id, PeerKind kind, const std::string& address, uint32_t router_id,
                     uint32_t asn) {
  PeerInfo p;
  p.id = id;
  p.kind = kind;
  p.address = addr(address);
  p.router_id = router_id;
  p.asn = asn;
  return p;
}

inline PathAttributes attrs(std::initializer_list<uint32_t> as_path, const std::string& next_hop,
                            Origin origin = Origin::igp) {
  PathAttributes a;
  a.origin = origin;
  a.as_path = AsPath{};
  if (as_path.size() != 0) a.as_path->segments.push_back({AsSegmentType::as_sequence, as_path});
  a.next_hop = addr(next_hop);
  return a;
}

}  // namespace podnet::rib::testing
