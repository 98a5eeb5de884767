#include "bgp/update_codec.hpp"

#include <algorithm>
#include <string>

#include "bgp/attributes_codec.hpp"
#include "bgp/cursor.hpp"
#include "bgp/nlri_codec.hpp"

namespace podnet::bgp {

std::vector<Nlri> DecodedUpdate::withdrawals() const {
  std::vector<Nlri> out = update.withdrawn;
  if (update.mp_unreach) {
    out.insert(out.end(), update.mp_unreach->withdrawn.begin(), update.mp_unreach->withdrawn.end());
  }
  if (treat_as_withdraw) {
    out.insert(out.end(), update.nlri.begin(), update.nlri.end());
    if (update.mp_reach) {
      out.insert(out.end(), update.mp_reach->nlri.begin(), update.mp_reach->nlri.end());
    }
  }
  return out;
}

std::vector<Nlri> DecodedUpdate::announcements() const {
  if (treat_as_withdraw) return {};
  std::vector<Nlri> out = update.nlri;
  if (update.mp_reach) {
    out.insert(out.end(), update.mp_reach->nlri.begin(), update.mp_reach->nlri.end());
  }
  return out;
}

std::optional<AfiSafi> UpdateMessage::end_of_rib() const {
  if (!withdrawn.empty() || !nlri.empty() || mp_reach || attributes != rib::PathAttributes{}) {
    return std::nullopt;
  }
  if (!mp_unreach) return kIpv4Unicast;
  if (mp_unreach->withdrawn.empty()) return mp_unreach->afi_safi;
  return std::nullopt;
}

void begin_message(std::vector<uint8_t>& out, MessageType type) {
  out.insert(out.end(), 16, 0xFF);
  out.push_back(0);
  out.push_back(0);
  out.push_back(static_cast<uint8_t>(type));
}

void finish_message(std::vector<uint8_t>& out) {
  Writer(out).patch_u16(16, static_cast<uint16_t>(out.size()));
}

CodecResult<DecodedUpdate> decode_update_body(std::span<const uint8_t> body,
                                              const CodecContext& ctx) {
  Cursor c(body);
  auto wlen = c.u16();
  std::optional<Cursor> withdrawn;
  if (wlen) withdrawn = c.sub(*wlen);
  auto alen = withdrawn ? c.u16() : std::nullopt;
  std::optional<Cursor> attrs;
  if (alen) attrs = c.sub(*alen);
  if (!attrs) {
    // RFC 4271 6.3: Withdrawn Routes Length / Total Attribute Length inconsistent with the
    // message length. The NLRI cannot be located: session reset (RFC 7606 5.3 / 4).
    return session_reset(err::kUpdate, err::kMalformedAttributeList,
                         "withdrawn routes or total path attribute length exceeds the message");
  }
  DecodedUpdate out;
  auto& u = out.update;
  if (auto why = decode_nlri(*withdrawn, rib::Family::v4, ctx.add_path_receive_v4, u.withdrawn)) {
    return session_reset(err::kUpdate, err::kInvalidNetworkField, "withdrawn routes: " + *why);
  }
  if (auto why = decode_nlri(c, rib::Family::v4, ctx.add_path_receive_v4, u.nlri)) {
    return session_reset(err::kUpdate, err::kInvalidNetworkField, "NLRI: " + *why);
  }

  AttributesDecode a = decode_path_attributes(attrs->rest(), ctx);
  u.attributes = std::move(a.attributes);
  u.mp_reach = std::move(a.mp_reach);
  u.mp_unreach = std::move(a.mp_unreach);

  // RFC 7606 3 d: missing well-known mandatory attributes when there is something to announce.
  // NEXT_HOP is mandatory only for classic NLRI (RFC 4760 makes it discretionary otherwise).
  const bool announces = !u.nlri.empty() || (u.mp_reach && !u.mp_reach->nlri.empty());
  if (announces) {
    for (uint8_t type : {attr::kOrigin, attr::kAsPath, attr::kNextHop}) {
      if (type == attr::kNextHop && u.nlri.empty()) continue;
      if (!a.has(type)) {
        a.record(CodecError{ErrorAction::treat_as_withdraw,
                            err::kUpdate,
                            err::kMissingWellKnown,
                            {type},
                            "missing well-known attribute " + std::to_string(type)});
      }
    }
  }
  out.discarded = std::move(a.discarded);
  if (a.error) {
    if (a.error->action == ErrorAction::session_reset) return std::move(*a.error);
    out.treat_as_withdraw = std::move(a.error);
    // The attributes must not be used for anything: clear them so nobody does.
    u.attributes = rib::PathAttributes{};
  }
  return out;
}

namespace {

Status check_v4(const std::vector<Nlri>& v, const char* field) {
  for (const auto& n : v) {
    if (n.prefix.family() != rib::Family::v4) {
      return make_error(Errc::invalid, std::string(field) + " carries IPv4 prefixes only");
    }
  }
  return ok_status();
}

Status check_family(const std::vector<Nlri>& v, AfiSafi f) {
  const rib::Family want = f == kIpv4Unicast ? rib::Family::v4 : rib::Family::v6;
  if (f != kIpv4Unicast && f != kIpv6Unicast) {
    return make_error(Errc::invalid, "unsupported AFI/SAFI");
  }
  for (const auto& n : v) {
    if (n.prefix.family() != want) {
      return make_error(Errc::invalid, "prefix family does not match the AFI");
    }
  }
  return ok_status();
}

}  // namespace

Result<std::vector<uint8_t>> encode_update(const UpdateMessage& m, const CodecContext& ctx) {
  if (auto s = check_v4(m.withdrawn, "Withdrawn Routes"); !s) return s.error();
  if (auto s = check_v4(m.nlri, "NLRI"); !s) return s.error();
  std::vector<uint8_t> out;
  out.reserve(256);
  begin_message(out, MessageType::update);
  Writer w(out);
  const std::size_t wlen_at = w.reserve_u16();
  for (const auto& n : m.withdrawn) encode_nlri(w, n, ctx.add_path_send_v4);
  const std::size_t wlen = out.size() - wlen_at - 2;
  if (wlen > 0xFFFF)
    return make_error(Errc::invalid, "withdrawn routes: exceeds the maximum message size");
  w.patch_u16(wlen_at, static_cast<uint16_t>(wlen));
  const std::size_t alen_at = w.reserve_u16();
  // MP attributes first (RFC 7606 5.1 recommends it, so a receiver can always find the NLRI).
  std::vector<uint8_t> v;
  Writer vw(v);
  if (m.mp_unreach) {
    if (auto s = check_family(m.mp_unreach->withdrawn, m.mp_unreach->afi_safi); !s) {
      return s.error();
    }
    vw.u16(m.mp_unreach->afi_safi.afi);
    vw.u8(m.mp_unreach->afi_safi.safi);
    const bool ap =
        ctx.add_path_send(rib_family_of(m.mp_unreach->afi_safi).value_or(rib::Family::v6));
    for (const auto& n : m.mp_unreach->withdrawn) encode_nlri(vw, n, ap);
    if (v.size() > 0xFFFF)
      return make_error(Errc::invalid, "MP_UNREACH_NLRI exceeds the maximum message size");
    encode_attribute_header(out, rib::kAttrFlagOptional, attr::kMpUnreach, v.size());
    out.insert(out.end(), v.begin(), v.end());
    v.clear();
  }
  if (m.mp_reach) {
    if (auto s = check_family(m.mp_reach->nlri, m.mp_reach->afi_safi); !s) return s.error();
    if (auto s = encode_mp_reach_prefix(m.mp_reach->afi_safi, m.attributes, v); !s) {
      return s.error();
    }
    const bool ap =
        ctx.add_path_send(rib_family_of(m.mp_reach->afi_safi).value_or(rib::Family::v6));
    for (const auto& n : m.mp_reach->nlri) encode_nlri(vw, n, ap);
    if (v.size() > 0xFFFF)
      return make_error(Errc::invalid, "MP_REACH_NLRI exceeds the maximum message size");
    encode_attribute_header(out, rib::kAttrFlagOptional, attr::kMpReach, v.size());
    out.insert(out.end(), v.begin(), v.end());
  }
  encode_path_attributes(m.attributes, ctx, /*with_next_hop=*/true, out);
  const std::size_t alen = out.size() - alen_at - 2;
  if (alen > 0xFFFF)
    return make_error(Errc::invalid, "path attributes: exceeds the maximum message size");
  w.patch_u16(alen_at, static_cast<uint16_t>(alen));
  for (const auto& n : m.nlri) encode_nlri(w, n, ctx.add_path_send_v4);
  if (out.size() > ctx.max_message_size()) {
    return make_error(Errc::invalid, "UPDATE of " + std::to_string(out.size()) +
                                         " bytes exceeds the maximum message size");
  }
  finish_message(out);
  return out;
}

// ---- builder ----

namespace {

constexpr std::size_t kUpdateFixed = kHeaderSize + 2 + 2;  // header, both length fields

// Emits UPDATEs of the form: header, withdrawn, attributes [= prefix attrs + optional MP
// attribute wrapping some NLRI], classic NLRI. `mp_head` non-empty means the NLRI go inside an
// MP attribute of type `mp_type` whose value starts with `mp_head`.
struct Packer {
  const CodecContext& ctx;
  std::span<const uint8_t> attrs;  // encoded non-MP attributes
  std::vector<uint8_t> mp_head;
  uint8_t mp_type = 0;
  bool classic_withdrawn = false;  // classic NLRI go into Withdrawn Routes instead of NLRI
  bool add_path = false;

