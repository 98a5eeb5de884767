#include "bgp/notification_text.hpp"

#include <array>
#include <string_view>

namespace podnet::bgp {
namespace {

template <std::size_t N>
std::string pick(const std::array<std::string_view, N>& names, uint8_t i) {
  if (i < N && !names[i].empty()) return std::string(names[i]);
  return "subcode " + std::to_string(i);
}

}  // namespace

std::string notification_name(uint8_t code, uint8_t subcode) {
  static constexpr std::array<std::string_view, 4> header{
      "Unspecific", "Connection Not Synchronized", "Bad Message Length", "Bad Message Type"};
  static constexpr std::array<std::string_view, 12> open{"Unspecific",
                                                         "Unsupported Version Number",
                                                         "Bad Peer AS",
                                                         "Bad BGP Identifier",
                                                         "Unsupported Optional Parameter",
                                                         "",
                                                         "Unacceptable Hold Time",
                                                         "Unsupported Capability",
                                                         "",
                                                         "",
                                                         "",
                                                         "Role Mismatch"};
  static constexpr std::array<std::string_view, 12> update{"Unspecific",
                                                           "Malformed Attribute List",
                                                           "Unrecognized Well-known Attribute",
                                                           "Missing Well-known Attribute",
                                                           "Attribute Flags Error",
                                                           "Attribute Length Error",
                                                           "Invalid ORIGIN Attribute",
                                                           "",
                                                           "Invalid NEXT_HOP Attribute",
                                                           "Optional Attribute Error",
                                                           "Invalid Network Field",
                                                           "Malformed AS_PATH"};
  static constexpr std::array<std::string_view, 4> fsm{
      "Unspecified Error", "Receive Unexpected Message in OpenSent State",
      "Receive Unexpected Message in OpenConfirm State",
      "Receive Unexpected Message in Established State"};
  static constexpr std::array<std::string_view, 11> cease{"Unspecific",
                                                          "Maximum Number of Prefixes Reached",
                                                          "Administrative Shutdown",
                                                          "Peer De-configured",
                                                          "Administrative Reset",
                                                          "Connection Rejected",
                                                          "Other Configuration Change",
                                                          "Connection Collision Resolution",
                                                          "Out of Resources",
                                                          "Hard Reset",
                                                          "BFD Down"};
  static constexpr std::array<std::string_view, 2> refresh{"Reserved", "Invalid Message Length"};
  switch (code) {
    case 1:
      return "Message Header Error/" + pick(header, subcode);
    case 2:
      return "OPEN Message Error/" + pick(open, subcode);
    case 3:
      return "UPDATE Message Error/" + pick(update, subcode);
    case 4:
      return "Hold Timer Expired";
    case 5:
      return "Finite State Machine Error/" + pick(fsm, subcode);
    case 6:
      return "Cease/" + pick(cease, subcode);
    case 7:
      return "ROUTE-REFRESH Message Error/" + pick(refresh, subcode);
    default:
      return "code " + std::to_string(code) + "/subcode " + std::to_string(subcode);
  }
}

}  // namespace podnet::bgp
