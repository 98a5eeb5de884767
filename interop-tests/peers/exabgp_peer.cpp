#include "interop-tests/peers/exabgp_peer.hpp"

#include <fmt/core.h>
#include <signal.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace podnet::interop {

using nlohmann::json;

namespace {

// Every API JSON object, one a line; ExaBGP also writes "done" acks there, which are skipped.
template <class F>
void for_each_event(const std::string& events, F f) {
  std::istringstream in(events);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] != '{') continue;
    json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_object()) f(j, line);
  }
}

std::string peer_of(const json& j) {
  return j.value("neighbor", json::object())
      .value("address", json::object())
      .value("peer", std::string());
}

}  // namespace

ExabgpPeer::ExabgpPeer(std::string netns, PeerConfig config)
    : netns_(std::move(netns)), config_(std::move(config)) {}

ExabgpPeer::~ExabgpPeer() = default;  // proc_ SIGKILLs ExaBGP (and with it the API process)

std::string ExabgpPeer::config_text() const {
  std::ostringstream c;
  c << "process podnet-api {\n  run " << dir_.file("api.sh") << ";\n  encoder json;\n}\n";
  for (const auto& n : config_.neighbors) {
    c << "neighbor " << n.address << " {\n";
    c << "  router-id " << config_.router_id << ";\n";
    if (!n.local_address.empty()) c << "  local-address " << n.local_address << ";\n";
    c << "  local-as " << config_.local_as << ";\n  peer-as " << n.remote_as << ";\n";
    c << "  hold-time " << n.hold_time << ";\n";
    if (n.passive) c << "  passive;\n";
    c << "  family {\n";
    if (n.ipv4) c << "    ipv4 unicast;\n";
    if (n.ipv6) c << "    ipv6 unicast;\n";
    c << "  }\n";
    if (!add_path_.empty()) c << "  capability {\n    add-path " << add_path_ << ";\n  }\n";
    c << "  api {\n    processes [ podnet-api ];\n    neighbor-changes;\n"
         "    receive { parsed; notification; update; }\n  }\n}\n";
  }
  return c.str();
}

Status ExabgpPeer::start() {
  if (running()) return make_error(Errc::already_exists, "exabgp already running");
  try {
    // The API process: ExaBGP's events (its stdin) go to a file, the command file is followed
    // from its start so nothing written before ExaBGP was ready is lost. Background jobs of a
    // non-interactive shell get /dev/null as stdin, hence the explicit fd 3.
    harness::write_file(dir_.file("commands"), "");
    harness::write_file(dir_.file("events"), "");
    harness::write_file(dir_.file("api.sh"),
                        fmt::format("#!/bin/sh\nexec 3<&0\ncat <&3 >> {} &\n"
                                    "exec tail -n +1 -F {}\n",
                                    dir_.file("events"), dir_.file("commands")));
    harness::run({"chmod", "+x", dir_.file("api.sh")});
    harness::write_file(dir_.file("exabgp.conf"), config_text());
    // ExaBGP reads its settings from the environment: stay root inside the namespace (it
    // drops to "nobody" by default), listen only where told, no CLI pipes in /run.
    proc_ = harness::Process({"env", "exabgp.daemon.user=root", "exabgp.daemon.drop=false",
                              "exabgp.tcp.bind=" + config_.listen_address, "exabgp.api.cli=false",
                              "exabgp.log.destination=stdout", "exabgp.daemon.daemonize=false",
                              "exabgp", dir_.file("exabgp.conf")},
                             netns_);
  } catch (const std::exception& e) {
    return make_error(Errc::io, e.what());
  }
  // Ready once the configuration is loaded (the API process is started with it).
  bool up = harness::wait_until(
      [&] {
        return !proc_.running() ||
               proc_.out().find("loaded new configuration successfully") != std::string::npos;
      },
      std::chrono::seconds(20));
  if (!up || !proc_.running())
    return make_error(Errc::unavailable, "exabgp did not come up: " + log());
  return ok_status();
}

Status ExabgpPeer::stop() {
  if (proc_.stop(SIGTERM, std::chrono::seconds(10)) < 0)
    return make_error(Errc::internal, "exabgp ignored SIGTERM");
  return ok_status();
}

bool ExabgpPeer::running() {
  return proc_.running();
}

Status ExabgpPeer::command(const std::string& line) {
  // Appended in one write (tail -F would replay a rewritten file from its start).
  std::ofstream f(dir_.file("commands"), std::ios::app);
  f << line << "\n" << std::flush;
  if (!f) return make_error(Errc::io, "cannot append to " + dir_.file("commands"));
  return ok_status();
}

Status ExabgpPeer::announce(const std::string& prefix, const std::string& next_hop,
                            const std::string& extra) {
  return command(fmt::format("announce route {} next-hop {}{}{}", prefix, next_hop,
                             extra.empty() ? "" : " ", extra));
}

Status ExabgpPeer::withdraw(const std::string& prefix) {
  return command("withdraw route " + prefix);
}

std::string ExabgpPeer::events() const {
  try {
    return harness::read_file(dir_.file("events"));
  } catch (const std::exception&) {
    return "";
  }
}

std::string ExabgpPeer::log() const {
  return proc_.out() + proc_.err() + "--- exabgp api events\n" + events();
}

std::vector<std::pair<std::string, std::string>> parse_exabgp_states(const std::string& events) {
  std::vector<std::pair<std::string, std::string>> out;
  for_each_event(events, [&](const json& j, const std::string&) {
    if (j.value("type", "") != "state") return;
    out.emplace_back(peer_of(j), j["neighbor"].value("state", ""));
  });
  return out;
}

std::vector<LoggedNotification> parse_exabgp_notifications(const std::string& events) {
  std::vector<LoggedNotification> out;
  for_each_event(events, [&](const json& j, const std::string& line) {
    if (j.value("type", "") != "notification") return;
    const json& n = j["neighbor"];
    const json& body = n.value("notification", json::object());
    LoggedNotification l;
    l.received = n.value("direction", "receive") == "receive";
    l.neighbor = peer_of(j);
    l.code = body.value("code", 0);
    l.subcode = body.value("subcode", 0);
    l.line = line;
    out.push_back(std::move(l));
  });
  return out;
}

bool ExabgpPeer::established(const std::string& neighbor) const {
  std::string last;
  for (const auto& [peer, state] : parse_exabgp_states(events()))
    if (peer == neighbor) last = state;
  return last == "up";
}

bool ExabgpPeer::wait_established(const std::string& neighbor,
                                  std::chrono::milliseconds timeout) const {
  return harness::wait_until([&] { return established(neighbor); }, timeout);
}

int ExabgpPeer::downs(const std::string& neighbor) const {
  int n = 0;
  for (const auto& [peer, state] : parse_exabgp_states(events()))
    if (peer == neighbor && state == "down") ++n;
  return n;
}

std::vector<LoggedNotification> ExabgpPeer::notifications() const {
  return parse_exabgp_notifications(events());
}

bool ExabgpPeer::wait_notification(bool received, int code, int subcode,
                                   std::chrono::milliseconds timeout) const {
  return harness::wait_until(
      [&] {
        for (const auto& n : notifications())
          if (n.received == received && n.code == code && n.subcode == subcode) return true;
        return false;
      },
      timeout);
}

}  // namespace podnet::interop
