// Where a node's BGP address comes from when its Node resource has none: Calico's IP
// autodetection (IP_AUTODETECTION_METHOD / IP6_AUTODETECTION_METHOD): "first-found" (the first
// address of the first interface that is not one of the well-known virtual ones), "interface=
// REGEX", "skip-interface=REGEX", "cidr=CIDR[,CIDR...]", or "none". The detected address is
// written back to the Node resource, as calico-node does, so every other node sees it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "conf/daemon_config.hpp"
#include "conf/result.hpp"
#include "daemon/resource_cache.hpp"
#include "ipam-sync/datastore.hpp"

namespace podnet::daemon {

struct InterfaceAddress {
  std::string ifname;
  std::string address;  // textual
  int prefix_len = 0;
  int family = 4;  // 4 or 6
  std::string cidr() const { return address + "/" + std::to_string(prefix_len); }
};

// The host's interface addresses in kernel order (getifaddrs), loopback included.
std::vector<InterfaceAddress> interface_addresses();

// Applies `method` to `addrs` for one family. nullopt: nothing matched (or method "none").
// An unparsable method is an error.
Result<std::optional<InterfaceAddress>> autodetect(const std::string& method, int family,
                                                   const std::vector<InterfaceAddress>& addrs);

// If the Node resource of config.node_name lacks an address of a family whose method is not
// "none", detects one and writes it to the Node (creating the Node if needed). Returns what was
// written, for the log; errors are the datastore's.
Result<std::vector<std::string>> ensure_node_address(store::Datastore& ds,
                                                     const ResourceCache& cache,
                                                     const conf::DaemonConfig& config);

}  // namespace podnet::daemon
