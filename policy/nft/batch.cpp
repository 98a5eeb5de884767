#include "policy/nft/batch.hpp"

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include <libnftnl/udata.h>

#include <fmt/format.h>

#include "policy/nft/nftnl_ptr.hpp"
#include "policy/nft/rule_codec.hpp"

namespace podnet::policy::nft {

namespace {
// Room reserved before building one message: set element messages are chunked well below it.
constexpr std::size_t kMaxMessage = 128 * 1024;
// Elements per NEWSETELEM/DELSETELEM message: the element list is one attribute (u16 length).
constexpr std::size_t kElemsPerMessage = 256;

uint32_t hooknum(Hook h) {
  switch (h) {
    case Hook::prerouting:
      return NF_INET_PRE_ROUTING;
    case Hook::input:
      return NF_INET_LOCAL_IN;
    case Hook::forward:
      return NF_INET_FORWARD;
    case Hook::output:
      return NF_INET_LOCAL_OUT;
    case Hook::postrouting:
      return NF_INET_POST_ROUTING;
  }
  return NF_INET_FORWARD;
}
}  // namespace

int nfproto(Family f) {
  switch (f) {
    case Family::inet:
      return NFPROTO_INET;
    case Family::ip:
      return NFPROTO_IPV4;
    case Family::ip6:
      return NFPROTO_IPV6;
  }
  return NFPROTO_INET;
}

Batch::Batch(Family family, std::string table, uint32_t first_seq)
    : family_(family), table_(std::move(table)), first_seq_(first_seq), seq_(first_seq) {
  buf_.resize(kMaxMessage);
  advance(nftnl_batch_begin(buf_.data(), seq_++));
}

void Batch::advance(nlmsghdr* nlh) {
  len_ += NLMSG_ALIGN(nlh->nlmsg_len);
  if (buf_.size() < len_ + kMaxMessage) buf_.resize(std::max(buf_.size() * 2, len_ + kMaxMessage));
}

nlmsghdr* Batch::put(uint16_t type, uint16_t flags, std::string descr) {
  descr_.push_back(std::move(descr));
  last_msg_ = len_;
  return nftnl_nlmsg_build_hdr(buf_.data() + len_, type, static_cast<uint16_t>(nfproto(family_)),
                               flags, seq_++);
}

void Batch::finish() {
  // Errors are reported for every failing message anyway; one ACK, on the last message, tells a
  // committed transaction apart without filling the socket with thousands of ACKs.
  if (!descr_.empty())
    reinterpret_cast<nlmsghdr*>(buf_.data() + last_msg_)->nlmsg_flags |= NLM_F_ACK;
  advance(nftnl_batch_end(buf_.data() + len_, seq_++));
}

std::string Batch::describe(uint32_t seq) const {
  if (seq == first_seq_) return "batch begin";
  if (seq <= first_seq_ || seq - first_seq_ - 1 >= descr_.size()) return "";
  return descr_[seq - first_seq_ - 1];
}

std::pair<std::string, uint32_t> Batch::next_anon_set() {
  ++anon_;
  return {fmt::format("__set{}", anon_), anon_};
}

void Batch::add_table() {
  TablePtr t(nftnl_table_alloc());
  nftnl_table_set_str(t.get(), NFTNL_TABLE_NAME, table_.c_str());
  auto* nlh = put(NFT_MSG_NEWTABLE, NLM_F_CREATE, "add table " + table_);
  nftnl_table_nlmsg_build_payload(nlh, t.get());
  advance(nlh);
}

void Batch::del_table() {
  TablePtr t(nftnl_table_alloc());
  nftnl_table_set_str(t.get(), NFTNL_TABLE_NAME, table_.c_str());
  auto* nlh = put(NFT_MSG_DELTABLE, 0, "delete table " + table_);
  nftnl_table_nlmsg_build_payload(nlh, t.get());
  advance(nlh);
}

void Batch::add_chain(const std::string& name, const std::optional<BaseChain>& base) {
  ChainPtr c(nftnl_chain_alloc());
  nftnl_chain_set_str(c.get(), NFTNL_CHAIN_TABLE, table_.c_str());
  nftnl_chain_set_str(c.get(), NFTNL_CHAIN_NAME, name.c_str());
  if (base) {
    nftnl_chain_set_u32(c.get(), NFTNL_CHAIN_HOOKNUM, hooknum(base->hook));
    nftnl_chain_set_s32(c.get(), NFTNL_CHAIN_PRIO, base->priority);
    nftnl_chain_set_str(c.get(), NFTNL_CHAIN_TYPE,
                        base->type == ChainType::filter ? "filter" : "nat");
    nftnl_chain_set_u32(c.get(), NFTNL_CHAIN_POLICY, base->policy_drop ? NF_DROP : NF_ACCEPT);
  }
  auto* nlh = put(NFT_MSG_NEWCHAIN, NLM_F_CREATE, "add chain " + name);
  nftnl_chain_nlmsg_build_payload(nlh, c.get());
  advance(nlh);
}

void Batch::flush_chain(const std::string& name) {
  RulePtr r(nftnl_rule_alloc());
  nftnl_rule_set_str(r.get(), NFTNL_RULE_TABLE, table_.c_str());
  nftnl_rule_set_str(r.get(), NFTNL_RULE_CHAIN, name.c_str());
  auto* nlh = put(NFT_MSG_DELRULE, 0, "flush chain " + name);
  nftnl_rule_nlmsg_build_payload(nlh, r.get());
  advance(nlh);
}

void Batch::del_chain(const std::string& name) {
  ChainPtr c(nftnl_chain_alloc());
  nftnl_chain_set_str(c.get(), NFTNL_CHAIN_TABLE, table_.c_str());
  nftnl_chain_set_str(c.get(), NFTNL_CHAIN_NAME, name.c_str());
  auto* nlh = put(NFT_MSG_DELCHAIN, 0, "delete chain " + name);
  nftnl_chain_nlmsg_build_payload(nlh, c.get());
  advance(nlh);
}

void Batch::add_set(const std::string& name, const SetState& s, uint32_t anon_id) {
  SetPtr p(nftnl_set_alloc());
  nftnl_set_set_str(p.get(), NFTNL_SET_TABLE, table_.c_str());
  nftnl_set_set_str(p.get(), NFTNL_SET_NAME, name.c_str());
  nftnl_set_set_u32(p.get(), NFTNL_SET_FAMILY, nfproto(family_));
  uint32_t flags = s.flags;
  if (anon_id) flags |= NFT_SET_ANONYMOUS | NFT_SET_CONSTANT;
  // The kernel wants a transaction-local id on every new set, named ones included.
  nftnl_set_set_u32(p.get(), NFTNL_SET_ID, anon_id ? anon_id : ++anon_);
  nftnl_set_set_u32(p.get(), NFTNL_SET_FLAGS, flags);
  nftnl_set_set_u32(p.get(), NFTNL_SET_KEY_TYPE, s.key_type);
  nftnl_set_set_u32(p.get(), NFTNL_SET_KEY_LEN, s.key_len);
  if (s.flags & NFT_SET_MAP) {
    nftnl_set_set_u32(p.get(), NFTNL_SET_DATA_TYPE, s.data_type);
    nftnl_set_set_u32(p.get(), NFTNL_SET_DATA_LEN, 0);
  }
  // Concatenated interval sets (pipapo) need each field's length, and only they may carry it
  // (the kernel rejects field lengths without NFT_SET_CONCAT).
  if (uint32_t t = s.key_type; s.flags & NFT_SET_CONCAT) {
    std::vector<uint8_t> lens;
    for (; t; t >>= 6) {
      switch (t & 63) {
        case 7:
          lens.insert(lens.begin(), 4);
          break;
        case 8:
          lens.insert(lens.begin(), 16);
          break;
        case 12:
          lens.insert(lens.begin(), 1);
          break;
        case 13:
          lens.insert(lens.begin(), 2);
          break;
        case 41:
          lens.insert(lens.begin(), 16);
          break;
        default:
          lens.insert(lens.begin(), 4);
      }
    }
    nftnl_set_set_data(p.get(), NFTNL_SET_DESC_CONCAT, lens.data(),
                       static_cast<uint32_t>(lens.size()));
  }
  // nft reads the key byte order from the set's userdata; host-order keys (ifname, mark) print
  // garbled without it. Values as nft's enum byteorder: 1 host, 2 big endian.
  {
    const uint32_t t = s.key_type;
    const uint32_t order = (t == 41 || t == 19) ? 1 : 2;
    nftnl_udata_buf* ud = nftnl_udata_buf_alloc(64);
    nftnl_udata_put_u32(ud, NFTNL_UDATA_SET_KEYBYTEORDER, order);
    nftnl_set_set_data(p.get(), NFTNL_SET_USERDATA, nftnl_udata_buf_data(ud),
                       nftnl_udata_buf_len(ud));
    nftnl_udata_buf_free(ud);
  }
  auto* nlh = put(NFT_MSG_NEWSET, NLM_F_CREATE, "add set " + name);
  nftnl_set_nlmsg_build_payload(nlh, p.get());
  advance(nlh);
}

namespace {
void fill_elems(nftnl_set* set, const std::vector<WireElem>& elems, std::size_t from,
                std::size_t to) {
  for (std::size_t i = from; i < to; ++i) {
    const WireElem& w = elems[i];
    nftnl_set_elem* e = nftnl_set_elem_alloc();
    nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, w.key.data(), static_cast<uint32_t>(w.key.size()));
    if (!w.key_end.empty())
      nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY_END, w.key_end.data(),
                         static_cast<uint32_t>(w.key_end.size()));
    if (w.flags) nftnl_set_elem_set_u32(e, NFTNL_SET_ELEM_FLAGS, w.flags);
    if (w.has_verdict) {
      nftnl_set_elem_set_u32(e, NFTNL_SET_ELEM_VERDICT, static_cast<uint32_t>(w.verdict));
      if (!w.chain.empty()) nftnl_set_elem_set_str(e, NFTNL_SET_ELEM_CHAIN, w.chain.c_str());
    }
    nftnl_set_elem_add(set, e);
  }
}
}  // namespace

