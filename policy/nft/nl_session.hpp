// A netfilter netlink socket (libmnl): sends one batch and collects its acknowledgements, and
// dumps one table back into a State. Synchronous on purpose: nfnetlink processes a batch inside
// the sendmsg() call, so every ACK/error is already queued when it returns and reading them
// never waits on the kernel; dumps are bounded by the size of podnet's own table.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "conf/result.hpp"
#include "policy/nft/batch.hpp"
#include "policy/nft/state.hpp"

struct mnl_socket;

namespace podnet::policy::nft {

struct RuleHandles {
  std::vector<uint64_t> handles;
  std::vector<uint64_t> tags;
};

class NlSession {
 public:
  // Opens the socket in the calling thread's current network namespace.
  static Result<std::unique_ptr<NlSession>> open();
  ~NlSession();
  NlSession(const NlSession&) = delete;
  NlSession& operator=(const NlSession&) = delete;

  uint32_t next_seq(uint32_t count) {
    const uint32_t s = seq_;
    seq_ += count;
    return s;
  }

  // Sends the finished batch in one sendmsg(). All or nothing: on any error the kernel has
  // aborted the whole transaction; the error names the failing message.
  Status send(const Batch& b);

  // The table as the kernel has it (exists=false when there is no such table).
  Result<State> snapshot(Family family, const std::string& table);
  // The ruleset generation: the kernel bumps it on every committed nftables transaction in this
  // namespace (podnet's or anyone's).
  Result<uint32_t> generation();
  // Rule handles and tags per chain (all chains of the table, or one).
  Result<std::map<std::string, RuleHandles>> rules(Family family, const std::string& table,
                                                   const std::string& chain = "");

 private:
  NlSession() = default;
  // Sends a dump request and feeds every reply message to cb; ENOENT is returned as not_found.
  Status dump(char* req, int (*cb)(const struct nlmsghdr*, void*), void* data);

  mnl_socket* nl_ = nullptr;
  uint32_t portid_ = 0;
  uint32_t seq_ = 1;
};

}  // namespace podnet::policy::nft
