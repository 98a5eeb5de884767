#include "policy/nft/state.hpp"

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include <algorithm>
#include <set>
#include <string_view>

#include <fmt/format.h>

#include "policy/nft/bytes.hpp"

namespace podnet::policy::nft {

namespace {

uint32_t type_id(KeyType t) {
  switch (t) {
    case KeyType::ipv4_addr:
      return 7;
    case KeyType::ipv6_addr:
      return 8;
    case KeyType::inet_proto:
      return 12;
    case KeyType::inet_service:
      return 13;
    case KeyType::ifname:
      return 41;
    case KeyType::mark:
      return 19;
  }
  return 0;
}

std::size_t padded(std::size_t n) {
  return (n + 3) / 4 * 4;
}

// A key's bytes as the kernel sees them: one part as is, parts of a concatenation each padded
// to a 32-bit register.
Bytes key_bytes(const std::vector<KeyPart>& parts, bool high) {
  if (parts.size() == 1) return high ? parts[0].hi : parts[0].lo;
  Bytes out;
  for (const auto& p : parts) {
    Bytes b = high ? p.hi : p.lo;
    b.resize(padded(b.size()), 0);
    out.insert(out.end(), b.begin(), b.end());
  }
  return out;
}

int32_t verdict_code(VerdictKind k) {
  switch (k) {
    case VerdictKind::accept:
      return NF_ACCEPT;
    case VerdictKind::drop:
      return NF_DROP;
    case VerdictKind::return_:
      return NFT_RETURN;
    case VerdictKind::jump:
      return NFT_JUMP;
    case VerdictKind::goto_:
      return NFT_GOTO;
    case VerdictKind::continue_:
      return NFT_CONTINUE;
  }
  return NF_DROP;
}

std::string elem_str(const WireElem& e) {
  std::string s;
  for (auto b : e.key) s += fmt::format("{:02x}", b);
  if (!e.key_end.empty()) {
    s += "-";
    for (auto b : e.key_end) s += fmt::format("{:02x}", b);
  }
  if (e.flags & NFT_SET_ELEM_INTERVAL_END) s += " (end)";
  if (e.has_verdict) s += fmt::format(" : {} {}", e.verdict, e.chain);
  return s;
}

}  // namespace

uint32_t kernel_key_type(const std::vector<KeyType>& key) {
  uint32_t t = 0;
  for (auto k : key) t = (t << 6) | type_id(k);
  return t;
}

uint32_t kernel_key_len(const std::vector<KeyType>& key) {
  if (key.size() == 1) return static_cast<uint32_t>(key_width(key[0]));
  std::size_t n = 0;
  for (auto k : key) n += padded(key_width(k));
  return static_cast<uint32_t>(n);
}

uint64_t rule_tag(const Rule& r) {
  // FNV-1a over the rule's canonical text: equal rules, equal tags. Never 0 (0 = foreign rule).
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : dump(r)) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h ? h : 1;
}

SetState set_state(const Set& s) {
  SetState st;
  st.key_type = kernel_key_type(s.key);
  st.key_len = kernel_key_len(s.key);
  if (s.interval) st.flags |= NFT_SET_INTERVAL;
  if (s.interval && s.key.size() > 1) st.flags |= NFT_SET_CONCAT;
  if (s.vmap) {
    st.flags |= NFT_SET_MAP;
    st.data_type = NFT_DATA_VERDICT;
  }
  for (const auto& e : normalized_elements(s)) {
    WireElem w;
    w.key = key_bytes(e.key, false);
    if (e.verdict) {
      w.has_verdict = true;
      w.verdict = verdict_code(e.verdict->kind);
      w.chain = e.verdict->chain;
    }
    if (s.interval && s.key.size() > 1) {
      w.key_end = key_bytes(e.key, true);
      st.elems.push_back(std::move(w));
    } else if (s.interval) {
      // rbtree: a start element, and an end element one past the range unless it reaches the
      // top of the key space (then the start alone covers it).
      Bytes end = e.key[0].hi;
      const bool wrapped = increment(end);
      st.elems.push_back(std::move(w));
      if (!wrapped) {
        WireElem we;
        we.key = std::move(end);
        we.flags = NFT_SET_ELEM_INTERVAL_END;
        st.elems.push_back(std::move(we));
      }
    } else {
      st.elems.push_back(std::move(w));
    }
  }
  std::sort(st.elems.begin(), st.elems.end());
  return st;
}

