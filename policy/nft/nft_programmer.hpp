// Applies an nftables IR table (nft_ir.hpp) to the kernel with libnftnl/libmnl: one netlink
// batch per apply(), all or nothing, and incremental — it diffs the desired table against what
// it last applied and sends only new/removed sets and chains, added/removed set elements, and a
// flush + rewrite of the chains whose rules changed (other chains keep their rule handles).
//
// Start-up: the first apply() reads the kernel's table of the same name; if it already matches
// it is adopted without a single change, otherwise it is replaced in one transaction (add table,
// delete table, add table with everything). A rejected batch leaves the kernel and the
// programmer's last good state unchanged and returns the failing message and errno. When the
// rejection was caused by drift (the kernel no longer holds what was last applied), apply()
// re-reads the kernel and converges from what is really there, once, in a second batch.
//
// Drift: verify() dumps the table and lists what differs from the last applied state (rules
// deleted, replaced or added behind podnet's back, elements, chains, sets); repair() converges
// the kernel back, again in one batch touching only what drifted. The daemon owns the timer:
// call verify() after errors and periodically — cheaply, when generation() differs from
// verified_generation() (nothing in the namespace committed since) it can be skipped — and
// repair() when it reports differences.
//
// Calls are synchronous. That is fine on the event loop: each call is one sendmsg() (the kernel
// commits the whole transaction inside it) plus dumps of podnet's own table, so the time is
// bounded by the size of the change / table (see the scale test: 10,000 elements and 1,000
// chains in one batch), never by waiting on another party.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "conf/result.hpp"
#include "policy/nft/nft_ir.hpp"

namespace podnet::policy::nft {

class NlSession;
struct State;

struct ApplyStats {
  std::size_t messages = 0;  // netlink messages in the batch (0: nothing was sent)
  std::size_t bytes = 0;
  std::size_t sets_added = 0, sets_removed = 0, sets_replaced = 0;
  std::size_t elements_added = 0, elements_removed = 0;  // wire elements (an interval is two)
  std::size_t chains_added = 0, chains_removed = 0, chains_rewritten = 0;
  std::size_t rules_added = 0;
  std::vector<std::string> rewritten;  // names of chains flushed and rewritten
  bool adopted = false;                // start-up found a matching table and took it over
  bool replaced = false;               // start-up replaced a leftover table
  bool recovered_drift = false;        // the first batch failed on drift; converged from the kernel
};

class Programmer {
 public:
  struct Options {
    // validate() the IR before building the batch. Tests turn it off to make the kernel itself
    // reject a transaction.
    bool validate = true;
  };

  // Opens a netfilter netlink socket in the calling thread's network namespace (the socket
  // stays bound to that namespace afterwards).
  static Result<std::unique_ptr<Programmer>> create(Options opts);
  static Result<std::unique_ptr<Programmer>> create() { return create(Options{}); }
  ~Programmer();

  Result<ApplyStats> apply(const Table& desired);
  // Applies a change the caller computed (incremental compile) on top of the last applied
  // table, in one batch, without diffing the whole table: only the sets and chains named in the
  // delta are compared (set elements against what the kernel holds, chains by rule tags). A
  // delta that would change a set's key type or a base chain's hook is refused (Errc::invalid)
  // before anything is sent: the caller then applies the whole table with apply().
  Result<ApplyStats> apply_delta(const TableDelta& delta);
  // Differences between the kernel and the last applied state; empty when in sync.
  Result<std::vector<std::string>> verify();
  // Re-applies the last applied state over whatever the kernel has now.
  Result<ApplyStats> repair();
  // The kernel's nftables generation now (one small netlink request), and as of the last
  // successful apply/verify/repair that found the table in sync.
  Result<uint32_t> generation();
  std::optional<uint32_t> verified_generation() const { return verified_gen_; }
  // Deletes the table (shutdown / tests); the next apply() starts from scratch.
  Status remove();

  // The last table the kernel accepted (nullptr before the first successful apply).
  const Table* applied() const { return applied_ ? &*applied_ : nullptr; }
  // Kernel rule handles of a chain as of the last apply/repair.
  std::vector<uint64_t> handles(const std::string& chain) const;

 private:
  explicit Programmer(Options opts);
  Result<ApplyStats> converge(const State& from, const Table& desired, bool replace);

  Options opts_;
  std::unique_ptr<NlSession> nl_;
  std::optional<Table> applied_;
  std::unique_ptr<State> state_;  // what the kernel has, as of the last success
  std::optional<uint32_t> verified_gen_;
};

}  // namespace podnet::policy::nft
