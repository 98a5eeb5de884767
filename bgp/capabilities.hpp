// OPEN optional parameters and the capabilities inside them (RFC 5492 and the RFCs named in
// messages.hpp).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "bgp/errors.hpp"
#include "bgp/messages.hpp"
#include "conf/result.hpp"

namespace podnet::bgp {

// Decodes the Optional Parameters field of an OPEN. Parameter types other than 2
// (capabilities) are "unsupported optional parameter" (RFC 4271 6.2); a known capability with a
// malformed value is an OPEN error (subcode 0). Unknown capabilities are kept raw.
CodecResult<Capabilities> decode_optional_parameters(std::span<const uint8_t> field);

// Encodes capabilities into Optional Parameters, packed into as few parameters as fit 255
// bytes each. Fails if they do not fit the one-octet Optional Parameters Length.
Result<std::vector<uint8_t>> encode_optional_parameters(const Capabilities& caps);

}  // namespace podnet::bgp