void Batch::add_elems(const std::string& set, const std::vector<WireElem>& elems, uint32_t set_id) {
  for (std::size_t i = 0; i < elems.size(); i += kElemsPerMessage) {
    const std::size_t end = std::min(elems.size(), i + kElemsPerMessage);
    SetPtr p(nftnl_set_alloc());
    nftnl_set_set_str(p.get(), NFTNL_SET_TABLE, table_.c_str());
    nftnl_set_set_str(p.get(), NFTNL_SET_NAME, set.c_str());
    if (set_id) nftnl_set_set_u32(p.get(), NFTNL_SET_ID, set_id);
    fill_elems(p.get(), elems, i, end);
    auto* nlh = put(NFT_MSG_NEWSETELEM, NLM_F_CREATE,
                    fmt::format("add {} element(s) to set {}", end - i, set));
    nftnl_set_elems_nlmsg_build_payload(nlh, p.get());
    advance(nlh);
  }
}

void Batch::del_elems(const std::string& set, const std::vector<WireElem>& elems) {
  for (std::size_t i = 0; i < elems.size(); i += kElemsPerMessage) {
    const std::size_t end = std::min(elems.size(), i + kElemsPerMessage);
    SetPtr p(nftnl_set_alloc());
    nftnl_set_set_str(p.get(), NFTNL_SET_TABLE, table_.c_str());
    nftnl_set_set_str(p.get(), NFTNL_SET_NAME, set.c_str());
    fill_elems(p.get(), elems, i, end);
    auto* nlh =
        put(NFT_MSG_DELSETELEM, 0, fmt::format("delete {} element(s) from set {}", end - i, set));
    nftnl_set_elems_nlmsg_build_payload(nlh, p.get());
    advance(nlh);
  }
}

void Batch::del_set(const std::string& name) {
  SetPtr p(nftnl_set_alloc());
  nftnl_set_set_str(p.get(), NFTNL_SET_TABLE, table_.c_str());
  nftnl_set_set_str(p.get(), NFTNL_SET_NAME, name.c_str());
  auto* nlh = put(NFT_MSG_DELSET, 0, "delete set " + name);
  nftnl_set_nlmsg_build_payload(nlh, p.get());
  advance(nlh);
}

Status Batch::add_rule(const std::string& chain, const Rule& r) {
  RulePtr p(nftnl_rule_alloc());
  nftnl_rule_set_str(p.get(), NFTNL_RULE_TABLE, table_.c_str());
  nftnl_rule_set_str(p.get(), NFTNL_RULE_CHAIN, chain.c_str());
  Status st = encode_rule(p.get(), family_, r, *this);
  if (!st) return st;
  auto* nlh = put(NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND,
                  fmt::format("add rule {} {} {}", table_, chain, dump(r)));
  nftnl_rule_nlmsg_build_payload(nlh, p.get());
  advance(nlh);
  return ok_status();
}

}  // namespace podnet::policy::nft
