// show (birdc's verbs, answered by podnetd over the control socket) and version.
#include <ostream>

#include <fmt/format.h>
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
  out << fmt::format("control     {}\n", j.value("controlSocket", "?"));
  out << fmt::format("health      {}\n", j.value("healthListen", "disabled"));
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

}  // namespace

int cmd_show(const Globals& g, const ShowArgs& a, Io io) {
  auto res = control_get(g.socket, "/v1/" + a.what);
  if (!res) {
    io.err << "podnetctl: " << res.error().message << "\n";
    return kNotFound;
  }
  if (res->status != 200) {
    io.err << "podnetctl: podnetd answered " << res->status << ": " << res->body;
    return kNotFound;
  }
  auto j = nlohmann::json::parse(res->body, nullptr, false);
  if (j.is_discarded()) {
    io.err << "podnetctl: podnetd sent something that is not JSON\n";
    return kNotFound;
  }
  if (a.json) {
    io.out << j.dump(2) << "\n";
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