State desired_state(const Table& t) {
  State st;
  st.exists = true;
  for (const auto& s : t.sets) st.sets[s.name] = set_state(s);
  for (const auto& c : t.chains) {
    ChainState& cs = st.chains[c.name];
    cs.base = c.base;
    for (const auto& r : c.rules) cs.tags.push_back(rule_tag(r));
  }
  return st;
}

State desired_state(const Table& t, const Table& prev, const State& prev_state) {
  State st;
  st.exists = true;
  std::map<std::string_view, const Set*> prev_sets;
  std::map<std::string_view, const Chain*> prev_chains;
  for (const auto& s : prev.sets) prev_sets[s.name] = &s;
  for (const auto& c : prev.chains) prev_chains[c.name] = &c;
  for (const auto& s : t.sets) {
    auto ps = prev_sets.find(s.name);
    const Set* old = ps == prev_sets.end() ? nullptr : ps->second;
    auto it = prev_state.sets.find(s.name);
    st.sets[s.name] = old && *old == s && it != prev_state.sets.end() ? it->second : set_state(s);
  }
  for (const auto& c : t.chains) {
    ChainState& cs = st.chains[c.name];
    cs.base = c.base;
    auto pc = prev_chains.find(c.name);
    const Chain* old = pc == prev_chains.end() ? nullptr : pc->second;
    auto it = prev_state.chains.find(c.name);
    if (old && *old == c && it != prev_state.chains.end()) {
      cs.tags = it->second.tags;
      continue;
    }
    for (const auto& r : c.rules) cs.tags.push_back(rule_tag(r));
  }
  return st;
}

std::vector<std::string> differences(const State& want, const State& have, bool handles) {
  std::vector<std::string> out;
  if (want.exists != have.exists) {
    out.push_back(want.exists ? "table missing" : "table present but not expected");
    return out;
  }
  for (const auto& [name, s] : want.sets) {
    auto it = have.sets.find(name);
    if (it == have.sets.end()) {
      out.push_back("set " + name + " missing");
      continue;
    }
    if (!s.same_shape(it->second)) out.push_back("set " + name + " has another type or flags");
    std::vector<WireElem> missing, extra;
    std::set_difference(s.elems.begin(), s.elems.end(), it->second.elems.begin(),
                        it->second.elems.end(), std::back_inserter(missing));
    std::set_difference(it->second.elems.begin(), it->second.elems.end(), s.elems.begin(),
                        s.elems.end(), std::back_inserter(extra));
    for (const auto& e : missing)
      out.push_back("set " + name + ": element missing: " + elem_str(e));
    for (const auto& e : extra)
      out.push_back("set " + name + ": unexpected element: " + elem_str(e));
  }
  for (const auto& [name, s] : have.sets)
    if (!want.sets.count(name)) out.push_back("unexpected set " + name);
  for (const auto& [name, c] : want.chains) {
    auto it = have.chains.find(name);
    if (it == have.chains.end()) {
      out.push_back("chain " + name + " missing");
      continue;
    }
    if (c.base != it->second.base) out.push_back("chain " + name + ": hook parameters differ");
    if (c.tags != it->second.tags)
      out.push_back(fmt::format("chain {}: rules differ ({} expected, {} present)", name,
                                c.tags.size(), it->second.tags.size()));
    else if (handles && c.handles != it->second.handles)
      out.push_back("chain " + name + ": rule handles differ (rules replaced)");
  }
  for (const auto& [name, c] : have.chains)
    if (!want.chains.count(name)) out.push_back("unexpected chain " + name);
  return out;
}

}  // namespace podnet::policy::nft
