#include "daemon/services.hpp"

#include <chrono>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "policy/nft/nft_programmer.hpp"
#include "policy/services_nat.hpp"

namespace podnet::daemon {

namespace {
// As Filtering's drift check: someone flushing podnet's table by hand is noticed and repaired.
constexpr std::chrono::seconds kCheckInterval{30};
}  // namespace

Services::Services(boost::asio::io_context& io, const conf::DaemonConfig& config)
    : io_(io), config_(config), check_timer_(io) {
  schedule_check();
}

Services::~Services() = default;

bool Services::concerns(const std::string& key) {
  return key.rfind("services/", 0) == 0 || key.rfind("pods/", 0) == 0;
}

void Services::update(const ResourceCache& cache) {
  const auto services = decode_all<conf::types::Service>(cache, "services");
  // No table until there is a Service: nodes without services carry no extra nftables.
  if (services.empty() && !nft_) return;
  const auto pods = decode_all<conf::types::Pod>(cache, "pods");
  rejected_.clear();
  for (const auto& [key, r] : cache.rejected())
    if (key.rfind("services/", 0) == 0) rejected_.push_back(r);

  auto resolved = policy::resolve_services(services, pods, config_.node_name);
  for (const auto& p : resolved.problems) spdlog::warn("services: {}: {}", p.service, p.message);
  problems_ = resolved.problems;
  auto table = policy::services_table(resolved.frontends);
  if (!table) {
    error_ = table.error().message;
    spdlog::warn("services: {} (previous rules stay)", error_);
    return;
  }
  if (!nft_) {
    auto p = policy::nft::Programmer::create();
    if (!p) {
      error_ = p.error().message;
      spdlog::error("services: {}", error_);
      return;
    }
    nft_ = std::move(*p);
  }
  auto applied = nft_->apply(*table);
  if (!applied) {
    error_ = applied.error().message;
    spdlog::warn("services: {} (previous rules stay)", error_);
    return;
  }
  if (applied->messages)
    spdlog::info(
        "services: {} service port(s) programmed ({} chain(s) rewritten, {} added, {} "
        "removed)",
        resolved.frontends.size(), applied->chains_rewritten, applied->chains_added,
        applied->chains_removed);
  error_.clear();
  ++applies_;
  applied_ = std::move(resolved);
}

void Services::schedule_check() {
  check_timer_.expires_after(kCheckInterval);
  check_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    if (nft_) {
      if (auto diff = nft_->verify(); diff && !diff->empty()) {
        spdlog::warn("services: repairing {} difference(s) found in the kernel", diff->size());
        if (auto r = nft_->repair(); !r) spdlog::warn("services: {}", r.error().message);
      }
    }
    schedule_check();
  });
}

nlohmann::ordered_json Services::status_json() const {
  using J = nlohmann::ordered_json;
  J j;
  j["table"] = fmt::format("ip {}", policy::kServicesTable);
  j["applies"] = applies_;
  j["error"] = error_.empty() ? J() : J(error_);
  J list = J::array();
  for (const auto& f : applied_.frontends) {
    J s;
    s["service"] = f.ns + "/" + f.name;
    s["port"] = f.port;
    if (!f.port_name.empty()) s["portName"] = f.port_name;
    s["protocol"] = policy::service_protocol_name(f.protocol);
    s["clusterIP"] = f.cluster_ip.empty() ? J() : J(f.cluster_ip);
    s["nodePort"] = f.node_port ? J(f.node_port) : J();
    if (f.node_port) s["externalTrafficPolicy"] = f.local_only ? "Local" : "Cluster";
    J eps = J::array();
    for (const auto& e : f.endpoints)
      eps.push_back(fmt::format("{}:{} ({}{})", e.ip, e.port, e.pod, e.local ? ", local" : ""));
    s["endpoints"] = std::move(eps);
    list.push_back(std::move(s));
  }
  j["services"] = std::move(list);
  J problems = J::array();
  for (const auto& p : problems_)
    problems.push_back({{"service", p.service}, {"error", p.message}});
  for (const auto& r : rejected_) problems.push_back({{"service", r.key}, {"error", r.error}});
  j["problems"] = std::move(problems);
  return j;
}

}  // namespace podnet::daemon
