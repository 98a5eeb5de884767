// What a malformed BGP message means for the session: an error value naming the handling that
// RFC 4271 section 6 / RFC 7606 requires, plus the NOTIFICATION to send when that handling is a
// session reset. Decoders return these instead of throwing.
#pragma once

#include "conf/result.hpp"

#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace podnet::bgp {

// Ordered weakest to strongest: RFC 7606 3 j) says that when several errors are found in one
// UPDATE, the strongest action wins.
enum class ErrorAction : uint8_t {
  attribute_discard = 0,  // drop the attribute, use the rest of the UPDATE
  treat_as_withdraw = 1,  // every NLRI of the UPDATE is withdrawn; its attributes are unused
  afi_safi_disable = 2,   // RFC 7606 allows it for MP_REACH/MP_UNREACH errors; this codec
                          // always picks session_reset there (we do not run per-family state)
  session_reset = 3,      // send NOTIFICATION(code, subcode, data) and close
};

const char* action_name(ErrorAction a);

// NOTIFICATION error codes (RFC 4271 4.5, RFC 7313 for ROUTE-REFRESH).
namespace err {
inline constexpr uint8_t kHeader = 1;
inline constexpr uint8_t kOpen = 2;
inline constexpr uint8_t kUpdate = 3;
inline constexpr uint8_t kHoldTimer = 4;
inline constexpr uint8_t kFsm = 5;
inline constexpr uint8_t kCease = 6;
inline constexpr uint8_t kRouteRefresh = 7;

// Message header subcodes.
inline constexpr uint8_t kConnectionNotSynchronized = 1;
inline constexpr uint8_t kBadMessageLength = 2;
inline constexpr uint8_t kBadMessageType = 3;
// OPEN subcodes.
inline constexpr uint8_t kOpenUnspecific = 0;
inline constexpr uint8_t kUnsupportedVersion = 1;
inline constexpr uint8_t kBadPeerAs = 2;
inline constexpr uint8_t kBadBgpIdentifier = 3;
inline constexpr uint8_t kUnsupportedOptionalParameter = 4;
inline constexpr uint8_t kUnacceptableHoldTime = 6;
inline constexpr uint8_t kUnsupportedCapability = 7;
// UPDATE subcodes.
inline constexpr uint8_t kMalformedAttributeList = 1;
inline constexpr uint8_t kUnrecognizedWellKnown = 2;
inline constexpr uint8_t kMissingWellKnown = 3;
inline constexpr uint8_t kAttributeFlagsError = 4;
inline constexpr uint8_t kAttributeLengthError = 5;
inline constexpr uint8_t kInvalidOrigin = 6;
inline constexpr uint8_t kInvalidNextHop = 8;
inline constexpr uint8_t kOptionalAttributeError = 9;
inline constexpr uint8_t kInvalidNetworkField = 10;
inline constexpr uint8_t kMalformedAsPath = 11;
// ROUTE-REFRESH subcodes (RFC 7313).
inline constexpr uint8_t kInvalidMessageLength = 1;
}  // namespace err

struct CodecError {
  ErrorAction action = ErrorAction::session_reset;
  uint8_t code = 0;           // NOTIFICATION error code
  uint8_t subcode = 0;        // NOTIFICATION error subcode
  std::vector<uint8_t> data;  // NOTIFICATION data (e.g. the offending attribute, as received)
  std::string text;           // for logs: what was wrong and where
};

// "session_reset (3/5 attribute length error): MED length 3, expected 4".
std::string describe(const CodecError& e);

// Result of a decode: the value, or the error that stops it. Never throws.
template <class T>
using CodecResult = podnet::Result<T, CodecError>;

inline CodecError session_reset(uint8_t code, uint8_t subcode, std::string text,
                                std::vector<uint8_t> data = {}) {
  return CodecError{ErrorAction::session_reset, code, subcode, std::move(data), std::move(text)};
}

}  // namespace podnet::bgp
