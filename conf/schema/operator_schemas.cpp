// The Tigera operator's Installation (operator.tigera.io/v1). podnet reads only
// spec.calicoNetwork, validates it strictly, fills the operator's defaults and turns its ipPools
// into IPPools as the operator does (pkg/controller/installation defaults and ippool rendering).
// The rest of the spec (registry, variant, component settings...) is kept as written.
#include <fmt/format.h>

#include "conf/schema/checks.hpp"
#include "conf/schema/common.hpp"

namespace podnet::conf::schema {
namespace {

const std::vector<std::string> kEnabled = {"Enabled", "Disabled"};

S operator_ippool() {
  return obj({
      {"name", name_ref()},
      {"cidr", strict_cidr().req()},
      {"encapsulation",
       str().oneof({"None", "IPIP", "IPIPCrossSubnet", "VXLAN", "VXLANCrossSubnet"})},
      {"natOutgoing", str().oneof(kEnabled)},
      {"nodeSelector", selector()},
      {"blockSize", integer()},
      {"disableBGPExport", boolean()},
      {"disableNewAllocations", boolean()},
      {"allowedUses", list(str().oneof({"Workload", "Tunnel", "LoadBalancer"}))},
      {"assignmentMode", str().oneof({"Automatic", "Manual"})},
  });
}

S calico_network() {
  return obj({
      {"linuxDataplane", str().oneof({"Iptables", "BPF", "VPP", "Nftables"})},
      {"windowsDataplane", str().oneof({"Disabled", "HNS"})},
      {"bgp", str().oneof(kEnabled)},
      {"ipPools", list(operator_ippool())},
      {"mtu", integer().range(0, 65535)},
      {"nodeAddressAutodetectionV4", any()},
      {"nodeAddressAutodetectionV6", any()},
      {"hostPorts", str().oneof(kEnabled)},
      {"multiInterfaceMode", str().oneof({"None", "Multus"})},
      {"containerIPForwarding", str().oneof(kEnabled)},
      {"linuxPolicySetupTimeoutSeconds", integer()},
      {"bpfNetworkBootstrap", str().oneof(kEnabled)},
      {"kubeProxyManagement", str().oneof(kEnabled)},
      {"sysctl", list(obj({{"key", str().req()}, {"value", str().req()}}))},
  });
}

void finish_installation(Json& doc, Walk& w) {
  Json& spec = doc["spec"];
  if (!has(spec, "calicoNetwork")) spec["calicoNetwork"] = Json::object();
  Json& net = spec["calicoNetwork"];
  if (!has(net, "bgp")) net["bgp"] = "Enabled";
  if (!has(net, "ipPools"))  // the operator's default pool when none is configured
    net["ipPools"] = Json::array({Json::object({{"cidr", "192.168.0.0/16"}})});
  bool bgp = net["bgp"] == "Enabled";
  bool have_v4 = false, have_v6 = false;
  for (size_t i = 0; i < net["ipPools"].size(); ++i) {
    Json& p = net["ipPools"][i];
    std::string path = index("spec.calicoNetwork.ipPools", i);
    auto c = parse_cidr(p["cidr"].get<std::string>());
    if (!c) continue;
    bool v4 = c->addr.family == 4;
    if ((v4 && have_v4) || (!v4 && have_v6))
      w.error(path + ".cidr", fmt::format("only one IPv{} pool is allowed", v4 ? 4 : 6));
    (v4 ? have_v4 : have_v6) = true;
    if (!has(p, "name")) p["name"] = v4 ? "default-ipv4-ippool" : "default-ipv6-ippool";
    if (!has(p, "encapsulation")) p["encapsulation"] = !v4 ? "None" : bgp ? "IPIP" : "VXLAN";
    if (!has(p, "natOutgoing")) p["natOutgoing"] = "Enabled";
    if (!has(p, "nodeSelector")) p["nodeSelector"] = "all()";
    if (!has(p, "blockSize")) p["blockSize"] = v4 ? 26 : 122;
    if (!has(p, "disableBGPExport")) p["disableBGPExport"] = false;
    if (!has(p, "allowedUses")) p["allowedUses"] = Json::array({"Workload", "Tunnel"});
    if (!has(p, "assignmentMode")) p["assignmentMode"] = "Automatic";
    std::string enc = p["encapsulation"].get<std::string>();
    if (!v4 && enc.rfind("IPIP", 0) == 0)
      w.error(path + ".encapsulation", "IPIP is not supported on an IPv6 pool");
    if (!bgp && enc.rfind("IPIP", 0) == 0)
      w.error(path + ".encapsulation", "IPIP encapsulation needs bgp: Enabled");
    static const SpecPtr order = operator_ippool();
    order_like(p, *order);
  }
  static const SpecPtr order = calico_network();
  order_like(net, *order);
}

}  // namespace

std::vector<Json> installation_ippools(const Json& installation) {
  std::vector<Json> out;
  const Json* pools = at(installation, {"spec", "calicoNetwork", "ipPools"});
  if (!pools) return out;
  for (const Json& p : *pools) {
    std::string enc = p.value("encapsulation", "None");
    Json spec = Json::object();
    spec["cidr"] = p["cidr"];
    spec["vxlanMode"] = enc == "VXLAN"              ? "Always"
                        : enc == "VXLANCrossSubnet" ? "CrossSubnet"
                                                    : "Never";
    spec["ipipMode"] = enc == "IPIP"              ? "Always"
                       : enc == "IPIPCrossSubnet" ? "CrossSubnet"
                                                  : "Never";
    spec["natOutgoing"] = p.value("natOutgoing", "Enabled") == "Enabled";
    spec["disabled"] = p.value("disableNewAllocations", false);
    spec["disableBGPExport"] = p.value("disableBGPExport", false);
    if (has(p, "blockSize")) spec["blockSize"] = p["blockSize"];
    if (has(p, "nodeSelector")) spec["nodeSelector"] = p["nodeSelector"];
    if (has(p, "allowedUses")) spec["allowedUses"] = p["allowedUses"];
    if (has(p, "assignmentMode")) spec["assignmentMode"] = p["assignmentMode"];
    out.push_back(Json::object({
        {"apiVersion", std::string(kCalicoApi)},
        {"kind", "IPPool"},
        {"metadata", Json::object({{"name", p["name"]},
                                   {"labels", Json::object({{"app.kubernetes.io/managed-by",
                                                             "tigera-operator"}})}})},
        {"spec", spec},
    }));
  }
  return out;
}

std::vector<std::pair<std::string, KindSchema>> operator_schemas() {
  std::vector<std::pair<std::string, KindSchema>> v;
  v.push_back({"installations",
               {document(*find_kind(kOperatorApi, "Installation"),
                         obj({{"calicoNetwork", calico_network()}}).open(), any()),
                finish_installation}});
  return v;
}

}  // namespace podnet::conf::schema
