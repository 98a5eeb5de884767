// rtnetlink route messages, built straight into a batch buffer. Raw netlink rather than libnl
// route objects: a million routes are a million messages, and appending ~80 bytes to a buffer
// costs far less than allocating, filling and serialising an rtnl_route per route.
#pragma once

#include <linux/netlink.h>

#include <cstdint>
#include <optional>
#include <vector>

#include "dataplane/route_spec.hpp"

namespace podnet::dataplane {

struct RouteKey {
  uint32_t table = 254;
  uint8_t protocol = 12;
  uint32_t metric = 1024;
};

// Appends an RTM_NEWROUTE for `prefix`: NLM_F_CREATE | NLM_F_REPLACE when `replace` (our route
// is there), NLM_F_CREATE | NLM_F_EXCL otherwise. `ack` adds NLM_F_ACK; without it the kernel
// still answers an error, but is silent on success.
void append_new_route(std::vector<uint8_t>& buf, uint32_t seq, bool ack, bool replace,
                      const rib::Prefix& prefix, const RouteSpec& spec, const RouteKey& key);
// Appends an RTM_DELROUTE for our protocol's route of `prefix` with `metric` (the kernel
// matches protocol, table and metric, so another protocol's route is never hit).
void append_del_route(std::vector<uint8_t>& buf, uint32_t seq, bool ack, const rib::Prefix& prefix,
                      const RouteKey& key);
// Appends an RTM_GETROUTE dump request for both families.
void append_dump_request(std::vector<uint8_t>& buf, uint32_t seq);

struct ParsedRoute {
  KernelRoute route;
  uint32_t table = 0;
  uint8_t protocol = 0;
  uint8_t type = 0;
};
// Parses an RTM_NEWROUTE/RTM_DELROUTE; nullopt for families and types we do not program.
std::optional<ParsedRoute> parse_route(const nlmsghdr& h);

}  // namespace podnet::dataplane
