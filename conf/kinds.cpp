#include "conf/kinds.hpp"

#include <algorithm>
#include <cctype>

namespace podnet::conf {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::vector<KindInfo> make_kinds() {
  const std::string calico(kCalicoApi), knet(kK8sNetworkingApi), core(kK8sCoreApi),
      op(kOperatorApi);
  // Order matters for find_kind(name): the first kind whose name matches wins, so Calico's
  // NetworkPolicy precedes Kubernetes' (calicoctl's reading of "networkpolicy").
  return {
      {"Node", calico, "nodes", {"node", "nodes", "no"}},
      {"IPPool", calico, "ippools", {"ippool", "ippools", "ipp", "ipps", "pool", "pools"}},
      {"IPAMBlock", calico, "ipamblocks", {"ipamblock", "ipamblocks", "block", "blocks"}},
      {"BlockAffinity",
       calico,
       "blockaffinities",
       {"blockaffinity", "blockaffinities", "affinity", "affinities", "ba", "bas"}},
      {"IPAMConfig",
       calico,
       "ipamconfigs",
       {"ipamconfig", "ipamconfigs", "ipamconfiguration", "ipamconfigurations"}},
      {"IPAMHandle", calico, "ipamhandles", {"ipamhandle", "ipamhandles", "handle", "handles"}},
      {"BGPConfiguration",
       calico,
       "bgpconfigurations",
       {"bgpconfiguration", "bgpconfigurations", "bgpconfig", "bgpconfigs"}},
      {"BGPPeer", calico, "bgppeers", {"bgppeer", "bgppeers", "bgpp", "bgpps", "bp", "bps"}},
      {"BGPFilter", calico, "bgpfilters", {"bgpfilter", "bgpfilters"}},
      {"FelixConfiguration",
       calico,
       "felixconfigurations",
       {"felixconfiguration", "felixconfigurations", "felixconfig", "felixconfigs"}},
      {"KubeControllersConfiguration",
       calico,
       "kubecontrollersconfigurations",
       {"kubecontrollersconfiguration", "kubecontrollersconfigurations", "kubecontrollersconfig",
        "kubecontrollersconfigs", "kcc"}},
      {"NetworkPolicy",
       calico,
       "networkpolicies",
       {"networkpolicy", "networkpolicies", "policy", "policies", "pol", "pols", "np",
        "networkpolicy.projectcalico.org", "networkpolicies.projectcalico.org"},
       true},
      {"NetworkPolicy",
       knet,
       "kubernetesnetworkpolicies",
       {"netpol", "netpols", "knp", "kubernetesnetworkpolicy", "kubernetesnetworkpolicies",
        "networkpolicy.networking.k8s.io", "networkpolicies.networking.k8s.io"},
       true},
      {"GlobalNetworkPolicy",
       calico,
       "globalnetworkpolicies",
       {"globalnetworkpolicy", "globalnetworkpolicies", "gnp", "gnps", "globalpolicy",
        "globalpolicies"}},
      {"NetworkSet",
       calico,
       "networksets",
       {"networkset", "networksets", "netset", "netsets"},
       true},
      {"GlobalNetworkSet",
       calico,
       "globalnetworksets",
       {"globalnetworkset", "globalnetworksets", "globalnetset", "globalnetsets"}},
      {"HostEndpoint", calico, "hostendpoints", {"hostendpoint", "hostendpoints", "hep", "heps"}},
      {"Tier", calico, "tiers", {"tier", "tiers"}},
      {"Namespace", core, "namespaces", {"namespace", "namespaces", "ns"}},
      {"Pod", core, "pods", {"pod", "pods", "po"}, true},
      {"ServiceAccount",
       core,
       "serviceaccounts",
       {"serviceaccount", "serviceaccounts", "sa"},
       true},
      {"Secret", core, "secrets", {"secret", "secrets"}, true},
      {"Service", core, "services", {"service", "services", "svc"}, true},
      {"Installation", op, "installations", {"installation", "installations"}},
  };
}

}  // namespace

const std::vector<KindInfo>& all_kinds() {
  static const std::vector<KindInfo> kinds = make_kinds();
  return kinds;
}

const KindInfo* find_kind(std::string_view name) {
  for (const auto& k : all_kinds())
    if (iequals(k.kind, name)) return &k;
  for (const auto& k : all_kinds())
    for (const auto& a : k.aliases)
      if (iequals(a, name)) return &k;
  return nullptr;
}

const KindInfo* find_kind(std::string_view api_version, std::string_view kind) {
  for (const auto& k : all_kinds())
    if (k.api_version == api_version && k.kind == kind) return &k;
  // IPAMConfiguration is the CRD's name for what calicoctl calls IPAMConfig.
  if (api_version == kCalicoApi && kind == "IPAMConfiguration") return find_kind("IPAMConfig");
  return nullptr;
}

}  // namespace podnet::conf
