// What the programmer wants the kernel to hold for one prefix, and how a RIB best-path set
// becomes one: the node's own block is a blackhole, anything else is a unicast route through
// the next hop(s) of the selected paths (several = an ECMP multipath route).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "conf/result.hpp"
#include "rib/prefix.hpp"
#include "rib/route.hpp"

namespace podnet::dataplane {

// A gateway. ifindex 0 and no dev let the kernel resolve the output interface from the gateway
// (the normal case); a link-local IPv6 gateway needs its interface. An overlay or same-subnet
// route names its device (`dev`: "vxlan.calico", "tunl0", the node's NIC), which the programmer
// turns into an ifindex from the kernel's links, so a device recreated with a new index is
// followed; `onlink` (RTNH_F_ONLINK) makes the kernel take the gateway as on that link without
// a covering connected route (the VXLAN tunnel IPs, another node's IP over tunl0).
struct NextHop {
  NextHop() = default;
  NextHop(rib::Address gw, int index, std::string device = {}, bool on_link = false)
      : gateway(gw), ifindex(index), dev(std::move(device)), onlink(on_link) {}
  rib::Address gateway;
  int ifindex = 0;
  std::string dev;  // resolved to ifindex by the programmer; "" = none
  bool onlink = false;
  friend auto operator<=>(const NextHop&, const NextHop&) = default;
  friend bool operator==(const NextHop&, const NextHop&) = default;
};

struct RouteSpec {
  enum class Kind : uint8_t { blackhole, unicast };
  Kind kind = Kind::blackhole;
  std::vector<NextHop> nexthops;  // unicast only; sorted, no duplicates

  static RouteSpec blackhole() { return {}; }
  // Sorts and de-duplicates.
  static RouteSpec unicast(std::vector<NextHop> hops);
  friend bool operator==(const RouteSpec&, const RouteSpec&) = default;
};

std::string to_string(const RouteSpec& s);

// The interface of a BGP peer, for a link-local next hop learned from it (RFC 8950 unnumbered
// peering, or an IPv6 peer that sent only a link-local address). nullopt: not known.
using InterfaceResolver = std::function<std::optional<int>(rib::PeerId)>;

// Translates a selected path set (best first, not empty) into a kernel route. Errors: no path
// has a usable next hop.
Result<RouteSpec> spec_for(const rib::Prefix& prefix, std::span<const rib::RoutePath> paths,
                           const InterfaceResolver& resolve_interface);

// A route as found in a kernel dump (our protocol and table already known).
struct KernelRoute {
  rib::Prefix prefix;
  uint32_t metric = 0;
  RouteSpec spec;
  // Whether `spec` is what the kernel holds. Kernel next hops always carry the resolved
  // ifindex; a desired next hop without one matches any interface. `desired` has its devices
  // resolved already (dev names are not compared, the ifindex and onlink flag are).
  bool matches(const RouteSpec& desired) const;
};

}  // namespace podnet::dataplane
