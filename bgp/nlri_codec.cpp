#include "bgp/nlri_codec.hpp"

#include <array>

namespace podnet::bgp {

std::optional<std::string> decode_nlri(Cursor c, rib::Family family, bool add_path,
                                       std::vector<Nlri>& out) {
  while (!c.empty()) {
    Nlri n;
    const std::size_t at = c.offset();
    if (add_path) {
      auto id = c.u32();
      if (!id) return "truncated path identifier at offset " + std::to_string(at);
      n.path_id = *id;
    }
    auto len = c.u8();
    if (!len) return "truncated prefix length at offset " + std::to_string(c.offset());
    if (*len > rib::max_length(family)) {
      return "prefix length " + std::to_string(*len) + " exceeds " +
             std::to_string(rib::max_length(family)) + " at offset " + std::to_string(at);
    }
    auto bytes = c.bytes((*len + 7u) / 8u);
    if (!bytes) return "prefix of length " + std::to_string(*len) + " overruns the field";
    auto p = rib::Prefix::make(family, *bytes, *len);
    if (!p) return p.error().message;  // unreachable: length checked above
    n.prefix = *p;
    out.push_back(n);
  }
  return std::nullopt;
}

void encode_nlri(Writer& w, const Nlri& n, bool add_path) {
  if (add_path) w.u32(n.path_id);
  w.u8(n.prefix.length());
  w.bytes(n.prefix.bytes().first(n.prefix.significant_bytes()));
}

}  // namespace podnet::bgp
