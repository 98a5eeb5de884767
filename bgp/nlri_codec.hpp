// NLRI encoding (RFC 4271 4.3, RFC 4760 5, RFC 7911 3): [path id,] length in bits, then the
// minimum number of prefix octets.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "bgp/cursor.hpp"
#include "bgp/messages.hpp"

namespace podnet::bgp {

// Decodes every NLRI in `c` (to its end). Returns a description of the first syntax error
// (length over the family maximum, truncated prefix or path id), or nullopt on success.
// Host bits beyond the prefix length are cleared (they carry no meaning, RFC 4271 4.3).
std::optional<std::string> decode_nlri(Cursor c, rib::Family family, bool add_path,
                                       std::vector<Nlri>& out);

inline std::size_t nlri_wire_size(const Nlri& n, bool add_path) {
  return (add_path ? 4u : 0u) + 1u + n.prefix.significant_bytes();
}

void encode_nlri(Writer& w, const Nlri& n, bool add_path);

}  // namespace podnet::bgp
