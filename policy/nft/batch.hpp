// One nftables transaction under construction: NFNL_MSG_BATCH_BEGIN, the messages (built with
// libnftnl), NFNL_MSG_BATCH_END. Every message keeps a one-line description, so an error the
// kernel reports against a sequence number names the message that failed; the last message asks
// for an ACK, which arrives only once the whole transaction is committed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "policy/nft/nft_ir.hpp"
#include "policy/nft/state.hpp"

struct nlmsghdr;

namespace podnet::policy::nft {

int nfproto(Family f);

class Batch {
 public:
  Batch(Family family, std::string table, uint32_t first_seq);

  void add_table();
  void del_table();
  void add_chain(const std::string& name, const std::optional<BaseChain>& base);
  void flush_chain(const std::string& name);
  void del_chain(const std::string& name);
  void add_set(const std::string& name, const SetState& s, uint32_t anon_id = 0);
  void add_elems(const std::string& set, const std::vector<WireElem>& elems, uint32_t set_id = 0);
  void del_elems(const std::string& set, const std::vector<WireElem>& elems);
  void del_set(const std::string& name);
  // Encodes the rule (anonymous sets it needs go into the batch first).
  Status add_rule(const std::string& chain, const Rule& r);

  bool empty() const { return descr_.empty(); }
  std::size_t messages() const { return descr_.size(); }
  std::size_t bytes() const { return len_; }
  // Wraps the messages in BEGIN/END; the batch is then ready to send.
  void finish();
  const char* data() const { return buf_.data(); }
  uint32_t first_seq() const { return first_seq_; }
  uint32_t end_seq() const { return seq_; }               // one past the last sequence number used
  uint32_t last_message_seq() const { return seq_ - 2; }  // before BATCH_END (after finish())
  // The description of the message with sequence number seq ("" if not ours).
  std::string describe(uint32_t seq) const;

  // Anonymous set naming, used by the rule encoder.
  std::pair<std::string, uint32_t> next_anon_set();

 private:
  friend class BatchTestPeek;
  nlmsghdr* put(uint16_t type, uint16_t flags, std::string descr);
  void advance(nlmsghdr* nlh);

  Family family_;
  std::string table_;
  std::vector<char> buf_;
  std::size_t len_ = 0;
  std::size_t last_msg_ = 0;  // offset of the last message put()
  uint32_t first_seq_;
  uint32_t seq_;
  std::vector<std::string> descr_;  // index: seq - first_seq - 1 (first_seq is BATCH_BEGIN)
  uint32_t anon_ = 0;
};

}  // namespace podnet::policy::nft
