#include "interop-tests/peers/bgp_peer.hpp"

#include "interop-tests/harness/harness.hpp"

namespace podnet::interop {

Family family_of(const std::string& prefix_or_address) {
  return prefix_or_address.find(':') != std::string::npos ? Family::ipv6 : Family::ipv4;
}

std::pair<int, int> notification_code(NotificationAction action) {
  switch (action) {
    case NotificationAction::admin_shutdown:
      return {6, 2};
    case NotificationAction::admin_reset:
      return {6, 4};
  }
  return {0, 0};
}

Result<NeighborState> BgpPeer::neighbor(const std::string& address) {
  auto all = neighbors();
  if (!all) return all.error();
  for (auto& n : *all)
    if (n.address == address) return n;
  return make_error(Errc::not_found, kind() + " has no neighbour " + address);
}

bool BgpPeer::established(const std::string& address) {
  auto n = neighbor(address);
  return n && n->established;
}

bool BgpPeer::wait_established(const std::string& address, std::chrono::milliseconds timeout) {
  return harness::wait_until([&] { return established(address); }, timeout);
}

bool BgpPeer::wait_down(const std::string& address, std::chrono::milliseconds timeout) {
  return harness::wait_until(
      [&] {
        auto n = neighbor(address);
        return n && !n->established;
      },
      timeout);
}

std::optional<RouteEntry> BgpPeer::best_route(const std::string& prefix) {
  auto rs = routes(family_of(prefix));
  if (!rs) return std::nullopt;
  for (auto& r : *rs)
    if (r.prefix == prefix && r.best) return r;
  return std::nullopt;
}

std::optional<RouteEntry> BgpPeer::route_from(const std::string& prefix, const std::string& from) {
  auto rs = routes(family_of(prefix));
  if (!rs) return std::nullopt;
  for (auto& r : *rs)
    if (r.prefix == prefix && (from.empty() || r.from == from)) return r;
  return std::nullopt;
}

bool BgpPeer::wait_route(const std::string& prefix, std::chrono::milliseconds timeout) {
  return harness::wait_until([&] { return best_route(prefix).has_value(); }, timeout);
}

bool BgpPeer::wait_no_route(const std::string& prefix, std::chrono::milliseconds timeout) {
  return harness::wait_until(
      [&] {
        auto rs = routes(family_of(prefix));
        if (!rs) return false;
        for (auto& r : *rs)
          if (r.prefix == prefix) return false;
        return true;
      },
      timeout);
}

bool BgpPeer::wait_notification(bool received, int code, int subcode,
                                std::chrono::milliseconds timeout) {
  return harness::wait_until(
      [&] {
        for (const auto& n : notifications())
          if (n.received == received && n.code == code && n.subcode == subcode) return true;
        return false;
      },
      timeout);
}

}  // namespace podnet::interop
