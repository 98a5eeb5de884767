// podnet's CNI 1.0 plugins (`podnet`, the network plugin, and `podnet-ipam`): the protocol half
// shared by both — the CNI_* environment, the network configuration on stdin, the result and
// error documents on stdout in the format of the configuration's cniVersion, and the spec's error
// codes. Kernel and datastore work lives in network_plugin.hpp and ipam_plugin.hpp.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "conf/result.hpp"

namespace podnet::cni {

// The CNI spec's well-known error codes; 100 and up are this plugin's own.
enum Code : int {
  kIncompatibleVersion = 1,
  kUnsupportedField = 2,
  kUnknownContainer = 3,
  kInvalidEnv = 4,
  kIoFailure = 5,
  kDecodeFailure = 6,
  kInvalidConfig = 7,
  kTryAgainLater = 11,
  kIpamFailure = 100,       // the allocator refused (no pool, pool exhausted, ...)
  kKernelFailure = 101,     // a netlink or sysctl change failed
  kDatastoreFailure = 102,  // the Pod record could not be written
  kCheckFailed = 103,       // CHECK found the container's networking not as ADD left it
};

struct CniError {
  int code = kIpamFailure;
  std::string msg;
  std::string details;
};
template <class T>
using Outcome = podnet::Result<T, CniError>;
using Done = Outcome<Ok>;

inline CniError cni_error(int code, std::string msg, std::string details = "") {
  return CniError{code, std::move(msg), std::move(details)};
}
// A podnet error as a CNI error: unreachable datastore and lost races are "try again later".
CniError from_error(const Error& e, int code, const std::string& what);

inline constexpr const char* kPrimaryVersion = "1.0.0";
const std::vector<std::string>& supported_versions();
bool is_supported_version(std::string_view v);
// Does version v have CHECK (0.4.0 and later)?
bool version_has_check(std::string_view v);

enum class Command { add, del, check, version };

struct Env {
  Command command = Command::add;
  std::string container_id;                 // CNI_CONTAINERID
  std::string netns;                        // CNI_NETNS (may be empty for DEL)
  std::string ifname;                       // CNI_IFNAME
  std::string path;                         // CNI_PATH
  std::map<std::string, std::string> args;  // CNI_ARGS, "K=V;K=V"
  std::string pod_namespace() const;        // K8S_POD_NAMESPACE or ""
  std::string pod_name() const;             // K8S_POD_NAME or ""
};

// Reads and validates the CNI_* variables for the command they name (VERSION needs none).
using Getenv = std::function<const char*(const char*)>;
Outcome<Env> parse_env(const Getenv& getenv);

struct IpamConf {
  std::string type;
  bool assign_ipv4 = true;
  bool assign_ipv6 = false;
  std::vector<std::string> ipv4_pools, ipv6_pools;
};

struct NetConf {
  std::string cni_version;
  std::string name;
  std::string type;
  std::string nodename;  // "" until resolve_nodename
  std::string nodename_file = "/var/lib/calico/nodename";
  std::string datastore = "dir:/var/lib/podnet/datastore";
  std::optional<uint32_t> mtu;  // explicit "mtu"
  std::string mtu_file = "/var/lib/calico/mtu";
  IpamConf ipam;
  nlohmann::json prev_result;  // null unless given (CHECK, chained DEL)
};

// Decode failure (6) for bad JSON, incompatible version (1), invalid config (7) otherwise.
Outcome<NetConf> parse_net_conf(std::string_view text);

// Calico's order: the config's nodename, else the nodename file, else the host name.
std::string resolve_nodename(const NetConf& c);
// The config's mtu, else the number in mtu_file (written by podnetd), else 1500.
uint32_t resolve_mtu(const NetConf& c);

// --- results -----------------------------------------------------------------------------------
struct Interface {
  std::string name, mac, sandbox;
};
struct IpConfig {
  std::string address;  // CIDR: "10.244.1.5/32"
  std::string gateway;  // optional
  std::optional<int> interface;
  int family() const;  // 4 or 6, from the address
};
struct Route {
  std::string dst, gw;
};
struct AddResult {
  std::vector<Interface> interfaces;
  std::vector<IpConfig> ips;
  std::vector<Route> routes;
};

// The result document in `version`'s format (0.3.x / 0.4.0 add "version" to each IP).
nlohmann::ordered_json result_json(const AddResult& r, const std::string& version);
// Reads a result of any supported version (a delegated IPAM plugin's, or a prevResult).
Outcome<AddResult> parse_result(const nlohmann::json& j);
nlohmann::ordered_json error_json(const CniError& e, const std::string& version);
nlohmann::ordered_json version_json(const std::string& version);

// --- the executable's frame --------------------------------------------------------------------
struct Handlers {
  std::function<Outcome<AddResult>(const Env&, const NetConf&, const std::string& stdin_text)> add;
  std::function<Done(const Env&, const NetConf&, const std::string& stdin_text)> del;
  std::function<Done(const Env&, const NetConf&, const std::string& stdin_text)> check;
};
// Reads the environment and stdin, dispatches, prints the result or error JSON on stdout.
// Returns the process exit code (0, or 1 with an error document).
int plugin_main(const Handlers& h);

}  // namespace podnet::cni
