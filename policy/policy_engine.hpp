// The policy engine: the daemon's one entry point to nftables policy. update() takes the conf
// resources the daemon holds (Pods, Namespaces, ServiceAccounts, policies of every kind, network
// sets, HostEndpoints, Tiers, FelixConfiguration) and this node's name, builds the model and the
// endpoints, compiles them (policy/compiler.hpp) and applies the table in one batch.
//
// A resource that fails validation (in the model or in the compiler) does not stop the others:
// its last good version (from an earlier update) is used in its place, or, if it never was good,
// it is left out; either way it is reported in status().errors until it is fixed. So a bad edit
// to a policy keeps the ruleset that policy had.
//
// Updates are incremental when they can be: the engine compares the resources with those of the
// last update, and when only Pods changed (label change, pod added or deleted) it rebuilds just
// those pods' endpoints and lets the IncrementalCompiler (policy/incremental.hpp) produce the
// set-element and chain changes, applied in one batch without a whole-table diff. Anything
// else — or an incremental step that fails — takes the full path (model, compile, table diff).
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "conf/resource.hpp"
#include "conf/result.hpp"
#include "policy/incremental.hpp"
#include "policy/ip.hpp"
#include "policy/nft/nft_programmer.hpp"

namespace podnet::policy {

struct EngineStatus {
  bool programmed = false;  // a table is in the kernel
  std::size_t updates = 0, applies = 0;
  std::size_t local_endpoints = 0, endpoints = 0, policies = 0;
  std::size_t chains = 0, rules = 0, sets = 0, elements = 0;
  std::vector<std::string> errors;  // "<resource>: <why>" for each resource left out / held back
  std::string last_apply_error;     // the kernel rejected the last batch (previous table stays)
  std::optional<nft::ApplyStats> last_apply;
  double last_update_ms = 0;
  double last_apply_ms = 0;              // of which the netlink batch (send, commit, read-back)
  bool last_update_incremental = false;  // the last update changed only pods: no full compile
  std::size_t incremental_updates = 0;
  std::size_t repairs = 0;
  nlohmann::json json() const;  // for /v1/status
};

class PolicyEngine {
 public:
  struct Options {
    std::string table = "podnet";
    nft::Programmer::Options programmer;
  };
  PolicyEngine();
  explicit PolicyEngine(Options opts);
  ~PolicyEngine();

  // Builds, compiles and applies. The netlink socket is opened on the first call, in the calling
  // thread's network namespace. Errors in single resources are in status(), not in the result:
  // the result fails only when nothing could be applied (no socket, the kernel refused).
  Status update(const std::vector<conf::Resource>& resources, const std::string& node);
  // The same from the daemon's cache (datastore key -> resource).
  Status update(const std::map<std::string, conf::Resource>& resources, const std::string& node);
  // For a periodic timer: checks the kernel against the last applied table (skipped when the
  // nftables generation did not move) and repairs drift in one batch. Returns what was repaired.
  Result<std::vector<std::string>> verify_and_repair();
  // This node's non-workload interfaces and their addresses, for host endpoints given by
  // expectedIPs only (CompileOptions::host_interfaces); used from the next update(). Returns
  // whether they changed (then the caller should update()).
  bool set_host_interfaces(std::map<std::string, std::vector<IpAddr>> interfaces);
  // UDP ports of this node's own tunnels (WireGuard's listening ports, VXLAN's port): accepted
  // in and out before host endpoint policy, as Felix accepts its WireGuard and VXLAN traffic
  // ahead of it, so a default-deny host endpoint does not cut the overlay. Used from the next
  // update(); returns whether they changed.
  bool set_overlay_udp_ports(std::vector<int> ports);
  // Deletes the table (shutdown).
  Status remove();

  const EngineStatus& status() const { return status_; }
  // The last table applied (nullptr before the first success).
  const nft::Table* applied() const;

 private:
  Status ensure_programmer();
  using Inputs = std::map<std::string, const conf::Resource*>;
  Status update(const Inputs& now, const std::string& node);
  Status full_update(const Inputs& now, const std::string& node);
  // nullopt: not a pods-only change; the full path runs.
  std::optional<Status> incremental_update(const Inputs& now, const std::string& node);
  void record_inputs(const Inputs& now);
  void publish_errors();

  Options opts_;
  std::unique_ptr<nft::Programmer> prog_;
  std::map<std::string, conf::Resource> last_good_;  // datastore key -> last version applied
  EngineStatus status_;
  IncrementalCompiler inc_;
  std::string inc_node_;
  std::map<std::string, conf::Resource> inputs_;  // the last update's resources, by key
  std::vector<std::string> policy_errors_;
  std::map<std::string, std::vector<std::string>> endpoint_errors_;  // by datastore key
  std::map<std::string, std::vector<IpAddr>> host_interfaces_;
  std::vector<int> overlay_udp_ports_;
};

}  // namespace podnet::policy
