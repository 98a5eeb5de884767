// One question asked of the kernel at start-up, before anything is programmed: does a routing
// table already hold routes of our protocol? If so, a previous podnetd left them (it keeps its
// routes when it stops or dies, as BIRD's `persist` does), and this start is a graceful restart:
// hold those routes while BGP re-learns them (ProgrammerOptions::hold_strays) and tell peers
// the forwarding state was kept (bgp::PeerManager::set_restarting).
#pragma once

#include <cstdint>

#include "conf/result.hpp"

namespace podnet::dataplane {

// Dumps IPv4 and IPv6 routes in the calling thread's network namespace and stops at the first
// one with this protocol in this table. Blocking, but it runs once, before the event loop.
Result<bool> kernel_has_routes(uint8_t protocol, uint32_t table);

}  // namespace podnet::dataplane
