#include "bgp/peer_manager.hpp"

#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <set>
#include <unordered_set>

#include "bgp/fsm_text.hpp"

namespace podnet::bgp {

namespace {

struct PathKeyHash {
  std::size_t operator()(const std::pair<rib::Prefix, uint32_t>& k) const noexcept {
    return rib::hash_value(k.first) * 31u + k.second;
  }
};

const char* origin_name(PeerOrigin o) {
  switch (o) {
    case PeerOrigin::mesh:
      return "mesh";
    case PeerOrigin::global:
      return "global";
    case PeerOrigin::node:
      return "node";
    case PeerOrigin::config:
      break;
  }
  return "config";
}

const char* family_name(rib::Family f) {
  return f == rib::Family::v4 ? "ipv4-unicast" : "ipv6-unicast";
}

constexpr uint8_t kCeasePeerDeconfigured = 3;
constexpr uint8_t kCeaseOtherConfigurationChange = 6;

}  // namespace

struct PeerManager::Peer {
  PeerConfig cfg;
  rib::PeerId id = 0;
  std::unique_ptr<Session> session;
  bool in_rib = false;  // add_peer was called (remove_peer owed at the end)
  bool up = false;      // registered and accepting routes
  bool eor_sent = false;
  // Graceful restart (RFC 4724): the peer's capability in the last established session, the
  // families whose End-of-RIB is still awaited, and the restart / stale-path timer.
  std::optional<GracefulRestart> peer_gr;
  std::set<rib::Family> eor_awaited;
  std::unique_ptr<boost::asio::steady_timer> gr_timer;
  uint64_t gr_gen = 0;
  // A peer that supports route refresh (RFC 2918) is asked to send its routes again when the
  // import policy changes. For the others only, `received` keeps what the current session
  // received, before import policy (soft reconfiguration inbound: rejected routes are kept
  // too, so a changed import filter re-evaluates them without asking the peer): prefix/path id
  // -> attributes as received, accepted into the RIB. It costs a copy of every route.
  bool keep_received = true;
  struct Received {
    rib::AttrRef raw;
    bool accepted = false;
  };
  std::unordered_map<std::pair<rib::Prefix, uint32_t>, Received, PathKeyHash> received;
  uint64_t accepted = 0;
  // Route-refresh peers: the routes import policy rejected (for the received count; the
  // accepted ones are the peer's routes in the RIB).
  std::unordered_set<std::pair<rib::Prefix, uint32_t>, PathKeyHash> rejected;
  // Families whose re-advertisement we began with BoRR (RFC 7313) and owe an EoRR.
  std::set<rib::Family> eorr_owed;
  uint64_t refreshes_in = 0, refreshes_out = 0;
};

PeerManager::PeerManager(boost::asio::io_context& io, rib::Rib& rib, SpeakerConfig speaker,
                         PeerManagerOptions options)
    : io_(io),
      rib_(rib),
      speaker_(std::move(speaker)),
      opt_(options),
      listener_(io, [this](boost::asio::ip::tcp::socket s) { on_accept(std::move(s)); }) {
  listen_status_ = listener_.listen(speaker_.listen_addresses, speaker_.listen_port);
  if (!listen_status_) spdlog::error("bgp: {}", listen_status_.error().message);
}

PeerManager::~PeerManager() {
  stop();
  *alive_ = false;
}

Status PeerManager::set_speaker(const SpeakerConfig& speaker) {
  if (stopped_) return make_error(Errc::invalid, "bgp: peer manager stopped");
  const SpeakerConfig old = speaker_;
  if (speaker.listen_port != old.listen_port || speaker.listen_addresses != old.listen_addresses ||
      !listen_status_) {
    listen_status_ = listener_.listen(speaker.listen_addresses, speaker.listen_port);
    if (!listen_status_) {
      spdlog::error("bgp: {}", listen_status_.error().message);
      return listen_status_;
    }
  }
  std::vector<PolicyState> before;
  for (const auto& p : peers_) before.push_back(policy_state(*p));
  speaker_ = speaker;
  if (speaker.router_id != old.router_id || speaker.local_as != old.local_as) {
    std::vector<PeerConfig> cfgs;
    for (const auto& p : peers_) cfgs.push_back(p->cfg);
    while (!peers_.empty()) remove_peer(peers_.size() - 1, kCeaseOtherConfigurationChange);
    for (const auto& c : cfgs) start_peer(c);
  } else if (speaker.cluster_id != old.cluster_id) {
    // The cluster id is in no OPEN: it shapes what is reflected (CLUSTER_LIST) and the loop
    // check on what is received (RFC 4456 8), so a node becoming a reflector keeps its sessions.
    spdlog::info("bgp: cluster id {}: sessions kept, routes sent and accepted re-evaluated",
                 speaker.cluster_id ? rib::Address::v4(*speaker.cluster_id).to_string() : "none");
    for (std::size_t i = 0; i < peers_.size(); ++i) apply_policy_change(*peers_[i], before[i]);
  }
  return ok_status();
}

void PeerManager::set_peers(std::vector<PeerConfig> wanted) {
  if (stopped_) return;
  // Removed or changed peers first, so a changed one restarts with its new settings.
  for (std::size_t i = peers_.size(); i-- > 0;) {
    const PeerConfig& have = peers_[i]->cfg;
    auto it = std::find_if(wanted.begin(), wanted.end(),
                           [&](const PeerConfig& w) { return w.same_peer(have); });
    if (it == wanted.end()) {
      spdlog::info("peer {}: removed", have.name);
      remove_peer(i, kCeasePeerDeconfigured);
    } else if (*it == have) {
      continue;
    } else if (const auto diff = have.session_differences(*it); diff.empty()) {
      update_peer(*peers_[i], *it);
    } else {
      spdlog::info("peer {}: {} changed: resetting the session", have.name, fmt::join(diff, ", "));
      remove_peer(i, kCeaseOtherConfigurationChange);
    }
  }
  for (const PeerConfig& w : wanted) {
    const bool exists = std::any_of(peers_.begin(), peers_.end(),
                                    [&](const auto& p) { return p->cfg.same_peer(w); });
    if (!exists) start_peer(w);
  }
}

void PeerManager::start_peer(const PeerConfig& cfg) {
  auto p = std::make_unique<Peer>();
  p->cfg = cfg;
  p->id = next_id_++;
  SessionParams sp;
  sp.peer = cfg;
  sp.router_id = speaker_.router_id;
  sp.local_as = cfg.local_as != 0 ? cfg.local_as : speaker_.local_as;
  sp.high_water = opt_.high_water;
  sp.low_water = opt_.low_water;
  if (!cfg.password.empty()) {
    if (auto s = listener_.set_md5(cfg.address, cfg.password); !s) {
      spdlog::error("peer {}: {}", cfg.name, s.error().message);
    }
  }
  p->session = std::make_unique<Session>(io_, std::move(sp), static_cast<SessionObserver&>(*this));
  p->session->set_restarting(restarting_, true);
  p->gr_timer = std::make_unique<boost::asio::steady_timer>(io_);
  Session* s = p->session.get();
  peers_.push_back(std::move(p));
  spdlog::info("peer {}: added ({} AS {}{})", cfg.name, cfg.address.to_string(), cfg.peer_as,
               cfg.passive ? ", passive" : "");
  s->start();
}

void PeerManager::remove_peer(std::size_t index, uint8_t cease_subcode) {
  std::unique_ptr<Peer> p = std::move(peers_[index]);
  peers_.erase(peers_.begin() + static_cast<std::ptrdiff_t>(index));
  // Keep the Peer findable while stop() runs: its teardown reports on_down.
  Peer* raw = p.get();
  peers_.push_back(std::move(p));
  raw->session->stop(cease_subcode);
  p = std::move(peers_.back());
  peers_.pop_back();
  ++p->gr_gen;
  p->gr_timer->cancel();
  if (p->in_rib) (void)rib_.remove_peer(p->id);
  if (!p->cfg.password.empty()) {
    const bool shared = std::any_of(peers_.begin(), peers_.end(), [&](const auto& o) {
      return o->cfg.address == p->cfg.address && !o->cfg.password.empty();
    });
    if (!shared) (void)listener_.set_md5(p->cfg.address, "");
  }
  p->session.reset();  // connections flush their NOTIFICATION on their own
  schedule();
}

void PeerManager::stop() {
  if (stopped_) return;
  while (!peers_.empty()) {
    remove_peer(peers_.size() - 1, fsm::err::kCeaseAdministrativeShutdown);
  }
  listener_.close();
  stopped_ = true;
}

void PeerManager::kick() {
  schedule();
}

void PeerManager::on_accept(boost::asio::ip::tcp::socket socket) {
  boost::system::error_code ec;
  const auto remote = socket.remote_endpoint(ec);
  if (!ec) {
    const rib::Address a = transport::to_address(remote.address());
    for (auto& p : peers_) {
      if (p->cfg.address == a) return p->session->accept(std::move(socket));
    }
    spdlog::info("bgp: connection from unknown address {} refused", a.to_string());
  }
  socket.close(ec);
}

PeerManager::Peer* PeerManager::find(const Session& s) {
  for (auto& p : peers_) {
    if (p->session.get() == &s) return p.get();
  }
  return nullptr;
}

ExportPolicy PeerManager::export_policy(const Peer& p) const {
  const Session& s = *p.session;
  ExportPolicy e;
  e.local_as = s.params().local_as;
  e.peer_as = p.cfg.peer_as;
  e.ebgp = e.local_as != e.peer_as;
  e.router_id = speaker_.router_id;
  e.cluster_id = p.cfg.cluster_id.value_or(speaker_.cluster_id.value_or(speaker_.router_id));
  e.next_hop_mode = p.cfg.next_hop_mode;
  e.rr_client = p.cfg.route_reflector_client;
  e.ipv4 = s.family_negotiated(rib::Family::v4);
  e.ipv6 = s.family_negotiated(rib::Family::v6);
  if (auto local = s.local_address()) {
    if (local->family() == rib::Family::v4) {
      e.self_v4 = local;
    } else {
      e.self_v6 = local;
      // Over an IPv6 session, IPv4 routes get the router id (the node's IPv4 address).
      e.self_v4 = rib::Address::v4(speaker_.router_id);
    }
  }
  if (p.cfg.source_address && p.cfg.source_address->family() == rib::Family::v6) {
    e.self_v6 = p.cfg.source_address;
  }
  const CodecContext& c = s.codec();
  e.four_octet_as = c.four_octet_as;
  e.extended_message = c.extended_message;
  e.add_path_v4 = c.add_path_send_v4;
  e.add_path_v6 = c.add_path_send_v6;
  e.extended_next_hop_v4 = c.extended_next_hop_v4;
  e.route_policy = p.cfg.route_policy;
  return e;
}

PeerManager::PolicyState PeerManager::policy_state(const Peer& p) const {
  PolicyState st;
  if (p.up) st.export_key = export_policy(p).key();
  st.allow_local_as = p.cfg.allow_local_as;
  st.cluster_id = p.cfg.cluster_id.value_or(speaker_.cluster_id.value_or(speaker_.router_id));
  return st;
}

void PeerManager::apply_policy_change(Peer& p, const PolicyState& before) {
  if (!p.up) return;  // the next session starts with the new settings
  const PolicyState now = policy_state(p);
  if (now.export_key != before.export_key) {
    const ExportPolicy e = export_policy(p);
    rib_.adj_rib_out().regroup(p.id, e.key(), e.export_fn());
    spdlog::info("peer {}: export changed: sending it the difference", p.cfg.name);
  }
  if (now.allow_local_as != before.allow_local_as || now.cluster_id != before.cluster_id) {
    spdlog::info(
        "peer {}: loop checks changed (allowas-in {}, cluster {}): re-evaluating "
        "its routes",
        p.cfg.name, now.allow_local_as, rib::Address::v4(now.cluster_id).to_string());
    if (p.keep_received) {
      reimport(p);
    } else {
      request_refresh(p);
    }
  }
  schedule();
}

void PeerManager::update_peer(Peer& p, const PeerConfig& want) {
  const PolicyState before = policy_state(p);
  const PeerConfig old = std::move(p.cfg);
  p.cfg = want;
  p.cfg.route_policy = old.route_policy;  // set_route_policy() below compares against it
  if (old.name != want.name) {
    // The Session keeps logging under the name it started with until its next connection.
    spdlog::info("peer {}: now {} ({}), same session", old.name, want.name,
                 origin_name(want.origin));
  }
  if (p.up && old.route_reflector_client != want.route_reflector_client) {
    spdlog::info("peer {}: {} a route reflector client", want.name,
                 want.route_reflector_client ? "now" : "no longer");
    (void)rib_.set_route_reflector_client(p.id, want.route_reflector_client);
  }
  apply_policy_change(p, before);
  if (!(old.route_policy == want.route_policy)) set_route_policy(p, want.route_policy);
}

void PeerManager::set_route_policy(Peer& p, const RoutePolicy& policy) {
  const RoutePolicy old = std::move(p.cfg.route_policy);
  p.cfg.route_policy = policy;
  if (!p.up) return;  // the next session starts with it
  if (old.export_key() != policy.export_key()) {
    const ExportPolicy e = export_policy(p);
    rib_.adj_rib_out().regroup(p.id, e.key(), e.export_fn());
    spdlog::info("peer {}: export policy changed: re-evaluating what it is sent", p.cfg.name);
  }
  if (old.import_key() != policy.import_key()) {
    if (p.keep_received) {
      reimport(p);
      spdlog::info("peer {}: import policy changed: {} of {} received routes accepted", p.cfg.name,
                   p.accepted, p.received.size());
    } else {
      request_refresh(p);
    }
  }
  schedule();
}

rib::AttrRef PeerManager::import_attrs(const Peer& p, const rib::Prefix& prefix,
                                       const rib::AttrRef& raw, bool loop_ok) {
  if (!loop_ok || !raw) return {};
  const RoutePolicy& policy = p.cfg.route_policy;
  if (!policy.has_import()) return raw;
  rib::PathAttributes a = *raw;
  const bool ibgp = p.session->params().local_as == p.cfg.peer_as;
  if (run_filters(policy, true, prefix, a, RouteContext{ibgp, true}) == Verdict::reject) return {};
  return a == *raw ? raw : rib_.intern(a);
}

void PeerManager::reimport(Peer& p) {
  const uint32_t cluster =
      p.cfg.cluster_id.value_or(speaker_.cluster_id.value_or(speaker_.router_id));
  std::unordered_map<uint64_t, bool> loop_ok;  // per attribute set, as on receipt
  p.accepted = 0;
  for (auto& [key, r] : p.received) {
    auto [it, fresh] = loop_ok.try_emplace(r.raw.id(), false);
    if (fresh && r.raw)
      it->second = import_allowed(*r.raw, p.session->params().local_as, p.cfg.allow_local_as,
                                  speaker_.router_id, cluster);
    const rib::AttrRef in = import_attrs(p, key.first, r.raw, it->second);
    r.accepted = static_cast<bool>(in);
    if (in) {
      ++p.accepted;
      (void)rib_.update(p.id, key.first, in, key.second);  // unchanged: no work in the RIB
    } else {
      (void)rib_.withdraw(p.id, key.first, key.second);
    }
  }
}

void PeerManager::request_refresh(Peer& p) {
  std::string families;
  for (rib::Family f : {rib::Family::v4, rib::Family::v6}) {
    if (!p.session->family_negotiated(f)) continue;
    const AfiSafi fam = unicast_of(f);
    p.session->send(std::make_shared<const std::vector<uint8_t>>(
                        encode_route_refresh({fam, RouteRefreshSubtype::normal})),
                    false);
    ++p.refreshes_out;
    // The peer sends them all again: each is judged afresh on arrival.
    std::erase_if(p.rejected, [f](const auto& k) { return k.first.family() == f; });
    families += families.empty() ? family_name(f) : std::string(", ") + family_name(f);
  }
  spdlog::info("peer {}: import policy changed: ROUTE-REFRESH sent ({})", p.cfg.name, families);
}

void PeerManager::on_established(Session& s) {
  Peer* p = find(s);
  if (!p) return;
  const OpenMessage* open = s.peer_open();
  rib::PeerInfo info;
  info.id = p->id;
  info.kind = s.params().local_as == p->cfg.peer_as ? rib::PeerKind::ibgp : rib::PeerKind::ebgp;
  info.address = p->cfg.address;
  info.router_id = open ? open->bgp_identifier : 0;
  info.asn = p->cfg.peer_as;
  info.route_reflector_client = p->cfg.route_reflector_client;
  if (auto st = rib_.add_peer(info); !st) {
    spdlog::error("peer {}: rib: {}", p->cfg.name, st.error().message);
    return;
  }
  p->in_rib = true;
  p->up = true;
  p->eor_sent = false;
  p->keep_received = !s.codec().route_refresh;
  p->received.clear();
  p->accepted = 0;
  p->rejected.clear();
  p->eorr_owed.clear();
  // Graceful restart: the restart timer stops; stale routes of a family the peer no longer
  // preserves go now, the others wait for its End-of-RIB (bounded by the stale-path timer).
  ++p->gr_gen;
  p->gr_timer->cancel();
  p->peer_gr = open ? open->capabilities.graceful_restart : std::nullopt;
  p->eor_awaited.clear();
  for (rib::Family f : {rib::Family::v4, rib::Family::v6}) {
    if (s.family_negotiated(f)) p->eor_awaited.insert(f);
  }
  if (rib_.stale_count(p->id) > 0) {
    for (rib::Family f : {rib::Family::v4, rib::Family::v6}) {
      const AfiSafi fam = unicast_of(f);
      bool preserved = false;
      if (p->peer_gr) {
        for (const auto& g : p->peer_gr->families) {
          if (g.afi_safi == fam && g.forwarding_preserved) preserved = true;
        }
      }
      if (!preserved || !s.family_negotiated(f)) (void)rib_.flush_stale(p->id, f);
    }
    if (rib_.stale_count(p->id) > 0) arm_gr_timer(*p, kStalePathSeconds, "stale-path");
  }
  const ExportPolicy e = export_policy(*p);
  // ADD-PATH send (RFC 7911) on every family of the session: the group sends every selected
  // path of a prefix, each with its own path id; otherwise the best path only.
  const bool add_path =
      (e.add_path_v4 || e.add_path_v6) && (!e.ipv4 || e.add_path_v4) && (!e.ipv6 || e.add_path_v6);
  if (auto g = rib_.join_group(p->id, e.key(), e.export_fn(), add_path); !g) {
    spdlog::error("peer {}: rib: {}", p->cfg.name, g.error().message);
  }
  schedule();
}

void PeerManager::on_down(Session& s) {
  Peer* p = find(s);
  if (!p || !p->up) return;
  p->up = false;
  // RFC 4724 §4.2: a peer that advertised graceful restart and whose session failed (no
  // NOTIFICATION either way; Hold Timer Expired counts as a failure) keeps its routes, stale,
  // for its restart time. Families it did not list go at once.
  const uint16_t restart_time = p->peer_gr ? p->peer_gr->restart_time : 0;
  if (restart_time > 0 && !s.down_with_notification()) {
    (void)rib_.peer_down_retain(p->id);
    for (rib::Family f : {rib::Family::v4, rib::Family::v6}) {
      const AfiSafi fam = unicast_of(f);
      const bool listed = std::any_of(p->peer_gr->families.begin(), p->peer_gr->families.end(),
                                      [&](const auto& g) { return g.afi_safi == fam; });
      if (!listed) (void)rib_.flush_stale(p->id, f);
    }
    spdlog::info(
        "peer {}: session lost; keeping {} routes as stale for up to {} s (graceful "
        "restart)",
        p->cfg.name, rib_.stale_count(p->id), restart_time);
    arm_gr_timer(*p, restart_time, "restart");
  } else {
    (void)rib_.peer_down(p->id);
  }
  p->eor_awaited.clear();
  p->received.clear();
  p->accepted = 0;
  p->rejected.clear();
  p->eorr_owed.clear();
  schedule();
}

void PeerManager::on_update(Session& s, DecodedUpdate&& u) {
  Peer* p = find(s);
  if (!p || !p->up) return;
  if (!u.treat_as_withdraw) {
    if (auto eor = u.update.end_of_rib()) {
      on_end_of_rib(*p, *eor);
      return;
    }
  }
  for (const Nlri& n : u.withdrawals()) {
    (void)rib_.withdraw(p->id, n.prefix, n.path_id);
    if (!p->keep_received) {
      p->rejected.erase({n.prefix, n.path_id});
      continue;
    }
    auto it = p->received.find({n.prefix, n.path_id});
    if (it != p->received.end()) {
      if (it->second.accepted) --p->accepted;
      p->received.erase(it);
    }
  }
  const std::vector<Nlri> ann = u.announcements();
  if (!ann.empty()) {
    std::string why;
    const uint32_t cluster =
        p->cfg.cluster_id.value_or(speaker_.cluster_id.value_or(speaker_.router_id));
    const bool ok = import_allowed(u.update.attributes, s.params().local_as, p->cfg.allow_local_as,
                                   speaker_.router_id, cluster, &why);
    if (!ok) spdlog::debug("peer {}: {} routes rejected: {}", p->cfg.name, ann.size(), why);
    const rib::AttrRef raw = rib_.intern(u.update.attributes);
    if (!p->keep_received) {
      for (const Nlri& n : ann) {
        const rib::AttrRef in = import_attrs(*p, n.prefix, raw, ok);
        if (in) {
          p->rejected.erase({n.prefix, n.path_id});
          (void)rib_.update(p->id, n.prefix, in, n.path_id);
        } else {
          p->rejected.insert({n.prefix, n.path_id});
          (void)rib_.withdraw(p->id, n.prefix, n.path_id);  // an earlier version may be there
        }
      }
      schedule();
      return;
    }
    for (const Nlri& n : ann) {
      auto [it, fresh] = p->received.try_emplace({n.prefix, n.path_id});
      if (!fresh && it->second.accepted) --p->accepted;
      const rib::AttrRef in = import_attrs(*p, n.prefix, raw, ok);
      it->second = {raw, static_cast<bool>(in)};
      if (in) {
        ++p->accepted;
        (void)rib_.update(p->id, n.prefix, in, n.path_id);
      } else {
        (void)rib_.withdraw(p->id, n.prefix, n.path_id);  // an earlier version may be there
      }
    }
  }
  schedule();
}

void PeerManager::on_end_of_rib(Peer& p, AfiSafi family) {
  const rib::Family f = family == kIpv6Unicast ? rib::Family::v6 : rib::Family::v4;
  if (family != kIpv4Unicast && family != kIpv6Unicast) return;
  p.eor_awaited.erase(f);
  const std::size_t stale = rib_.stale_count(p.id);
  if (stale > 0) {
    (void)rib_.flush_stale(p.id, f);
    const std::size_t left = rib_.stale_count(p.id);
    spdlog::info("peer {}: End-of-RIB ({}): {} stale routes removed", p.cfg.name,
                 f == rib::Family::v4 ? "IPv4" : "IPv6", stale - left);
    if (left == 0) {
      ++p.gr_gen;
      p.gr_timer->cancel();
    }
  }
  schedule();
}

void PeerManager::arm_gr_timer(Peer& p, int seconds, const char* what) {
  const uint64_t gen = ++p.gr_gen;
  p.gr_timer->expires_after(std::chrono::seconds(seconds));
  std::weak_ptr<bool> alive = alive_;
  Peer* raw = &p;
  p.gr_timer->async_wait([this, alive, raw, gen, what](const boost::system::error_code& ec) {
    if (ec || alive.expired() || raw->gr_gen != gen) return;
    const std::size_t n = rib_.stale_count(raw->id);
    if (n == 0) return;
    spdlog::warn("peer {}: graceful restart {} timer expired: removing {} stale routes",
                 raw->cfg.name, what, n);
    (void)rib_.flush_stale(raw->id);
    schedule();
  });
}

void PeerManager::set_restarting(bool restarting) {
  restarting_ = restarting;
  for (auto& p : peers_) p->session->set_restarting(restarting, true);
}

bool PeerManager::all_peers_synced() const {
  for (const auto& p : peers_) {
    if (!p->up || !p->eor_awaited.empty()) return false;
  }
  return true;
}

void PeerManager::on_route_refresh(Session& s, AfiSafi family) {
  Peer* p = find(s);
  if (!p || !p->up) return;
  ++p->refreshes_in;
  const std::optional<rib::Family> f = rib_family_of(family);
  if (!f || !s.family_negotiated(*f)) {
    // RFC 2918 4: a family not advertised in our OPEN is ignored.
    spdlog::info("peer {}: ROUTE-REFRESH for AFI {} SAFI {} not negotiated: ignored", p->cfg.name,
                 family.afi, family.safi);
    return;
  }
  const bool enhanced = s.codec().enhanced_route_refresh;
  spdlog::info("peer {}: ROUTE-REFRESH received ({}): re-sending what it is advertised{}",
               p->cfg.name, family_name(*f), enhanced ? " between BoRR and EoRR" : "");
  if (enhanced && p->eorr_owed.insert(*f).second) {
    // RFC 7313 4: BoRR before the re-advertisement (queued ahead of it), EoRR once it is done.
    s.send(std::make_shared<const std::vector<uint8_t>>(
               encode_route_refresh({family, RouteRefreshSubtype::begin})),
           false);
  }
  rib_.adj_rib_out().refresh(p->id);
  schedule();
}

void PeerManager::on_refresh_bracket(Session& s, AfiSafi family, bool begin) {
  Peer* p = find(s);
  if (!p || !p->up) return;
  const std::optional<rib::Family> f = rib_family_of(family);
  if (!f) return;
  if (begin) {
    // RFC 7313 4: the peer's routes of the family are stale until re-advertised or EoRR.
    (void)rib_.mark_stale(p->id, *f);
    std::erase_if(p->rejected, [&](const auto& k) { return k.first.family() == *f; });
    spdlog::info("peer {}: BoRR ({}): {} routes stale until re-advertised", p->cfg.name,
                 family_name(*f), rib_.stale_count(p->id));
    return;
  }
  const std::size_t stale = rib_.stale_count(p->id);
  (void)rib_.flush_stale(p->id, *f);
  spdlog::info("peer {}: EoRR ({}): {} routes not re-advertised removed", p->cfg.name,
               family_name(*f), stale - rib_.stale_count(p->id));
  schedule();
}

void PeerManager::on_writable(Session&) {
  schedule();
}

void PeerManager::schedule() {
  if (scheduled_ || stopped_) return;
  scheduled_ = true;
  boost::asio::post(io_, [this, alive = alive_] {
    if (!*alive) return;
    scheduled_ = false;
    run_slice();
  });
}

void PeerManager::run_slice() {
  if (stopped_) return;
  const bool more_rib = rib_.process(opt_.rib_slice);
  const bool more_export = pump_exports();
  if (more_rib || more_export) schedule();
}

void PeerManager::send_batch(const rib::UpdateBatch& batch, const std::vector<Peer*>& to) {
  if (to.empty() || batch.empty()) return;
  const CodecContext& ctx = to.front()->session->codec();
  auto send = [&](std::vector<uint8_t>&& bytes) {
    auto shared = std::make_shared<const std::vector<uint8_t>>(std::move(bytes));
    for (Peer* p : to) p->session->send(shared, true);
  };
  if (!batch.withdraw.empty()) {
    std::vector<Nlri> nlri;
    nlri.reserve(batch.withdraw.size());
    for (const auto& pr : batch.withdraw) nlri.push_back({pr, 0});
    for (auto& m : build_withdrawals(nlri, ctx)) send(std::move(m));
  }
  auto announce = [&](const rib::AttrRef& attrs, const std::vector<Nlri>& nlri) {
    auto msgs = build_announcements(*attrs, nlri, ctx);
    if (!msgs) {
      spdlog::error("bgp: cannot encode {} prefixes for {}: {}", nlri.size(), to.front()->cfg.name,
                    msgs.error().message);
      return;
    }
    for (auto& m : *msgs) send(std::move(m));
  };
  for (const auto& [attrs, prefixes] : batch.announce) {
    std::vector<Nlri> nlri;
    nlri.reserve(prefixes.size());
    for (const auto& pr : prefixes) nlri.push_back({pr, 0});
    announce(attrs, nlri);
  }
  // ADD-PATH groups: each path with its id.
  if (!batch.withdraw_paths.empty()) {
    std::vector<Nlri> nlri;
    nlri.reserve(batch.withdraw_paths.size());
    for (const auto& x : batch.withdraw_paths) nlri.push_back({x.prefix, x.path_id});
    for (auto& m : build_withdrawals(nlri, ctx)) send(std::move(m));
  }
  for (const auto& [attrs, paths] : batch.announce_paths) {
    std::vector<Nlri> nlri;
    nlri.reserve(paths.size());
    for (const auto& x : paths) nlri.push_back({x.prefix, x.path_id});
    announce(attrs, nlri);
  }
}

bool PeerManager::pump_exports() {
  rib::AdjRibOut& out = rib_.adj_rib_out();
  std::size_t budget = opt_.export_slice;
  bool more = false;
  constexpr std::size_t kChunk = 2000;
  // Initial tables (and ROUTE-REFRESH re-sends) of members joining an existing group.
  for (auto& p : peers_) {
    if (!p->up || !p->session->established()) continue;
    while (out.dump_pending(p->id) && p->session->writable() && budget > 0) {
      const rib::UpdateBatch b = out.take_dump(p->id, std::min(kChunk, budget));
      budget -= std::min(budget, std::max<std::size_t>(1, b.prefix_count()));
      send_batch(b, {p.get()});
    }
    if (out.dump_pending(p->id) && p->session->writable()) more = true;
  }
  // Group changes: encoded once, the same bytes to every member; held back while any member
  // is above its high-water mark.
  for (rib::GroupId g : out.groups_with_updates()) {
    std::vector<Peer*> members;
    bool blocked = false;
    for (rib::PeerId id : out.members(g)) {
      for (auto& p : peers_) {
        if (p->id != id || !p->up) continue;
        if (!p->session->established()) continue;
        if (!p->session->writable()) blocked = true;
        members.push_back(p.get());
      }
    }
    if (blocked) continue;
    while (budget > 0 && out.pending_count(g) > 0) {
      const rib::UpdateBatch b = out.take_updates(g, std::min(kChunk, budget));
      budget -= std::min(budget, std::max<std::size_t>(1, b.prefix_count()));
      send_batch(b, members);
      if (std::any_of(members.begin(), members.end(),
                      [](Peer* m) { return !m->session->writable(); })) {
        blocked = true;
        break;
      }
    }
    if (!blocked && out.pending_count(g) > 0) more = true;
  }
  // End-of-RIB-Refresh (RFC 7313) once a refreshing peer has been given everything again.
  for (auto& p : peers_) {
    if (!p->up || p->eorr_owed.empty() || !p->session->established() || !out.in_sync(p->id))
      continue;
    for (rib::Family f : p->eorr_owed) {
      p->session->send(std::make_shared<const std::vector<uint8_t>>(
                           encode_route_refresh({unicast_of(f), RouteRefreshSubtype::end})),
                       true);
    }
    p->eorr_owed.clear();
  }
  // End-of-RIB (RFC 4724) once a peer has been given everything.
  for (auto& p : peers_) {
    if (!p->up || p->eor_sent || !p->session->established() || !out.in_sync(p->id)) continue;
    p->eor_sent = true;
    for (rib::Family f : {rib::Family::v4, rib::Family::v6}) {
      if (!p->session->family_negotiated(f)) continue;
      p->session->send(
          std::make_shared<const std::vector<uint8_t>>(encode_end_of_rib(unicast_of(f))), true);
    }
  }
  return more;
}

std::vector<PeerStatus> PeerManager::peers() const {
  std::vector<PeerStatus> out;
  const rib::AdjRibOut& adj = rib_.adj_rib_out();
  for (const auto& p : peers_) {
    const Session& s = *p->session;
    PeerStatus st;
    st.name = p->cfg.name;
    st.address = p->cfg.address.to_string();
    st.port = p->cfg.port;
    st.peer_as = p->cfg.peer_as;
    st.local_as = s.params().local_as;
    st.state = std::string(fsm::to_string(s.state()));
    st.origin = origin_name(p->cfg.origin);
    st.state_seconds = s.state_seconds();
    st.last_error = s.last_error();
    if (const OpenMessage* o = s.peer_open()) st.peer_router_id = o->bgp_identifier;
    st.hold_time_negotiated = s.negotiated_hold_time();
    if (p->keep_received) {
      st.prefixes_received = p->received.size();
      st.prefixes_accepted = p->accepted;
    } else {
      st.prefixes_accepted = p->up ? rib_.route_count(p->id) : 0;
      st.prefixes_received = st.prefixes_accepted + p->rejected.size();
    }
    st.refreshes_in = p->refreshes_in;
    st.refreshes_out = p->refreshes_out;
    if (p->up) {
      if (auto g = adj.group_of(p->id)) {
        if (const auto* adv = adj.advertised(*g)) st.prefixes_advertised = adv->size();
      }
    }
    const SessionCounters& c = s.counters();
    st.updates_in = c.updates_in;
    st.updates_out = c.updates_out;
    st.messages_in = c.messages_in;
    st.messages_out = c.messages_out;
    st.passive = p->cfg.passive;
    st.capabilities = s.capabilities();
    out.push_back(std::move(st));
  }
  return out;
}

void PeerManager::pause_reading(const std::string& peer_name, bool paused) {
  for (auto& p : peers_) {
    if (p->cfg.name == peer_name) p->session->set_reading_paused(paused);
  }
}

std::size_t PeerManager::queued_bytes(const std::string& peer_name) const {
  for (const auto& p : peers_) {
    if (p->cfg.name == peer_name) return p->session->queued_bytes();
  }
  return 0;
}

}  // namespace podnet::bgp