  std::vector<std::vector<uint8_t>> run(std::span<const Nlri> nlri) const {
    std::vector<std::vector<uint8_t>> msgs;
    const bool mp = !mp_head.empty();
    // The MP attribute always uses a 2-byte length: its size is unknown until it is filled.
    const std::size_t overhead = kUpdateFixed + attrs.size() + (mp ? 4 + mp_head.size() : 0);
    std::size_t i = 0;
    while (i < nlri.size()) {
      std::size_t room = ctx.max_message_size() - overhead;
      std::size_t j = i;
      std::size_t bytes = 0;
      while (j < nlri.size() && bytes + nlri_wire_size(nlri[j], add_path) <= room) {
        bytes += nlri_wire_size(nlri[j], add_path);
        ++j;
      }
      if (j == i) break;  // cannot happen: one NLRI is at most 21 bytes
      std::vector<uint8_t> out;
      out.reserve(overhead + bytes);
      begin_message(out, MessageType::update);
      Writer w(out);
      if (classic_withdrawn) {
        w.u16(static_cast<uint16_t>(bytes));
        for (std::size_t k = i; k < j; ++k) encode_nlri(w, nlri[k], add_path);
        w.u16(0);
      } else {
        w.u16(0);
        w.u16(static_cast<uint16_t>(attrs.size() + (mp ? 4 + mp_head.size() + bytes : 0)));
        if (mp) {
          w.u8(rib::kAttrFlagOptional | rib::kAttrFlagExtendedLength);
          w.u8(mp_type);
          w.u16(static_cast<uint16_t>(mp_head.size() + bytes));
          w.bytes(mp_head);
          for (std::size_t k = i; k < j; ++k) encode_nlri(w, nlri[k], add_path);
        }
        w.bytes(attrs);
        if (!mp) {
          for (std::size_t k = i; k < j; ++k) encode_nlri(w, nlri[k], add_path);
        }
      }
      finish_message(out);
      msgs.push_back(std::move(out));
      i = j;
    }
    return msgs;
  }
};

void split_families(std::span<const Nlri> nlri, std::vector<Nlri>& v4, std::vector<Nlri>& v6) {
  for (const auto& n : nlri) (n.prefix.family() == rib::Family::v4 ? v4 : v6).push_back(n);
}

void append(std::vector<std::vector<uint8_t>>& to, std::vector<std::vector<uint8_t>> from) {
  for (auto& m : from) to.push_back(std::move(m));
}

}  // namespace

Result<std::vector<std::vector<uint8_t>>> build_announcements(const rib::PathAttributes& attrs,
                                                              std::span<const Nlri> nlri,
                                                              const CodecContext& ctx) {
  std::vector<Nlri> v4, v6;
  split_families(nlri, v4, v6);
  std::vector<std::vector<uint8_t>> out;
  if (!v4.empty()) {
    const bool classic = attrs.next_hop && attrs.next_hop->family() == rib::Family::v4;
    Packer p{ctx, {}, {}, 0, false, ctx.add_path_send_v4};
    std::vector<uint8_t> enc;
    if (classic) {
      encode_path_attributes(attrs, ctx, /*with_next_hop=*/true, enc);
    } else if (ctx.extended_next_hop_v4 && attrs.mp_next_hop) {
      encode_path_attributes(attrs, ctx, /*with_next_hop=*/false, enc);
      if (auto s = encode_mp_reach_prefix(kIpv4Unicast, attrs, p.mp_head); !s) return s.error();
      p.mp_type = attr::kMpReach;
    } else {
      return make_error(Errc::invalid,
                        "IPv4 NLRI need an IPv4 next_hop (or mp_next_hop with "
                        "the extended next hop capability)");
    }
    if (enc.size() + kUpdateFixed + 64 > ctx.max_message_size()) {
      return make_error(Errc::invalid, "path attributes leave no room for NLRI");
    }
    p.attrs = enc;
    append(out, p.run(v4));
  }
  if (!v6.empty()) {
    Packer p{ctx, {}, {}, attr::kMpReach, false, ctx.add_path_send_v6};
    if (auto s = encode_mp_reach_prefix(kIpv6Unicast, attrs, p.mp_head); !s) return s.error();
    std::vector<uint8_t> enc;
    encode_path_attributes(attrs, ctx, /*with_next_hop=*/false, enc);
    if (enc.size() + kUpdateFixed + 64 > ctx.max_message_size()) {
      return make_error(Errc::invalid, "path attributes leave no room for NLRI");
    }
    p.attrs = enc;
    append(out, p.run(v6));
  }
  return out;
}

std::vector<std::vector<uint8_t>> build_withdrawals(std::span<const Nlri> nlri,
                                                    const CodecContext& ctx) {
  std::vector<Nlri> v4, v6;
  split_families(nlri, v4, v6);
  std::vector<std::vector<uint8_t>> out;
  if (!v4.empty()) {
    Packer p{ctx, {}, {}, 0, true, ctx.add_path_send_v4};
    append(out, p.run(v4));
  }
  if (!v6.empty()) {
    Packer p{ctx, {}, {0, 2, 1}, attr::kMpUnreach, false, ctx.add_path_send_v6};
    append(out, p.run(v6));
  }
  return out;
}

std::vector<uint8_t> encode_end_of_rib(AfiSafi family) {
  std::vector<uint8_t> out;
  begin_message(out, MessageType::update);
  Writer w(out);
  w.u16(0);
  if (family == kIpv4Unicast) {
    w.u16(0);
  } else {
    w.u16(6);
    w.u8(rib::kAttrFlagOptional);
    w.u8(attr::kMpUnreach);
    w.u8(3);
    w.u16(family.afi);
    w.u8(family.safi);
  }
  finish_message(out);
  return out;
}

}  // namespace podnet::bgp
