#include "bgp/capabilities.hpp"

#include <string>

#include "bgp/cursor.hpp"

namespace podnet::bgp {

namespace {

constexpr uint8_t kParamCapabilities = 2;

CodecError malformed(uint8_t code, std::span<const uint8_t> value, const std::string& why) {
  std::vector<uint8_t> data{code, static_cast<uint8_t>(value.size())};
  data.insert(data.end(), value.begin(), value.end());
  return session_reset(err::kOpen, err::kOpenUnspecific,
                       "capability " + std::to_string(code) + ": " + why, std::move(data));
}

std::optional<CodecError> decode_capability(uint8_t code, std::span<const uint8_t> value,
                                            Capabilities& caps) {
  Cursor c(value);
  const std::size_t n = value.size();
  switch (static_cast<CapabilityCode>(code)) {
    case CapabilityCode::multiprotocol: {
      if (n != 4) return malformed(code, value, "length must be 4");
      AfiSafi f;
      f.afi = *c.u16();
      c.u8();  // reserved
      f.safi = *c.u8();
      caps.multiprotocol.push_back(f);
      return std::nullopt;
    }
    case CapabilityCode::route_refresh:
      if (n != 0) return malformed(code, value, "length must be 0");
      caps.route_refresh = true;
      return std::nullopt;
    case CapabilityCode::enhanced_route_refresh:
      if (n != 0) return malformed(code, value, "length must be 0");
      caps.enhanced_route_refresh = true;
      return std::nullopt;
    case CapabilityCode::extended_message:
      if (n != 0) return malformed(code, value, "length must be 0");
      caps.extended_message = true;
      return std::nullopt;
    case CapabilityCode::four_octet_as:
      if (n != 4) return malformed(code, value, "length must be 4");
      if (!caps.four_octet_as) caps.four_octet_as = *c.u32();
      return std::nullopt;
    case CapabilityCode::extended_next_hop:
      if (n % 6 != 0) return malformed(code, value, "length must be a multiple of 6");
      while (!c.empty()) {
        ExtendedNextHopFamily e{};
        e.nlri.afi = *c.u16();
        const uint16_t safi = *c.u16();
        e.next_hop_afi = *c.u16();
        if (safi > 0xFF) return malformed(code, value, "SAFI out of range");
        e.nlri.safi = static_cast<uint8_t>(safi);
        caps.extended_next_hop.push_back(e);
      }
      return std::nullopt;
    case CapabilityCode::graceful_restart: {
      if (n < 2 || (n - 2) % 4 != 0) {
        return malformed(code, value, "length must be 2 + a multiple of 4");
      }
      GracefulRestart gr;
      const uint16_t head = *c.u16();
      gr.restart_state = (head & 0x8000) != 0;
      gr.notification = (head & 0x4000) != 0;
      gr.restart_time = head & 0x0FFF;
      while (!c.empty()) {
        GracefulRestart::Family f;
        f.afi_safi.afi = *c.u16();
        f.afi_safi.safi = *c.u8();
        f.forwarding_preserved = (*c.u8() & 0x80) != 0;
        gr.families.push_back(f);
      }
      if (!caps.graceful_restart) caps.graceful_restart = std::move(gr);
      return std::nullopt;
    }
    case CapabilityCode::add_path:
      if (n % 4 != 0) return malformed(code, value, "length must be a multiple of 4");
      while (!c.empty()) {
        AddPathFamily f;
        f.afi_safi.afi = *c.u16();
        f.afi_safi.safi = *c.u8();
        const uint8_t mode = *c.u8();
        // RFC 7911 4: an entry with another Send/Receive value is ignored.
        if (mode < 1 || mode > 3) continue;
        f.mode = static_cast<AddPathMode>(mode);
        caps.add_path.push_back(f);
      }
      return std::nullopt;
  }
  caps.unknown.push_back(RawCapability{code, {value.begin(), value.end()}});
  return std::nullopt;
}

}  // namespace

CodecResult<Capabilities> decode_optional_parameters(std::span<const uint8_t> field) {
  Capabilities caps;
  Cursor params(field);
  while (!params.empty()) {
    auto type = params.u8();
    auto len = params.u8();
    std::optional<Cursor> body;
    if (type && len) body = params.sub(*len);
    if (!body) {
      return session_reset(err::kOpen, err::kOpenUnspecific,
                           "optional parameter overruns the Optional Parameters field");
    }
    if (*type != kParamCapabilities) {
      return session_reset(err::kOpen, err::kUnsupportedOptionalParameter,
                           "unsupported optional parameter type " + std::to_string(*type));
    }
    while (!body->empty()) {
      auto code = body->u8();
      auto clen = body->u8();
      std::optional<std::span<const uint8_t>> value;
      if (code && clen) value = body->bytes(*clen);
      if (!value) {
        return session_reset(err::kOpen, err::kOpenUnspecific,
                             "capability overruns its optional parameter");
      }
      if (auto e = decode_capability(*code, *value, caps)) return std::move(*e);
    }
  }
  return caps;
}

Result<std::vector<uint8_t>> encode_optional_parameters(const Capabilities& caps) {
  // Each capability as code, length, value.
  std::vector<std::vector<uint8_t>> items;
  auto add = [&](CapabilityCode code, const std::vector<uint8_t>& v) {
    std::vector<uint8_t> item{static_cast<uint8_t>(code), static_cast<uint8_t>(v.size())};
    item.insert(item.end(), v.begin(), v.end());
    items.push_back(std::move(item));
  };
  std::vector<uint8_t> v;
  Writer w(v);
  for (const auto& f : caps.multiprotocol) {
    v.clear();
    w.u16(f.afi);
    w.u8(0);
    w.u8(f.safi);
    add(CapabilityCode::multiprotocol, v);
  }
  if (caps.route_refresh) add(CapabilityCode::route_refresh, {});
  if (caps.enhanced_route_refresh) add(CapabilityCode::enhanced_route_refresh, {});
  if (caps.extended_message) add(CapabilityCode::extended_message, {});
  if (caps.four_octet_as) {
    v.clear();
    w.u32(*caps.four_octet_as);
    add(CapabilityCode::four_octet_as, v);
  }
  // List-valued capabilities are split so each value stays within 253 bytes.
  for (std::size_t i = 0; i < caps.extended_next_hop.size(); i += 42) {
    v.clear();
    for (std::size_t j = i; j < std::min(caps.extended_next_hop.size(), i + 42); ++j) {
      const auto& e = caps.extended_next_hop[j];
      w.u16(e.nlri.afi);
      w.u16(e.nlri.safi);
      w.u16(e.next_hop_afi);
    }
    add(CapabilityCode::extended_next_hop, v);
  }
  if (caps.graceful_restart) {
    const auto& gr = *caps.graceful_restart;
    if (gr.families.size() > 62) {
      return make_error(Errc::invalid, "graceful restart capability: too many families");
    }
    v.clear();
    w.u16(static_cast<uint16_t>((gr.restart_state ? 0x8000 : 0) | (gr.notification ? 0x4000 : 0) |
                                (gr.restart_time & 0x0FFF)));
    for (const auto& f : gr.families) {
      w.u16(f.afi_safi.afi);
      w.u8(f.afi_safi.safi);
      w.u8(f.forwarding_preserved ? 0x80 : 0);
    }
    add(CapabilityCode::graceful_restart, v);
  }
  for (std::size_t i = 0; i < caps.add_path.size(); i += 63) {
    v.clear();
    for (std::size_t j = i; j < std::min(caps.add_path.size(), i + 63); ++j) {
      const auto& f = caps.add_path[j];
      w.u16(f.afi_safi.afi);
      w.u8(f.afi_safi.safi);
      w.u8(static_cast<uint8_t>(f.mode));
    }
    add(CapabilityCode::add_path, v);
  }
  for (const auto& u : caps.unknown) {
    if (u.value.size() > 253) return make_error(Errc::invalid, "capability value too long");
    std::vector<uint8_t> item{u.code, static_cast<uint8_t>(u.value.size())};
    item.insert(item.end(), u.value.begin(), u.value.end());
    items.push_back(std::move(item));
  }

  // Pack greedily into capability parameters of at most 255 bytes.
  std::vector<uint8_t> out;
  std::size_t param_len_at = 0;
  std::size_t param_len = 256;  // "no open parameter"
  for (const auto& item : items) {
    if (param_len + item.size() > 255) {
      out.push_back(kParamCapabilities);
      param_len_at = out.size();
      out.push_back(0);
      param_len = 0;
    }
    out.insert(out.end(), item.begin(), item.end());
    param_len += item.size();
    out[param_len_at] = static_cast<uint8_t>(param_len);
  }
  if (out.size() > 255) {
    return make_error(Errc::invalid, "capabilities do not fit the OPEN optional parameters");
  }
  return out;
}

}  // namespace podnet::bgp
