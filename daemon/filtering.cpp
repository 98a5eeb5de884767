#include "daemon/filtering.hpp"

#include <spdlog/spdlog.h>

#include "conf/types/ipam.hpp"
#include "conf/types/routing.hpp"
#include "daemon/node_address.hpp"
#include "ipam-sync/resource_ops.hpp"
#include "policy/endpoints.hpp"
#include "policy/nat_outgoing.hpp"
#include "policy/nft/nft_programmer.hpp"
#include "policy/policy_engine.hpp"

namespace podnet::daemon {

namespace {
// How often the kernel's tables are compared with what podnetd applied (cheap when nothing in
// nftables changed since the last check: the engine compares generations first).
constexpr std::chrono::seconds kCheckInterval{30};
}  // namespace

Filtering::Filtering(boost::asio::io_context& io, const conf::DaemonConfig& config,
                     store::Datastore& store)
    : io_(io), config_(config), store_(store), check_timer_(io) {
  if (config_.policy.enabled) policy_ = std::make_unique<policy::PolicyEngine>();
  schedule_check();
}

Filtering::~Filtering() {
  check_timer_.cancel();
}

bool Filtering::concerns_policy(const std::string& key) {
  for (const char* p : {"ipamblocks/", "blockaffinities/", "ipamhandles/", "ipamconfigs/",
                        "bgpconfigurations/", "bgppeers/", "bgpfilters/", "secrets/"})
    if (key.rfind(p, 0) == 0) return false;
  return true;
}

bool Filtering::concerns_nat(const std::string& key) {
  for (const char* p : {"ippools/", "nodes/", "felixconfigurations/"})
    if (key.rfind(p, 0) == 0) return true;
  return false;
}

namespace {

// This node's non-workload interfaces and their addresses, as Felix's interface monitor gives
// them to host endpoint resolution (workload devices, cali*, are never host endpoints).
std::map<std::string, std::vector<policy::IpAddr>> host_interfaces() {
  std::map<std::string, std::vector<policy::IpAddr>> out;
  for (const auto& a : interface_addresses()) {
    if (a.ifname.rfind("cali", 0) == 0) continue;
    if (auto ip = policy::IpAddr::parse(a.address)) out[a.ifname].push_back(*ip);
  }
  return out;
}

// The UDP ports this node's tunnels use, which host endpoint policy must not cut: WireGuard's
// (while enabled) and VXLAN's (while a pool uses VXLAN). Felix accepts them likewise in its
// static input/output rules; it also restricts VXLAN to known host addresses, we do not.
std::vector<int> overlay_udp_ports(const ResourceCache& cache, const std::string& node) {
  std::vector<int> ports;
  const conf::types::FelixConfiguration felix = felix_config_for(cache, node);
  if (felix.spec.wireguard_enabled)
    ports.push_back(static_cast<int>(felix.spec.wireguard_listening_port));
  if (felix.spec.wireguard_enabled_v6)
    ports.push_back(static_cast<int>(felix.spec.wireguard_listening_port_v6));
  for (const auto& pool : decode_all<conf::types::IPPool>(cache, "ippools"))
    if (pool.spec.vxlan_mode != "Never") {
      ports.push_back(static_cast<int>(felix.spec.vxlan_port));
      break;
    }
  return ports;
}

}  // namespace

void Filtering::update_policy(const ResourceCache& cache) {
  if (!policy_) return;
  cache_ = &cache;
  policy_->set_host_interfaces(host_interfaces());
  policy_->set_overlay_udp_ports(overlay_udp_ports(cache, config_.node_name));
  const std::size_t applies = policy_->status().applies;
  if (auto st = policy_->update(cache.resources(), config_.node_name); !st) {
    spdlog::warn("policy: {}", st.error().message);
    return;
  }
  // The first apply tells whether a previous podnetd's table was found: adopted as it was (a
  // restart changes nothing in the kernel) or replaced in one transaction.
  const auto& last = policy_->status().last_apply;
  if (applies == 0 && last && last->adopted)
    spdlog::info("policy: adopted the table a previous run left in the kernel");
  else if (applies == 0 && last && last->replaced)
    spdlog::info("policy: replaced the table a previous run left in the kernel");
  // Logged when they change, not at every update while a bad resource stays.
  if (policy_->status().errors != policy_errors_) {
    policy_errors_ = policy_->status().errors;
    for (const auto& e : policy_errors_) spdlog::warn("policy: rejected: {}", e);
  }
}

bool Filtering::concerns_auto_hep(const std::string& key) {
  for (const char* p : {"nodes/", "kubecontrollersconfigurations/", "hostendpoints/"})
    if (key.rfind(p, 0) == 0) return true;
  return false;
}

void Filtering::update_auto_hep(const ResourceCache& cache) {
  const std::string name = config_.node_name + "-auto-hep";
  const std::string key = "hostendpoints/" + name;
  std::vector<conf::types::Node> self;
  for (auto& n : decode_all<conf::types::Node>(cache, "nodes"))
    if (n.metadata.name == config_.node_name) self.push_back(std::move(n));
  std::optional<conf::types::KubeControllersConfiguration> kcc;
  for (auto& k : decode_all<conf::types::KubeControllersConfiguration>(
           cache, "kubecontrollersconfigurations"))
    if (k.metadata.name == "default") kcc = std::move(k);
  const auto want = policy::auto_host_endpoints(self, kcc ? &*kcc : nullptr);
  const auto& all = cache.resources();
  const auto have = all.find(key);
  if (want.empty()) {
    if (have == all.end()) return;
    if (auto r = store_.remove(key, 0); !r && r.error().code != Errc::not_found)
      spdlog::warn("auto host endpoint {}: {}", name, r.error().message);
    else
      spdlog::info("auto host endpoint {} removed", name);
    return;
  }
  const conf::types::HostEndpoint& h = want.front();
  nlohmann::json doc = {{"apiVersion", "projectcalico.org/v3"},
                        {"kind", "HostEndpoint"},
                        {"metadata", {{"name", name}, {"labels", h.metadata.labels}}},
                        {"spec",
                         {{"node", h.spec.node},
                          {"interfaceName", h.spec.interface_name},
                          {"expectedIPs", h.spec.expected_ips},
                          {"profiles", h.spec.profiles}}}};
  if (have != all.end() && have->second.doc.contains("spec") &&
      nlohmann::json::parse(have->second.doc["spec"].dump()) == doc["spec"] &&
      nlohmann::json::parse(
          have->second.doc["metadata"].value("labels", nlohmann::ordered_json::object()).dump()) ==
          doc["metadata"]["labels"])
    return;  // already as it should be
  auto parsed = conf::parse_resource(doc, "<auto host endpoint>");
  if (!parsed) {
    spdlog::error("auto host endpoint {}: {}", name, parsed.error().message);
    return;
  }
  if (auto w = store::write(store_, std::move(*parsed), store::WriteMode::apply); !w)
    spdlog::warn("auto host endpoint {}: {}", name, w.error().message);
  else
    spdlog::info("auto host endpoint {} written", name);
}

void Filtering::update_nat(const ResourceCache& cache) {
  if (!config_.nat_outgoing) return;
  const auto pools = decode_all<conf::types::IPPool>(cache, "ippools");
  std::vector<std::string> host_ips;
  for (const auto& n : decode_all<conf::types::Node>(cache, "nodes")) {
    if (!n.spec.bgp) continue;
    for (const std::string* a : {&n.spec.bgp->ipv4_address, &n.spec.bgp->ipv6_address})
      if (!a->empty()) host_ips.push_back(a->substr(0, a->find('/')));
  }
  const conf::types::FelixConfiguration felix = felix_config_for(cache, config_.node_name);
  auto table = policy::nat_outgoing_table(pools, host_ips, felix.spec);
  if (!table) {
    nat_error_ = table.error().message;
    spdlog::warn("nat outgoing: {} (previous rules stay)", nat_error_);
    return;
  }
  if (!nat_) {
    auto p = policy::nft::Programmer::create();
    if (!p) {
      nat_error_ = p.error().message;
      spdlog::error("nat outgoing: {}", nat_error_);
      return;
    }
    nat_ = std::move(*p);
  }
  if (auto applied = nat_->apply(*table); !applied) {
    nat_error_ = applied.error().message;
    spdlog::warn("nat outgoing: {} (previous rules stay)", nat_error_);
    return;
  }
  nat_error_.clear();
  ++nat_applies_;
}

void Filtering::schedule_check() {
  check_timer_.expires_after(kCheckInterval);
  check_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    // An address moved to another interface re-resolves host endpoints given by expectedIPs.
    if (policy_ && cache_ && policy_->set_host_interfaces(host_interfaces())) {
      spdlog::info("policy: host interfaces changed, host endpoints re-resolved");
      update_policy(*cache_);
    }
    if (policy_) {
      auto repaired = policy_->verify_and_repair();
      if (!repaired) {
        spdlog::warn("policy: drift check: {}", repaired.error().message);
      } else if (!repaired->empty()) {
        spdlog::warn("policy: repaired {} difference(s) found in the kernel", repaired->size());
      }
    }
    if (nat_) {
      if (auto diff = nat_->verify(); diff && !diff->empty()) {
        spdlog::warn("nat outgoing: repairing {} difference(s) found in the kernel", diff->size());
        if (auto r = nat_->repair(); !r) spdlog::warn("nat outgoing: {}", r.error().message);
      }
    }
    schedule_check();
  });
}

nlohmann::ordered_json Filtering::status_json() const {
  nlohmann::ordered_json j;
  j["policy"] =
      policy_
          ? nlohmann::ordered_json(nlohmann::ordered_json::parse(policy_->status().json().dump()))
          : nlohmann::ordered_json({{"enabled", false}});
  j["natOutgoing"] = {
      {"enabled", config_.nat_outgoing}, {"applies", nat_applies_}, {"error", nat_error_}};
  return j;
}

}  // namespace podnet::daemon
