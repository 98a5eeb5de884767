#include "dataplane/route_spec.hpp"

#include <algorithm>

namespace podnet::dataplane {

RouteSpec RouteSpec::unicast(std::vector<NextHop> hops) {
  std::sort(hops.begin(), hops.end());
  hops.erase(std::unique(hops.begin(), hops.end()), hops.end());
  RouteSpec s;
  s.kind = Kind::unicast;
  s.nexthops = std::move(hops);
  return s;
}

std::string to_string(const RouteSpec& s) {
  if (s.kind == RouteSpec::Kind::blackhole) return "blackhole";
  std::string out;
  for (const auto& h : s.nexthops) {
    if (!out.empty()) out += ", ";
    out += "via " + h.gateway.to_string();
    if (!h.dev.empty()) {
      out += " dev " + h.dev;
    } else if (h.ifindex != 0) {
      out += " dev#" + std::to_string(h.ifindex);
    }
    if (h.onlink) out += " onlink";
  }
  return out.empty() ? "unreachable (no next hop)" : out;
}

namespace {

// The next hop of one path for a route of family `f`, or an explanation.
Result<NextHop> next_hop_of(rib::Family f, const rib::RoutePath& p,
                            const InterfaceResolver& resolve) {
  const rib::PathAttributes* a = p.attrs.get();
  if (!a) return make_error(Errc::invalid, "path without attributes");
  std::optional<rib::Address> gw;
  if (f == rib::Family::v4 && a->next_hop) {
    gw = a->next_hop;
  } else if (a->mp_next_hop && !a->mp_next_hop->is_unspecified()) {
    gw = a->mp_next_hop;
  } else if (a->mp_link_local_next_hop) {
    gw = a->mp_link_local_next_hop;
  }
  if (!gw || gw->is_unspecified()) return make_error(Errc::invalid, "no next hop");
  NextHop h;
  h.gateway = *gw;
  if (gw->is_v6_link_local()) {
    std::optional<int> ifi = resolve ? resolve(p.peer) : std::nullopt;
    if (!ifi) {
      return make_error(Errc::invalid,
                        "link-local next hop " + gw->to_string() + " without a known interface");
    }
    h.ifindex = *ifi;
  }
  return h;
}

}  // namespace

Result<RouteSpec> spec_for(const rib::Prefix& prefix, std::span<const rib::RoutePath> paths,
                           const InterfaceResolver& resolve_interface) {
  if (paths.empty()) return make_error(Errc::invalid, "no path");
  if (paths.front().kind == rib::PeerKind::local) return RouteSpec::blackhole();
  std::vector<NextHop> hops;
  std::string first_error;
  for (const auto& p : paths) {
    if (p.kind == rib::PeerKind::local) continue;  // our own block never joins an ECMP group
    auto h = next_hop_of(prefix.family(), p, resolve_interface);
    if (h) {
      hops.push_back(*h);
    } else if (first_error.empty()) {
      first_error = h.error().message;
    }
  }
  if (hops.empty())
    return make_error(Errc::invalid, first_error.empty() ? "no next hop" : first_error);
  return RouteSpec::unicast(std::move(hops));
}

bool KernelRoute::matches(const RouteSpec& d) const {
  if (spec.kind != d.kind) return false;
  if (d.kind == RouteSpec::Kind::blackhole) return true;
  if (spec.nexthops.size() != d.nexthops.size()) return false;
  // Both sorted by gateway first; kernel ifindex is compared only where one is desired.
  auto k = spec.nexthops;
  std::sort(k.begin(), k.end(),
            [](const NextHop& a, const NextHop& b) { return a.gateway < b.gateway; });
  auto w = d.nexthops;
  std::sort(w.begin(), w.end(),
            [](const NextHop& a, const NextHop& b) { return a.gateway < b.gateway; });
  for (std::size_t i = 0; i < k.size(); ++i) {
    if (k[i].gateway != w[i].gateway) return false;
    if (w[i].ifindex != 0 && w[i].ifindex != k[i].ifindex) return false;
    if (w[i].onlink != k[i].onlink) return false;
  }
  return true;
}

}  // namespace podnet::dataplane
