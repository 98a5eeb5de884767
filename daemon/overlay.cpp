#include "daemon/overlay.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "conf/types/ipam.hpp"
#include "conf/types/routing.hpp"
#include "dataplane/interfaces.hpp"
#include "dataplane/ipip_programmer.hpp"
#include "dataplane/mtu.hpp"
#include "dataplane/vxlan_programmer.hpp"
#include "dataplane/wireguard.hpp"
#include "ipam-sync/allocator.hpp"
#include "ipam-sync/origination.hpp"
#include "ipam-sync/resource_ops.hpp"

namespace podnet::daemon {

namespace {

using conf::types::FelixConfiguration;
using conf::types::IPPool;
using conf::types::Node;
namespace encap = dataplane::encap;

std::optional<rib::Address> node_ipv4(const Node& n) {
  if (!n.spec.bgp || n.spec.bgp->ipv4_address.empty()) return std::nullopt;
  const std::string& a = n.spec.bgp->ipv4_address;
  auto ip = rib::Address::parse(a.substr(0, a.find('/')));
  if (!ip) return std::nullopt;
  return *ip;
}

}  // namespace

Overlay::Overlay(boost::asio::io_context& io, const conf::DaemonConfig& config,
                 store::Datastore& store)
    : io_(io), config_(config), store_(store) {}

Overlay::~Overlay() = default;

bool Overlay::concerns_wireguard(const std::string& key) {
  for (const char* p : {"nodes/", "ippools/", "ipamblocks/", "felixconfigurations/"})
    if (key.rfind(p, 0) == 0) return true;
  return false;
}

void Overlay::update_wireguard(const ResourceCache& cache) {
  const FelixConfiguration felix = felix_config_for(cache, config_.node_name);
  // IPv4 (wireguardEnabled) and IPv6 (wireguardEnabledV6) are two programmers of one kind.
  const bool on[2] = {felix.spec.wireguard_enabled && config_.dataplane.overlay,
                      felix.spec.wireguard_enabled_v6 && config_.dataplane.overlay};
  for (int i = 0; i < 2; ++i) {
    if (on[i]) continue;
    if (wg_[i]) wg_[i]->set_config(std::nullopt);  // removes it all, then unpublishes the key
    wg_error_[i].clear();
  }
  if (!on[0] && !on[1]) return;
  const auto nodes = decode_all<Node>(cache, "nodes");
  const Node* self = nullptr;
  for (const auto& n : nodes)
    if (n.metadata.name == config_.node_name) self = &n;
  if (!self) return;
  // What each node routes: its affine blocks and the addresses it borrowed (the peers' allowed
  // IPs), from the same origination rule BGP announces; each family takes its own.
  ipam::OriginationInputs in;
  in.blocks = decode_all<conf::types::IPAMBlock>(cache, "ipamblocks");
  in.pools = decode_all<IPPool>(cache, "ippools");
  std::map<std::string, std::vector<rib::Prefix>> routed;
  for (const auto& n : nodes) {
    in.node_name = n.metadata.name;
    auto& list = routed[n.metadata.name];
    for (const auto& o : ipam::origination_set(in))
      if (auto p = rib::Prefix::parse(o.cidr)) list.push_back(*p);
  }
  // The IPv4 device gets an address of its own from the node's pools (calico-node's wireguard
  // tunnel address): traffic the node itself sends through the tunnel — NodePort traffic
  // masqueraded towards a pod on another node, the node reaching remote pods — then leaves with
  // a source inside the peers' allowed IPs; the node address is not, and WireGuard drops it.
  // Without one (no pool fits) it runs without, as before.
  if (on[0] && (!self->spec.wireguard || self->spec.wireguard->interface_ipv4_address.empty()) &&
      allocate_tunnel_address(*self, "wireguard", {},
                              [](nlohmann::json& doc, const std::string& address) {
                                doc["spec"]["wireguard"]["interfaceIPv4Address"] = address;
                              }))
    return;  // the Node update comes back through the watch
  for (int i = 0; i < 2; ++i) {
    if (!on[i]) continue;
    const rib::Family family = i == 0 ? rib::Family::v4 : rib::Family::v6;
    auto cfg = dataplane::wireguard_config_from(felix, *self, family);
    if (!cfg) {
      if (wg_error_[i] != cfg.error().message)
        spdlog::warn("wireguard{}: {}", i ? " v6" : "", cfg.error().message);
      wg_error_[i] = cfg.error().message;
      continue;
    }
    wg_error_[i].clear();
    auto peers = dataplane::wireguard_peers(nodes, config_.node_name, routed, family);
    auto throws = dataplane::wireguard_throw_prefixes(peers, config_.node_name, routed, family);
    auto& wg = wg_[i];
    const bool fresh = !wg;
    if (fresh) {
      wg = std::make_unique<dataplane::WireguardProgrammer>(io_, nullptr, family);
      wg->on_public_key(
          [this, family](const std::string& key) { publish_wireguard_key(key, family); });
    }
    wg->set_config(*cfg);
    wg->set_peers(std::move(peers));
    wg->set_throw_prefixes(std::move(throws));
    if (fresh) {
      if (auto st = wg->start(); !st)
        spdlog::warn("wireguard{}: {}", i ? " v6" : "", st.error().message);
    }
  }
}

void Overlay::publish_wireguard_key(const std::string& key, rib::Family family) {
  // status.wireguardPublicKey(V6) is how the other nodes learn this node's key (and "" that it
  // has none: they stop encrypting towards it).
  const bool v4 = family == rib::Family::v4;
  auto written = store::modify(store_, "nodes/" + config_.node_name, [&](nlohmann::json& doc) {
    std::string iface;
    if (doc.contains("spec") && doc["spec"].contains("wireguard"))
      iface =
          doc["spec"]["wireguard"].value(v4 ? "interfaceIPv4Address" : "interfaceIPv6Address", "");
    dataplane::publish_wireguard(doc, key, iface, family);
    return ok_status();
  });
  if (!written) {
    spdlog::error("wireguard{}: publishing the public key on node {}: {}", v4 ? "" : " v6",
                  config_.node_name, written.error().message);
  } else {
    spdlog::info("wireguard{}: public key {} on node {}", v4 ? "" : " v6",
                 key.empty() ? "removed" : key, config_.node_name);
  }
}

bool Overlay::concerns(const std::string& key) {
  for (const char* p : {"nodes/", "ippools/", "felixconfigurations/"})
    if (key.rfind(p, 0) == 0) return true;
  return false;
}

bool Overlay::update(const ResourceCache& cache) {
  const auto nodes = decode_all<Node>(cache, "nodes");
  const auto pool_resources = decode_all<IPPool>(cache, "ippools");
  const FelixConfiguration felix = felix_config_for(cache, config_.node_name);

  std::vector<Error> errors;
  std::vector<encap::Pool> pools = encap::pools_from(pool_resources, &errors);
  for (const auto& e : errors) spdlog::warn("overlay: {}", e.message);

  const Node* self = nullptr;
  std::vector<encap::RemoteNode> remotes;
  for (const auto& n : nodes) {
    if (n.metadata.name == config_.node_name) {
      self = &n;
      continue;
    }
    if (auto r = encap::remote_from(n)) remotes.push_back(std::move(*r));
  }

  // One interface listing serves both questions below: which interface holds this node's
  // address (the VXLAN parent, the direct routes' dev) and the host MTU.
  auto ifs = dataplane::list_interfaces();
  std::optional<encap::LocalNode> local;
  local_interface_.clear();
  if (self) {
    if (auto ip = node_ipv4(*self)) {
      if (ifs) {
        if (const auto* i = dataplane::interface_with_address(*ifs, *ip))
          local_interface_ = i->name;
      }
      if (auto l = encap::local_from(*self, local_interface_)) local = std::move(*l);
    }
  }
  planner_.set_pools(pools);
  planner_.set_local(local);
  planner_.set_remote_nodes(remotes);

  // MTU: what the pods get, for the CNI plugin; the tunnel devices get theirs.
  const dataplane::mtu::Encaps encaps = dataplane::mtu::encaps_from(pools, felix);
  const dataplane::mtu::TunnelMtus configured = dataplane::mtu::configured_from(felix);
  uint32_t host = dataplane::mtu::kFallbackHostMtu;
  auto h = ifs ? dataplane::mtu::host_mtu(*ifs, felix.spec.mtu_iface_pattern)
               : Result<dataplane::mtu::HostMtu>(ifs.error());
  if (h) {
    host = h->mtu;
    mtu_error_.clear();
  } else {
    mtu_error_ = h.error().message;
  }
  const dataplane::mtu::TunnelMtus tunnels = dataplane::mtu::resolve(host, configured);
  const uint32_t pod = dataplane::mtu::pod_mtu(host, encaps, configured);
  if (pod != pod_mtu_ && !config_.dataplane.mtu_file.empty()) {
    if (auto st = dataplane::mtu::write_mtu_file(config_.dataplane.mtu_file, pod); !st) {
      spdlog::warn("mtu: {}", st.error().message);
    } else {
      spdlog::info("mtu: pods get {} (host {}), written to {}", pod, host,
                   config_.dataplane.mtu_file);
    }
  }
  pod_mtu_ = pod;

  if (config_.dataplane.overlay) {
    update_vxlan(self, felix, tunnels.vxlan, encaps.vxlan);
    update_ipip(self, tunnels.ipip, encaps.ipip);
  }
  return true;
}

void Overlay::update_vxlan(const Node* self, const FelixConfiguration& felix, uint32_t mtu,
                           bool wanted) {
  if (!wanted || !self) {
    if (vxlan_) vxlan_->set_config(std::nullopt);
    vxlan_error_.clear();
    return;
  }
  if (self->spec.ipv4_vxlan_tunnel_addr.empty()) {
    // From a VXLAN pool only, as calico-node does.
    std::vector<std::string> vxlan_pools;
    for (const auto& p : planner_.pools())
      if (p.vxlan != encap::Mode::never && p.cidr.family() == rib::Family::v4)
        vxlan_pools.push_back(p.cidr.to_string());
    (void)allocate_tunnel_address(*self, "vxlan", std::move(vxlan_pools),
                                  [](nlohmann::json& doc, const std::string& address) {
                                    doc["spec"]["ipv4VXLANTunnelAddr"] = address;
                                  });
    return;  // the Node update comes back through the watch
  }
  auto cfg = dataplane::vxlan_config_from(*self, static_cast<uint32_t>(felix.spec.vxlan_vni),
                                          static_cast<uint16_t>(felix.spec.vxlan_port), mtu);
  if (!cfg) {
    if (vxlan_error_ != cfg.error().message) spdlog::warn("vxlan: {}", cfg.error().message);
    vxlan_error_ = cfg.error().message;
    return;
  }
  vxlan_error_.clear();
  if (!vxlan_) {
    vxlan_ = std::make_unique<dataplane::VxlanProgrammer>(io_);
    vxlan_->set_config(*cfg);
    vxlan_->set_remote_nodes(dataplane::vxlan_peers(planner_.remote_nodes()));
    if (auto st = vxlan_->start(); !st) spdlog::warn("vxlan: {}", st.error().message);
    return;
  }
  vxlan_->set_config(*cfg);
  vxlan_->set_remote_nodes(dataplane::vxlan_peers(planner_.remote_nodes()));
}

bool Overlay::allocate_tunnel_address(
    const Node& self, const std::string& kind, std::vector<std::string> pools,
    const std::function<void(nlohmann::json& node, const std::string&)>& write) {
  ipam::AssignRequest req;
  req.node = self.metadata.name;
  req.handle = kind + "-tunnel-addr-" + self.metadata.name;
  req.type = kind + "TunnelAddress";
  req.pools = std::move(pools);
  ipam::Allocator allocator(store_);
  auto a = allocator.auto_assign(req);
  if (!a) {
    if (last_allocation_error_ != a.error().message)
      spdlog::error("{}: no tunnel address for node {}: {}", kind, self.metadata.name,
                    a.error().message);
    last_allocation_error_ = a.error().message;
    return false;
  }
  last_allocation_error_.clear();
  const std::string address = a->address;
  auto written = store::modify(store_, "nodes/" + self.metadata.name, [&](nlohmann::json& doc) {
    write(doc, address);
    return ok_status();
  });
  if (!written) {
    spdlog::error("{}: writing tunnel address {} to node {}: {}", kind, address, self.metadata.name,
                  written.error().message);
    return false;
  }
  spdlog::info("{}: tunnel address {} allocated from block {} for node {}", kind, address, a->block,
               self.metadata.name);
  return true;
}

void Overlay::update_ipip(const Node* self, uint32_t mtu, bool wanted) {
  if (!wanted) {
    if (ipip_) (void)ipip_->set_config(std::nullopt);
    ipip_unavailable_.reset();
    return;
  }
  if (!ipip_) {
    ipip_ = std::make_unique<dataplane::IpipProgrammer>();
    if (auto st = ipip_->start(); !st) spdlog::warn("ipip: {}", st.error().message);
    if (auto why = ipip_->unavailable_reason())
      spdlog::error("ipip: a pool uses IPIP but {}", *why);
  }
  ipip_unavailable_ = ipip_->unavailable_reason();
  if (ipip_unavailable_ || !self || !self->spec.bgp) return;
  dataplane::IpipConfig cfg;
  cfg.mtu = mtu;
  const std::string& t = self->spec.bgp->ipv4_ipip_tunnel_addr;
  if (auto ip = rib::Address::parse(t.substr(0, t.find('/')))) cfg.tunnel_ip = *ip;
  if (auto st = ipip_->set_config(cfg); !st) spdlog::warn("ipip: {}", st.error().message);
}

std::optional<std::string> Overlay::not_ready_reason() const {
  if (ipip_unavailable_) return "a pool uses IPIP but " + *ipip_unavailable_;
  return std::nullopt;
}

nlohmann::ordered_json Overlay::status_json() const {
  nlohmann::ordered_json j;
  j["podMTU"] = pod_mtu_;
  j["interface"] = local_interface_;
  auto pools = nlohmann::ordered_json::array();
  for (const auto& p : planner_.pools())
    pools.push_back({{"cidr", p.cidr.to_string()},
                     {"ipipMode", encap::mode_name(p.ipip)},
                     {"vxlanMode", encap::mode_name(p.vxlan)}});
  j["pools"] = pools;
  if (vxlan_) {
    const auto st = vxlan_->stats();
    j["vxlan"] = {{"deviceReady", st.device_ready},
                  {"neighbours", st.neighbours},
                  {"error", st.error.empty() ? vxlan_error_ : st.error}};
  } else if (!vxlan_error_.empty()) {
    j["vxlan"] = {{"deviceReady", false}, {"error", vxlan_error_}};
  }
  if (ipip_unavailable_) j["ipip"] = {{"available", false}, {"reason", *ipip_unavailable_}};
  for (int i = 0; i < 2; ++i) {
    const char* name = i == 0 ? "wireguard" : "wireguardV6";
    if (wg_[i]) {
      const auto st = wg_[i]->stats();
      j[name] = {{"enabled", st.enabled},
                 {"deviceReady", st.device_ready},
                 {"backend", st.backend},
                 {"peers", st.peers},
                 {"publicKey", wg_[i]->public_key()},
                 {"error", st.error.empty() ? wg_error_[i] : st.error}};
    } else if (!wg_error_[i].empty()) {
      j[name] = {{"enabled", false}, {"error", wg_error_[i]}};
    }
  }
  if (!mtu_error_.empty()) j["mtuError"] = mtu_error_;
  return j;
}

}  // namespace podnet::daemon
