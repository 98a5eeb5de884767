// The programmer's comparable view of one table: what the kernel holds or what the IR asks for,
// reduced to what netlink can tell back. Sets compare by kernel key type/length/flags and their
// elements in wire form; chains by hook parameters and the sequence of rule tags (a hash of the
// rule's IR, stored in each rule's userdata) and, for the kernel side, rule handles.
#pragma once

#include <compare>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "policy/nft/nft_ir.hpp"

namespace podnet::policy::nft {

// One element as netlink carries it (an interval in a non-concatenated set is two of these).
struct WireElem {
  Bytes key;
  Bytes key_end;       // concatenated interval sets (pipapo) only
  uint32_t flags = 0;  // NFT_SET_ELEM_INTERVAL_END
  bool has_verdict = false;
  int32_t verdict = 0;  // NF_ACCEPT, NFT_JUMP, ...
  std::string chain;
  friend auto operator<=>(const WireElem&, const WireElem&) = default;
  friend bool operator==(const WireElem&, const WireElem&) = default;
};

struct SetState {
  uint32_t key_type = 0;
  uint32_t key_len = 0;
  uint32_t flags = 0;  // NFT_SET_* without ANONYMOUS/CONSTANT
  uint32_t data_type = 0;
  std::vector<WireElem> elems;  // sorted
  bool same_shape(const SetState& o) const {
    return key_type == o.key_type && key_len == o.key_len && flags == o.flags &&
           data_type == o.data_type;
  }
  friend bool operator==(const SetState&, const SetState&) = default;
};

struct ChainState {
  std::optional<BaseChain> base;
  std::vector<uint64_t> tags;     // one per rule, in order; 0 = a rule podnet did not write
  std::vector<uint64_t> handles;  // kernel handles (empty in a desired state)
};

struct State {
  bool exists = false;
  std::map<std::string, SetState> sets;
  std::map<std::string, ChainState> chains;
};

// ---- derived from the IR ---------------------------------------------------------------------

uint64_t rule_tag(const Rule& r);
SetState set_state(const Set& s);
State desired_state(const Table& t);
// The same, reusing the tags and wire elements of chains and sets that are equal to those of
// `prev` (whose state is `prev_state`): a one-element change in a table of thousands of rules
// then costs comparisons, not re-encoding every rule and element.
State desired_state(const Table& t, const Table& prev, const State& prev_state);

// Kernel datatype ids (nft's TYPE_*; concatenations fold 6 bits per part) so `nft list` prints
// our sets with their proper types.
uint32_t kernel_key_type(const std::vector<KeyType>& key);
uint32_t kernel_key_len(const std::vector<KeyType>& key);

// Human-readable differences between two states (empty: they match). With `handles`, rule
// handles must match too (drift detection against what the programmer recorded).
std::vector<std::string> differences(const State& expected, const State& actual, bool handles);

}  // namespace podnet::policy::nft
