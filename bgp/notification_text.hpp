// Human names of NOTIFICATION error codes and subcodes (RFC 4271 4.5, RFC 4486, RFC 6608,
// RFC 7313), for logs and `show peers`: "Cease/Administrative Reset".
#pragma once

#include <cstdint>
#include <string>

namespace podnet::bgp {

std::string notification_name(uint8_t code, uint8_t subcode);

}  // namespace podnet::bgp
