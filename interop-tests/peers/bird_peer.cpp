#include "interop-tests/peers/bird_peer.hpp"

#include <fmt/core.h>
#include <signal.h>

#include <sstream>

namespace podnet::interop {

namespace {

Status status_of(const harness::CommandResult& r, const std::string& what) {
  // birdc exits 0 even when BIRD refuses a command; errors are lines starting with a digit
  // code 8xxx/9xxx in raw mode, or recognisable words in the default mode.
  if (r.exit_code == 0 && r.out.find("syntax error") == std::string::npos &&
      r.out.find("Unable to") == std::string::npos &&
      r.out.find("No protocols match") == std::string::npos &&
      r.out.find("rror") == std::string::npos)
    return ok_status();
  return make_error(Errc::unavailable,
                    fmt::format("{}: exit {}: {}{}", what, r.exit_code, r.err, r.out));
}

// "65000:100" -> "(65000,100)".
std::string bird_community(const std::string& c) {
  auto colon = c.find(':');
  return "(" + c.substr(0, colon) + "," + c.substr(colon + 1) + ")";
}

}  // namespace

BirdPeer::BirdPeer(std::string netns, PeerConfig config)
    : BgpPeer(std::move(netns), std::move(config)) {}

BirdPeer::~BirdPeer() = default;

std::string BirdPeer::protocol_of(const std::string& neighbor) const {
  for (size_t i = 0; i < config_.neighbors.size(); ++i)
    if (config_.neighbors[i].address == neighbor) return fmt::format("n{}", i);
  return "";
}

std::string BirdPeer::config_text() const {
  const PeerConfig& c = config_;
  std::ostringstream b;
  b << "log stderr all;\n";
  b << "router id " << c.router_id << ";\n";
  // Since times with a date, so uptime can be computed across midnight.
  b << "timeformat protocol iso long;\n";
  b << "protocol device { scan time 1; }\n";
  for (Family f : {Family::ipv4, Family::ipv6}) {
    b << "protocol static podnet_static" << (f == Family::ipv4 ? 4 : 6) << " {\n  "
      << (f == Family::ipv4 ? "ipv4" : "ipv6") << ";\n";
    for (const auto& [prefix, r] : announced_)
      if (family_of(prefix) == f) b << "  route " << prefix << " blackhole;\n";
    b << "}\n";
  }
  // The export filter carries each route's attributes: BIRD sends MED (and honours a next
  // hop) only when an export filter set it.
  b << "filter podnet_export {\n  if source = RTS_STATIC then {\n";
  for (const auto& [prefix, r] : announced_) {
    b << "    if net = " << prefix << " then {\n";
    if (!r.next_hop.empty()) b << "      bgp_next_hop = " << r.next_hop << ";\n";
    if (r.med) b << "      bgp_med = " << *r.med << ";\n";
    if (r.local_pref) b << "      bgp_local_pref = " << *r.local_pref << ";\n";
    for (const auto& comm : r.communities)
      b << "      bgp_community.add(" << bird_community(comm) << ");\n";
    b << "    }\n";
  }
  b << "    accept;\n  }\n  " << (c.export_learned ? "accept" : "reject") << ";\n}\n";
  for (size_t i = 0; i < c.neighbors.size(); ++i) {
    const NeighborConfig& n = c.neighbors[i];
    bool ibgp = n.remote_as == c.local_as;
    std::string local = !n.local_address.empty() ? n.local_address : c.listen_address;
    b << "protocol bgp n" << i << " {\n";
    b << "  local " << local << (local.empty() ? "" : " ") << "port " << c.listen_port << " as "
      << c.local_as << ";\n";
    b << "  neighbor " << n.address << " port " << n.remote_port << " as " << n.remote_as << ";\n";
    b << "  hold time " << n.hold_time << "; keepalive time " << std::max(1, n.hold_time / 3)
      << ";\n";
    // Reconnect fast after errors (default waits 60 s) so tests that restore a link or
    // restart a peer do not wait.
    b << "  connect delay time 1; connect retry time 1; error wait time 1, 4; "
         "error forget time 10;\n";
    if (n.passive) b << "  passive on;\n";
    if (!n.md5_password.empty()) b << "  password \"" << n.md5_password << "\";\n";
    if (n.multihop_ttl > 0)
      b << "  multihop " << n.multihop_ttl << ";\n";
    else if (ibgp)
      b << "  direct;\n";
    if (n.route_reflector_client && ibgp) b << "  rr client;\n";
    if (n.graceful_restart_time == 0) b << "  graceful restart off;\n";
    if (n.graceful_restart_time > 0) {
      b << "  graceful restart on;\n  graceful restart time " << n.graceful_restart_time << ";\n";
    }
    for (Family f : {Family::ipv4, Family::ipv6}) {
      if ((f == Family::ipv4 && !n.ipv4) || (f == Family::ipv6 && !n.ipv6)) continue;
      b << "  " << (f == Family::ipv4 ? "ipv4" : "ipv6")
        << " { import all; export filter podnet_export;";
      // Without an IGP, iBGP next hops must resolve on the shared link.
      if (ibgp && n.multihop_ttl == 0) b << " gateway direct;";
      b << " };\n";
    }
    b << "}\n";
  }
  return b.str();
}

harness::CommandResult BirdPeer::birdc(const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {"birdc", "-s", dir_.file("bird.ctl")};
  argv.insert(argv.end(), args.begin(), args.end());
  return harness::run(argv, "", std::chrono::seconds(15));
}

Status BirdPeer::start() {
  if (running()) return make_error(Errc::already_exists, "bird already running");
  try {
    harness::write_file(dir_.file("bird.conf"), config_text());
    auto check = harness::run({"bird", "-p", "-c", dir_.file("bird.conf")});
    if (check.exit_code != 0)
      return make_error(Errc::invalid,
                        "bird rejects its config: " + check.err + check.out + "\n" + config_text());
    std::vector<std::string> argv = {"bird", "-f",
                                     "-c",   dir_.file("bird.conf"),
                                     "-s",   dir_.file("bird.ctl"),
                                     "-P",   dir_.file("bird.pid")};
    if (restarting_) argv.push_back("-R");
    proc_ = harness::Process(argv, netns_);
  } catch (const std::exception& e) {
    return make_error(Errc::io, e.what());
  }
  bool up = harness::wait_until(
      [&] {
        return !proc_.running() || birdc({"show", "status"}).exit_code == 0;
      },
      20s);
  if (!up || !proc_.running())
    return make_error(Errc::unavailable, "bird did not come up: " + log());
  return ok_status();
}

Status BirdPeer::stop() {
  if (proc_.stop(SIGTERM, 10s) < 0) return make_error(Errc::internal, "bird ignored SIGTERM");
  return ok_status();
}

void BirdPeer::kill9() {
  proc_.kill9();
}

bool BirdPeer::running() {
  return proc_.running();
}

Status BirdPeer::reconfigure() {
  try {
    harness::write_file(dir_.file("bird.conf"), config_text());
  } catch (const std::exception& e) {
    return make_error(Errc::io, e.what());
  }
  if (!running()) return ok_status();  // picked up by the next start()
  auto r = birdc({"configure"});
  if (r.exit_code != 0 || r.out.find("Reconfigur") == std::string::npos)
    return make_error(Errc::invalid, "birdc configure: " + r.out + r.err);
  return ok_status();
}

bool BirdPeer::originates(const std::string& prefix) {
  auto rs = routes(family_of(prefix));
  if (!rs) return false;
  for (const auto& r : *rs)
    if (r.prefix == prefix && r.from.empty()) return true;
  return false;
}

Status BirdPeer::announce(const Route& route) {
  announced_[route.prefix] = route;
  if (auto s = reconfigure(); !s) return s;
  if (!running()) return ok_status();
  // BIRD reconfigures asynchronously: done once the static route is in its table.
  if (!harness::wait_until([&] { return originates(route.prefix); }, 10s))
    return make_error(Errc::unavailable, "bird did not originate " + route.prefix);
  return ok_status();
}

Status BirdPeer::withdraw(const std::string& prefix) {
  if (announced_.erase(prefix) == 0)
    return make_error(Errc::not_found, "bird does not announce " + prefix);
  if (auto s = reconfigure(); !s) return s;
  if (!running()) return ok_status();
  if (!harness::wait_until([&] { return !originates(prefix); }, 10s))
    return make_error(Errc::unavailable, "bird still originates " + prefix);
  return ok_status();
}

namespace {
std::map<std::string, std::string> protocol_map(const PeerConfig& c) {
  std::map<std::string, std::string> m;
  for (size_t i = 0; i < c.neighbors.size(); ++i) m[fmt::format("n{}", i)] = c.neighbors[i].address;
  return m;
}
}  // namespace

Result<std::vector<RouteEntry>> BirdPeer::routes(Family family) {
  auto r = birdc({"show", "route", "all", "table", family == Family::ipv4 ? "master4" : "master6"});
  if (r.exit_code != 0) return status_of(r, "birdc show route").error();
  return parse_bird_routes(r.out, protocol_map(config_));
}

Result<std::vector<NeighborState>> BirdPeer::neighbors() {
  auto r = birdc({"show", "protocols", "all"});
  if (r.exit_code != 0) return status_of(r, "birdc show protocols").error();
  return parse_bird_protocols(r.out, protocol_map(config_), std::time(nullptr));
}

Status BirdPeer::send_notification(const std::string& neighbor, NotificationAction action) {
  std::string proto = protocol_of(neighbor);
  if (proto.empty()) return make_error(Errc::not_found, "bird has no neighbour " + neighbor);
  // disable: Cease/Administrative Shutdown; restart: Cease/Administrative Reset.
  const char* verb = action == NotificationAction::admin_shutdown ? "disable" : "restart";
  return status_of(birdc({verb, proto}), fmt::format("birdc {} {}", verb, proto));
}

Status BirdPeer::enable_neighbor(const std::string& neighbor) {
  std::string proto = protocol_of(neighbor);
  if (proto.empty()) return make_error(Errc::not_found, "bird has no neighbour " + neighbor);
  return status_of(birdc({"enable", proto}), "birdc enable " + proto);
}

std::string BirdPeer::log() const {
  return proc_.err() + proc_.out();
}

std::vector<LoggedNotification> BirdPeer::notifications() const {
  return parse_bird_log(log(), protocol_map(config_));
}

}  // namespace podnet::interop
