#include "bgp/attributes_codec.hpp"

#include <algorithm>
#include <array>
#include <string>

#include "bgp/cursor.hpp"
#include "bgp/nlri_codec.hpp"

namespace podnet::bgp {

using rib::kAttrFlagExtendedLength;
using rib::kAttrFlagOptional;
using rib::kAttrFlagPartial;
using rib::kAttrFlagTransitive;

bool AttributesDecode::has(uint8_t type) const {
  return std::find(seen.begin(), seen.end(), type) != seen.end();
}

void AttributesDecode::record(CodecError e) {
  if (e.action == ErrorAction::attribute_discard) {
    discarded.push_back(std::move(e));
    return;
  }
  if (!error || e.action > error->action) error = std::move(e);
}

namespace {

constexpr uint8_t kWellKnown = kAttrFlagTransitive;                          // 0 1
constexpr uint8_t kOptTransitive = kAttrFlagOptional | kAttrFlagTransitive;  // 1 1
constexpr uint8_t kOptNonTransitive = kAttrFlagOptional;                     // 1 0

// The Optional/Transitive bits each known attribute must carry (RFC 4271 5, RFC 7606 3 c).
std::optional<uint8_t> expected_flags(uint8_t type) {
  switch (type) {
    case attr::kOrigin:
    case attr::kAsPath:
    case attr::kNextHop:
    case attr::kLocalPref:
    case attr::kAtomicAggregate:
      return kWellKnown;
    case attr::kMed:
    case attr::kOriginatorId:
    case attr::kClusterList:
    case attr::kMpReach:
    case attr::kMpUnreach:
      return kOptNonTransitive;
    case attr::kAggregator:
    case attr::kCommunities:
    case attr::kExtendedCommunities:
    case attr::kAs4Path:
    case attr::kAs4Aggregator:
    case attr::kLargeCommunity:
      return kOptTransitive;
    default:
      return std::nullopt;
  }
}

const char* attr_name(uint8_t type) {
  switch (type) {
    case attr::kOrigin:
      return "ORIGIN";
    case attr::kAsPath:
      return "AS_PATH";
    case attr::kNextHop:
      return "NEXT_HOP";
    case attr::kMed:
      return "MULTI_EXIT_DISC";
    case attr::kLocalPref:
      return "LOCAL_PREF";
    case attr::kAtomicAggregate:
      return "ATOMIC_AGGREGATE";
    case attr::kAggregator:
      return "AGGREGATOR";
    case attr::kCommunities:
      return "COMMUNITIES";
    case attr::kOriginatorId:
      return "ORIGINATOR_ID";
    case attr::kClusterList:
      return "CLUSTER_LIST";
    case attr::kMpReach:
      return "MP_REACH_NLRI";
    case attr::kMpUnreach:
      return "MP_UNREACH_NLRI";
    case attr::kExtendedCommunities:
      return "EXTENDED_COMMUNITIES";
    case attr::kAs4Path:
      return "AS4_PATH";
    case attr::kAs4Aggregator:
      return "AS4_AGGREGATOR";
    case attr::kLargeCommunity:
      return "LARGE_COMMUNITY";
    default:
      return "attribute";
  }
}

// How a malformed instance of each attribute is handled (RFC 7606 7.x, RFC 6793 6,
// RFC 8092 6). Flag errors use the same handling (RFC 7606 3 c).
ErrorAction malformed_action(uint8_t type) {
  switch (type) {
    case attr::kAtomicAggregate:
    case attr::kAggregator:
    case attr::kAs4Path:
    case attr::kAs4Aggregator:
      return ErrorAction::attribute_discard;
    case attr::kMpReach:
    case attr::kMpUnreach:
      return ErrorAction::session_reset;
    default:
      return ErrorAction::treat_as_withdraw;
  }
}

struct RawAttribute {
  uint8_t flags;
  uint8_t type;
  std::span<const uint8_t> value;
  std::span<const uint8_t> whole;  // header + value, the NOTIFICATION data
};

CodecError attr_error(const RawAttribute& a, ErrorAction action, uint8_t subcode,
                      const std::string& what) {
  return CodecError{
      action, err::kUpdate, subcode, std::vector<uint8_t>(a.whole.begin(), a.whole.end()),
      std::string(attr_name(a.type)) + " (type " + std::to_string(a.type) + "): " + what};
}

CodecError length_error(const RawAttribute& a, const std::string& expected) {
  return attr_error(a, malformed_action(a.type), err::kAttributeLengthError,
                    "length " + std::to_string(a.value.size()) + ", expected " + expected);
}

// AS_PATH / AS4_PATH segments; nullopt with `why` set when malformed (RFC 4271 6.3,
// RFC 7606 7.2: unknown segment type, zero-length segment, overrun or underrun).
std::optional<rib::AsPath> decode_as_path(std::span<const uint8_t> value, std::size_t asn_size,
                                          std::string& why) {
  Cursor c(value);
  rib::AsPath path;
  while (!c.empty()) {
    auto type = c.u8();
    auto count = c.u8();
    if (!type || !count) {
      why = "truncated segment header";
      return std::nullopt;
    }
    if (*type < 1 || *type > 4) {
      why = "unknown segment type " + std::to_string(*type);
      return std::nullopt;
    }
    if (*count == 0) {
      why = "zero-length segment";
      return std::nullopt;
    }
    rib::AsPathSegment seg{static_cast<rib::AsSegmentType>(*type), {}};
    seg.asns.reserve(*count);
    for (unsigned i = 0; i < *count; ++i) {
      std::optional<uint32_t> asn;
      if (asn_size == 4) {
        asn = c.u32();
      } else if (auto v = c.u16()) {
        asn = *v;
      }
      if (!asn) {
        why = "segment overruns the attribute";
        return std::nullopt;
      }
      seg.asns.push_back(*asn);
    }
    path.segments.push_back(std::move(seg));
  }
  return path;
}

bool is_confed(rib::AsSegmentType t) {
  return t == rib::AsSegmentType::confed_sequence || t == rib::AsSegmentType::confed_set;
}

// Decodes the MP_REACH_NLRI value. Any error here is a session reset (RFC 7606 7.11): the NLRI
// cannot be located reliably once the next hop is in doubt.
// MP_REACH_NLRI and MP_UNREACH_NLRI both open with AFI and SAFI. A truncated pair resets the
// session; a family we never negotiated is ignored rather than tearing the session down.
std::optional<AfiSafi> read_family(Cursor& c, const RawAttribute& a, AttributesDecode& out) {
  auto afi = c.u16();
  auto safi = c.u8();
  if (!afi || !safi) {
    out.record(attr_error(a, ErrorAction::session_reset, err::kOptionalAttributeError,
                          "truncated AFI/SAFI"));
    return std::nullopt;
  }
  AfiSafi fam{*afi, *safi};
  if (fam != kIpv4Unicast && fam != kIpv6Unicast) {
    out.record(
        attr_error(a, ErrorAction::attribute_discard, err::kOptionalAttributeError,
                   "unsupported AFI/SAFI " + std::to_string(*afi) + "/" + std::to_string(*safi)));
    return std::nullopt;
  }
  return fam;
}

void decode_mp_reach(const RawAttribute& a, const CodecContext& ctx, AttributesDecode& out) {
  Cursor c(a.value);
  auto family_read = read_family(c, a, out);
  if (!family_read) return;
  const AfiSafi fam = *family_read;
  const auto afi = fam.afi;
  auto nh_len = c.u8();
  if (!nh_len) {
    out.record(attr_error(a, ErrorAction::session_reset, err::kOptionalAttributeError,
                          "truncated before the next hop"));
    return;
  }
  const rib::Family family = fam == kIpv4Unicast ? rib::Family::v4 : rib::Family::v6;
  bool nh_ok = false;
  if (family == rib::Family::v6) {
    nh_ok = *nh_len == 16 || *nh_len == 32;
  } else {
    nh_ok = *nh_len == 4 || (ctx.extended_next_hop_v4 && (*nh_len == 16 || *nh_len == 32));
  }
  auto nh = c.bytes(*nh_len);
  auto reserved = c.u8();
  if (!nh_ok || !nh || !reserved) {
    out.record(attr_error(a, ErrorAction::session_reset, err::kOptionalAttributeError,
                          "next hop length " + std::to_string(*nh_len) +
                              " invalid or truncated for AFI " + std::to_string(afi)));
    return;
  }
  MpReach reach{fam, {}};
  if (auto why = decode_nlri(Cursor(c.rest()), family, ctx.add_path_receive(family), reach.nlri)) {
    out.record(
        attr_error(a, ErrorAction::session_reset, err::kOptionalAttributeError, "NLRI: " + *why));
    return;
  }
  if (*nh_len == 4) {
    out.attributes.mp_next_hop = rib::Address::from_bytes(rib::Family::v4, *nh);
  } else {
    out.attributes.mp_next_hop = rib::Address::from_bytes(rib::Family::v6, nh->first(16));
    if (*nh_len == 32) {
      out.attributes.mp_link_local_next_hop =
          rib::Address::from_bytes(rib::Family::v6, nh->subspan(16));
    }
  }
  out.mp_reach = std::move(reach);
}

void decode_mp_unreach(const RawAttribute& a, const CodecContext& ctx, AttributesDecode& out) {
  Cursor c(a.value);
  auto family_read = read_family(c, a, out);
  if (!family_read) return;
  const AfiSafi fam = *family_read;
  const rib::Family family = fam == kIpv4Unicast ? rib::Family::v4 : rib::Family::v6;
  MpUnreach unreach{fam, {}};
  if (auto why = decode_nlri(c, family, ctx.add_path_receive(family), unreach.withdrawn)) {
    out.record(attr_error(a, ErrorAction::session_reset, err::kOptionalAttributeError,
                          "withdrawn NLRI: " + *why));
    return;
  }
  out.mp_unreach = std::move(unreach);
}

template <class T, class Read>
bool decode_list(std::span<const uint8_t> value, std::size_t item, std::vector<T>& out, Read read) {
  if (value.empty() || value.size() % item != 0) return false;
  Cursor c(value);
  out.reserve(value.size() / item);
  while (!c.empty()) out.push_back(read(c));
  return true;
}

struct As4Parts {
  std::optional<rib::AsPath> as4_path;
  std::optional<rib::Aggregator> as4_aggregator;
};

// One attribute: validate flags and length, store it or record the error.
void decode_one(const RawAttribute& a, const CodecContext& ctx, AttributesDecode& out,
                As4Parts& as4) {
  auto& attrs = out.attributes;
  auto expected = expected_flags(a.type);
  if (!expected) {
    if ((a.flags & kAttrFlagOptional) == 0) {
      out.record(attr_error(a, ErrorAction::session_reset, err::kUnrecognizedWellKnown,
                            "unrecognized well-known attribute"));
      return;
    }
    attrs.unknown.push_back(rib::UnknownAttribute{
        static_cast<uint8_t>(a.flags & 0xE0), a.type, {a.value.begin(), a.value.end()}});
    return;
  }
  // Attributes an internal-only sender must not give us: dropped before any other check
  // (RFC 7606 7.5, 7.9, 7.10).
  if (ctx.ebgp && (a.type == attr::kLocalPref || a.type == attr::kOriginatorId ||
                   a.type == attr::kClusterList)) {
    out.record(attr_error(a, ErrorAction::attribute_discard, err::kOptionalAttributeError,
                          "received from an external peer"));
    return;
  }
  // A 4-octet speaker ignores AS4_* from another 4-octet speaker (RFC 6793 4.1).
  if (ctx.four_octet_as && (a.type == attr::kAs4Path || a.type == attr::kAs4Aggregator)) {
    out.record(attr_error(a, ErrorAction::attribute_discard, err::kOptionalAttributeError,
                          "ignored on a 4-octet AS session"));
    return;
  }
  if ((a.flags & (kAttrFlagOptional | kAttrFlagTransitive)) != *expected) {
    out.record(attr_error(a, malformed_action(a.type), err::kAttributeFlagsError,
                          "flags " + std::to_string(a.flags) +
                              ": optional/transitive bits conflict with the attribute type"));
    return;
  }
  Cursor c(a.value);
  const std::size_t n = a.value.size();
  switch (a.type) {
    case attr::kOrigin: {
      if (n != 1) return out.record(length_error(a, "1"));
      uint8_t v = *c.u8();
      if (v > 2) {
        return out.record(attr_error(a, ErrorAction::treat_as_withdraw, err::kInvalidOrigin,
                                     "undefined value " + std::to_string(v)));
      }
      attrs.origin = static_cast<rib::Origin>(v);
      return;
    }
    case attr::kAsPath: {
      std::string why;
      auto p = decode_as_path(a.value, ctx.four_octet_as ? 4 : 2, why);
      if (!p) {
        return out.record(
            attr_error(a, ErrorAction::treat_as_withdraw, err::kMalformedAsPath, why));
      }
      attrs.as_path = std::move(*p);
      return;
    }
    case attr::kNextHop:
      if (n != 4) return out.record(length_error(a, "4"));
      attrs.next_hop = rib::Address::from_bytes(rib::Family::v4, a.value);
      return;
    case attr::kMed:
      if (n != 4) return out.record(length_error(a, "4"));
      attrs.med = *c.u32();
      return;
    case attr::kLocalPref:
      if (n != 4) return out.record(length_error(a, "4"));
      attrs.local_pref = *c.u32();
      return;
    case attr::kAtomicAggregate:
      if (n != 0) return out.record(length_error(a, "0"));
      attrs.atomic_aggregate = true;
      return;
    case attr::kAggregator: {
      const std::size_t want = ctx.four_octet_as ? 8 : 6;
      if (n != want) return out.record(length_error(a, std::to_string(want)));
      rib::Aggregator ag;
      ag.asn = ctx.four_octet_as ? *c.u32() : *c.u16();
      ag.address = rib::Address::from_bytes(rib::Family::v4, *c.bytes(4));
      attrs.aggregator = ag;
      return;
    }
    case attr::kCommunities:
      if (!decode_list(a.value, 4, attrs.communities, [](Cursor& k) { return *k.u32(); })) {
        return out.record(length_error(a, "a non-zero multiple of 4"));
      }
      return;
    case attr::kOriginatorId:
      if (n != 4) return out.record(length_error(a, "4"));
      attrs.originator_id = rib::Address::from_bytes(rib::Family::v4, a.value);
      return;
    case attr::kClusterList:
      if (!decode_list(a.value, 4, attrs.cluster_list, [](Cursor& k) { return *k.u32(); })) {
        return out.record(length_error(a, "a non-zero multiple of 4"));
      }
      return;
    case attr::kMpReach:
      return decode_mp_reach(a, ctx, out);
    case attr::kMpUnreach:
      return decode_mp_unreach(a, ctx, out);
    case attr::kExtendedCommunities:
      if (!decode_list(a.value, 8, attrs.extended_communities,
                       [](Cursor& k) { return *k.u64(); })) {
        return out.record(length_error(a, "a non-zero multiple of 8"));
      }
      return;
    case attr::kLargeCommunity:
      if (!decode_list(a.value, 12, attrs.large_communities, [](Cursor& k) {
            rib::LargeCommunity lc;
            lc.global_admin = *k.u32();
            lc.local1 = *k.u32();
            lc.local2 = *k.u32();
            return lc;
          })) {
        return out.record(length_error(a, "a non-zero multiple of 12"));
      }
      return;
    case attr::kAs4Path: {
      std::string why;
      auto p = decode_as_path(a.value, 4, why);
      if (p && std::any_of(p->segments.begin(), p->segments.end(),
                           [](const auto& s) { return is_confed(s.type); })) {
        p.reset();
        why = "confederation segment in AS4_PATH";
      }
      if (!p) {
        return out.record(
            attr_error(a, ErrorAction::attribute_discard, err::kOptionalAttributeError, why));
      }
      as4.as4_path = std::move(*p);
      return;
    }
    case attr::kAs4Aggregator: {
      if (n != 8) return out.record(length_error(a, "8"));
      rib::Aggregator ag;
      ag.asn = *c.u32();
      ag.address = rib::Address::from_bytes(rib::Family::v4, *c.bytes(4));
      as4.as4_aggregator = ag;
      return;
    }
    default:
      return;
  }
}

}  // namespace

rib::AsPath merge_as4_path(const rib::AsPath& as_path, const rib::AsPath& as4_path) {
  const std::size_t n = as_path.length();
  const std::size_t m = as4_path.length();
  if (n < m) return as_path;  // RFC 6793 4.2.3: AS4_PATH is ignored
  // Take n - m AS numbers (an AS_SET counts one) from the front of AS_PATH, with the
  // confederation segments that lead or adjoin what is taken, then append AS4_PATH.
  std::size_t rem = n - m;
  rib::AsPath out;
  for (const auto& seg : as_path.segments) {
    if (is_confed(seg.type)) {
      out.segments.push_back(seg);
      continue;
    }
    if (rem == 0) break;
    if (seg.type == rib::AsSegmentType::as_set) {
      out.segments.push_back(seg);
      --rem;
      continue;
    }
    const std::size_t take = std::min(rem, seg.asns.size());
    out.segments.push_back(
        {seg.type, std::vector<uint32_t>(seg.asns.begin(), seg.asns.begin() + take)});
    rem -= take;
    if (take < seg.asns.size()) break;
  }
  out.segments.insert(out.segments.end(), as4_path.segments.begin(), as4_path.segments.end());
  return out;
}

AttributesDecode decode_path_attributes(std::span<const uint8_t> field, const CodecContext& ctx) {
  AttributesDecode out;
  As4Parts as4;
  Cursor c(field);
  while (!c.empty()) {
    const std::size_t start = c.offset();
    auto flags = c.u8();
    auto type = c.u8();
    std::optional<uint16_t> len;
    if (flags && type) {
      if (*flags & kAttrFlagExtendedLength) {
        len = c.u16();
      } else if (auto l = c.u8()) {
        len = *l;
      }
    }
    std::optional<std::span<const uint8_t>> value;
    if (len) value = c.bytes(*len);
    if (!value) {
      // The attribute (or its header) runs past the end of the Path Attributes field: nothing
      // after it can be parsed (RFC 7606 4: treat-as-withdraw).
      auto rest = field.subspan(start);
      out.record(CodecError{
          ErrorAction::treat_as_withdraw, err::kUpdate, err::kAttributeLengthError,
          std::vector<uint8_t>(rest.begin(), rest.end()),
          "attribute at offset " + std::to_string(start) + " overruns the path attributes field"});
      break;
    }
    RawAttribute a{*flags, *type, *value, field.subspan(start, c.offset() - start)};
    if (out.has(a.type)) {
      // RFC 7606 3 g: duplicate MP_REACH/MP_UNREACH resets, any other duplicate is dropped.
      if (a.type == attr::kMpReach || a.type == attr::kMpUnreach) {
        out.record(attr_error(a, ErrorAction::session_reset, err::kMalformedAttributeList,
                              "appears more than once"));
      } else {
        out.record(attr_error(a, ErrorAction::attribute_discard, err::kMalformedAttributeList,
                              "duplicate, all but the first occurrence discarded"));
      }
      continue;
    }
    out.seen.push_back(a.type);
    decode_one(a, ctx, out, as4);
  }

  // RFC 6793 4.2.3: rebuild the real AS path and aggregator from a 2-octet speaker's view.
  auto& attrs = out.attributes;
  if (!ctx.four_octet_as) {
    const bool aggregator_is_trans = attrs.aggregator && attrs.aggregator->asn == kAsTrans;
    if (attrs.aggregator && !aggregator_is_trans) {
      // The aggregating speaker was 2-octet, so the AS4_* attributes are stale.
      as4 = {};
    }
    if (aggregator_is_trans && as4.as4_aggregator) attrs.aggregator = as4.as4_aggregator;
    if (as4.as4_path && attrs.as_path) {
      attrs.as_path = merge_as4_path(*attrs.as_path, *as4.as4_path);
    }
  }
  return out;
}

// ---- encoding ----

void encode_attribute_header(std::vector<uint8_t>& out, uint8_t flags, uint8_t type,
                             std::size_t value_length) {
  Writer w(out);
  if (value_length > 255) {
    w.u8(static_cast<uint8_t>(flags | kAttrFlagExtendedLength));
    w.u8(type);
    w.u16(static_cast<uint16_t>(value_length));
  } else {
    w.u8(static_cast<uint8_t>(flags & ~kAttrFlagExtendedLength));
    w.u8(type);
    w.u8(static_cast<uint8_t>(value_length));
  }
}

namespace {

void put_attribute(std::vector<uint8_t>& out, uint8_t flags, uint8_t type,
                   std::span<const uint8_t> value) {
  encode_attribute_header(out, flags, type, value.size());
  out.insert(out.end(), value.begin(), value.end());
}

// Segments as on the wire: at most 255 AS numbers each, empty segments dropped.
std::vector<uint8_t> as_path_value(const rib::AsPath& p, bool four_octet) {
  std::vector<uint8_t> v;
  Writer w(v);
  for (const auto& seg : p.segments) {
    for (std::size_t i = 0; i < seg.asns.size(); i += 255) {
      const std::size_t count = std::min<std::size_t>(255, seg.asns.size() - i);
      w.u8(static_cast<uint8_t>(seg.type));
      w.u8(static_cast<uint8_t>(count));
      for (std::size_t j = i; j < i + count; ++j) {
        const uint32_t asn = seg.asns[j];
        if (four_octet) {
          w.u32(asn);
        } else {
          w.u16(asn > 0xFFFF ? kAsTrans : static_cast<uint16_t>(asn));
        }
      }
    }
  }
  return v;
}

bool has_4octet_asn(const rib::AsPath& p) {
  for (const auto& s : p.segments) {
    for (uint32_t asn : s.asns) {
      if (asn > 0xFFFF) return true;
    }
  }
  return false;
}

// What AS4_PATH must carry for merge_as4_path() to give back `p`: everything after the last
// confederation segment (AS4_PATH may not contain those, RFC 6793 3). Empty if nothing
// 4-octet is left to convey there.
std::optional<rib::AsPath> as4_path_for(const rib::AsPath& p) {
  if (!has_4octet_asn(p)) return std::nullopt;
  std::size_t first = 0;
  for (std::size_t i = 0; i < p.segments.size(); ++i) {
    if (is_confed(p.segments[i].type)) first = i + 1;
  }
  rib::AsPath out;
  out.segments.assign(p.segments.begin() + static_cast<std::ptrdiff_t>(first), p.segments.end());
  if (!has_4octet_asn(out)) return std::nullopt;
  return out;
}

}  // namespace

void encode_path_attributes(const rib::PathAttributes& a, const CodecContext& ctx,
                            bool with_next_hop, std::vector<uint8_t>& out) {
  std::vector<uint8_t> v;
  Writer w(v);
  auto flush = [&](uint8_t flags, uint8_t type) {
    put_attribute(out, flags, type, v);
    v.clear();
  };
  if (a.origin) {
    w.u8(static_cast<uint8_t>(*a.origin));
    flush(kWellKnown, attr::kOrigin);
  }
  if (a.as_path)
    put_attribute(out, kWellKnown, attr::kAsPath, as_path_value(*a.as_path, ctx.four_octet_as));
  if (with_next_hop && a.next_hop && a.next_hop->family() == rib::Family::v4) {
    w.bytes(a.next_hop->bytes());
    flush(kWellKnown, attr::kNextHop);
  }
  if (a.med) {
    w.u32(*a.med);
    flush(kOptNonTransitive, attr::kMed);
  }
  if (a.local_pref && !ctx.ebgp) {
    w.u32(*a.local_pref);
    flush(kWellKnown, attr::kLocalPref);
  }
  if (a.atomic_aggregate) flush(kWellKnown, attr::kAtomicAggregate);
  // For a 2-octet peer: AS4_PATH when the path has 4-octet ASNs, and AS4_AGGREGATOR when the
  // aggregator has one *or* AS4_PATH is sent, because a receiver ignores AS4_PATH whenever
  // AGGREGATOR does not say AS_TRANS (RFC 6793 4.2.3).
  std::optional<rib::AsPath> as4_path;
  if (!ctx.four_octet_as && a.as_path) as4_path = as4_path_for(*a.as_path);
  const bool as4_aggregator =
      !ctx.four_octet_as && a.aggregator && (a.aggregator->asn > 0xFFFF || as4_path);
  if (a.aggregator) {
    if (ctx.four_octet_as) {
      w.u32(a.aggregator->asn);
    } else {
      w.u16(as4_aggregator ? kAsTrans : static_cast<uint16_t>(a.aggregator->asn));
    }
    w.bytes(a.aggregator->address.bytes().first(4));
    flush(kOptTransitive, attr::kAggregator);
  }
  if (!a.communities.empty()) {
    for (uint32_t x : a.communities) w.u32(x);
    flush(kOptTransitive, attr::kCommunities);
  }
  if (a.originator_id && !ctx.ebgp) {
    w.bytes(a.originator_id->bytes().first(4));
    flush(kOptNonTransitive, attr::kOriginatorId);
  }
  if (!a.cluster_list.empty() && !ctx.ebgp) {
    for (uint32_t x : a.cluster_list) w.u32(x);
    flush(kOptNonTransitive, attr::kClusterList);
  }
  if (!a.extended_communities.empty()) {
    for (uint64_t x : a.extended_communities) w.u64(x);
    flush(kOptTransitive, attr::kExtendedCommunities);
  }
  if (as4_path) put_attribute(out, kOptTransitive, attr::kAs4Path, as_path_value(*as4_path, true));
  if (as4_aggregator) {
    w.u32(a.aggregator->asn);
    w.bytes(a.aggregator->address.bytes().first(4));
    flush(kOptTransitive, attr::kAs4Aggregator);
  }
  if (!a.large_communities.empty()) {
    for (const auto& lc : a.large_communities) {
      w.u32(lc.global_admin);
      w.u32(lc.local1);
      w.u32(lc.local2);
    }
    flush(kOptTransitive, attr::kLargeCommunity);
  }
  for (const auto& u : a.unknown) put_attribute(out, u.flags, u.type, u.value);
}

Status encode_mp_reach_prefix(AfiSafi family, const rib::PathAttributes& a,
                              std::vector<uint8_t>& out) {
  if (family != kIpv4Unicast && family != kIpv6Unicast) {
    return make_error(Errc::invalid, "MP_REACH_NLRI: unsupported AFI/SAFI");
  }
  if (!a.mp_next_hop) return make_error(Errc::invalid, "MP_REACH_NLRI needs mp_next_hop");
  const auto& nh = *a.mp_next_hop;
  if (family == kIpv6Unicast && nh.family() != rib::Family::v6) {
    return make_error(Errc::invalid, "IPv6 NLRI need an IPv6 next hop");
  }
  const bool ll = a.mp_link_local_next_hop.has_value();
  if (ll &&
      (nh.family() != rib::Family::v6 || a.mp_link_local_next_hop->family() != rib::Family::v6)) {
    return make_error(Errc::invalid, "a link-local next hop needs an IPv6 global next hop");
  }
  Writer w(out);
  w.u16(family.afi);
  w.u8(family.safi);
  w.u8(static_cast<uint8_t>(nh.bytes().size() + (ll ? 16 : 0)));
  w.bytes(nh.bytes());
  if (ll) w.bytes(a.mp_link_local_next_hop->bytes());
  w.u8(0);  // reserved
  return ok_status();
}

}  // namespace podnet::bgp
