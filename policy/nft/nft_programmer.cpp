#include "policy/nft/nft_programmer.hpp"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "policy/nft/batch.hpp"
#include "policy/nft/nl_session.hpp"
#include "policy/nft/state.hpp"

namespace podnet::policy::nft {

namespace {

// Named sets a chain's rules refer to: a set replaced in place forces those chains to be
// rewritten (their rules must let go of the old set before it can be deleted).
std::set<std::string> referenced_sets(const Chain& c) {
  std::set<std::string> out;
  for (const auto& r : c.rules) {
    for (const auto& m : r.match) {
      if (auto* a = std::get_if<AddrMatch>(&m); a && !a->values.set.empty())
        out.insert(a->values.set);
      if (auto* p = std::get_if<PortMatch>(&m); p && !p->values.set.empty())
        out.insert(p->values.set);
      if (auto* n = std::get_if<AddrProtoPortMatch>(&m)) out.insert(n->set);
    }
    for (const auto& s : r.stmt)
      if (auto* v = std::get_if<VmapLookup>(&s)) out.insert(v->map);
  }
  return out;
}

template <class T>
std::vector<T> minus(const std::vector<T>& a, const std::vector<T>& b) {
  std::vector<T> out;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

// The tail both apply paths share: the rules of new and rewritten chains, then what is gone
// (sets first: a removed map may still point at a removed chain), and the chain counts.
Status add_rules_and_removals(Batch& b, const std::vector<const Chain*>& new_chains,
                              const std::vector<const Chain*>& rewrite,
                              const std::vector<std::string>& removed_sets,
                              const std::vector<std::string>& removed_chains, ApplyStats& stats) {
  for (const auto* group : {&new_chains, &rewrite})
    for (const Chain* c : *group)
      for (const auto& r : c->rules) {
        if (Status st = b.add_rule(c->name, r); !st) return st;
        ++stats.rules_added;
      }
  for (const auto& name : removed_sets) b.del_set(name);
  for (const auto& name : removed_chains) b.del_chain(name);
  stats.sets_removed = removed_sets.size();
  stats.chains_added = new_chains.size();
  stats.chains_removed = removed_chains.size();
  stats.chains_rewritten = rewrite.size();
  for (const Chain* c : rewrite) stats.rewritten.push_back(c->name);
  return ok_status();
}

}  // namespace

Programmer::Programmer(Options opts) : opts_(opts) {}
Programmer::~Programmer() = default;

Result<std::unique_ptr<Programmer>> Programmer::create(Options opts) {
  auto nl = NlSession::open();
  if (!nl) return nl.error();
  std::unique_ptr<Programmer> p(new Programmer(opts));
  p->nl_ = std::move(*nl);
  return p;
}

std::vector<uint64_t> Programmer::handles(const std::string& chain) const {
  if (!state_) return {};
  auto it = state_->chains.find(chain);
  return it == state_->chains.end() ? std::vector<uint64_t>{} : it->second.handles;
}

Result<ApplyStats> Programmer::apply(const Table& desired) {
  if (opts_.validate)
    if (Status st = validate(desired); !st) return st.error();
  if (applied_ && (applied_->family != desired.family || applied_->name != desired.name)) {
    if (Status st = remove(); !st) return st.error();
  }
  if (!applied_) {
    // Start-up (or after remove()): adopt a matching leftover, else replace it atomically.
    auto snap = nl_->snapshot(desired.family, desired.name);
    if (!snap) return snap.error();
    if (snap->exists) {
      if (differences(desired_state(desired), *snap, false).empty()) {
        applied_ = desired;
        state_ = std::make_unique<State>(std::move(*snap));
        ApplyStats stats;
        stats.adopted = true;
        return stats;
      }
      return converge(State{}, desired, true);
    }
    return converge(State{}, desired, false);
  }
  auto done = converge(*state_, desired, false);
  if (done.ok()) return done;
  // Rejected. If the kernel no longer holds what we last applied (someone flushed the ruleset,
  // deleted a chain or an element), the diff was built on a wrong base: converge once more from
  // what the kernel really has. Otherwise the desired table itself is at fault: report it.
  auto snap = nl_->snapshot(desired.family, desired.name);
  if (!snap || differences(*state_, *snap, true).empty()) return done;
  auto again = converge(*snap, desired, false);
  if (!again.ok()) return done;
  again->recovered_drift = true;
  return again;
}

Result<ApplyStats> Programmer::converge(const State& from, const Table& desired, bool replace) {
  const State want = applied_ && state_ && !replace ? desired_state(desired, *applied_, *state_)
                                                    : desired_state(desired);
  ApplyStats stats;
  // Sequence numbers: the batch may use one per message plus begin/end; reserve generously.
  Batch b(desired.family, desired.name, nl_->next_seq(0));

  if (replace) {
    // Idempotent add, then delete: the leftover goes whatever it holds; then build anew.
    b.add_table();
    b.del_table();
    stats.replaced = true;
  }
  if (!from.exists) b.add_table();

  std::vector<std::string> new_sets, replaced_sets, removed_sets;
  for (const auto& s : desired.sets) {
    auto it = from.sets.find(s.name);
    if (it == from.sets.end())
      new_sets.push_back(s.name);
    else if (!it->second.same_shape(want.sets.at(s.name)))
      replaced_sets.push_back(s.name);
  }
  for (const auto& [name, s] : from.sets)
    if (!want.sets.count(name)) removed_sets.push_back(name);

  const std::set<std::string> replaced_set_names(replaced_sets.begin(), replaced_sets.end());
  std::vector<const Chain*> new_chains, rewrite, replaced_base;
  std::vector<std::string> removed_chains;
  for (const auto& c : desired.chains) {
    auto it = from.chains.find(c.name);
    if (it == from.chains.end()) {
      new_chains.push_back(&c);
      continue;
    }
    bool uses_replaced = false;
    for (const auto& n : referenced_sets(c)) uses_replaced |= replaced_set_names.count(n) > 0;
    if (it->second.base != c.base) replaced_base.push_back(&c);
    if (it->second.base != c.base || it->second.tags != want.chains.at(c.name).tags ||
        uses_replaced)
      rewrite.push_back(&c);
  }
  for (const auto& [name, c] : from.chains)
    if (!want.chains.count(name)) removed_chains.push_back(name);

  // 1. New sets (with their elements) and new chains, so rules and map elements can refer to
  //    them.
  //    Chains before elements: a verdict map's elements name chains.
  for (const auto& name : new_sets) b.add_set(name, want.sets.at(name));
  for (const Chain* c : new_chains) b.add_chain(c->name, c->base);
  for (const auto& name : new_sets) {
    const SetState& s = want.sets.at(name);
    b.add_elems(name, s.elems);
    stats.elements_added += s.elems.size();
  }
  // 2. Element changes in kept sets (removals first: an interval may be re-cut).
  for (const auto& [name, s] : want.sets) {
    auto it = from.sets.find(name);
    if (it == from.sets.end() || replaced_set_names.count(name)) continue;
    auto gone = minus(it->second.elems, s.elems);
    auto added = minus(s.elems, it->second.elems);
    b.del_elems(name, gone);
    b.add_elems(name, added);
    stats.elements_removed += gone.size();
    stats.elements_added += added.size();
  }
  // 3. Flush chains being rewritten or removed: their rules let go of sets and chains.
  for (const Chain* c : rewrite) b.flush_chain(c->name);
  for (const auto& name : removed_chains) b.flush_chain(name);
  // 4. Sets whose type changed, and base chains whose hook changed, are re-created.
  for (const auto& name : replaced_sets) {
    const SetState& s = want.sets.at(name);
    b.del_set(name);
    b.add_set(name, s);
    b.add_elems(name, s.elems);
    stats.elements_added += s.elems.size();
  }
  for (const Chain* c : replaced_base) {
    b.del_chain(c->name);
    b.add_chain(c->name, c->base);
  }
  // 5. Rules of new and rewritten chains; 6. what is gone.
  if (Status st =
          add_rules_and_removals(b, new_chains, rewrite, removed_sets, removed_chains, stats);
      !st)
    return st.error();
  stats.sets_added = new_sets.size();
  stats.sets_replaced = replaced_sets.size();

  if (b.empty()) {  // nothing differs: no transaction at all
    applied_ = desired;
    if (!state_ || state_.get() != &from) state_ = std::make_unique<State>(from);
    return stats;
  }
  b.finish();
  stats.messages = b.messages();
  stats.bytes = b.bytes();
  nl_->next_seq(b.end_seq() - b.first_seq());
  if (Status st = nl_->send(b); !st) return st.error();
  // Our own commit bumped the generation; the table is as sent.
  if (auto gen = nl_->generation(); gen) verified_gen_ = *gen;

  // Committed. Record the new state; untouched chains keep their handles, the others are read
  // back (one dump per chain for a small change, one table dump for a large one).
  auto next = std::make_unique<State>(want);
  for (auto& [name, cs] : next->chains) {
    auto it = from.chains.find(name);
    if (it != from.chains.end() && it->second.tags == cs.tags && it->second.base == cs.base)
      cs.handles = it->second.handles;
  }
  std::vector<std::string> reread;
  for (const auto* group : {&new_chains, &rewrite})
    for (const Chain* c : *group)
      if (!c->rules.empty()) reread.push_back(c->name);
  // The kernel has the new state whatever happens next: record it before reading handles back,
  // so a failed read-back leaves chains without handles (verify() then reports them and repair()
  // rewrites them) instead of a stale state the next diff would build on.
  applied_ = desired;
  state_ = std::move(next);
  std::map<std::string, RuleHandles> got;
  if (reread.size() > 8) {
    auto all = nl_->rules(desired.family, desired.name);
    if (!all) return all.error();
    got = std::move(*all);
  } else {
    for (const auto& name : reread) {
      auto one = nl_->rules(desired.family, desired.name, name);
      if (!one) return one.error();
      got[name] = std::move((*one)[name]);
    }
  }
  for (const auto& name : reread) state_->chains[name].handles = got[name].handles;
  return stats;
}

Result<ApplyStats> Programmer::apply_delta(const TableDelta& d) {
  if (!applied_ || !state_) return make_error(Errc::invalid, "apply_delta before a first apply");
  ApplyStats stats;
  std::map<std::string, SetState> set_states;
  std::map<std::string, ChainState> chain_states;
  for (const auto& s : d.sets_put) {
    SetState st = set_state(s);
    auto it = state_->sets.find(s.name);
    if (it != state_->sets.end() && !it->second.same_shape(st))
      return make_error(Errc::invalid, "delta changes the type of set " + s.name);
    set_states.emplace(s.name, std::move(st));
  }
  for (const auto& c : d.chains_put) {
    ChainState cs;
    cs.base = c.base;
    for (const auto& r : c.rules) cs.tags.push_back(rule_tag(r));
    auto it = state_->chains.find(c.name);
    if (it != state_->chains.end() && it->second.base != c.base)
      return make_error(Errc::invalid, "delta changes the hook of chain " + c.name);
    chain_states.emplace(c.name, std::move(cs));
  }
  std::vector<std::string> removed_sets, removed_chains;
  for (const auto& n : d.sets_removed)
    if (state_->sets.count(n) && !set_states.count(n)) removed_sets.push_back(n);
  for (const auto& n : d.chains_removed)
    if (state_->chains.count(n) && !chain_states.count(n)) removed_chains.push_back(n);

  Batch b(applied_->family, applied_->name, nl_->next_seq(0));
  std::vector<const Chain*> new_chains, rewrite;
  for (const auto& c : d.chains_put) {
    auto it = state_->chains.find(c.name);
    if (it == state_->chains.end())
      new_chains.push_back(&c);
    else if (it->second.tags != chain_states.at(c.name).tags)
      rewrite.push_back(&c);
  }
  // The same order as converge(): new sets and chains, element changes, flushes, rules, removals.
  for (const auto& s : d.sets_put)
    if (!state_->sets.count(s.name)) b.add_set(s.name, set_states.at(s.name));
  for (const Chain* c : new_chains) b.add_chain(c->name, c->base);
  for (const auto& s : d.sets_put) {
    const SetState& want = set_states.at(s.name);
    auto it = state_->sets.find(s.name);
    if (it == state_->sets.end()) {
      b.add_elems(s.name, want.elems);
      stats.elements_added += want.elems.size();
      ++stats.sets_added;
      continue;
    }
    auto gone = minus(it->second.elems, want.elems);
    auto added = minus(want.elems, it->second.elems);
    b.del_elems(s.name, gone);
    b.add_elems(s.name, added);
    stats.elements_removed += gone.size();
    stats.elements_added += added.size();
  }
  for (const Chain* c : rewrite) b.flush_chain(c->name);
  for (const auto& n : removed_chains) b.flush_chain(n);
  if (Status st =
          add_rules_and_removals(b, new_chains, rewrite, removed_sets, removed_chains, stats);
      !st)
    return st.error();
  if (b.empty()) return stats;
  b.finish();
  stats.messages = b.messages();
  stats.bytes = b.bytes();
  nl_->next_seq(b.end_seq() - b.first_seq());
  if (Status st = nl_->send(b); !st) return st.error();
  if (auto gen = nl_->generation(); gen) verified_gen_ = *gen;

  // Committed: fold the delta into the recorded table and state, then read back the handles of
  // the chains whose rules were written.
  nft::apply_delta(*applied_, d);
  for (auto& [name, st] : set_states) state_->sets[name] = std::move(st);
  for (const auto& n : removed_sets) state_->sets.erase(n);
  for (const auto& n : removed_chains) state_->chains.erase(n);
  std::vector<std::string> reread;
  for (auto& [name, cs] : chain_states) {
    auto it = state_->chains.find(name);
    if (it != state_->chains.end() && it->second.tags == cs.tags) continue;  // handles stay
    state_->chains[name] = std::move(cs);
    reread.push_back(name);
  }
  for (const auto& name : reread) {
    if (state_->chains[name].tags.empty()) continue;
    auto one = nl_->rules(applied_->family, applied_->name, name);
    if (!one) return one.error();
    state_->chains[name].handles = std::move((*one)[name].handles);
  }
  return stats;
}

Result<std::vector<std::string>> Programmer::verify() {
  if (!applied_) return make_error(Errc::invalid, "nothing applied yet");
  // The generation is read first: a commit racing the dump then shows as a newer generation.
  auto gen = nl_->generation();
  if (!gen) return gen.error();
  auto snap = nl_->snapshot(applied_->family, applied_->name);
  if (!snap) return snap.error();
  auto diff = differences(*state_, *snap, true);
  if (diff.empty())
    verified_gen_ = *gen;
  else
    verified_gen_.reset();
  return diff;
}

Result<ApplyStats> Programmer::repair() {
  if (!applied_) return make_error(Errc::invalid, "nothing applied yet");
  auto snap = nl_->snapshot(applied_->family, applied_->name);
  if (!snap) return snap.error();
  // Chains whose rules podnet wrote but whose handles changed were replaced behind our back:
  // their tags may match, so force a rewrite by forgetting their tags.
  for (auto& [name, cs] : snap->chains) {
    auto it = state_->chains.find(name);
    if (it != state_->chains.end() && it->second.tags == cs.tags &&
        it->second.handles != cs.handles)
      cs.tags.clear();
  }
  const Table desired = *applied_;
  return converge(*snap, desired, false);
}

Result<uint32_t> Programmer::generation() {
  return nl_->generation();
}

Status Programmer::remove() {
  if (!applied_) return ok_status();
  Batch b(applied_->family, applied_->name, nl_->next_seq(0));
  b.add_table();  // idempotent: the delete then cannot fail on a table already gone
  b.del_table();
  b.finish();
  nl_->next_seq(b.end_seq() - b.first_seq());
  if (Status st = nl_->send(b); !st) return st;
  applied_.reset();
  state_.reset();
  return ok_status();
}

}  // namespace podnet::policy::nft
