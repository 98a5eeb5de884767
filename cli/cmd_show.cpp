// show (birdc's verbs, answered by podnetd over the control socket) and version.
#include <cctype>
#include <ostream>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/control_client.hpp"
#include "podnet_version.hpp"

namespace podnet::cli {

namespace {

std::string human_duration(double seconds) {
  auto s = static_cast<long>(seconds);
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}m{}s", s / 60, s % 60);
  if (s < 86400) return fmt::format("{}h{}m", s / 3600, (s % 3600) / 60);
  return fmt::format("{}d{}h", s / 86400, (s % 86400) / 3600);
}

void print_status(std::ostream& out, const nlohmann::json& j) {
  out << fmt::format("podnetd {} ({}) on node {}, pid {}, up {}\n", j.value("version", "?"),
                     j.value("gitRevision", "?"), j.value("nodeName", "?"), j.value("pid", 0),
                     human_duration(j.value("uptimeSeconds", 0.0)));
  const auto& ds = j["datastore"];
  out << fmt::format("datastore   {}  revision {}  {}\n", ds.value("spec", "?"),
                     ds.value("revision", 0), ds.value("synced", false) ? "in sync" : "syncing");
  if (!ds.value("available", true))
    out << fmt::format("            unavailable: {}\n", ds.value("unavailableReason", "?"));
  out << fmt::format("control     {}\n", j.value("controlSocket", "?"));
  out << fmt::format("health      {}\n", j.value("healthListen", "disabled"));
  if (j.contains("bgp")) {
    const auto& b = j["bgp"];
    if (b.value("enabled", false)) {
      out << fmt::format(
          "bgp         AS {} router id {}: {}/{} peers established, {} prefixes, {} paths "
          "(RIB {:.1f} MiB)\n",
          b.value("localAS", 0), b.value("routerId", "?"), b.value("established", 0),
          b.value("peers", 0), b.value("prefixes", 0), b.value("paths", 0),
          b.value("ribMemoryBytes", 0) / 1048576.0);
    } else {
      out << fmt::format("bgp         off: {}\n", b.value("reason", "?"));
    }
  }
  if (j.contains("dataplane")) {
    const auto& d = j["dataplane"];
    out << fmt::format("dataplane   pod MTU {}, node interface {}\n", d.value("podMTU", 0),
                       d.value("interface", "?"));
    if (d.contains("vxlan"))
      out << fmt::format(
          "  vxlan     {}{}\n", d["vxlan"].value("deviceReady", false) ? "ready" : "not ready",
          d["vxlan"].value("error", "").empty() ? "" : ": " + d["vxlan"].value("error", ""));
    if (d.contains("ipip"))
      out << fmt::format("  ipip      unavailable: {}\n", d["ipip"].value("reason", "?"));
    for (const char* wg : {"wireguard", "wireguardV6"})
      if (d.contains(wg))
        out << fmt::format("  {:<9} {} ({}), {} peer(s){}\n",
                           std::string(wg) == "wireguard" ? "wireguard" : "wg v6",
                           d[wg].value("deviceReady", false) ? "ready" : "not ready",
                           d[wg].value("backend", "?"), d[wg].value("peers", 0),
                           d[wg].value("error", "").empty() ? "" : ": " + d[wg].value("error", ""));
  }
  if (j.contains("filtering")) {
    // Policy problems are shown here because a rejected policy changes nothing in the kernel:
    // this is where an operator sees why an edit had no effect.
    const auto& p = j["filtering"]["policy"];
    if (!p.value("enabled", true)) {
      out << "policy      off (policy.enabled false)\n";
    } else {
      out << fmt::format(
          "policy      {}: {} local endpoint(s) of {}, {} policies, {} chains, {} rules, {} set "
          "elements, {} applies{}\n",
          p.value("programmed", false) ? "programmed" : "not programmed",
          p.value("localEndpoints", 0), p.value("endpoints", 0), p.value("policies", 0),
          p.value("chains", 0), p.value("rules", 0), p.value("elements", 0), p.value("applies", 0),
          p.value("repairs", 0) ? fmt::format(", {} drift repairs", p.value("repairs", 0)) : "");
      if (!p.value("lastApplyError", "").empty())
        out << fmt::format("  kernel rejected the last ruleset (previous stays): {}\n",
                           p.value("lastApplyError", ""));
      for (const auto& e : p.value("errors", nlohmann::json::array()))
        out << fmt::format("  rejected: {}\n", e.get<std::string>());
    }
    const auto& n = j["filtering"]["natOutgoing"];
    out << fmt::format("nat out     {}{}\n", n.value("enabled", false) ? "on" : "off",
                       n.value("error", "").empty() ? "" : ": " + n.value("error", ""));
  }
  out << fmt::format("resources   {} in all\n", ds.value("resources", 0));
  for (const auto& k : j["resources"])
    out << fmt::format("  {:<32} {:>6}\n", k.value("kind", "?"), k.value("count", 0));
  if (!ds["rejected"].empty()) {
    out << fmt::format("rejected    {} stored resource(s), last good version kept:\n",
                       ds["rejected"].size());
    for (const auto& r : ds["rejected"])
      out << fmt::format("  {} (revision {}): {}\n", r.value("key", "?"), r.value("revision", 0),
                         r.value("error", "?"));
  }
}

std::string url_encode(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '.' || c == '-' || c == '_' || c == ':') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

std::string since(double seconds) {
  auto s = static_cast<long>(seconds);
  return fmt::format("{:02}:{:02}:{:02}", s / 3600, (s % 3600) / 60, s % 60);
}

void print_peers(std::ostream& out, const nlohmann::json& j, const std::string& only) {
  const auto& bgp = j["bgp"];
  if (!bgp.value("enabled", false)) {
    out << "BGP speaker off: " << bgp.value("reason", "?") << "\n";
    return;
  }
  if (only.empty()) {
    out << fmt::format("BGP AS {}, router id {}, port {}: {} of {} peers established\n",
                       bgp.value("localAS", 0), bgp.value("routerId", "?"),
                       bgp.value("listenPort", 0), bgp.value("established", 0),
                       bgp.value("peers", 0));
    out << fmt::format("{:<28} {:<24} {:>10} {:<12} {:>9}  {:<16} {}\n", "NAME", "PEER ADDRESS",
                       "AS", "STATE", "SINCE", "ROUTES rcv/acc/adv", "INFO");
  }
  bool found = false;
  for (const auto& p : j["peers"]) {
    if (!only.empty() && p.value("name", "") != only && p.value("address", "") != only) continue;
    found = true;
    const auto& pf = p["prefixes"];
    std::string routes = fmt::format("{}/{}/{}", pf.value("received", 0), pf.value("accepted", 0),
                                     pf.value("advertised", 0));
    if (only.empty()) {
      out << fmt::format("{:<28} {:<24} {:>10} {:<12} {:>9}  {:<16} {}\n", p.value("name", "?"),
                         fmt::format("{}:{}", p.value("address", "?"), p.value("port", 0)),
                         p.value("peerAS", 0), p.value("state", "?"),
                         since(p.value("stateSeconds", 0.0)), routes, p.value("lastError", ""));
      continue;
    }
    out << fmt::format(
        "{}\n  Neighbor address: {} port {}\n  Neighbor AS:      {}\n"
        "  Local AS:         {}\n  Origin:           {}\n"
        "  State:            {} for {}\n  Passive:          {}\n"
        "  Neighbor ID:      {}\n  Hold time:        {}\n"
        "  Routes:           {} received, {} accepted, {} advertised\n"
        "  Messages:         {} in ({} updates), {} out ({} updates)\n"
        "  Route refresh:    {} in, {} out\n"
        "  Capabilities:     {}\n  Last error:       {}\n",
        p.value("name", "?"), p.value("address", "?"), p.value("port", 0), p.value("peerAS", 0),
        p.value("localAS", 0), p.value("origin", "?"), p.value("state", "?"),
        since(p.value("stateSeconds", 0.0)), p.value("passive", false) ? "yes" : "no",
        p.value("peerRouterId", "?"), p.value("holdTime", 0), pf.value("received", 0),
        pf.value("accepted", 0), pf.value("advertised", 0), p["messages"].value("in", 0),
        p["messages"].value("updatesIn", 0), p["messages"].value("out", 0),
        p["messages"].value("updatesOut", 0), p["messages"].value("routeRefreshIn", 0),
        p["messages"].value("routeRefreshOut", 0),
        fmt::format("{}", fmt::join(p.value("capabilities", std::vector<std::string>{}), " ")),
        p.value("lastError", ""));
  }
  if (!only.empty() && !found) out << "no such peer: " << only << "\n";
}

void print_routes(std::ostream& out, const nlohmann::json& j) {
  for (const auto& r : j["routes"]) {
    bool first = true;
    for (const auto& p : r["paths"]) {
      const auto& a = p["attributes"];
      std::string nh = a.value(
          "nextHop", a.value("mpNextHop", std::string(p["kind"] == "local" ? "blackhole" : "-")));
      std::string mark = p.value("best", false) ? "*" : (p.value("multipath", false) ? "+" : " ");
      out << fmt::format("{:<20} {} via {:<18} [{} {}] {}", first ? r.value("prefix", "?") : "",
                         mark, nh, p.value("source", "?"), p.value("kind", "?"),
                         a.value("origin", "?"));
      if (p.contains("reason")) out << " (" << p.value("reason", "") << ")";
      out << "\n";
      out << fmt::format("{:<20}     AS path: {}", "", a.value("asPath", ""));
      if (a.contains("localPref"))
        out << fmt::format("  local pref: {}", a["localPref"].get<int64_t>());
      if (a.contains("med")) out << fmt::format("  MED: {}", a["med"].get<int64_t>());
      if (a.contains("communities"))
        out << fmt::format("  communities: {}",
                           fmt::join(a["communities"].get<std::vector<std::string>>(), " "));
      out << "\n";
      first = false;
    }
  }
}

// podnetd's /v1/services: one line per service port, its endpoints below it (kubectl get svc
// and get endpoints in one view), then what could not be programmed.
void print_services(std::ostream& out, const nlohmann::json& j) {
  const auto err = j.value("error", nlohmann::json());
  out << fmt::format("services table {}: {} service port(s){}\n", j.value("table", "?"),
                     j.contains("services") ? j["services"].size() : 0,
                     err.is_string() ? " — last apply failed: " + err.get<std::string>() : "");
  for (const auto& s : j.value("services", nlohmann::json::array())) {
    auto text = [&](const char* k) {
      return s.contains(k) && !s[k].is_null() ? s[k].dump() : std::string("-");
    };
    std::string cip = s.contains("clusterIP") && s["clusterIP"].is_string()
                          ? s["clusterIP"].get<std::string>()
                          : "None";
    out << fmt::format("{:<32} {:<15} {}/{}  nodePort {}{}\n", s.value("service", "?"), cip,
                       text("port"), s.value("protocol", "?"), text("nodePort"),
                       s.contains("externalTrafficPolicy")
                           ? " (" + s["externalTrafficPolicy"].get<std::string>() + ")"
                           : "");
    if (s["endpoints"].empty()) out << "    no endpoints (connections are refused)\n";
    for (const auto& e : s["endpoints"]) out << "    " << e.get<std::string>() << "\n";
  }
  for (const auto& p : j.value("problems", nlohmann::json::array()))
    out << fmt::format("not programmed: {}: {}\n", p.value("service", "?"), p.value("error", "?"));
}

}  // namespace

