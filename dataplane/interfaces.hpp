// The host's interfaces as the tunnel programmers and the MTU detection need them: name, index,
// MTU, operational state and addresses, from one link dump and one address dump.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "conf/result.hpp"
#include "dataplane/netlink_channel.hpp"
#include "rib/prefix.hpp"

namespace podnet::dataplane {

struct InterfaceInfo {
  int ifindex = 0;
  std::string name;
  uint32_t mtu = 0;
  bool admin_up = false;  // IFF_UP
  bool oper_up = false;   // IFF_RUNNING: up with carrier (a veth whose peer is up, a NIC with link)
  std::string kind;       // IFLA_INFO_KIND, "" for physical NICs and loopback
  std::vector<std::pair<rib::Address, uint8_t>> addresses;  // IPv4 and IPv6, with prefix length
};

// Every interface of `ch`'s network namespace.
Result<std::vector<InterfaceInfo>> list_interfaces(NetlinkChannel& ch);
// Same, on a channel opened for the call in the calling thread's namespace.
Result<std::vector<InterfaceInfo>> list_interfaces();

// The interface holding `ip` (the node's NIC for its spec.bgp.ipv4Address); nullptr if none.
const InterfaceInfo* interface_with_address(const std::vector<InterfaceInfo>& ifs,
                                            const rib::Address& ip);
const InterfaceInfo* interface_named(const std::vector<InterfaceInfo>& ifs,
                                     const std::string& name);

}  // namespace podnet::dataplane
