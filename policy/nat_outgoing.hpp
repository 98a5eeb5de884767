// NAT outgoing as Calico's cali-nat-outgoing does it, as an nftables IR table: traffic whose
// source is in a pool with natOutgoing and whose destination is outside every pool (and, with
// natOutgoingExclusions: IPPoolsAndHostIPs, outside the cluster's host IPs) is masqueraded, or
// SNATed to FelixConfiguration's natOutgoingAddress.
//
// It is a table of its own ("podnet-nat", inet, a nat base chain at srcnat+10 like Calico's), not
// a fragment of the policy table: each is applied atomically by its own nft::Programmer, a policy
// change never rewrites NAT and a pool change never touches policy, and both stay podnet's own.
// The pool and host sets keep their names whatever the configuration, so toggling natOutgoing on
// a pool or adding a host changes set elements only.
//
// Pure: (pools, host IPs, Felix settings) -> table. The dataplane wiring in the daemon feeds it
// from the datastore. It lives in policy/ (library podnet_nft) rather than dataplane/ so the NAT
// builder sits beside the IR and programmer it needs without a dataplane -> policy dependency.
#pragma once

#include <string>
#include <vector>

#include "conf/result.hpp"
#include "conf/types/ipam.hpp"
#include "conf/types/routing.hpp"
#include "policy/nft/nft_ir.hpp"

namespace podnet::policy {

inline constexpr const char* kNatTable = "podnet-nat";

// host_ips: addresses of all nodes (bare or CIDR); used only with IPPoolsAndHostIPs.
Result<nft::Table> nat_outgoing_table(const std::vector<conf::types::IPPool>& pools,
                                      const std::vector<std::string>& host_ips,
                                      const conf::types::FelixConfiguration::Spec& felix,
                                      const std::string& table_name = kNatTable);

}  // namespace podnet::policy
