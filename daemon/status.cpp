#include "daemon/status.hpp"

#include <fmt/format.h>

#include "podnet_version.hpp"

namespace podnet::daemon {

nlohmann::ordered_json status_json(const StatusSnapshot& s) {
  nlohmann::ordered_json j;
  j["nodeName"] = s.node_name;
  j["version"] = kVersion;
  j["gitRevision"] = kGitRevision;
  j["pid"] = s.pid;
  j["uptimeSeconds"] = s.uptime_seconds;
  j["controlSocket"] = s.control_socket;
  j["healthListen"] = s.health_listen;
  auto& ds = j["datastore"];
  ds["spec"] = s.datastore;
  ds["synced"] = s.cache->synced();
  ds["available"] = !s.datastore_unavailable.has_value();
  if (s.datastore_unavailable) ds["unavailableReason"] = *s.datastore_unavailable;
  ds["revision"] = s.cache->revision();
  ds["resources"] = s.cache->resources().size();
  auto rejected = nlohmann::ordered_json::array();
  for (const auto& [key, r] : s.cache->rejected())
    rejected.push_back({{"key", key}, {"revision", r.revision}, {"error", r.error}});
  ds["rejected"] = rejected;
  auto kinds = nlohmann::ordered_json::array();
  for (const auto& [kind, n] : s.cache->counts_by_kind())
    kinds.push_back({{"kind", kind->kind}, {"apiVersion", kind->api_version}, {"count", n}});
  j["resources"] = kinds;
  if (!s.bgp.is_null()) j["bgp"] = s.bgp;
  if (!s.dataplane.is_null()) j["dataplane"] = s.dataplane;
  if (!s.filtering.is_null()) j["filtering"] = s.filtering;
  return j;
}

namespace {
// Prometheus label values escape backslash, double quote and newline.
std::string label_escape(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}
}  // namespace

std::string metrics_text(const StatusSnapshot& s) {
  std::string out;
  auto gauge = [&](const char* name, const char* help) {
    out += fmt::format("# HELP {} {}\n# TYPE {} gauge\n", name, help, name);
  };
  gauge("podnet_build_info", "podnetd build; the value is always 1.");
  out += fmt::format("podnet_build_info{{version=\"{}\",revision=\"{}\",node=\"{}\"}} 1\n",
                     label_escape(kVersion), label_escape(kGitRevision), label_escape(s.node_name));
  gauge("podnet_uptime_seconds", "Seconds since podnetd started.");
  out += fmt::format("podnet_uptime_seconds {:.3f}\n", s.uptime_seconds);
  gauge("podnet_datastore_revision", "Highest datastore revision podnetd has seen.");
  out += fmt::format("podnet_datastore_revision {}\n", s.cache->revision());
  gauge("podnet_datastore_synced", "1 once the datastore snapshot has been loaded.");
  out += fmt::format("podnet_datastore_synced {}\n", s.cache->synced() ? 1 : 0);
  gauge("podnet_datastore_available", "0 while the datastore cannot be reached.");
  out += fmt::format("podnet_datastore_available {}\n", s.datastore_unavailable ? 0 : 1);
  out +=
      "# HELP podnet_datastore_events_total Datastore watch events applied.\n"
      "# TYPE podnet_datastore_events_total counter\n";
  out += fmt::format("podnet_datastore_events_total {}\n", s.cache->events_applied());
  gauge("podnet_datastore_rejected", "Stored resources refused (last good version kept).");
  out += fmt::format("podnet_datastore_rejected {}\n", s.cache->rejected().size());
  gauge("podnet_resources", "Resources in the datastore by kind.");
  for (const auto& [kind, n] : s.cache->counts_by_kind())
    out += fmt::format("podnet_resources{{kind=\"{}\",api_version=\"{}\"}} {}\n",
                       label_escape(kind->kind), label_escape(kind->api_version), n);
  return out;
}

}  // namespace podnet::daemon
