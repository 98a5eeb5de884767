// The rtnetlink messages only WireGuard needs: the policy rule `not fwmark M/M lookup T` (FRA_*
// attributes, FIB_RULE_INVERT) and device routes `prefix dev <wg> scope link` in table T.
// Built and parsed here so the tests can check them attribute by attribute.
#pragma once

#include <linux/netlink.h>

#include <cstdint>
#include <optional>
#include <vector>

#include "rib/prefix.hpp"

namespace podnet::dataplane::wg {

struct Rule {
  uint8_t family = 2;  // AF_INET
  uint32_t priority = 99;
  uint32_t table = 1;
  uint32_t fwmark = 0;
  uint32_t fwmask = 0;
  bool invert = false;
  uint8_t protocol = 0;  // FRA_PROTOCOL (who installed it); 0 = unspecified
  friend bool operator==(const Rule&, const Rule&) = default;
};

// RTM_NEWRULE (NLM_F_CREATE | NLM_F_EXCL) or RTM_DELRULE for `r`, action "lookup table".
void append_rule(std::vector<uint8_t>& buf, uint32_t seq, bool add, const Rule& r);
void append_rule_dump(std::vector<uint8_t>& buf, uint32_t seq, uint8_t family);
// A table-lookup rule from a dump; nullopt for other actions (blackhole, goto...).
std::optional<Rule> parse_rule(const nlmsghdr& h);

// RTM_NEWROUTE (create or replace): `prefix dev ifindex scope link proto <protocol> table T`;
// with ifindex 0, `throw prefix proto <protocol> table T` (the lookup leaves the table and goes
// on with the next rule, so a covering WireGuard route does not catch the prefix).
void append_device_route(std::vector<uint8_t>& buf, uint32_t seq, const rib::Prefix& prefix,
                         int ifindex, uint32_t table, uint8_t protocol);

// RTM_GETROUTE dump of `family` for one table and protocol. On a channel with strict dump
// checking the kernel returns only those routes (ENOENT when the table does not exist yet);
// otherwise it returns every route of the family and the reader filters.
void append_table_route_dump(std::vector<uint8_t>& buf, uint32_t seq, uint8_t family,
                             uint32_t table, uint8_t protocol);

struct DeviceRoute {
  rib::Prefix prefix;
  uint32_t table = 0;
  uint8_t protocol = 0;
  uint32_t metric = 0;
  int ifindex = 0;       // RTA_OIF
  bool gateway = false;  // has RTA_GATEWAY / RTA_VIA / RTA_MULTIPATH: not a device route
  uint8_t type = 0;      // RTN_*
};
std::optional<DeviceRoute> parse_device_route(const nlmsghdr& h);

}  // namespace podnet::dataplane::wg
