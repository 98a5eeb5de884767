#include "daemon/routing.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <span>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/asio/io_context.hpp>

#include "bgp/peer_manager.hpp"
#include "conf/decode.hpp"
#include "daemon/route_json.hpp"
#include "dataplane/encap.hpp"
#include "dataplane/kernel_probe.hpp"
#include "dataplane/route_programmer.hpp"
#include "ipam-sync/origination.hpp"
#include "rib/rib.hpp"

namespace podnet::daemon {

namespace {

uint32_t parse_router_id(const std::string& s) {
  auto a = rib::Address::parse(s);
  if (!a || a->family() != rib::Family::v4) return 0;
  auto b = a->bytes();
  return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | b[3];
}

}  // namespace

// How long a restarted podnetd waits for its peers' End-of-RIB before removing the routes of
// its previous run that were not re-learned (BIRD's `graceful restart wait` is 240 s; Calico
// nodes reconnect within seconds).
constexpr std::chrono::seconds kGracefulRestartWait{120};

class Routing::KernelFilter : public rib::BestRouteObserver {
 public:
  KernelFilter(dataplane::RouteProgrammer& p, const std::set<rib::Prefix>& borrowed)
      : p_(p), borrowed_(borrowed) {}
  void on_best_changes(std::span<const rib::BestChange> changes) override {
    auto hidden = [this](const rib::BestChange& c) {
      return !c.after.empty() && c.after.front().kind == rib::PeerKind::local &&
             borrowed_.count(c.prefix) != 0;
    };
    // A full table from a peer has no borrowed /32 in it: pass it on without copying.
    if (std::none_of(changes.begin(), changes.end(), hidden)) return p_.on_best_changes(changes);
    std::vector<rib::BestChange> out(changes.begin(), changes.end());
    for (auto& c : out) {
      if (hidden(c)) c.after.clear();  // nothing of ours in the kernel for it
    }
    p_.on_best_changes(out);
  }

