// The rtnetlink work of the network plugin, through libnl-route: the veth pair, addresses,
// routes, and reading them back for CHECK. One Rtnl talks to the network namespace of the
// thread that opened it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "conf/result.hpp"

struct nl_sock;

namespace podnet::cni {

struct LinkState {
  int ifindex = 0;
  std::string name;
  std::string kind;  // "veth", "dummy", ...
  std::string mac;   // "ee:ee:ee:ee:ee:ee"
  uint32_t mtu = 0;
  bool up = false;
};

struct RouteState {
  std::string dst;  // CIDR, "0.0.0.0/0" for default
  std::string gw;   // "" when none
  int oif = 0;
  int scope = 0;  // RT_SCOPE_*
};

class Rtnl {
 public:
  Rtnl() = default;
  Rtnl(const Rtnl&) = delete;
  Rtnl& operator=(const Rtnl&) = delete;
  ~Rtnl();
  Status open();

  // nullopt when there is no such link.
  Result<std::optional<LinkState>> link(const std::string& name);
  // A veth pair: `name` here with `mac`, its peer `peer` created directly in the namespace
  // peer_netns_fd; both with `mtu`. Errc::already_exists when either name is taken.
  Status create_veth(const std::string& name, const std::string& mac, const std::string& peer,
                     int peer_netns_fd, uint32_t mtu);
  Status set_up(const std::string& name);
  // Errc::not_found when there is no such link.
  Status delete_link(const std::string& name);
  // cidr "10.244.1.5/32"; IPv6 addresses skip duplicate address detection.
  Status add_address(int ifindex, const std::string& cidr);
  // dst CIDR via gw (may be "") out of ifindex, main table, proto boot; scope link if asked.
  Status add_route(int ifindex, const std::string& dst, const std::string& gw, bool scope_link);
  Result<std::vector<std::string>> addresses(int ifindex, int family);  // CIDRs
  Result<std::vector<RouteState>> routes(int family);                   // main table

 private:
  nl_sock* sock_ = nullptr;
};

}  // namespace podnet::cni
