#include "interop-tests/peers/frr_peer.hpp"

#include <fmt/core.h>
#include <signal.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

namespace podnet::interop {

using nlohmann::json;

namespace {

Status status_of(const harness::CommandResult& r, const std::string& what) {
  // vtysh reports a rejected command on stdout ("% ...") and may still exit 0.
  if (r.exit_code == 0 && r.out.find("% ") == std::string::npos) return ok_status();
  return make_error(Errc::unavailable,
                    fmt::format("{}: exit {}: {}{}", what, r.exit_code, r.err, r.out));
}

const char* afi(Family f) {
  return f == Family::ipv4 ? "ipv4" : "ipv6";
}

// The route-map that sets an announced route's attributes (`set` lines, no header).
std::vector<std::string> route_map_sets(const Route& r) {
  std::vector<std::string> sets;
  if (!r.next_hop.empty())
    sets.push_back(family_of(r.prefix) == Family::ipv4 ? "set ip next-hop " + r.next_hop
                                                       : "set ipv6 next-hop global " + r.next_hop);
  if (r.med) sets.push_back(fmt::format("set metric {}", *r.med));
  if (r.local_pref) sets.push_back(fmt::format("set local-preference {}", *r.local_pref));
  if (!r.communities.empty()) {
    std::string cs = "set community";
    for (const auto& c : r.communities) cs += " " + c;
    sets.push_back(cs);
  }
  return sets;
}

}  // namespace

FrrPeer::FrrPeer(std::string netns, PeerConfig config)
    : BgpPeer(std::move(netns), std::move(config)) {}

FrrPeer::~FrrPeer() = default;

std::string FrrPeer::config_text() const {
  const PeerConfig& c = config_;
  std::ostringstream f;
  f << "frr defaults traditional\nhostname podnet-frr\n";
  f << "log file " << dir_.file("bgpd.log") << " debugging\ndebug bgp updates\n!\n";
  if (!c.export_learned) {
    // Only locally originated routes (empty AS path) leave this speaker.
    f << "bgp as-path access-list podnet-local seq 5 permit ^$\n";
    f << "route-map podnet-out permit 10\n match as-path podnet-local\nexit\n!\n";
  }
  // What announce() added, so that a restarted bgpd originates it from the start.
  for (const auto& [prefix, r] : announced_) {
    f << "route-map podnet-rt-" << route_maps_.at(prefix) << " permit 10\n";
    for (const auto& set : route_map_sets(r)) f << " " << set << "\n";
    f << "exit\n!\n";
  }
  f << "router bgp " << c.local_as << "\n";
  f << " bgp router-id " << c.router_id << "\n";
  f << " no bgp ebgp-requires-policy\n no bgp network import-check\n";
  f << " no bgp default ipv4-unicast\n bgp log-neighbor-changes\n";
  // Graceful restart (RFC 4724) as a restarting speaker too, not only FRR's default helper
  // mode: the restart time is the longest a neighbour asks for, and the Forwarding State bit
  // is set (preserve-fw-state) as if a zebra had kept the routes.
  int restart_time = 0;
  for (const auto& n : c.neighbors) restart_time = std::max(restart_time, n.graceful_restart_time);
  if (restart_time > 0) {
    f << " bgp graceful-restart\n bgp graceful-restart restart-time " << restart_time << "\n";
    f << " bgp graceful-restart preserve-fw-state\n";
  }
  for (const auto& n : c.neighbors) {
    const std::string& a = n.address;
    f << " neighbor " << a << " remote-as " << n.remote_as << "\n";
    f << " neighbor " << a << " timers " << std::max(1, n.hold_time / 3) << " " << n.hold_time
      << "\n";
    f << " neighbor " << a << " timers connect 1\n";
    // Traditional defaults hold eBGP updates and withdrawals for up to 30 s (MRAI).
    f << " neighbor " << a << " advertisement-interval 0\n";
    if (n.remote_port != 179) f << " neighbor " << a << " port " << n.remote_port << "\n";
    if (n.passive) f << " neighbor " << a << " passive\n";
    if (!n.md5_password.empty()) f << " neighbor " << a << " password " << n.md5_password << "\n";
    if (n.multihop_ttl > 0) f << " neighbor " << a << " ebgp-multihop " << n.multihop_ttl << "\n";
    if (!n.local_address.empty())
      f << " neighbor " << a << " update-source " << n.local_address << "\n";
    if (n.graceful_restart_time == 0) f << " neighbor " << a << " graceful-restart-disable\n";
  }
  for (Family fam : {Family::ipv4, Family::ipv6}) {
    f << " address-family " << afi(fam) << " unicast\n";
    for (const auto& n : c.neighbors) {
      if ((fam == Family::ipv4 && !n.ipv4) || (fam == Family::ipv6 && !n.ipv6)) continue;
      f << "  neighbor " << n.address << " activate\n";
      if (n.route_reflector_client && n.remote_as == c.local_as)
        f << "  neighbor " << n.address << " route-reflector-client\n";
      if (n.as_override) f << "  neighbor " << n.address << " as-override\n";
      if (!c.export_learned) f << "  neighbor " << n.address << " route-map podnet-out out\n";
    }
    for (const auto& [prefix, r] : announced_) {
      if (family_of(prefix) == fam)
        f << "  network " << prefix << " route-map podnet-rt-" << route_maps_.at(prefix) << "\n";
    }
    f << " exit-address-family\n";
  }
  f << "exit\n";
  return f.str();
}

harness::CommandResult FrrPeer::vtysh(const std::vector<std::string>& commands) const {
  std::vector<std::string> argv = {"vtysh", "--vty_socket", dir_.path()};
  for (const auto& c : commands) argv.insert(argv.end(), {"-c", c});
  return harness::run(argv, "", std::chrono::seconds(15));
}

Status FrrPeer::start() {
  if (running()) return make_error(Errc::already_exists, "bgpd already running");
  try {
    harness::write_file(dir_.file("bgpd.conf"), config_text());
    // bgpd drops to user frr and must be able to write its pid file, log and vty socket.
    auto r = harness::run({"chown", "-R", "frr:frr", dir_.path()});
    if (r.exit_code != 0) return make_error(Errc::io, "chown frr: " + r.err);
    std::vector<std::string> argv = {"/usr/lib/frr/bgpd",
                                     "-f",
                                     dir_.file("bgpd.conf"),
                                     "-i",
                                     dir_.file("bgpd.pid"),
                                     "--vty_socket",
                                     dir_.path(),
                                     "-z",
                                     dir_.file("zserv.api"),
                                     "-Z",
                                     "-P",
                                     "0",
                                     "-p",
                                     std::to_string(config_.listen_port),
                                     "-u",
                                     "frr",
                                     "-g",
                                     "frr"};
    if (!config_.listen_address.empty()) argv.insert(argv.end(), {"-l", config_.listen_address});
    proc_ = harness::Process(argv, netns_);
  } catch (const std::exception& e) {
    return make_error(Errc::io, e.what());
  }
  bool up = harness::wait_until(
      [&] { return !proc_.running() || vtysh({"show bgp summary json"}).exit_code == 0; }, 20s);
  if (!up || !proc_.running())
    return make_error(Errc::unavailable, "bgpd did not come up: " + log());
  return ok_status();
}

Status FrrPeer::stop() {
  if (proc_.stop(SIGTERM, 10s) < 0) return make_error(Errc::internal, "bgpd ignored SIGTERM");
  return ok_status();
}

void FrrPeer::kill9() {
  proc_.kill9();
}

bool FrrPeer::running() {
  return proc_.running();
}

Status FrrPeer::configure(const std::vector<std::string>& commands) {
  std::vector<std::string> all = {"configure terminal"};
  all.insert(all.end(), commands.begin(), commands.end());
  return status_of(vtysh(all), "vtysh configure");
}

Status FrrPeer::announce(const Route& r) {
  Family fam = family_of(r.prefix);
  auto [it, inserted] = route_maps_.try_emplace(r.prefix, next_route_map_);
  if (inserted) ++next_route_map_;
  std::string rm = fmt::format("podnet-rt-{}", it->second);
  std::vector<std::string> cmds = {"no route-map " + rm, "route-map " + rm + " permit 10"};
  for (auto& set : route_map_sets(r)) cmds.push_back(std::move(set));
  cmds.push_back("exit");
  cmds.push_back(fmt::format("router bgp {}", config_.local_as));
  cmds.push_back(fmt::format("address-family {} unicast", afi(fam)));
  cmds.push_back(fmt::format("network {} route-map {}", r.prefix, rm));
  Status st = configure(cmds);
  if (st) announced_[r.prefix] = r;
  return st;
}

Status FrrPeer::withdraw(const std::string& prefix) {
  auto it = route_maps_.find(prefix);
  if (it == route_maps_.end())
    return make_error(Errc::not_found, "frr does not announce " + prefix);
  std::string rm = fmt::format("podnet-rt-{}", it->second);
  route_maps_.erase(it);
  announced_.erase(prefix);
  auto s = configure({fmt::format("router bgp {}", config_.local_as),
                      fmt::format("address-family {} unicast", afi(family_of(prefix))),
                      fmt::format("no network {} route-map {}", prefix, rm)});
  if (!s) return s;
  // Done once the route has left bgpd's RIB.
  bool gone = harness::wait_until(
      [&] {
        auto rs = routes(family_of(prefix));
        if (!rs) return false;
        for (const auto& r : *rs)
          if (r.prefix == prefix && r.from.empty()) return false;
        return true;
      },
      10s);
  if (!gone) return make_error(Errc::unavailable, "frr still originates " + prefix);
  return ok_status();
}

Result<std::vector<RouteEntry>> parse_frr_routes(const std::string& text) {
  std::vector<RouteEntry> out;
  try {
    json j = json::parse(text);
    const json routes = j.value("routes", json::object());
    for (const auto& [prefix, paths] : routes.items()) {
      for (const auto& p : paths) {
        RouteEntry e;
        e.prefix = prefix;
        e.best = p.value("bestpath", false);
        std::string peer = p.value("peerId", "");
        e.from = peer == "(unspec)" ? "" : peer;
        std::istringstream path(p.value("path", ""));
        for (std::string tok; path >> tok;) {
          std::string digits;
          for (char c : tok)
            if (std::isdigit(static_cast<unsigned char>(c))) digits += c;
          if (!digits.empty()) e.as_path.push_back(static_cast<uint32_t>(std::stoul(digits)));
        }
        std::string origin = p.value("origin", "");
        e.origin = origin == "incomplete" || origin == "Incomplete" ? "incomplete" : origin;
        if (p.contains("metric")) e.med = p["metric"].get<uint32_t>();
        if (p.contains("locPrf")) e.local_pref = p["locPrf"].get<uint32_t>();
        for (const auto& nh : p.value("nexthops", json::array())) {
          std::string scope = nh.value("scope", "global");
          if (scope == "global" || e.next_hop.empty()) e.next_hop = nh.value("ip", "");
          if (scope == "global") break;
        }
        // Communities appear only in detailed output ("community": {"string": "a:b c:d"}).
        if (p.contains("community")) {
          std::istringstream cs(p["community"].value("string", ""));
          for (std::string c; cs >> c;) e.communities.push_back(c);
          std::sort(e.communities.begin(), e.communities.end());
        }
        out.push_back(std::move(e));
      }
    }
  } catch (const std::exception& ex) {
    return make_error(Errc::invalid, std::string("frr routes json: ") + ex.what());
  }
  return out;
}

Result<std::vector<RouteEntry>> FrrPeer::routes(Family family) {
  auto r = vtysh({fmt::format("show bgp {} unicast json", afi(family))});
  if (r.exit_code != 0) return status_of(r, "vtysh show bgp").error();
  return parse_frr_routes(r.out);
}

Result<std::vector<NeighborState>> parse_frr_neighbors(const std::string& text) {
  std::vector<NeighborState> out;
  try {
    json j = json::parse(text);
    for (const auto& [address, n] : j.items()) {
      if (!n.is_object() || !n.contains("bgpState")) continue;
      NeighborState s;
      s.address = address;
      s.state = n.value("bgpState", "");
      s.established = s.state == "Established";
      if (s.established)
        s.uptime = std::chrono::seconds(n.value("bgpTimerUpMsec", int64_t{0}) / 1000);
      out.push_back(std::move(s));
    }
  } catch (const std::exception& ex) {
    return make_error(Errc::invalid, std::string("frr neighbors json: ") + ex.what());
  }
  return out;
}

Result<std::vector<NeighborState>> FrrPeer::neighbors() {
  auto r = vtysh({"show bgp neighbors json"});
  if (r.exit_code != 0) return status_of(r, "vtysh show bgp neighbors").error();
  return parse_frr_neighbors(r.out);
}

Status FrrPeer::send_notification(const std::string& neighbor, NotificationAction action) {
  if (action == NotificationAction::admin_shutdown)
    return configure({fmt::format("router bgp {}", config_.local_as),
                      fmt::format("neighbor {} shutdown", neighbor)});
  return status_of(vtysh({"clear bgp " + neighbor}), "vtysh clear bgp");
}

Status FrrPeer::enable_neighbor(const std::string& neighbor) {
  return configure({fmt::format("router bgp {}", config_.local_as),
                    fmt::format("no neighbor {} shutdown", neighbor)});
}

std::string FrrPeer::log() const {
  return harness::read_file(dir_.file("bgpd.log")) + proc_.out() + proc_.err();
}

std::vector<LoggedNotification> parse_frr_log(const std::string& log) {
  // "%NOTIFICATION: received from neighbor 10.0.0.2 6/2 (Cease/Administrative Shutdown) ..."
  // "%NOTIFICATION: sent to neighbor 10.0.0.2 6/4 (Cease/Administrative Reset) ..."
  static const std::regex re(
      R"(%NOTIFICATION[^:]*: (received from|sent to) neighbor (\S+) (\d+)/(\d+))");
  std::vector<LoggedNotification> out;
  std::istringstream in(log);
  std::string line;
  while (std::getline(in, line)) {
    std::smatch m;
    if (!std::regex_search(line, m, re)) continue;
    LoggedNotification n;
    n.received = m[1].str() == "received from";
    n.neighbor = m[2].str();
    n.code = std::stoi(m[3].str());
    n.subcode = std::stoi(m[4].str());
    n.line = line;
    out.push_back(std::move(n));
  }
  return out;
}

std::vector<LoggedNotification> FrrPeer::notifications() const {
  return parse_frr_log(log());
}

}  // namespace podnet::interop
