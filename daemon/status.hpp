// What podnetd says about itself: the JSON of the control socket's GET /v1/status and the
// Prometheus text of GET /metrics. Pure functions of a snapshot, so they are unit-testable.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "daemon/resource_cache.hpp"

namespace podnet::daemon {

struct StatusSnapshot {
  std::string node_name;
  std::string datastore;                             // "dir:/var/lib/podnet/datastore"
  std::optional<std::string> datastore_unavailable;  // Datastore::unavailable_reason()
  std::string control_socket;
  std::string health_listen;  // the bound address, "127.0.0.1:9099"
  double uptime_seconds = 0;
  long pid = 0;
  const ResourceCache* cache = nullptr;
  nlohmann::ordered_json dataplane;  // Overlay::status_json()
  nlohmann::ordered_json filtering;  // Filtering::status_json(): policy and NAT outgoing
  nlohmann::ordered_json bgp;        // Routing::summary_json(), null when routing is not wired
};

nlohmann::ordered_json status_json(const StatusSnapshot& s);
std::string metrics_text(const StatusSnapshot& s);

}  // namespace podnet::daemon
