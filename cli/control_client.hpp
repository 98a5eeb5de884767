// podnetctl's side of the control socket: HTTP/1.1 over a Unix stream socket, synchronous
// (a CLI has nothing else to do meanwhile), with a deadline so a wedged daemon cannot hang it.
#pragma once

#include <string>

#include "conf/result.hpp"

namespace podnet::cli {

struct ControlResponse {
  unsigned status = 0;
  std::string body;
};

Result<ControlResponse> control_get(const std::string& socket_path, const std::string& target);

}  // namespace podnet::cli
