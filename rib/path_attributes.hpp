// The decoded BGP path attribute set of a route. Pure data: the BGP codec fills it from the
// wire and writes it back, the RIB compares and interns it (operator== and std::hash), best-path
// selection reads it. AS numbers are always 4-octet here; the codec translates for 2-octet peers
// (AS_TRANS + AS4_PATH / AS4_AGGREGATOR).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "rib/prefix.hpp"

namespace podnet::rib {

enum class Origin : uint8_t { igp = 0, egp = 1, incomplete = 2 };

// RFC 4271 (AS_SET, AS_SEQUENCE) and RFC 5065 (confederation segments) segment types; the
// values are the wire codes.
enum class AsSegmentType : uint8_t {
  as_set = 1,
  as_sequence = 2,
  confed_sequence = 3,
  confed_set = 4,
};

struct AsPathSegment {
  AsSegmentType type = AsSegmentType::as_sequence;
  std::vector<uint32_t> asns;
  friend bool operator==(const AsPathSegment&, const AsPathSegment&) = default;
};

struct AsPath {
  std::vector<AsPathSegment> segments;
  // RFC 4271 9.1.2.2 a): an AS_SET counts as one, confederation segments count zero.
  std::size_t length() const;
  // The AS the path was learned from (first ASN of a leading AS_SEQUENCE), if any.
  std::optional<uint32_t> first_as() const;
  bool contains(uint32_t asn) const;
  friend bool operator==(const AsPath&, const AsPath&) = default;
};

struct Aggregator {
  uint32_t asn = 0;
  Address address;  // IPv4
  friend bool operator==(const Aggregator&, const Aggregator&) = default;
};

// RFC 8092.
struct LargeCommunity {
  uint32_t global_admin = 0;
  uint32_t local1 = 0;
  uint32_t local2 = 0;
  friend auto operator<=>(const LargeCommunity&, const LargeCommunity&) = default;
};

// An optional attribute this speaker does not understand, kept verbatim so it can be passed
// on (RFC 4271 5: optional transitive attributes are propagated with the Partial bit set).
struct UnknownAttribute {
  uint8_t flags = 0;  // as received, without the Extended Length bit (re-derived on encode)
  uint8_t type = 0;
  std::vector<uint8_t> value;
  friend bool operator==(const UnknownAttribute&, const UnknownAttribute&) = default;
};

inline constexpr uint8_t kAttrFlagOptional = 0x80;
inline constexpr uint8_t kAttrFlagTransitive = 0x40;
inline constexpr uint8_t kAttrFlagPartial = 0x20;
inline constexpr uint8_t kAttrFlagExtendedLength = 0x10;

struct PathAttributes {
  std::optional<Origin> origin;
  std::optional<AsPath> as_path;  // absent != empty (an iBGP-originated path is empty)
  // NEXT_HOP attribute (IPv4 NLRI in the classic UPDATE fields).
  std::optional<Address> next_hop;
  // Next hop carried in MP_REACH_NLRI (IPv6, or IPv6 for IPv4 NLRI per RFC 8950, or IPv4), and
  // the IPv6 link-local second next hop when the peer sent 32 bytes.
  std::optional<Address> mp_next_hop;
  std::optional<Address> mp_link_local_next_hop;
  std::optional<uint32_t> med;
  std::optional<uint32_t> local_pref;
  bool atomic_aggregate = false;
  std::optional<Aggregator> aggregator;
  std::vector<uint32_t> communities;
  std::vector<uint64_t> extended_communities;  // each 8 octets, big-endian packed
  std::vector<LargeCommunity> large_communities;
  std::optional<Address> originator_id;  // IPv4-formatted router id
  std::vector<uint32_t> cluster_list;
  std::vector<UnknownAttribute> unknown;  // in received order

  // Export preparation (RFC 4271 5, 9.1.3): drops unknown non-transitive attributes and sets
  // the Partial bit on unknown transitive ones, which is how they travel onward.
  void prepare_unknown_for_propagation();

  friend bool operator==(const PathAttributes&, const PathAttributes&) = default;
};

std::size_t hash_value(const PathAttributes& a);

// Well-known community values (RFC 1997).
inline constexpr uint32_t kCommunityNoExport = 0xFFFFFF01;
inline constexpr uint32_t kCommunityNoAdvertise = 0xFFFFFF02;
inline constexpr uint32_t kCommunityNoExportSubconfed = 0xFFFFFF03;

}  // namespace podnet::rib

template <>
struct std::hash<podnet::rib::PathAttributes> {
  std::size_t operator()(const podnet::rib::PathAttributes& a) const noexcept {
    return podnet::rib::hash_value(a);
  }
};
