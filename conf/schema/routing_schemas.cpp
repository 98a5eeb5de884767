// Node, BGPConfiguration, BGPPeer, BGPFilter, FelixConfiguration
// (api/pkg/apis/projectcalico/v3/{bgpconfig,bgppeer,bgpfilter}.go, libcalico-go
// internalapi/node.go).
#include <fmt/format.h>

#include "conf/schema/checks.hpp"
#include "conf/schema/common.hpp"

namespace podnet::conf::schema {
namespace {

S node_spec() {
  return obj({
      {"bgp", obj({
                  {"asNumber", as_number()},
                  {"ipv4Address", ip_or_cidr_v4()},
                  {"ipv6Address", ip_or_cidr_v6()},
                  {"ipv4IPIPTunnelAddr", ipv4()},
                  {"routeReflectorClusterID", ipv4()},
              })},
      {"ipv4VXLANTunnelAddr", ipv4()},
      {"vxlanTunnelMACAddr",
       str().check([](const Json& v) { return check_mac(v.get<std::string>()); })},
      {"ipv6VXLANTunnelAddr", ipv6()},
      {"vxlanTunnelMACAddrV6",
       str().check([](const Json& v) { return check_mac(v.get<std::string>()); })},
      {"orchRefs", list(obj({{"nodeName", str()}, {"orchestrator", str().req()}}))},
      {"wireguard", obj({{"interfaceIPv4Address", ipv4()}, {"interfaceIPv6Address", ipv6()}})},
      {"addresses",
       list(obj({{"address", cidr().req()},
                 {"type", str().oneof({"CalicoNodeIP", "InternalIP", "ExternalIP"})}}))},
      {"interfaces", list(obj({{"name", str()}, {"addresses", list(str())}}))},
  });
}

S node_status() {
  return obj({
      {"wireguardPublicKey", str()},
      {"wireguardPublicKeyV6", str()},
      {"podCIDRs", list(cidr())},
  });
}

S bgp_config_spec() {
  auto cidr_block = obj({{"cidr", cidr()}});
  return obj({
      {"logSeverityScreen", str().oneof({"Trace", "Debug", "Info", "Warning", "Error", "Fatal"})},
      {"nodeToNodeMeshEnabled", boolean()},
      {"asNumber", as_number()},
      {"serviceLoadBalancerIPs", list(cidr_block)},
      {"serviceExternalIPs", list(cidr_block)},
      {"serviceClusterIPs", list(cidr_block)},
      {"serviceLoadBalancerAggregation", str().oneof({"Enabled", "Disabled"})},
      {"communities",
       list(obj({{"name", name_ref().req()}, {"value", str().req().check([](const Json& v) {
                                                return check_community(v.get<std::string>());
                                              })}}))},
      {"prefixAdvertisements",
       list(obj({{"cidr", cidr().req()}, {"communities", list(str()).req()}}))},
      {"listenPort", integer().range(1, 65535)},
      {"nodeMeshPassword", secret_key_ref()},
      {"nodeMeshMaxRestartTime", duration()},
      {"bindMode", str().oneof({"None", "NodeIP"})},
      {"ignoredInterfaces", list(str())},
      {"localWorkloadPeeringIPV4", ipv4()},
      {"localWorkloadPeeringIPV6", ipv6()},
      {"programClusterRoutes", str().oneof({"Enabled", "Disabled", "EnabledNoEncapOnly"})},
      {"ipv4NormalRoutePriority", integer().range(1, 2147483646)},
      {"ipv6NormalRoutePriority", integer().range(1, 2147483646)},
  });
}

void finish_bgp_config(Json& doc, Walk& w) {
  Json& spec = doc["spec"];
  std::string name = doc_name(doc);
  if (name == "default") {
    // The cluster-wide defaults confd applies when unset (client.go:globalDefaults).
    if (!spec.contains("logSeverityScreen")) spec["logSeverityScreen"] = "Info";
    if (!spec.contains("nodeToNodeMeshEnabled")) spec["nodeToNodeMeshEnabled"] = true;
    if (!spec.contains("asNumber")) spec["asNumber"] = 64512;
    if (!spec.contains("listenPort")) spec["listenPort"] = 179;
    static const SpecPtr order = bgp_config_spec();
    order_like(spec, *order);
  } else if (name.rfind("node.", 0) == 0) {
    // A per-node configuration overrides only these (bgpconfig.go).
    static const char* allowed[] = {"logSeverityScreen",        "listenPort",
                                    "prefixAdvertisements",     "bindMode",
                                    "localWorkloadPeeringIPV4", "localWorkloadPeeringIPV6"};
    for (auto& [k, v] : spec.items()) {
      bool ok = false;
      for (auto* a : allowed) ok |= k == a;
      if (!ok) w.error("spec." + k, "cannot be set in a per-node BGPConfiguration (node.<name>)");
    }
  }
}

S bgp_peer_spec() {
  return obj({
      {"node", name_ref()},
      {"nodeSelector", selector()},
      {"peerIP", str().check([](const Json& v) -> std::string {
         auto e = check_peer_ip(v.get<std::string>());
         return e.empty() ? e : "\"" + v.get<std::string>() + "\": " + e;
       })},
      {"asNumber", as_number()},
      {"localASNumber", as_number()},
      {"peerSelector", selector()},
      {"keepOriginalNextHop", boolean()},
      {"nextHopMode", str().oneof({"Auto", "Self", "Keep"})},
      {"password", secret_key_ref()},
      {"sourceAddress", str().oneof({"UseNodeIP", "None"})},
      {"maxRestartTime", duration()},
      {"keepaliveTime", duration()},
      {"numAllowedLocalASNumbers", integer().range(0, 10)},
      {"ttlSecurity", integer().range(0, 255)},
      {"reachableBy", ip()},
      {"filters", list(name_ref())},
      {"localWorkloadSelector", selector()},
      {"reversePeering", str().oneof({"Auto", "Manual"})},
  });
}

void finish_bgp_peer(Json& doc, Walk& w) {
  const Json& s = doc["spec"];
  if (has(s, "node") && has(s, "nodeSelector"))
    w.error("spec.nodeSelector", "node and nodeSelector cannot both be set");
  if (has(s, "peerIP") && has(s, "peerSelector"))
    w.error("spec.peerSelector", "peerIP and peerSelector cannot both be set");
  if (has(s, "localWorkloadSelector") && (has(s, "peerIP") || has(s, "peerSelector")))
    w.error("spec.localWorkloadSelector", "cannot be combined with peerIP or peerSelector");
}

S bgp_filter_rule(int family) {
  int max_len = family == 4 ? 32 : 128;
  auto community = str().check([](const Json& v) { return check_community(v.get<std::string>()); });
  return obj({
      {"cidr", family == 4 ? cidr_v4() : cidr_v6()},
      {"prefixLength",
       obj({{"min", integer().range(0, max_len)}, {"max", integer().range(0, max_len)}})},
      {"source", str().oneof({"RemotePeers"})},
      {"interface", str()},
      {"matchOperator", str().oneof({"Equal", "NotEqual", "In", "NotIn"})},
      {"peerType", str().oneof({"eBGP", "iBGP"})},
      {"communities", obj({{"values", list(community).req()}})},
      {"asPathPrefix", list(as_number())},
      {"priority", integer().range(1, 2147483646)},
      {"action", str().req().oneof({"Accept", "Reject"})},
      {"operations", list(obj({
                         {"addCommunity", obj({{"value", community.req()}})},
                         {"prependASPath", obj({{"prefix", list(as_number()).req()}})},
                         {"setPriority", obj({{"value", integer().req().range(1, 2147483646)}})},
                     }))},
  });
}

void finish_bgp_filter(Json& doc, Walk& w) {
  for (const char* dir : {"exportV4", "importV4", "exportV6", "importV6"}) {
    const Json* rules = at(doc, {"spec", dir});
    if (!rules) continue;
    for (size_t i = 0; i < rules->size(); ++i) {
      const Json& r = (*rules)[i];
      std::string p = index(std::string("spec.") + dir, i);
      if (has(r, "cidr") != has(r, "matchOperator"))
        w.error(p + (has(r, "cidr") ? ".matchOperator" : ".cidr"),
                "cidr and matchOperator must be set together");
    }
  }
}

}  // namespace

std::vector<std::pair<std::string, KindSchema>> routing_schemas() {
  std::vector<std::pair<std::string, KindSchema>> v;
  v.push_back({"nodes", {document(*find_kind("Node"), node_spec(), node_status()), nullptr}});
  v.push_back(
      {"bgpconfigurations",
       {document(*find_kind("BGPConfiguration"), bgp_config_spec(), obj({})), finish_bgp_config}});
  v.push_back(
      {"bgppeers", {document(*find_kind("BGPPeer"), bgp_peer_spec(), obj({})), finish_bgp_peer}});
  v.push_back({"bgpfilters",
               {document(*find_kind("BGPFilter"),
                         obj({{"exportV4", list(bgp_filter_rule(4))},
                              {"importV4", list(bgp_filter_rule(4))},
                              {"exportV6", list(bgp_filter_rule(6))},
                              {"importV6", list(bgp_filter_rule(6))}}),
                         obj({})),
                finish_bgp_filter}});
  v.push_back({"felixconfigurations",
               {document(*find_kind("FelixConfiguration"), felix_spec(), obj({})), nullptr}});
  v.push_back({"kubecontrollersconfigurations", kube_controllers_schema()});
  return v;
}

}  // namespace podnet::conf::schema
