// KubeControllersConfiguration (api/pkg/apis/projectcalico/v3/kubecontrollersconfig.go), with the
// defaults kube-controllers writes when it creates `default`.
#include "conf/schema/common.hpp"

namespace podnet::conf::schema {
namespace {

const std::vector<std::string> kEnabled = {"Enabled", "Disabled"};

S kcc_spec() {
  auto reconciler = obj({{"reconcilerPeriod", duration()}});
  return obj({
      {"logSeverityScreen",
       str().def("Info").oneof({"Trace", "Debug", "Info", "Warning", "Error", "Fatal"})},
      {"healthChecks", str().def("Enabled").oneof(kEnabled)},
      {"etcdV3CompactionPeriod", duration()},
      {"prometheusMetricsPort", integer().range(0, 65535)},
      {"controllers",
       obj({
               {"node",
                obj({
                    {"reconcilerPeriod", duration()},
                    {"syncLabels", str().def("Enabled").oneof(kEnabled)},
                    {"hostEndpoint",
                     obj({{"autoCreate", str().def("Disabled").oneof(kEnabled)},
                          {"createDefaultHostEndpoint", str().oneof({"Enabled", "Disabled"})},
                          {"templates", list(obj({{"generateName", name_ref()},
                                                  {"interfaceCIDRs", list(cidr())},
                                                  {"interfacePattern", str()},
                                                  {"labels", labels()},
                                                  {"annotations", annotations()},
                                                  {"nodeSelector", selector()}}))}})},
                    {"leakGracePeriod", duration()},
                })},
               {"policy", reconciler},
               {"workloadEndpoint", reconciler},
               {"serviceAccount", reconciler},
               {"namespace", reconciler},
               {"loadBalancer",
                obj({{"assignIPs", str().oneof({"AllServices", "RequestedServicesOnly"})}})},
               {"migration", obj({{"policyNameMigrator", str().oneof(kEnabled)}})},
           })
           .always()},
      {"debugProfilePort", integer().range(0, 65535)},
  });
}

}  // namespace

KindSchema kube_controllers_schema() {
  return {document(*find_kind("KubeControllersConfiguration"), kcc_spec(),
                   obj({{"runningConfig", any()}, {"environmentVars", map(str())}})),
          nullptr};
}

}  // namespace podnet::conf::schema
