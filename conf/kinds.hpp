// The resource kinds podnet understands: Calico's projectcalico.org/v3 kinds, the Kubernetes
// kinds it reads (NetworkPolicy, Namespace, Pod, ServiceAccount, Secret) and the Tigera
// operator's Installation. One table names each kind, its datastore prefix and the names
// podnetctl accepts for it (as calicoctl and kubectl do).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace podnet::conf {

struct KindInfo {
  std::string kind;                  // "IPPool"
  std::string api_version;           // "projectcalico.org/v3"
  std::string plural;                // "ippools": the datastore key prefix, lower case, unique
  std::vector<std::string> aliases;  // names podnetctl accepts, lower case: singular, plural, short
  bool namespaced = false;
};

const std::vector<KindInfo>& all_kinds();

// Case-insensitive lookup by kind name or alias ("IPPool", "ippools", "pool", "gnp", "heps",
// "bgppeers", "felixconfiguration", "netpol", "networkpolicy", "knp"...). nullptr if unknown.
// "NetworkPolicy"/"networkpolicy" is Calico's; Kubernetes' answers to netpol/knp.
const KindInfo* find_kind(std::string_view name);
// By the apiVersion and kind written in a document. nullptr if unknown.
const KindInfo* find_kind(std::string_view api_version, std::string_view kind);

inline constexpr std::string_view kCalicoApi = "projectcalico.org/v3";
inline constexpr std::string_view kK8sNetworkingApi = "networking.k8s.io/v1";
inline constexpr std::string_view kK8sCoreApi = "v1";
inline constexpr std::string_view kOperatorApi = "operator.tigera.io/v1";

}  // namespace podnet::conf
