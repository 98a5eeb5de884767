#include "interop-tests/peers/gobgp_peer.hpp"

#include <fmt/core.h>
#include <signal.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <sstream>

namespace podnet::interop {

using nlohmann::json;

namespace {

std::string community_text(uint32_t c) {
  return fmt::format("{}:{}", c >> 16, c & 0xffff);
}

const char* origin_name(int v) {
  switch (v) {
    case 0:
      return "IGP";
    case 1:
      return "EGP";
    default:
      return "incomplete";
  }
}

Status status_of(const harness::CommandResult& r, const std::string& what) {
  if (r.exit_code == 0) return ok_status();
  return make_error(Errc::unavailable,
                    fmt::format("{}: exit {}: {}{}", what, r.exit_code, r.err, r.out));
}

}  // namespace

GobgpPeer::GobgpPeer(std::string netns, PeerConfig config, uint16_t api_port)
    : BgpPeer(std::move(netns), std::move(config)), api_port_(api_port) {}

GobgpPeer::~GobgpPeer() = default;  // proc_ SIGKILLs gobgpd, dir_ removes the files

std::string GobgpPeer::config_text() const {
  const PeerConfig& c = config_;
  std::ostringstream y;
  y << "global:\n  config:\n";
  y << "    as: " << c.local_as << "\n    router-id: " << c.router_id << "\n";
  y << "    port: " << c.listen_port << "\n";
  if (!c.listen_address.empty()) y << "    local-address-list: [\"" << c.listen_address << "\"]\n";
  if (!c.export_learned) {
    // Only what announce() added leaves this speaker: a fixture must not echo routes around.
    y << "  apply-policy:\n    config:\n      export-policy-list: [podnet-only-local]\n"
         "      default-export-policy: accept-route\n";
  }
  y << "neighbors:\n";
  for (const auto& n : c.neighbors) {
    y << "  - config:\n      neighbor-address: \"" << n.address << "\"\n";
    y << "      peer-as: " << n.remote_as << "\n";
    if (!n.md5_password.empty()) y << "      auth-password: \"" << n.md5_password << "\"\n";
    y << "    transport:\n      config:\n";
    y << "        passive-mode: " << (n.passive ? "true" : "false") << "\n";
    y << "        remote-port: " << n.remote_port << "\n";
    if (!n.local_address.empty()) y << "        local-address: \"" << n.local_address << "\"\n";
    int keepalive = std::max(1, n.hold_time / 3);
    y << "    timers:\n      config:\n";
    y << "        hold-time: " << n.hold_time << "\n        keepalive-interval: " << keepalive
      << "\n        connect-retry: 1\n        idle-hold-time-after-reset: 1\n";
    if (n.multihop_ttl > 0) {
      y << "    ebgp-multihop:\n      config:\n        enabled: true\n        multihop-ttl: "
        << n.multihop_ttl << "\n";
    }
    if (n.as_override) y << "    as-path-options:\n      config:\n        replace-peer-as: true\n";
    if (n.route_reflector_client) {
      y << "    route-reflector:\n      config:\n        route-reflector-client: true\n"
        << "        route-reflector-cluster-id: " << c.router_id << "\n";
    }
    const bool gr = n.graceful_restart_time > 0;
    if (gr) {
      y << "    graceful-restart:\n      config:\n        enabled: true\n        restart-time: "
        << n.graceful_restart_time << "\n";
    }
    y << "    afi-safis:\n";
    for (const auto& [on, name] : {std::pair{n.ipv4, "ipv4-unicast"}, {n.ipv6, "ipv6-unicast"}}) {
      if (!on) continue;
      y << "      - config:\n          afi-safi-name: " << name << "\n";
      if (gr) y << "        mp-graceful-restart:\n          config:\n            enabled: true\n";
    }
  }
  if (!c.export_learned) {
    y << "policy-definitions:\n  - name: podnet-only-local\n    statements:\n"
         "      - name: local\n        conditions:\n          bgp-conditions:\n"
         "            route-type: local\n        actions:\n"
         "          route-disposition: accept-route\n"
         "      - name: rest\n        actions:\n          route-disposition: reject-route\n";
  }
  return y.str();
}

harness::CommandResult GobgpPeer::cli(const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {
      "ip", "netns", "exec", netns_, "gobgp", "-u", "127.0.0.1", "-p", std::to_string(api_port_)};
  argv.insert(argv.end(), args.begin(), args.end());
  return harness::run(argv, "", std::chrono::seconds(15));
}

Status GobgpPeer::start() {
  if (running()) return make_error(Errc::already_exists, "gobgpd already running");
  try {
    harness::write_file(dir_.file("gobgpd.yaml"), config_text());
    std::vector<std::string> argv = {"gobgpd",
                                     "-f",
                                     dir_.file("gobgpd.yaml"),
                                     "-t",
                                     "yaml",
                                     "--api-hosts",
                                     fmt::format("127.0.0.1:{}", api_port_),
                                     "--pprof-disable"};
    // Restarting with forwarding state kept (RFC 4724 R and F bits in its OPENs).
    if (restarting_) argv.push_back("--graceful-restart");
    proc_ = harness::Process(argv, netns_);
  } catch (const std::exception& e) {
    return make_error(Errc::io, e.what());
  }
  bool up = harness::wait_until(
      [&] {
        return !proc_.running() || cli({"global", "-j"}).exit_code == 0;
      },
      20s);
  if (!up || !proc_.running())
    return make_error(Errc::unavailable, "gobgpd did not come up: " + log());
  return ok_status();
}

Status GobgpPeer::stop() {
  if (proc_.stop(SIGTERM, 10s) < 0) return make_error(Errc::internal, "gobgpd ignored SIGTERM");
  return ok_status();
}

void GobgpPeer::kill9() {
  proc_.kill9();
}

bool GobgpPeer::running() {
  return proc_.running();
}

Status GobgpPeer::announce(const Route& r) {
  Family f = family_of(r.prefix);
  std::vector<std::string> args = {
      "global", "rib", "add", "-a", f == Family::ipv4 ? "ipv4" : "ipv6", r.prefix};
  args.insert(args.end(), {"nexthop", !r.next_hop.empty() ? r.next_hop
                                      : f == Family::ipv4 ? "0.0.0.0"
                                                          : "::"});
  if (!r.communities.empty()) {
    std::string cs;
    for (const auto& c : r.communities) cs += (cs.empty() ? "" : ",") + c;
    args.insert(args.end(), {"community", cs});
  }
  if (r.med) args.insert(args.end(), {"med", std::to_string(*r.med)});
  if (r.local_pref) args.insert(args.end(), {"local-pref", std::to_string(*r.local_pref)});
  return status_of(cli(args), "gobgp announce " + r.prefix);
}

Status GobgpPeer::withdraw(const std::string& prefix) {
  return status_of(cli({"global", "rib", "del", "-a",
                        family_of(prefix) == Family::ipv4 ? "ipv4" : "ipv6", prefix}),
                   "gobgp withdraw " + prefix);
}

Result<std::vector<RouteEntry>> parse_gobgp_rib(const std::string& text) {
  std::vector<RouteEntry> out;
  try {
    json j = json::parse(text.empty() ? "{}" : text);
    for (const auto& [prefix, paths] : j.items()) {
      for (const auto& p : paths) {
        RouteEntry e;
        e.prefix = prefix;
        e.best = p.value("best", false);
        e.from = p.value("neighbor-ip", "");
        for (const auto& a : p.value("attrs", json::array())) {
          switch (a.value("type", 0)) {
            case 1:
              e.origin = origin_name(a.value("value", 2));
              break;
            case 2:
              for (const auto& seg : a.value("as_paths", json::array()))
                for (const auto& asn : seg.value("asns", json::array()))
                  e.as_path.push_back(asn.get<uint32_t>());
              break;
            case 3:
            case 14:
              e.next_hop = a.value("nexthop", "");
              break;
            case 4:
              e.med = a.value("metric", 0u);
              break;
            case 5:
              e.local_pref = a.value("value", 0u);
              break;
            case 8:
              for (const auto& c : a.value("communities", json::array()))
                e.communities.push_back(community_text(c.get<uint32_t>()));
              std::sort(e.communities.begin(), e.communities.end());
              break;
            default:
              break;
          }
        }
        out.push_back(std::move(e));
      }
    }
  } catch (const std::exception& ex) {
    return make_error(Errc::invalid, std::string("gobgp rib json: ") + ex.what());
  }
  return out;
}

Result<std::vector<RouteEntry>> GobgpPeer::routes(Family family) {
  auto r = cli({"global", "rib", "-a", family == Family::ipv4 ? "ipv4" : "ipv6", "-j"});
  if (r.exit_code != 0) return status_of(r, "gobgp global rib").error();
  return parse_gobgp_rib(r.out);
}

Result<std::vector<NeighborState>> parse_gobgp_neighbors(const std::string& text, int64_t now) {
  std::vector<NeighborState> out;
  try {
    json j = json::parse(text.empty() ? "[]" : text);
    for (const auto& n : j) {
      NeighborState s;
      const json& st = n.value("state", json::object());
      s.address = st.value("neighbor_address", n["conf"].value("neighbor_address", ""));
      int state = st.value("session_state", 0);
      static const char* names[] = {"unknown",  "idle",        "connect",    "active",
                                    "opensent", "openconfirm", "established"};
      s.state = state >= 0 && state <= 6 ? names[state] : "unknown";
      s.established = state == 6;
      if (s.established) {
        int64_t since = n.value("timers", json::object())
                            .value("state", json::object())
                            .value("uptime", json::object())
                            .value("seconds", int64_t{0});
        if (since > 0 && now >= since) s.uptime = std::chrono::seconds(now - since);
      }
      out.push_back(std::move(s));
    }
  } catch (const std::exception& ex) {
    return make_error(Errc::invalid, std::string("gobgp neighbor json: ") + ex.what());
  }
  return out;
}

Result<std::vector<NeighborState>> GobgpPeer::neighbors() {
  auto r = cli({"neighbor", "-j"});
  if (r.exit_code != 0) return status_of(r, "gobgp neighbor").error();
  auto now = std::chrono::duration_cast<std::chrono::seconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  return parse_gobgp_neighbors(r.out, now);
}

Status GobgpPeer::send_notification(const std::string& neighbor, NotificationAction action) {
  const char* verb = action == NotificationAction::admin_shutdown ? "disable" : "reset";
  return status_of(cli({"neighbor", neighbor, verb}), fmt::format("gobgp neighbor {}", verb));
}

Status GobgpPeer::enable_neighbor(const std::string& neighbor) {
  return status_of(cli({"neighbor", neighbor, "enable"}), "gobgp neighbor enable");
}

std::string GobgpPeer::log() const {
  return proc_.out() + proc_.err();
}

std::vector<LoggedNotification> parse_gobgp_log(const std::string& log) {
  // gobgpd logs one JSON object a line; NOTIFICATIONs carry Code and Subcode fields.
  std::vector<LoggedNotification> out;
  std::istringstream in(log);
  std::string line;
  while (std::getline(in, line)) {
    if (line.find("otification") == std::string::npos) continue;
    json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object() || !j.contains("Code") || !j.contains("Subcode")) continue;
    const std::string msg = j.value("msg", "");
    LoggedNotification n;
    n.received = msg.find("sent") == std::string::npos;
    n.neighbor = j.value("Key", "");
    n.code = j["Code"].is_number() ? j["Code"].get<int>() : 0;
    n.subcode = j["Subcode"].is_number() ? j["Subcode"].get<int>() : 0;
    n.line = line;
    out.push_back(std::move(n));
  }
  return out;
}

std::vector<LoggedNotification> GobgpPeer::notifications() const {
  return parse_gobgp_log(log());
}

}  // namespace podnet::interop
