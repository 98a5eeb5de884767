#include "policy/policy_engine.hpp"

#include <algorithm>
#include <cctype>
#include <set>

#include <fmt/format.h>

#include "conf/decode.hpp"
#include "conf/types/k8s.hpp"
#include "policy/compiler.hpp"
#include "policy/endpoints.hpp"
#include "policy/model.hpp"

namespace podnet::policy {

namespace {

// Kinds whose last good version stands in for a bad edit.
bool held_back_kind(const conf::Resource& r) {
  static const std::set<std::string> kinds{
      "networkpolicies", "globalnetworkpolicies", "kubernetesnetworkpolicies",
      "tiers",           "globalnetworksets",     "networksets",
      "hostendpoints"};
  return r.kind && kinds.count(r.kind->plural);
}

// Only an explicit setting counts (see CompileOptions::endpoint_to_host for the default).
CompileOptions::EndpointToHost endpoint_to_host(const std::vector<conf::Resource>& resources) {
  for (const auto& r : resources) {
    if (!r.kind || r.kind->plural != std::string("felixconfigurations") || r.name() != "default")
      continue;
    auto spec = r.doc.find("spec");
    if (spec == r.doc.end() || !spec->is_object()) continue;
    auto a = spec->find("defaultEndpointToHostAction");
    if (a == spec->end() || !a->is_string()) continue;
    std::string v = a->get<std::string>();
    for (auto& ch : v) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (v == "drop") return CompileOptions::EndpointToHost::drop;
    if (v == "return") return CompileOptions::EndpointToHost::return_;
  }
  return CompileOptions::EndpointToHost::accept;
}

}  // namespace

nlohmann::json EngineStatus::json() const {
  nlohmann::json j{{"programmed", programmed},
                   {"updates", updates},
                   {"applies", applies},
                   {"localEndpoints", local_endpoints},
                   {"endpoints", endpoints},
                   {"policies", policies},
                   {"chains", chains},
                   {"rules", rules},
                   {"sets", sets},
                   {"elements", elements},
                   {"errors", errors},
                   {"lastUpdateMs", last_update_ms},
                   {"lastApplyMs", last_apply_ms},
                   {"lastUpdateIncremental", last_update_incremental},
                   {"incrementalUpdates", incremental_updates},
                   {"repairs", repairs}};
  if (!last_apply_error.empty()) j["lastApplyError"] = last_apply_error;
  if (last_apply)
    j["lastApply"] = {{"messages", last_apply->messages},
                      {"elementsAdded", last_apply->elements_added},
                      {"elementsRemoved", last_apply->elements_removed},
                      {"chainsAdded", last_apply->chains_added},
                      {"chainsRemoved", last_apply->chains_removed},
                      {"chainsRewritten", last_apply->chains_rewritten}};
  return j;
}

PolicyEngine::PolicyEngine() : PolicyEngine(Options{}) {}
PolicyEngine::PolicyEngine(Options opts) : opts_(std::move(opts)) {}
PolicyEngine::~PolicyEngine() = default;

const nft::Table* PolicyEngine::applied() const {
  return prog_ ? prog_->applied() : nullptr;
}

Status PolicyEngine::ensure_programmer() {
  if (prog_) return ok_status();
  auto p = nft::Programmer::create(opts_.programmer);
  if (!p) return p.error();
  prog_ = std::move(*p);
  return ok_status();
}

Status PolicyEngine::update(const std::vector<conf::Resource>& resources, const std::string& node) {
  Inputs now;
  for (const auto& r : resources) now[r.key()] = &r;
  return update(now, node);
}

Status PolicyEngine::update(const std::map<std::string, conf::Resource>& resources,
                            const std::string& node) {
  Inputs now;
  for (const auto& [key, r] : resources) now.emplace_hint(now.end(), key, &r);
  return update(now, node);
}

Status PolicyEngine::update(const Inputs& now, const std::string& node) {
  const auto start = std::chrono::steady_clock::now();
  ++status_.updates;
  if (auto st = ensure_programmer(); !st) {
    status_.last_apply_error = st.error().message;
    return st;
  }
  auto inc = incremental_update(now, node);
  status_.last_update_incremental = inc.has_value();
  Status st = inc ? std::move(*inc) : full_update(now, node);
  if (inc) ++status_.incremental_updates;
  status_.last_update_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return st;
}

void PolicyEngine::record_inputs(const Inputs& now) {
  inputs_.clear();
  for (const auto& [key, r] : now) inputs_.emplace_hint(inputs_.end(), key, *r);
}

void PolicyEngine::publish_errors() {
  status_.errors = policy_errors_;
  for (const auto& [key, list] : endpoint_errors_)
    status_.errors.insert(status_.errors.end(), list.begin(), list.end());
}

namespace {

const conf::Resource* find_named(const std::map<std::string, const conf::Resource*>& now,
                                 const char* plural, const std::string& ns,
                                 const std::string& name) {
  for (const auto& [key, r] : now) {
    if (!r->kind || r->kind->plural != std::string_view(plural) || r->name() != name) continue;
    const std::string rns = r->ns().empty() ? "default" : r->ns();
    if (!r->kind->namespaced || rns == ns) return r;
  }
  return nullptr;
}

std::string pod_endpoint_name(const conf::types::Pod& pod) {
  return (pod.metadata.namespace_.empty() ? "default" : pod.metadata.namespace_) + "/" +
         pod.metadata.name;
}

}  // namespace

std::optional<Status> PolicyEngine::incremental_update(const Inputs& now, const std::string& node) {
  if (!inc_.ready() || node != inc_node_ || !prog_->applied()) return std::nullopt;
  // What changed since the last update: only Pods may have.
  std::vector<std::string> changed;
  auto is_pod = [](const conf::Resource& r) {
    return r.kind && r.kind->plural == std::string_view("pods");
  };
  auto a = inputs_.begin();
  auto b = now.begin();
  while (a != inputs_.end() || b != now.end()) {
    const conf::Resource* r = nullptr;
    std::string key;
    if (b == now.end() || (a != inputs_.end() && a->first < b->first)) {
      key = a->first;
      r = &a->second;
      ++a;
    } else if (a == inputs_.end() || b->first < a->first) {
      key = b->first;
      r = b->second;
      ++b;
    } else {
      const bool same = a->second.doc == b->second->doc;
      key = a->first;
      r = b->second;
      ++a;
      ++b;
      if (same) continue;
    }
    if (!is_pod(*r)) return std::nullopt;
    changed.push_back(std::move(key));
  }

  std::vector<IncrementalCompiler::Change> changes;
  std::map<std::string, std::vector<std::string>> errors;
  for (const auto& key : changed) {
    auto cur = now.find(key);
    auto prev = inputs_.find(key);
    const conf::Resource& r = cur != now.end() ? *cur->second : prev->second;
    auto pod = conf::decode<conf::types::Pod>(r);
    if (!pod) {
      if (cur != now.end()) errors[key].push_back(key + ": " + pod.error().message);
      auto old = prev == inputs_.end() ? pod : conf::decode<conf::types::Pod>(prev->second);
      if (!old) return std::nullopt;  // neither version readable: let the full path sort it out
      changes.push_back({pod_endpoint_name(*old), std::nullopt});
      continue;
    }
    IncrementalCompiler::Change ch{pod_endpoint_name(*pod), std::nullopt};
    if (cur != now.end()) {
      const std::string ns =
          pod->metadata.namespace_.empty() ? "default" : pod->metadata.namespace_;
      std::optional<conf::types::Namespace> nsr;
      std::optional<conf::types::ServiceAccount> sa;
      if (auto* n = find_named(now, "namespaces", ns, ns))
        if (auto d = conf::decode<conf::types::Namespace>(*n)) nsr = std::move(*d);
      if (auto* s = find_named(now, "serviceaccounts", ns, pod->spec.service_account_name))
        if (auto d = conf::decode<conf::types::ServiceAccount>(*s)) sa = std::move(*d);
      std::vector<std::string> bad;
      ch.endpoint = workload_endpoint(*pod, nsr ? &*nsr : nullptr, sa ? &*sa : nullptr, &bad);
      for (const auto& ip : bad)
        errors[key].push_back(fmt::format("{}: status.podIPs: '{}' is not an IP", key, ip));
    }
    changes.push_back(std::move(ch));
  }

  auto delta = inc_.update(changes);
  if (!delta) return std::nullopt;
  const auto t0 = std::chrono::steady_clock::now();
  auto st = prog_->apply_delta(*delta);
  status_.last_apply_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  if (!st) {
    // The kernel refused: the kept state ran ahead of it. The full path recompiles and
    // converges the whole table (and re-adopts the compiled state).
    inc_node_.clear();
    return std::nullopt;
  }
  for (const auto& key : changed) {
    auto cur = now.find(key);
    if (cur == now.end())
      inputs_.erase(key);
    else
      inputs_.insert_or_assign(key, *cur->second);
    endpoint_errors_.erase(key);
  }
  for (auto& [key, list] : errors) endpoint_errors_[key] = std::move(list);
  publish_errors();
  ++status_.applies;
  status_.last_apply_error.clear();
  status_.last_apply = *st;
  const CompileResult& c = inc_.result();
  status_.local_endpoints = c.local_endpoints;
  status_.policies = c.policies;
  status_.chains = c.table.chains.size();
  status_.sets = c.table.sets.size();
  status_.rules = c.rules;
  status_.elements = c.elements;
  status_.endpoints = inc_.endpoint_count();
  return ok_status();
}

Status PolicyEngine::full_update(const Inputs& now, const std::string& node) {
  std::vector<conf::Resource> resources;
  resources.reserve(now.size());
  for (const auto& [key, r] : now) resources.push_back(*r);

  std::vector<conf::Resource> in = resources;
  std::map<std::string, std::string> bad;  // key -> first reason
  std::set<std::string> substituted;
  BuildResult built;
  CompileResult compiled;
  Endpoints eps;
  CompileOptions co;
  CompileIndex index;
  // Each round removes (or rolls back) the resources that failed; a rolled-back version that
  // fails again is removed in the next round. Three rounds settle every case.
  bool compiled_built = false;  // `compiled` (and `index`) come from the current `built`
  auto compile_in = [&] {
    eps = build_endpoints(in);
    co = CompileOptions{};
    co.node = node;
    co.failsafes = failsafes_from(in);
    for (int port : overlay_udp_ports_) {
      co.failsafes.inbound.push_back(FailsafePort{17, port, std::nullopt});
      co.failsafes.outbound.push_back(FailsafePort{17, port, std::nullopt});
    }
    co.table = opts_.table;
    co.endpoint_to_host = endpoint_to_host(in);
    co.host_interfaces = host_interfaces_;
    compiled = compile(built.model, eps, co, &index);
    compiled_built = true;
    status_.endpoints = eps.endpoints.size();
  };
  for (int round = 0; round < 3; ++round) {
    built = build_model(in);
    compiled_built = false;
    std::set<std::string> now_bad;
    for (const auto& e : built.errors) {
      now_bad.insert(e.resource);
      bad.emplace(e.resource, e.str());
    }
    if (now_bad.empty()) {
      compile_in();
      for (const auto& e : compiled.errors) {
        now_bad.insert(e.resource);
        bad.emplace(e.resource, e.str());
      }
      if (now_bad.empty()) break;
    }
    std::vector<conf::Resource> next;
    for (auto& r : in) {
      const std::string key = r.key();
      if (!now_bad.count(key)) {
        next.push_back(std::move(r));
        continue;
      }
      auto good = last_good_.find(key);
      if (good != last_good_.end() && !substituted.count(key)) {
        substituted.insert(key);
        next.push_back(good->second);
      }
    }
    in = std::move(next);
  }

  if (!compiled_built) {
    // The last round rebuilt the model without the resources that failed: compile that (the
    // index must point into the model that is kept).
    compile_in();
  }
  policy_errors_.clear();
  for (const auto& [key, why] : bad)
    policy_errors_.push_back(
        why + (substituted.count(key) ? " (the last good version stays)" : " (left out)"));
  endpoint_errors_.clear();
  for (const auto& e : build_endpoints(resources).errors)
    endpoint_errors_[e.resource].push_back(e.str());
  publish_errors();

  const auto t0 = std::chrono::steady_clock::now();
  auto st = prog_->apply(compiled.table);
  status_.last_apply_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  if (!st) {
    status_.last_apply_error = st.error().message;
    return st.error();
  }
  ++status_.applies;
  status_.last_apply_error.clear();
  status_.last_apply = *st;
  status_.programmed = true;
  status_.local_endpoints = compiled.local_endpoints;
  status_.policies = compiled.policies;
  status_.chains = compiled.table.chains.size();
  status_.sets = compiled.table.sets.size();
  status_.rules = compiled.rules;
  status_.elements = compiled.elements;
  last_good_.clear();
  for (const auto& r : in)
    if (held_back_kind(r)) last_good_.emplace(r.key(), r);
  // The compiled state is kept for the next pods-only update, as the resources it came from.
  inc_.adopt(std::move(built.model), std::move(eps), std::move(co), std::move(index),
             std::move(compiled));
  inc_node_ = node;
  record_inputs(now);
  return ok_status();
}

Result<std::vector<std::string>> PolicyEngine::verify_and_repair() {
  std::vector<std::string> none;
  if (!prog_ || !prog_->applied()) return none;
  if (auto gen = prog_->generation(); gen && prog_->verified_generation() == *gen) return none;
  auto diffs = prog_->verify();
  if (!diffs) return diffs.error();
  if (diffs->empty()) return none;
  auto r = prog_->repair();
  if (!r) return r.error();
  ++status_.repairs;
  status_.last_apply = *r;
  return *diffs;
}

bool PolicyEngine::set_host_interfaces(std::map<std::string, std::vector<IpAddr>> interfaces) {
  if (interfaces == host_interfaces_) return false;
  host_interfaces_ = std::move(interfaces);
  inc_node_.clear();  // host endpoint dispatch may change: the next update() compiles in full
  return true;
}

bool PolicyEngine::set_overlay_udp_ports(std::vector<int> ports) {
  std::sort(ports.begin(), ports.end());
  ports.erase(std::unique(ports.begin(), ports.end()), ports.end());
  if (ports == overlay_udp_ports_) return false;
  overlay_udp_ports_ = std::move(ports);
  inc_node_.clear();  // the failsafe rules change: the next update() compiles in full
  return true;
}

Status PolicyEngine::remove() {
  if (!prog_) return ok_status();
  status_.programmed = false;
  return prog_->remove();
}

}  // namespace podnet::policy
