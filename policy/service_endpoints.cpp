#include "policy/service_endpoints.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include <fmt/format.h>

#include "conf/schema/checks.hpp"

namespace podnet::policy {

namespace {

using conf::types::Pod;
using conf::types::Service;
using conf::types::ServicePort;

// A selector of a Service is a plain label map: every pair must be on the pod. An empty selector
// selects nothing (a service without a selector has manually managed endpoints in Kubernetes,
// which podnet has no resource for).
bool selects(const Service& s, const Pod& p) {
  if (s.spec.selector.empty() || p.metadata.namespace_ != s.metadata.namespace_) return false;
  for (const auto& [k, v] : s.spec.selector) {
    auto it = p.metadata.labels.find(k);
    if (it == p.metadata.labels.end() || it->second != v) return false;
  }
  return true;
}

// Pods that are finished never serve again; the rest count (podnet has no readiness probes).
bool serving(const Pod& p) {
  return p.status.phase != "Succeeded" && p.status.phase != "Failed";
}

std::vector<std::string> ipv4_addresses(const Pod& p) {
  std::vector<std::string> out;
  auto add = [&out](const std::string& a) {
    auto ip = conf::parse_ip(a);
    if (ip && ip->family == 4 && std::find(out.begin(), out.end(), ip->str()) == out.end())
      out.push_back(ip->str());
  };
  for (const auto& a : p.status.pod_ips) add(a);
  if (!p.status.pod_ip.empty()) add(p.status.pod_ip);
  return out;
}

// The pod's port for a service port: a number as is, absent = the service port, a name = the
// pod's container port of that name and protocol (none: this pod is no endpoint of the port).
std::optional<uint16_t> target_port(const ServicePort& sp, const Pod& p) {
  if (!sp.target_port) return static_cast<uint16_t>(sp.port);
  if (sp.target_port->is_int) return static_cast<uint16_t>(sp.target_port->num);
  for (const auto& cp : p.spec.ports)
    if (cp.name == sp.target_port->str && cp.protocol == sp.protocol && cp.container_port > 0 &&
        cp.container_port <= 65535)
      return static_cast<uint16_t>(cp.container_port);
  return std::nullopt;
}

}  // namespace

uint8_t service_protocol(const std::string& name) {
  if (name == "TCP") return 6;
  if (name == "UDP") return 17;
  if (name == "SCTP") return 132;
  return 0;
}

const char* service_protocol_name(uint8_t proto) {
  switch (proto) {
    case 6:
      return "tcp";
    case 17:
      return "udp";
    case 132:
      return "sctp";
  }
  return "?";
}

std::string ServiceFrontend::id() const {
  return fmt::format("{}/{}/{}/{}", ns, name, service_protocol_name(protocol), port);
}

ResolvedServices resolve_services(const std::vector<Service>& services,
                                  const std::vector<Pod>& pods, const std::string& node_name) {
  std::vector<const Service*> sorted;
  for (const auto& s : services) sorted.push_back(&s);
  std::sort(sorted.begin(), sorted.end(), [](const Service* a, const Service* b) {
    return std::tie(a->metadata.namespace_, a->metadata.name) <
           std::tie(b->metadata.namespace_, b->metadata.name);
  });

  ResolvedServices out;
  std::map<std::tuple<std::string, uint8_t, uint16_t>, std::string> cluster_taken;
  std::map<std::pair<uint8_t, uint16_t>, std::string> node_port_taken;
  for (const Service* s : sorted) {
    const std::string who = s->metadata.namespace_ + "/" + s->metadata.name;
    std::string cluster_ip;
    if (!s->spec.cluster_ip.empty() && s->spec.cluster_ip != "None") {
      auto ip = conf::parse_ip(s->spec.cluster_ip);
      if (!ip || ip->family != 4) {
        out.problems.push_back(
            {who, "clusterIP " + s->spec.cluster_ip + " is not an IPv4 address"});
        continue;
      }
      cluster_ip = ip->str();
    }
    std::vector<const Pod*> backing;
    for (const auto& p : pods)
      if (selects(*s, p) && serving(p)) backing.push_back(&p);

    for (const auto& sp : s->spec.ports) {
      ServiceFrontend f;
      f.ns = s->metadata.namespace_;
      f.name = s->metadata.name;
      f.port_name = sp.name;
      f.protocol = service_protocol(sp.protocol);
      f.port = static_cast<uint16_t>(sp.port);
      f.cluster_ip = cluster_ip;
      if (s->spec.type == "NodePort") f.node_port = static_cast<uint16_t>(sp.node_port);
      f.local_only = f.node_port && s->spec.external_traffic_policy == "Local";
      if (!f.protocol || !f.port || sp.port > 65535) {
        out.problems.push_back(
            {who, fmt::format("port {}/{} cannot be programmed", sp.port, sp.protocol)});
        continue;
      }
      if (!f.cluster_ip.empty()) {
        auto [it, fresh] = cluster_taken.emplace(std::tuple{f.cluster_ip, f.protocol, f.port}, who);
        if (!fresh) {
          out.problems.push_back(
              {who, fmt::format("{}:{}/{} is already service {}'s", f.cluster_ip, f.port,
                                service_protocol_name(f.protocol), it->second)});
          continue;
        }
      }
      if (f.node_port) {
        auto [it, fresh] = node_port_taken.emplace(std::pair{f.protocol, f.node_port}, who);
        if (!fresh) {
          out.problems.push_back(
              {who, fmt::format("node port {}/{} is already service {}'s", f.node_port,
                                service_protocol_name(f.protocol), it->second)});
          continue;
        }
      }
      std::set<ServiceEndpoint> eps;
      for (const Pod* p : backing) {
        auto tp = target_port(sp, *p);
        if (!tp) continue;
        for (const auto& ip : ipv4_addresses(*p))
          eps.insert(ServiceEndpoint{ip, *tp, p->metadata.namespace_ + "/" + p->metadata.name,
                                     p->spec.node_name == node_name});
      }
      f.endpoints.assign(eps.begin(), eps.end());
      out.frontends.push_back(std::move(f));
    }
  }
  return out;
}

}  // namespace podnet::policy
