// Calico's per-peer route policy as plain data and its evaluation: BGPFilter rules (BGPPeer
// `filters`, import and export, per family) and BGPConfiguration prefixAdvertisements (the
// communities added on export). confd renders each BGPFilter into BIRD functions
// (confd/pkg/resource/template/template_funcs.go); this is the same semantics without BIRD:
//
// - The peer's filters run in the order BGPPeer.filters lists them, each filter's rules in
//   order. The first rule whose conditions all match decides: Accept (after its operations) or
//   Reject. No rule matching means "continue": the default behaviour (import: accept; export:
//   Calico's own export rules, prefixAdvertisement communities included).
// - Conditions: cidr with matchOperator In / NotIn (prefixLength narrows In, BIRD's
//   `net ~ [cidr{min,max}]`) or Equal / NotEqual (exact prefix); source RemotePeers (learned
//   over BGP, not this node's own); peerType eBGP / iBGP; one community (aa:nn or aa:nn:mm);
//   asPathPrefix; priority (Calico's krt_metric: 2147483647 - LOCAL_PREF, 1024 without one).
// - `interface` matches the route's outgoing interface, which BIRD knows for kernel- and
//   device-learned routes. podnetd's RIB holds none of those (its own routes come from IPAM and
//   static config, BGP routes carry no interface), so a rule with `interface` never matches.
// - Operations (Accept only): addCommunity, prependASPath, setPriority (LOCAL_PREF =
//   2147483647 - value).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "conf/result.hpp"
#include "conf/types/routing.hpp"
#include "rib/path_attributes.hpp"
#include "rib/prefix.hpp"

namespace podnet::bgp {

// A standard (aa:nn, RFC 1997) or large (aa:nn:mm, RFC 8092) community.
struct CommunityValue {
  bool large = false;
  uint32_t standard = 0;
  rib::LargeCommunity large_value;
  std::string to_string() const;
  friend bool operator==(const CommunityValue&, const CommunityValue&) = default;
};
Result<CommunityValue> parse_community(std::string_view s);
bool has_community(const rib::PathAttributes& a, const CommunityValue& c);
void add_community(rib::PathAttributes& a, const CommunityValue& c);  // once, like BIRD's .add

enum class MatchOp : uint8_t { in, not_in, equal, not_equal };

struct FilterOperation {
  enum class Kind : uint8_t { add_community, prepend_as_path, set_priority };
  Kind kind = Kind::add_community;
  CommunityValue community;
  std::vector<uint32_t> asns;  // prepended so that the path starts with them in this order
  uint32_t priority = 0;
  friend bool operator==(const FilterOperation&, const FilterOperation&) = default;
};

struct FilterRule {
  std::optional<rib::Prefix> cidr;
  MatchOp op = MatchOp::in;
  uint8_t min_length = 0, max_length = 0;  // for In / NotIn: cidr's length .. family max
  bool remote_peers_only = false;
  std::string interface;
  std::optional<bool> ibgp_peer;  // peerType: true iBGP, false eBGP
  std::optional<CommunityValue> community;
  std::vector<uint32_t> as_path_prefix;
  std::optional<uint32_t> priority;
  bool accept = false;
  std::vector<FilterOperation> operations;
  friend bool operator==(const FilterRule&, const FilterRule&) = default;
};

struct RouteFilter {
  std::string name;
  std::vector<FilterRule> import_v4, export_v4, import_v6, export_v6;
  friend bool operator==(const RouteFilter&, const RouteFilter&) = default;
};

struct PrefixCommunities {
  rib::Prefix cidr;
  std::vector<CommunityValue> communities;
  friend bool operator==(const PrefixCommunities&, const PrefixCommunities&) = default;
};

// Everything of a peer's configuration that shapes routes but not the session: changing it
// re-evaluates routes (export: re-advertise / withdraw; import: from the kept Adj-RIB-In)
// and never resets the session.
struct RoutePolicy {
  std::vector<RouteFilter> filters;                   // BGPPeer.filters, in order
  std::vector<PrefixCommunities> prefix_communities;  // BGPConfiguration prefixAdvertisements

  bool has_import() const;
  // Canonical text of what export depends on (joins ExportPolicy::key()); import_key() likewise.
  std::string export_key() const;
  std::string import_key() const;
  friend bool operator==(const RoutePolicy&, const RoutePolicy&) = default;
};

enum class Verdict : uint8_t { none, accept, reject };

struct RouteContext {
  bool ibgp_peer = false;  // the peer the route goes to / comes from shares our AS
  bool from_bgp = true;    // learned from a BGP peer (not this node's own)
};

// Runs the filters' rules for one direction on `a` (operations of the accepting rule applied).
Verdict run_filters(const RoutePolicy& policy, bool import, const rib::Prefix& prefix,
                    rib::PathAttributes& a, const RouteContext& ctx);
// Adds the communities of every prefixAdvertisement whose cidr contains `prefix`.
void add_prefix_communities(const RoutePolicy& policy, const rib::Prefix& prefix,
                            rib::PathAttributes& a);

// From the resources. A bad rule or value is an error naming the filter; the caller decides.
Result<RouteFilter> compile_filter(const conf::types::BGPFilter& f);
// `cfg`'s prefixAdvertisements; community names resolve against `named` (BGPConfiguration
// communities of the default config and of `cfg`), anything else must be a literal value.
Result<std::vector<PrefixCommunities>> compile_prefix_advertisements(
    const std::vector<conf::types::PrefixAdvertisement>& ads,
    const std::vector<conf::types::Community>& named);

}  // namespace podnet::bgp
