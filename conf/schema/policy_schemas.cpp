// Calico NetworkPolicy / GlobalNetworkPolicy, Kubernetes NetworkPolicy, (Global)NetworkSet,
// HostEndpoint, Tier (api/pkg/apis/projectcalico/v3/{policy_common,networkpolicy,
// globalnetworkpolicy,networkset,hostendpoint,tier}.go; defaults from api/pkg/defaults and the
// Kubernetes API server's NetworkPolicy defaulting).
#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "conf/schema/checks.hpp"
#include "conf/schema/common.hpp"

namespace podnet::conf::schema {
namespace {

S entity_rule() {
  return obj({
      {"nets", list(cidr())},
      {"selector", selector()},
      {"namespaceSelector", selector()},
      {"services", obj({{"name", name_ref()}, {"namespace", name_ref()}})},
      {"ports", list(port())},
      {"notNets", list(cidr())},
      {"notSelector", selector()},
      {"notPorts", list(port())},
      {"serviceAccounts", obj({{"names", list(str())}, {"selector", selector()}})},
  });
}

S icmp_fields() {
  return obj({{"type", integer().range(0, 254)}, {"code", integer().range(0, 255)}});
}

S rule() {
  return obj({
      {"action", str().req().oneof({"Allow", "Deny", "Log", "Pass"})},
      {"ipVersion", integer().check([](const Json& v) -> std::string {
         return v == 4 || v == 6 ? "" : fmt::format("{} is not 4 or 6", v.dump());
       })},
      {"protocol", protocol()},
      {"icmp", icmp_fields()},
      {"notProtocol", protocol()},
      {"notICMP", icmp_fields()},
      {"source", entity_rule()},
      {"destination", entity_rule()},
      {"http", obj({{"methods", list(str())},
                    {"paths", list(obj({{"exact", str()}, {"prefix", str()}}))}})},
      {"metadata", obj({{"annotations", map(str())}})},
  });
}

std::string lower(const Json& v) {
  std::string s = v.is_string() ? v.get<std::string>() : v.dump();
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Cross-field rules of one Calico rule (Calico's validator: ports need a port protocol, an ICMP
// code needs a type, ICMP matches need an ICMP protocol of the rule's IP version).
void check_rule(const Json& r, const std::string& p, Walk& w) {
  std::string proto = has(r, "protocol") ? lower(r["protocol"]) : "";
  bool port_proto = proto == "tcp" || proto == "udp" || proto == "sctp" || proto == "6" ||
                    proto == "17" || proto == "132";
  for (const char* side : {"source", "destination"}) {
    if (!has(r, side)) continue;
    for (const char* ports : {"ports", "notPorts"})
      if (has(r[side], ports) && !r[side][ports].empty() && !port_proto)
        w.error(p + "." + side + "." + ports,
                "rules that specify ports must set protocol to TCP, UDP or SCTP");
  }
  // icmp and notICMP both narrow an ICMP rule: both need the rule's protocol (not notProtocol)
  // to be ICMP or ICMPv6, as Calico's validator has it.
  for (const char* f : {"icmp", "notICMP"}) {
    if (!has(r, f)) continue;
    if (has(r[f], "code") && !has(r[f], "type"))
      w.error(p + "." + f + ".code", "an ICMP code needs an ICMP type");
    bool icmp4 = proto == "icmp" || proto == "1", icmp6 = proto == "icmpv6" || proto == "58";
    if (!icmp4 && !icmp6)
      w.error(p + "." + f, fmt::format("{} needs protocol ICMP or ICMPv6", f));
    else if (has(r, "ipVersion") &&
             ((icmp4 && r["ipVersion"] != 4) || (icmp6 && r["ipVersion"] != 6)))
      w.error(p + ".ipVersion", "ICMP needs ipVersion 4 and ICMPv6 needs ipVersion 6");
  }
}

const std::vector<std::string> kTypes = {"Ingress", "Egress"};

S calico_policy_spec(bool global) {
  std::vector<std::pair<std::string, S>> f = {
      {"tier", name_ref()},     {"order", number()},      {"ingress", list(rule())},
      {"egress", list(rule())}, {"selector", selector()}, {"types", list(str().oneof(kTypes))},
  };
  if (global) {
    f.push_back({"doNotTrack", boolean()});
    f.push_back({"preDNAT", boolean()});
    f.push_back({"applyOnForward", boolean()});
  }
  f.push_back({"serviceAccountSelector", selector()});
  if (global) f.push_back({"namespaceSelector", selector()});
  f.push_back({"performanceHints", list(str().oneof({"AssumeNeededOnEveryNode"}))});
  return obj(std::move(f));
}

void finish_calico_policy(Json& doc, Walk& w, bool global) {
  Json& spec = doc["spec"];
  bool ingress = has(spec, "ingress") && !spec["ingress"].empty();
  bool egress = has(spec, "egress") && !spec["egress"].empty();
  // api/pkg/defaults/networkpolicy.go: defaultPolicyTypesField and setTierLabel.
  if (!has(spec, "types") || spec["types"].empty()) {
    if (!egress)
      spec["types"] = Json::array({"Ingress"});
    else if (!ingress)
      spec["types"] = Json::array({"Egress"});
    else
      spec["types"] = Json::array({"Ingress", "Egress"});
  }
  if (!has(spec, "tier")) spec["tier"] = "default";
  std::string tier = spec["tier"].get<std::string>();
  Json& meta = doc["metadata"];
  if (!meta.contains("labels")) meta["labels"] = Json::object();
  meta["labels"]["projectcalico.org/tier"] = tier;
  static const SpecPtr order_np = calico_policy_spec(false), order_gnp = calico_policy_spec(true);
  order_like(spec, global ? *order_gnp : *order_np);

  for (const char* dir : {"ingress", "egress"})
    if (has(spec, dir))
      for (size_t i = 0; i < spec[dir].size(); ++i)
        check_rule(spec[dir][i], index(std::string("spec.") + dir, i), w);
  auto list_has = [&](const char* t) {
    return std::find(spec["types"].begin(), spec["types"].end(), t) != spec["types"].end();
  };
  if (ingress && !list_has("Ingress"))
    w.error("spec.ingress", "ingress rules are given but types does not include Ingress");
  if (egress && !list_has("Egress"))
    w.error("spec.egress", "egress rules are given but types does not include Egress");
  if (global) {
    bool dnt = spec.value("doNotTrack", false), prednat = spec.value("preDNAT", false),
         aof = spec.value("applyOnForward", false);
    if (dnt && prednat) w.error("spec.preDNAT", "preDNAT and doNotTrack cannot both be true");
    if ((dnt || prednat) && !aof)
      w.error(dnt ? "spec.doNotTrack" : "spec.preDNAT",
              fmt::format("applyOnForward must be true when {} is true",
                          dnt ? "doNotTrack" : "preDNAT"));
    if (prednat && (egress || list_has("Egress")))
      w.error("spec.egress", "preDNAT policies take ingress rules only");
  }
}

// networking.k8s.io/v1
S label_selector() {
  return obj({
      {"matchLabels", labels()},
      {"matchExpressions",
       list(obj({{"key", str().req().check(
                             [](const Json& v) { return check_label_key(v.get<std::string>()); })},
                 {"operator", str().req().oneof({"In", "NotIn", "Exists", "DoesNotExist"})},
                 {"values", list(str())}}))},
  });
}

S k8s_peer() {
  return obj({
      {"podSelector", label_selector()},
      {"namespaceSelector", label_selector()},
      {"ipBlock", obj({{"cidr", strict_cidr().req()}, {"except", list(strict_cidr())}})},
  });
}

S k8s_port() {
  return obj({
      {"protocol", str().def("TCP").oneof({"TCP", "UDP", "SCTP"})},
      {"port", int_or_str().check([](const Json& v) -> std::string {
         if (v.is_number_integer())
           return v.get<int64_t>() >= 1 && v.get<int64_t>() <= 65535
                      ? ""
                      : fmt::format("port {} is out of range 1-65535", v.dump());
         return v.get<std::string>().empty() ? "a named port must not be empty" : "";
       })},
      {"endPort", integer().range(1, 65535)},
  });
}

S k8s_policy_spec() {
  return obj({
      {"podSelector", label_selector().def(Json::object())},
      {"ingress", list(obj({{"from", list(k8s_peer())}, {"ports", list(k8s_port())}}))},
      {"egress", list(obj({{"to", list(k8s_peer())}, {"ports", list(k8s_port())}}))},
      {"policyTypes", list(str().oneof(kTypes))},
  });
}

void finish_k8s_policy(Json& doc, Walk& w) {
  Json& spec = doc["spec"];
  if (!has(spec, "policyTypes") || spec["policyTypes"].empty()) {
    // The API server's default: Ingress always, Egress when egress rules are present.
    spec["policyTypes"] = Json::array({"Ingress"});
    if (has(spec, "egress")) spec["policyTypes"].push_back("Egress");
  }
  for (const auto& [dir, peers] : {std::pair{"ingress", "from"}, std::pair{"egress", "to"}}) {
    if (!has(spec, dir)) continue;
    for (size_t i = 0; i < spec[dir].size(); ++i) {
      const Json& r = spec[dir][i];
      std::string p = index(std::string("spec.") + dir, i);
      if (has(r, "ports"))
        for (size_t j = 0; j < r["ports"].size(); ++j) {
          const Json& port = r["ports"][j];
          if (has(port, "endPort")) {
            if (!has(port, "port") || !port["port"].is_number_integer())
              w.error(index(p + ".ports", j) + ".endPort", "endPort needs a numeric port");
            else if (port["endPort"].get<int64_t>() < port["port"].get<int64_t>())
              w.error(index(p + ".ports", j) + ".endPort", "endPort must not be below port");
          }
        }
      if (has(r, peers))
        for (size_t j = 0; j < r[peers].size(); ++j) {
          const Json& peer = r[peers][j];
          std::string pp = index(p + "." + peers, j);
          if (has(peer, "ipBlock") && (has(peer, "podSelector") || has(peer, "namespaceSelector")))
            w.error(pp + ".ipBlock",
                    "ipBlock cannot be combined with podSelector or namespaceSelector");
          if (!has(peer, "ipBlock") && !has(peer, "podSelector") && !has(peer, "namespaceSelector"))
            w.error(pp, "a peer needs podSelector, namespaceSelector or ipBlock");
        }
    }
  }
  // A selector expression without values, or In/NotIn without them, is an error (k8s validation).
  std::vector<std::pair<std::string, const Json*>> selectors = {
      {"spec.podSelector", &spec["podSelector"]}};
  for (const char* dir : {"ingress", "egress"}) {
    if (!has(spec, dir)) continue;
    const char* peers = std::string(dir) == "ingress" ? "from" : "to";
    for (size_t i = 0; i < spec[dir].size(); ++i)
      if (has(spec[dir][i], peers))
        for (size_t j = 0; j < spec[dir][i][peers].size(); ++j)
          for (const char* s : {"podSelector", "namespaceSelector"})
            if (has(spec[dir][i][peers][j], s))
              selectors.push_back(
                  {index(index(std::string("spec.") + dir, i) + "." + peers, j) + "." + s,
                   &spec[dir][i][peers][j][s]});
  }
  for (const auto& [path, sel] : selectors) {
    if (!has(*sel, "matchExpressions")) continue;
    const Json& exprs = (*sel)["matchExpressions"];
    for (size_t i = 0; i < exprs.size(); ++i) {
      std::string op = exprs[i]["operator"].get<std::string>();
      bool values = has(exprs[i], "values") && !exprs[i]["values"].empty();
      if ((op == "In" || op == "NotIn") && !values)
        w.error(index(path + ".matchExpressions", i) + ".values", op + " needs values");
      if ((op == "Exists" || op == "DoesNotExist") && values)
        w.error(index(path + ".matchExpressions", i) + ".values", op + " takes no values");
    }
  }
  static const SpecPtr order = k8s_policy_spec();
  order_like(spec, *order);
}

S network_set_spec() {
  return obj({{"nets", list(cidr())}});
}

S host_endpoint_spec() {
  return obj({
      {"node", name_ref()},
      {"interfaceName", str()},
      {"expectedIPs", list(ip())},
      {"profiles", list(name_ref())},
      {"ports", list(obj({{"name", str().req()},
                          {"protocol", protocol().req()},
                          {"port", integer().req().range(1, 65535)}}))},
  });
}

void finish_host_endpoint(Json& doc, Walk& w) {
  const Json& spec = doc["spec"];
  if (!has(spec, "interfaceName") && (!has(spec, "expectedIPs") || spec["expectedIPs"].empty()))
    w.error("spec", "a host endpoint needs interfaceName or expectedIPs");
}

S tier_spec() {
  return obj({{"order", number()}, {"defaultAction", str().def("Deny").oneof({"Deny", "Pass"})}});
}

void finish_tier(Json& doc, Walk&) {
  // The fixed tiers' orders (api/pkg/apis/projectcalico/v3/tier.go).
  Json& spec = doc["spec"];
  std::string name = doc_name(doc);
  if (!has(spec, "order")) {
    if (name == "default") spec["order"] = 1000000;
    if (name == "kube-admin") spec["order"] = 1000;
    if (name == "kube-baseline") spec["order"] = 10000000;
  }
  static const SpecPtr order = tier_spec();
  order_like(spec, *order);
}

}  // namespace

std::vector<std::pair<std::string, KindSchema>> policy_schemas() {
  std::vector<std::pair<std::string, KindSchema>> v;
  v.push_back(
      {"networkpolicies",
       {document(*find_kind(kCalicoApi, "NetworkPolicy"), calico_policy_spec(false), obj({})),
        [](Json& d, Walk& w) { finish_calico_policy(d, w, false); }}});
  v.push_back({"kubernetesnetworkpolicies",
               {document(*find_kind(kK8sNetworkingApi, "NetworkPolicy"), k8s_policy_spec(), any()),
                finish_k8s_policy}});
  v.push_back({"globalnetworkpolicies",
               {document(*find_kind("GlobalNetworkPolicy"), calico_policy_spec(true), obj({})),
                [](Json& d, Walk& w) { finish_calico_policy(d, w, true); }}});
  v.push_back(
      {"networksets", {document(*find_kind("NetworkSet"), network_set_spec(), obj({})), nullptr}});
  v.push_back({"globalnetworksets",
               {document(*find_kind("GlobalNetworkSet"), network_set_spec(), obj({})), nullptr}});
  v.push_back({"hostendpoints",
               {document(*find_kind("HostEndpoint"), host_endpoint_spec(), obj({})),
                finish_host_endpoint}});
  v.push_back({"tiers",
               {document(*find_kind("Tier"), tier_spec(), obj({{"conditions", list(any())}})),
                finish_tier}});
  return v;
}

}  // namespace podnet::conf::schema
