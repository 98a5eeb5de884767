// Path attribute encoding and decoding (RFC 4271 4.3/5, RFC 4760, RFC 6793, RFC 1997, RFC 4360,
// RFC 4456, RFC 8092) with RFC 7606 error classification.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "bgp/errors.hpp"
#include "bgp/messages.hpp"
#include "conf/result.hpp"

namespace podnet::bgp {

namespace attr {
inline constexpr uint8_t kOrigin = 1;
inline constexpr uint8_t kAsPath = 2;
inline constexpr uint8_t kNextHop = 3;
inline constexpr uint8_t kMed = 4;
inline constexpr uint8_t kLocalPref = 5;
inline constexpr uint8_t kAtomicAggregate = 6;
inline constexpr uint8_t kAggregator = 7;
inline constexpr uint8_t kCommunities = 8;
inline constexpr uint8_t kOriginatorId = 9;
inline constexpr uint8_t kClusterList = 10;
inline constexpr uint8_t kMpReach = 14;
inline constexpr uint8_t kMpUnreach = 15;
inline constexpr uint8_t kExtendedCommunities = 16;
inline constexpr uint8_t kAs4Path = 17;
inline constexpr uint8_t kAs4Aggregator = 18;
inline constexpr uint8_t kLargeCommunity = 32;
}  // namespace attr

// Everything the Path Attributes field of one UPDATE yields.
struct AttributesDecode {
  rib::PathAttributes attributes;
  std::optional<MpReach> mp_reach;
  std::optional<MpUnreach> mp_unreach;
  std::vector<uint8_t> seen;  // type codes present (first occurrences), for mandatory checks
  // The strongest error above attribute_discard (treat_as_withdraw or session_reset), if any.
  std::optional<CodecError> error;
  std::vector<CodecError> discarded;

  bool has(uint8_t type) const;
  // Records an error: attribute_discard goes to `discarded`, anything stronger replaces `error`
  // if it is stronger than what is there (RFC 7606 3 j).
  void record(CodecError e);
};

AttributesDecode decode_path_attributes(std::span<const uint8_t> field, const CodecContext& ctx);

// Appends every attribute of `a` except MP_REACH/MP_UNREACH, in type-code order. NEXT_HOP only
// when `with_next_hop`; LOCAL_PREF, ORIGINATOR_ID, CLUSTER_LIST only to internal peers; AS_PATH
// as 2-octet plus AS4_PATH / AS4_AGGREGATOR when !ctx.four_octet_as. (A 4-octet ASN inside a
// confederation segment cannot reach a 2-octet peer: AS4_PATH may not carry those segments, so
// it stays AS_TRANS there, as RFC 6793 implies.)
void encode_path_attributes(const rib::PathAttributes& a, const CodecContext& ctx,
                            bool with_next_hop, std::vector<uint8_t>& out);

// Attribute header with the Extended Length bit set when the value needs it.
void encode_attribute_header(std::vector<uint8_t>& out, uint8_t flags, uint8_t type,
                             std::size_t value_length);

// MP_REACH_NLRI value up to (not including) the NLRI: AFI, SAFI, next hop length, next hop(s),
// reserved octet. Errors if the attribute set has no usable next hop for the family.
Status encode_mp_reach_prefix(AfiSafi family, const rib::PathAttributes& a,
                              std::vector<uint8_t>& out);

// RFC 6793 4.2.3: the AS path a 2-octet speaker's AS_PATH and AS4_PATH stand for.
rib::AsPath merge_as4_path(const rib::AsPath& as_path, const rib::AsPath& as4_path);

}  // namespace podnet::bgp
