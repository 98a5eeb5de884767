#include "policy/policy_engine.hpp"

#include <cctype>
#include <set>

#include <fmt/format.h>

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
  const auto start = std::chrono::steady_clock::now();
  ++status_.updates;
  if (auto st = ensure_programmer(); !st) {
    status_.last_apply_error = st.error().message;
    return st;
  }

  std::vector<conf::Resource> in = resources;
  std::map<std::string, std::string> bad;  // key -> first reason
  std::set<std::string> substituted;
  BuildResult built;
  CompileResult compiled;
  // Each round removes (or rolls back) the resources that failed; a rolled-back version that
  // fails again is removed in the next round. Three rounds settle every case.
  for (int round = 0; round < 3; ++round) {
    built = build_model(in);
    std::set<std::string> now_bad;
    for (const auto& e : built.errors) {
      now_bad.insert(e.resource);
      bad.emplace(e.resource, e.str());
    }
    if (now_bad.empty()) {
      auto eps = build_endpoints(in);
      CompileOptions co;
      co.node = node;
      co.failsafes = failsafes_from(in);
      co.table = opts_.table;
      co.endpoint_to_host = endpoint_to_host(in);
      co.host_interfaces = host_interfaces_;
      compiled = compile(built.model, eps, co);
      status_.endpoints = eps.endpoints.size();
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

  status_.errors.clear();
  for (const auto& [key, why] : bad)
    status_.errors.push_back(
        why + (substituted.count(key) ? " (the last good version stays)" : " (left out)"));
  for (const auto& e : build_endpoints(resources).errors) status_.errors.push_back(e.str());

  auto st = prog_->apply(compiled.table);
  status_.last_update_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
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
  return ok_status();
}

Status PolicyEngine::update(const std::map<std::string, conf::Resource>& resources,
                            const std::string& node) {
  std::vector<conf::Resource> list;
  list.reserve(resources.size());
  for (const auto& [key, r] : resources) list.push_back(r);
  return update(list, node);
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
  return true;
}

Status PolicyEngine::remove() {
  if (!prog_) return ok_status();
  status_.programmed = false;
  return prog_->remove();
}

}  // namespace podnet::policy