 private:
  dataplane::RouteProgrammer& p_;
  const std::set<rib::Prefix>& borrowed_;
};

Routing::Routing(boost::asio::io_context& io, const conf::DaemonConfig& config,
                 const dataplane::encap::Planner* planner)
    : io_(io), config_(config), planner_(planner) {
  for (const auto& s : config_.bgp.static_routes) {
    auto p = rib::Prefix::parse(s);
    if (p) static_routes_.push_back(*p);  // validated when the config was loaded
  }
}

Routing::~Routing() {
  stop();
}

bool Routing::concerns(const std::string& key) {
  for (const char* p : {"nodes/", "bgpconfigurations/", "bgppeers/", "bgpfilters/", "secrets/",
                        "ipamblocks/", "ippools/"})
    if (key.rfind(p, 0) == 0) return true;
  return false;
}

void Routing::reconcile(const ResourceCache& cache) {
  if (!config_.bgp.enabled) return;
  bgp::BgpInputs in;
  in.node_name = config_.node_name;
  in.nodes = decode_all<conf::types::Node>(cache, "nodes");
  in.configs = decode_all<conf::types::BGPConfiguration>(cache, "bgpconfigurations");
  in.peers = decode_all<conf::types::BGPPeer>(cache, "bgppeers");
  in.secrets = decode_all<conf::types::Secret>(cache, "secrets");
  in.filters = decode_all<conf::types::BGPFilter>(cache, "bgpfilters");
  if (!config_.bgp.router_id.empty())
    in.router_id_override = parse_router_id(config_.bgp.router_id);
  if (config_.bgp.hold_time > 0)
    in.hold_time_override = static_cast<uint16_t>(config_.bgp.hold_time);
  auto desired = bgp::desired_bgp(in);

  for (const auto& w : desired.warnings)
    if (warned_.insert(w).second) spdlog::warn("bgp: {}", w);
  if (!desired.enabled) {
    if (disabled_logged_ != desired.disabled_reason) {
      spdlog::warn("bgp: speaker off: {}", desired.disabled_reason);
      disabled_logged_ = desired.disabled_reason;
    }
    shut_down(desired.disabled_reason);
    desired_ = std::move(desired);
    return;
  }
  disabled_logged_.clear();

  // The RIB is keyed to our identity: a new router id or AS means new sessions anyway.
  const bool identity_changed = !rib_ || desired.speaker.router_id != desired_.speaker.router_id ||
                                desired.speaker.local_as != desired_.speaker.local_as;
  if (identity_changed) {
    shut_down("router id or AS changed");
    rib::RibOptions opt;
    opt.router_id = desired.speaker.router_id;
    opt.local_asn = desired.speaker.local_as;
    rib_ = std::make_unique<rib::Rib>(opt);
    originated_.clear();
    bool restarting = false;
    if (config_.kernel_routes.enabled) {
      dataplane::ProgrammerOptions po;
      po.protocol = static_cast<uint8_t>(config_.kernel_routes.protocol);
      po.table = static_cast<uint32_t>(config_.kernel_routes.table);
      po.metric = static_cast<uint32_t>(config_.kernel_routes.metric);
      // Routes of ours already in the kernel: a previous run left them. Keep them forwarding
      // while BGP re-learns (RFC 4724 restarting speaker) instead of flushing them now.
      if (auto has = dataplane::kernel_has_routes(po.protocol, po.table); !has) {
        spdlog::warn("kernel routes: {}", has.error().message);
      } else {
        restarting = *has;
      }
      po.hold_strays = restarting;
      if (planner_) {
        const dataplane::encap::Planner* planner = planner_;
        po.rewrite = [planner](const rib::Prefix& p, const dataplane::RouteSpec& s) {
          return planner->apply(p, s);
        };
      }
      programmer_ = std::make_unique<dataplane::RouteProgrammer>(io_, po);
      if (auto st = programmer_->start(); !st) {
        spdlog::error("kernel routes: {}; routes will not be programmed", st.error().message);
        programmer_.reset();
      } else {
        programmer_->load(*rib_);
        kernel_filter_ = std::make_unique<KernelFilter>(*programmer_, borrowed_);
        rib_->add_observer(kernel_filter_.get());
      }
    }
    peers_ = std::make_unique<bgp::PeerManager>(io_, *rib_, desired.speaker);
    if (restarting && programmer_) {
      spdlog::info(
          "bgp: graceful restart: keeping the previous run's kernel routes until every "
          "peer has sent End-of-RIB (at most {} s)",
          kGracefulRestartWait.count());
      peers_->set_restarting(true);
      watch_restart(std::chrono::steady_clock::now() + kGracefulRestartWait);
    }
    spdlog::info("bgp: speaker AS {} router id {}.{}.{}.{} port {}, {} static route(s)",
                 desired.speaker.local_as, desired.speaker.router_id >> 24,
                 (desired.speaker.router_id >> 16) & 0xff, (desired.speaker.router_id >> 8) & 0xff,
                 desired.speaker.router_id & 0xff, desired.speaker.listen_port,
                 static_routes_.size());
  } else if (!(desired.speaker == desired_.speaker)) {
    if (auto st = peers_->set_speaker(desired.speaker); !st)
      spdlog::error("bgp: speaker settings: {}", st.error().message);
  }
  peers_->set_peers(desired.peers);
  desired_ = std::move(desired);
  originate(cache);
  peers_->kick();
}

void Routing::originate(const ResourceCache& cache) {
  ipam::OriginationInputs in;
  in.node_name = config_.node_name;
  in.blocks = decode_all<conf::types::IPAMBlock>(cache, "ipamblocks");
  in.pools = decode_all<conf::types::IPPool>(cache, "ippools");
  std::map<rib::Prefix, bool> want;
  for (const auto& p : static_routes_) want[p] = true;
  borrowed_.clear();
  for (const auto& o : ipam::origination_set(in)) {
    auto p = rib::Prefix::parse(o.cidr);
    if (!p) continue;
    if (o.kind == ipam::Origination::Kind::borrowed) borrowed_.insert(*p);
    auto [it, fresh] = want.emplace(*p, o.export_bgp);
    if (!fresh) it->second = it->second || o.export_bgp;  // a static route is always exported
  }
  std::size_t added = 0, removed = 0;
  for (auto it = originated_.begin(); it != originated_.end();) {
    if (!want.count(it->first)) {
      rib_->withdraw_origination(it->first);
      it = originated_.erase(it);
      ++removed;
    } else {
      ++it;
    }
  }
  for (const auto& [p, exported] : want) {
    auto cur = originated_.find(p);
    if (cur != originated_.end() && cur->second == exported) continue;
    rib::PathAttributes local;
    local.origin = rib::Origin::igp;
    local.as_path = rib::AsPath{};
    // A pool with disableBGPExport: the route stays local (blackhole and kernel) but no BGP
    // peer may receive it; RFC 1997's NO_ADVERTISE says exactly that to the export policy.
    if (!exported) local.communities.push_back(rib::kCommunityNoAdvertise);
    rib_->originate(p, local);
    originated_[p] = exported;
    ++added;
  }
  if (added || removed)
    spdlog::info("bgp: origination: {} prefix(es) announced or changed, {} withdrawn, {} in all",
                 added, removed, originated_.size());
}

void Routing::replan() {
  if (programmer_ && rib_) programmer_->load(*rib_);
}

void Routing::watch_restart(std::chrono::steady_clock::time_point deadline) {
  if (!restart_timer_) restart_timer_ = std::make_unique<boost::asio::steady_timer>(io_);
  restart_timer_->expires_after(std::chrono::milliseconds(500));
  restart_timer_->async_wait([this, deadline](const boost::system::error_code& ec) {
    if (ec || !peers_ || !programmer_) return;
    const bool synced = peers_->all_peers_synced();
    if (!synced && std::chrono::steady_clock::now() < deadline) return watch_restart(deadline);
    const std::size_t held = programmer_->stats().strays_held;
    spdlog::info(
        "bgp: graceful restart done ({}): {} route(s) of the previous run not "
        "re-learned are removed",
        synced ? "every peer sent End-of-RIB" : "wait time over", held);
    programmer_->release_strays();
    peers_->set_restarting(false);
  });
}

void Routing::shut_down(const std::string& why) {
  if (restart_timer_) restart_timer_->cancel();
  if (peers_) {
    spdlog::info("bgp: stopping all sessions: {}", why);
    peers_->stop();
  }
  peers_.reset();
  rib_.reset();
  kernel_filter_.reset();
  programmer_.reset();
}

void Routing::stop() {
  shut_down("podnetd stopping");
}

nlohmann::ordered_json Routing::summary_json() const {
  nlohmann::ordered_json j;
  j["enabled"] = peers_ != nullptr;
  if (!peers_) {
    j["reason"] = config_.bgp.enabled ? desired_.disabled_reason : "disabled in the config file";
    return j;
  }
  j["localAS"] = desired_.speaker.local_as;
  auto id = desired_.speaker.router_id;
  j["routerId"] =
      fmt::format("{}.{}.{}.{}", id >> 24, (id >> 16) & 0xff, (id >> 8) & 0xff, id & 0xff);
  j["listenPort"] = desired_.speaker.listen_port;
  std::size_t established = 0;
  auto peers = peers_->peers();
  for (const auto& p : peers) established += p.state == "Established";
  j["peers"] = peers.size();
  j["established"] = established;
  auto st = rib_->stats();
  j["prefixes"] = st.prefixes;
  j["paths"] = st.paths;
  j["ribMemoryBytes"] = st.memory_bytes;
  if (programmer_) {
    auto k = programmer_->stats();
    j["kernel"] = {{"desired", k.desired},     {"installed", k.installed}, {"pending", k.pending},
                   {"failed", k.failed},       {"resyncs", k.resyncs},     {"adopted", k.adopted},
                   {"batches", k.batches_sent}};
  }
  j["warnings"] = desired_.warnings;
  return j;
}

nlohmann::ordered_json Routing::peers_json() const {
  nlohmann::ordered_json j;
  j["bgp"] = summary_json();
  auto& list = j["peers"] = nlohmann::ordered_json::array();
  if (!peers_) return j;
  for (const auto& p : peers_->peers()) {
    nlohmann::ordered_json e;
    e["name"] = p.name;
    e["origin"] = p.origin;
    e["address"] = p.address;
    e["port"] = p.port;
    e["peerAS"] = p.peer_as;
    e["localAS"] = p.local_as;
    e["state"] = p.state;
    e["stateSeconds"] = p.state_seconds;
    e["passive"] = p.passive;
    e["peerRouterId"] =
        fmt::format("{}.{}.{}.{}", p.peer_router_id >> 24, (p.peer_router_id >> 16) & 0xff,
                    (p.peer_router_id >> 8) & 0xff, p.peer_router_id & 0xff);
    e["holdTime"] = p.hold_time_negotiated;
    e["prefixes"] = {{"received", p.prefixes_received},
                     {"accepted", p.prefixes_accepted},
                     {"advertised", p.prefixes_advertised}};
    e["messages"] = {{"updatesIn", p.updates_in},
                     {"updatesOut", p.updates_out},
                     {"in", p.messages_in},
                     {"out", p.messages_out},
                     {"routeRefreshIn", p.refreshes_in},
                     {"routeRefreshOut", p.refreshes_out}};
    e["capabilities"] = p.capabilities;
    e["lastError"] = p.last_error;
    list.push_back(std::move(e));
  }
  return j;
}

Result<nlohmann::ordered_json> Routing::routes_json(const std::string& prefix,
                                                    const std::string& peer) const {
  nlohmann::ordered_json j;
  auto& out = j["routes"] = nlohmann::ordered_json::array();
  if (!rib_) return j;
  std::map<std::string, std::string> name_of;  // peer address -> name
  std::string peer_address = peer;
  if (peers_) {
    for (const auto& p : peers_->peers()) {
      name_of[p.address] = p.name;
      if (p.name == peer) peer_address = p.address;
    }
  }
  std::vector<rib::RouteView> views;
  if (prefix.empty()) {
    views = rib_->all_routes(std::nullopt, 0);
  } else if (prefix.find('/') != std::string::npos) {
    auto p = rib::Prefix::parse(prefix);
    if (!p) return make_error(Errc::invalid, fmt::format("'{}' is not a prefix", prefix));
    views = rib_->routes(*p);
  } else {
    auto a = rib::Address::parse(prefix);
    if (!a)
      return make_error(Errc::invalid, fmt::format("'{}' is not an address or prefix", prefix));
    for (auto& v : rib_->all_routes(std::nullopt, 0))
      if (v.prefix.contains(*a)) views.push_back(std::move(v));
    std::stable_sort(views.begin(), views.end(), [](const auto& x, const auto& y) {
      return x.prefix.length() > y.prefix.length();
    });
  }
  for (const auto& v : views) {
    const bool local = v.path.kind == rib::PeerKind::local;
    const std::string addr = local ? "" : v.peer_address.to_string();
    if (!peer.empty() && (local || addr != peer_address)) continue;
    std::string pfx = v.prefix.to_string();
    if (out.empty() || out.back()["prefix"] != pfx)
      out.push_back({{"prefix", pfx}, {"paths", nlohmann::ordered_json::array()}});
    nlohmann::ordered_json path;
    path["best"] = v.best;
    path["multipath"] = v.multipath;
    if (v.best) path["reason"] = std::string(rib::reason_name(v.reason));
    path["source"] = local ? "local" : (name_of.count(addr) ? name_of[addr] : addr);
    if (!local) path["peerAddress"] = addr;
    path["kind"] = kind_name(v.path.kind);
    if (v.path.path_id) path["pathId"] = v.path.path_id;
    path["attributes"] = attributes_json(*v.path.attrs);
    out.back()["paths"].push_back(std::move(path));
  }
  return j;
}

}  // namespace podnet::daemon
