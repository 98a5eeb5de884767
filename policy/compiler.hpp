// The policy compiler: a pure function from the policy model and the endpoints to one nftables
// table (policy/nft/nft_ir.hpp), laid out as policy/nft/README.md maps felix's chains:
//
//   forward (filter, 0)   ct est/rel accept, invalid drop, clear marks, [applyOnForward host
//                         endpoints], iifname vmap @from-wl → fw-<iface>, oifname vmap @to-wl →
//                         tw-<iface>; a workload chain returns only with the accept mark set.
//   input / output (0)    workloads to the host (their egress), failsafes, then host endpoint
//                         chains fh-<id> / th-<id> (interface maps, then the "*" endpoint).
//   prerouting (-150)     preDNAT policy of host endpoints, before any DNAT (-100).
//   raw-prerouting /      doNotTrack policy of host endpoints (ui-<id> / ue-<id>), before
//   raw-output (-300)     conntrack: Allow = notrack + accept, Deny = drop; the filter chains
//                         then accept what it allowed (kMarkUntrackedAllowed).
//   pi-<id> / po-<id>     one chain per policy and direction, shared by every endpoint; Allow and
//                         Pass set a mark and return, Deny drops, Log logs and goes on.
//   s4-<id> / n4-<id>     selector IP sets (endpoints' addresses, NetworkSet nets) and named-port
//                         sets (address . protocol . port).
//
// Names hash what they stand for (the policy's identity, the selector's canonical text), never a
// position, so a label change or a new pod changes set elements and the endpoint chains that
// really change. A policy the compiler cannot render is left out with its reason.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "policy/endpoints.hpp"
#include "policy/model.hpp"
#include "policy/nft/nft_ir.hpp"

namespace podnet::policy {

// Felix's default marks (within NftablesMarkMask 0xffff0000), and one of ours: a flow that
// preDNAT policy (or a failsafe) allowed skips the host endpoint's normal and forward policy.
inline constexpr uint32_t kMarkAccept = 0x10000;
inline constexpr uint32_t kMarkPass = 0x20000;
inline constexpr uint32_t kMarkPreDnatAllowed = 0x80000;
// doNotTrack policy allowed the packet in the raw hooks (it is untracked): the filter chains
// accept it without further policy, as felix does.
inline constexpr uint32_t kMarkUntrackedAllowed = 0x40000;

struct CompileError {
  std::string policy;    // Policy::id()
  std::string resource;  // the datastore key it came from
  std::string message;
  std::string str() const { return resource + ": " + message; }
};

struct CompileResult {
  nft::Table table;
  std::vector<CompileError> errors;  // policies left out, with why
  std::size_t policies = 0;          // policy chains programmed (active on this node's endpoints)
  std::size_t local_endpoints = 0;   // workloads and host endpoints policed on this node
  std::size_t rules = 0, elements = 0;
};

struct CompileOptions {
  std::string node;  // this node: its workloads and host endpoints get chains
  Failsafes failsafes = default_failsafes();
  std::string table = "podnet";
  // FelixConfiguration defaultEndpointToHostAction: what happens to traffic from a local
  // workload to the host once its egress policy allowed it. felix's own default is Drop, but
  // Calico's manifests and operator install Accept, which is what clusters run; Return hands it
  // to the host endpoint policy (the "*" endpoint).
  enum class EndpointToHost { accept, drop, return_ };
  EndpointToHost endpoint_to_host = EndpointToHost::accept;
  // This node's non-workload interfaces and their addresses: a HostEndpoint with expectedIPs
  // but no interfaceName governs the interfaces that carry one of them (resolve_host_interfaces
  // in policy/endpoints.hpp). Empty: such host endpoints police nothing.
  std::map<std::string, std::vector<IpAddr>> host_interfaces;
};

// `endpoints` holds every endpoint of the cluster: all of them feed selector sets; only this
// node's get endpoint chains.
CompileResult compile(const Model& model, const Endpoints& endpoints, const CompileOptions& opts);

// ---- for incremental updates (policy/incremental.hpp) -----------------------------------------

// How a selector set (s4-/s6-) or a named-port set (n4-/n6-) is filled.
struct SetSource {
  std::optional<SelectorMatch> selector;  // absent: every endpoint (a named port without selector)
  std::vector<std::string> port_names;    // non-empty: a named-port set
  int family = 4;
};
// The elements one endpoint / one NetworkSet contributes to a set of this source (none when the
// selector does not match).
std::vector<nft::Element> set_elements_of(const SetSource& src, const Endpoint& ep);
std::vector<nft::Element> set_elements_of(const SetSource& src, const NetworkSet& ns);

// What compile() knew besides the table: every set any rendered policy refers to (programmed or
// not) with the endpoints that fill it, and every rendered policy chain.
struct CompileIndex {
  struct IndexedSet {
    SetSource source;
    nft::Set set;                                              // as compiled (normalized)
    std::map<std::string, std::vector<nft::Element>> members;  // endpoint name -> its elements
    std::vector<nft::Element> fixed;                           // NetworkSets' nets
  };
  std::map<std::string, IndexedSet> sets;
  std::map<std::string, nft::Chain> policy_chains;
  // Rendered policies (pointers into the Model compiled) -> their chains {ingress, egress}.
  std::map<const Policy*, std::pair<std::string, std::string>> rendered;
};
CompileResult compile(const Model& model, const Endpoints& endpoints, const CompileOptions& opts,
                      CompileIndex* index);
// The fw-/tw- chains of one of this node's workload endpoints, exactly as compile() renders them
// (`index` from compile() over the same model).
std::vector<nft::Chain> workload_chains(const Model& model, const Endpoint& ep,
                                        const CompileIndex& index, const CompileOptions& opts);

// Stable short id of a string (hex of a 64-bit FNV-1a, `len` digits), for nft names.
std::string short_hash(std::string_view text, std::size_t len = 12);

}  // namespace podnet::policy
