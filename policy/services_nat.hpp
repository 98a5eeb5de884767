// Kubernetes Services (ClusterIP, NodePort) as kube-proxy's nftables mode does them, as an IR
// table of podnet's own ("ip podnet-svc"), applied atomically by its own nft::Programmer — no
// proxy process:
//
//   prerouting / output (nat, dstnat -100) -> services:
//     ip daddr <clusterIP> meta l4proto <p> th dport <port> goto svc-<id>
//     fib daddr type local goto nodeports
//   nodeports:   meta l4proto <p> th dport <nodePort> goto ext-<id>
//   ext-<id>:    mark 0x4000 (masquerade on the way out), goto svc-<id>     (Cluster policy)
//                numgen over the local endpoints only, no mark              (Local policy)
//   svc-<id>:    numgen random mod N vmap { 0 : goto ep-<id>-0, ... }
//   ep-<id>-<i>: ip saddr <ep> mark 0x4000 (hairpin), dnat to <ep>:<targetPort>
//   postrouting (nat, srcnat 100): mark & 0x4000 -> clear it, masquerade
//   input / forward / output (filter, -110), new connections -> no-endpoints:
//     a service port without endpoints: reject (TCP reset, else ICMP port unreachable);
//     a Local node port without local endpoints: drop — as kube-proxy does.
//
// The mark makes replies to an outside client return through the node that DNATed (whose
// conntrack entry undoes it). Calico's preDNAT policy runs at prerouting -150, before the DNAT
// here, so it sees the original node port; forward/input policy (priority 0) sees the endpoint.
// One chain per service port and per endpoint: an endpoint change rewrites that service's chains
// only (the programmer diffs by chain).
#pragma once

#include <string>
#include <vector>

#include "conf/result.hpp"
#include "policy/nft/nft_ir.hpp"
#include "policy/service_endpoints.hpp"

namespace podnet::policy {

inline constexpr const char* kServicesTable = "podnet-svc";
// kube-proxy's masquerade mark (outside Calico's default mark mask 0xffff0000).
inline constexpr uint32_t kServiceMasqMark = 0x4000;

Result<nft::Table> services_table(const std::vector<ServiceFrontend>& frontends,
                                  const std::string& table_name = kServicesTable);

}  // namespace podnet::policy
