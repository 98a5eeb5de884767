#include "policy/incremental.hpp"

#include <algorithm>

namespace podnet::policy {

namespace {

std::set<std::string> jump_targets(const nft::Chain& c) {
  std::set<std::string> out;
  for (const auto& r : c.rules)
    for (const auto& st : r.stmt)
      if (auto* v = std::get_if<nft::Verdict>(&st); v && v->kind == nft::VerdictKind::jump)
        out.insert(v->chain);
  return out;
}

std::set<std::string> named_sets(const nft::Chain& c) {
  std::set<std::string> out;
  for (const auto& r : c.rules)
    for (const auto& m : r.match) {
      if (auto* a = std::get_if<nft::AddrMatch>(&m); a && !a->values.set.empty())
        out.insert(a->values.set);
      if (auto* n = std::get_if<nft::AddrProtoPortMatch>(&m)) out.insert(n->set);
    }
  return out;
}

}  // namespace

const CompileResult& IncrementalCompiler::rebuild(Model model, Endpoints endpoints,
                                                  CompileOptions opts) {
  CompileIndex index;
  CompileResult r = compile(model, endpoints, opts, &index);
  adopt(std::move(model), std::move(endpoints), std::move(opts), std::move(index), std::move(r));
  return result_;
}

void IncrementalCompiler::adopt(Model model, Endpoints endpoints, CompileOptions opts,
                                CompileIndex index, CompileResult result) {
  // Moving the model moves its tiers' buffers, not the Policy objects the index points at.
  model_ = std::make_unique<Model>(std::move(model));
  opts_ = std::move(opts);
  index_ = std::move(index);
  result_ = std::move(result);
  workloads_.clear();
  hosts_.clear();
  for (auto& ep : endpoints.endpoints) {
    if (ep.kind == Endpoint::Kind::workload)
      workloads_.emplace(ep.name, std::move(ep));
    else
      hosts_.push_back(std::move(ep));
  }
  count_references();
  // Host endpoints do not change here; how many are policed is the full compile's business.
  local_hosts_ = result_.local_endpoints;
  for (const auto& [name, ep] : workloads_) local_hosts_ -= local(ep);
}

void IncrementalCompiler::count_references() {
  chain_refs_.clear();
  set_refs_.clear();
  chain_sets_.clear();
  for (const auto& [name, c] : index_.policy_chains) chain_sets_[name] = named_sets(c);
  for (const auto& c : result_.table.chains) {
    if (index_.policy_chains.count(c.name)) continue;
    for (const auto& t : jump_targets(c))
      if (index_.policy_chains.count(t)) ++chain_refs_[t];
  }
  for (const auto& [name, n] : chain_refs_)
    for (const auto& s : chain_sets_[name]) ++set_refs_[s];
}

Endpoints IncrementalCompiler::endpoints() const {
  Endpoints out;
  for (const auto& [name, ep] : workloads_) out.endpoints.push_back(ep);
  out.endpoints.insert(out.endpoints.end(), hosts_.begin(), hosts_.end());
  return out;
}

Result<nft::TableDelta> IncrementalCompiler::update(const std::vector<Change>& changes) {
  if (!model_) return make_error(Errc::invalid, "nothing compiled yet");
  for (const auto& ch : changes)
    if (ch.endpoint && ch.endpoint->kind != Endpoint::Kind::workload)
      return make_error(Errc::invalid, "host endpoint changes need a full compile");

  std::map<std::string, nft::Chain> chains_put;
  std::set<std::string> chains_removed, dirty_sets;
  std::map<std::string, int> refs_before;  // policy chains whose count moved: their old count
  bool maps_dirty = false;
  auto count = [&](const nft::Chain& c, int by) {
    for (const auto& t : jump_targets(c)) {
      if (!index_.policy_chains.count(t)) continue;
      refs_before.emplace(t, chain_refs_[t]);
      chain_refs_[t] += by;
    }
  };

  for (const auto& ch : changes) {
    auto old_it = workloads_.find(ch.name);
    const Endpoint* old = old_it == workloads_.end() ? nullptr : &old_it->second;
    const Endpoint* now = ch.endpoint ? &*ch.endpoint : nullptr;
    // Sets: this endpoint against each indexed selector, once.
    for (auto& [name, ix] : index_.sets) {
      auto el = now ? set_elements_of(ix.source, *now) : std::vector<nft::Element>{};
      auto m = ix.members.find(ch.name);
      if (el.empty()) {
        if (m == ix.members.end()) continue;
        ix.members.erase(m);
      } else if (m == ix.members.end()) {
        ix.members.emplace(ch.name, std::move(el));
      } else if (m->second != el) {
        m->second = std::move(el);
      } else {
        continue;
      }
      dirty_sets.insert(name);
    }
    // Chains: only this endpoint's, from its own policy list.
    const bool was = old && local(*old), is = now && local(*now);
    if (was) {
      for (const char* p : {"fw-", "tw-"})
        if (const nft::Chain* c = result_.table.chain(p + old->interface)) count(*c, -1);
      if (!is || now->interface != old->interface) {
        for (const char* p : {"fw-", "tw-"}) {
          chains_removed.insert(p + old->interface);
          chains_put.erase(p + old->interface);
        }
        maps_dirty = true;
      }
    }
    if (is) {
      for (auto& c : workload_chains(*model_, *now, index_, opts_)) {
        count(c, +1);
        chains_removed.erase(c.name);
        const nft::Chain* cur = result_.table.chain(c.name);
        if (!cur || !(*cur == c)) chains_put[c.name] = std::move(c);
      }
      if (!was || now->interface != old->interface) maps_dirty = true;
    }
    if (now)
      workloads_.insert_or_assign(ch.name, *now);
    else if (old)
      workloads_.erase(old_it);
  }

  nft::TableDelta d;
  // Sets whose members moved get their contents recomputed (from the members, not by
  // re-matching every endpoint), programmed or not, so a later activation puts them right.
  std::set<std::string> sets_put;
  for (const auto& name : dirty_sets) {
    auto& ix = index_.sets.at(name);
    nft::Set s = ix.set;
    s.elements = ix.fixed;
    for (const auto& [ep, el] : ix.members)
      s.elements.insert(s.elements.end(), el.begin(), el.end());
    s.elements = nft::normalized_elements(s);
    if (s.elements == ix.set.elements) continue;
    ix.set = std::move(s);
    if (set_refs_[name] > 0) sets_put.insert(name);
  }
  // Policy chains that became used or unused on this node, with their sets.
  std::set<std::string> sets_removed;
  for (const auto& [chain, before] : refs_before) {
    const int after = chain_refs_[chain];
    if ((before > 0) == (after > 0)) continue;
    if (after > 0) {
      chains_put[chain] = index_.policy_chains.at(chain);
      for (const auto& s : chain_sets_[chain])
        if (set_refs_[s]++ == 0) {
          sets_put.insert(s);
          sets_removed.erase(s);
        }
    } else {
      chains_removed.insert(chain);
      for (const auto& s : chain_sets_[chain])
        if (--set_refs_[s] == 0) {
          sets_removed.insert(s);
          sets_put.erase(s);
        }
    }
  }
  for (const auto& s : sets_put) d.sets_put.push_back(index_.sets.at(s).set);
  if (maps_dirty) {
    nft::Set from{"from-wl", {nft::KeyType::ifname}, false, true, {}};
    nft::Set to = from;
    to.name = "to-wl";
    for (const auto& [name, ep] : workloads_) {
      if (!local(ep)) continue;
      from.elements.push_back(
          {{nft::KeyPart::ifname(ep.interface)}, nft::Verdict::jump("fw-" + ep.interface)});
      to.elements.push_back(
          {{nft::KeyPart::ifname(ep.interface)}, nft::Verdict::jump("tw-" + ep.interface)});
    }
    from.elements = nft::normalized_elements(from);
    to.elements = nft::normalized_elements(to);
    d.sets_put.push_back(std::move(from));
    d.sets_put.push_back(std::move(to));
  }
  d.sets_removed.assign(sets_removed.begin(), sets_removed.end());
  for (auto& [name, c] : chains_put) d.chains_put.push_back(std::move(c));
  d.chains_removed.assign(chains_removed.begin(), chains_removed.end());

  nft::apply_delta(result_.table, d);
  result_.local_endpoints = 0;
  for (const auto& [name, ep] : workloads_) result_.local_endpoints += local(ep);
  result_.local_endpoints += local_hosts_;
  result_.policies = 0;
  for (const auto& [chain, n] : chain_refs_) result_.policies += n > 0;
  result_.rules = result_.elements = 0;
  for (const auto& c : result_.table.chains) result_.rules += c.rules.size();
  for (const auto& s : result_.table.sets) result_.elements += s.elements.size();
  return d;
}

}  // namespace podnet::policy