int cmd_show(const Globals& g, const ShowArgs& a, Io io) {
  std::string target = "/v1/" + a.what;
  if (a.what == "routes") {
    std::string q;
    if (!a.prefix.empty()) q += "prefix=" + url_encode(a.prefix);
    if (!a.peer.empty()) q += (q.empty() ? "" : "&") + std::string("peer=") + url_encode(a.peer);
    if (!q.empty()) target += "?" + q;
  }
  auto res = control_get(g.socket, target);
  if (!res) {
    io.err << "podnetctl: " << res.error().message << "\n";
    return kNotFound;
  }
  if (res->status != 200) {
    io.err << "podnetctl: podnetd answered " << res->status << ": " << res->body;
    return res->status == 400 ? kBadInput : kNotFound;
  }
  auto j = nlohmann::json::parse(res->body, nullptr, false);
  if (j.is_discarded()) {
    io.err << "podnetctl: podnetd sent something that is not JSON\n";
    return kNotFound;
  }
  if (a.json) {
    io.out << j.dump(2) << "\n";
  } else if (a.what == "peers") {
    print_peers(io.out, j, a.name);
  } else if (a.what == "routes") {
    print_routes(io.out, j);
  } else if (a.what == "services") {
    print_services(io.out, j);
  } else {
    print_status(io.out, j);
  }
  return kOk;
}

int cmd_version(const Globals& g, Io io) {
  io.out << fmt::format("Client Version:  v{}\nGit commit:      {}\n", kVersion, kGitRevision);
  auto res = control_get(g.socket, "/v1/status");
  if (res && res->status == 200) {
    auto j = nlohmann::json::parse(res->body, nullptr, false);
    if (!j.is_discarded())
      io.out << fmt::format("podnetd Version: v{} ({}) on node {}\n", j.value("version", "?"),
                            j.value("gitRevision", "?"), j.value("nodeName", "?"));
  } else {
    io.out << "podnetd Version: not reachable at " << g.socket << "\n";
  }
  return kOk;
}

}  // namespace podnet::cli
