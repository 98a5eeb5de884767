#include "policy/nft/nl_session.hpp"

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/gen.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <set>

#include <fmt/format.h>

#include "policy/nft/nftnl_ptr.hpp"
#include "policy/nft/rule_codec.hpp"

namespace podnet::policy::nft {

namespace {

Error sys_error(const std::string& what, int err) {
  return make_error(Errc::io, fmt::format("{}: {}", what, std::strerror(err)));
}

std::optional<Hook> hook_from(uint32_t n) {
  switch (n) {
    case NF_INET_PRE_ROUTING:
      return Hook::prerouting;
    case NF_INET_LOCAL_IN:
      return Hook::input;
    case NF_INET_FORWARD:
      return Hook::forward;
    case NF_INET_LOCAL_OUT:
      return Hook::output;
    case NF_INET_POST_ROUTING:
      return Hook::postrouting;
  }
  return std::nullopt;
}

Bytes elem_bytes(nftnl_set_elem* e, uint16_t attr) {
  if (!nftnl_set_elem_is_set(e, attr)) return {};
  uint32_t len = 0;
  auto* p = static_cast<const uint8_t*>(nftnl_set_elem_get(e, attr, &len));
  return Bytes(p, p + len);
}

}  // namespace

Result<std::unique_ptr<NlSession>> NlSession::open() {
  std::unique_ptr<NlSession> s(new NlSession());
  s->nl_ = mnl_socket_open(NETLINK_NETFILTER);
  if (!s->nl_) return sys_error("netlink socket", errno);
  if (mnl_socket_bind(s->nl_, 0, MNL_SOCKET_AUTOPID) < 0) return sys_error("netlink bind", errno);
  s->portid_ = mnl_socket_get_portid(s->nl_);
  // Error replies carry only the header of the failing message (not the whole batch message),
  // and the receive buffer is enlarged (as root may) for the dumps of large tables.
  int one = 1;
  mnl_socket_setsockopt(s->nl_, NETLINK_CAP_ACK, &one, sizeof one);
  mnl_socket_setsockopt(s->nl_, NETLINK_EXT_ACK, &one, sizeof one);
  int rcv = 16 << 20;
  ::setsockopt(mnl_socket_get_fd(s->nl_), SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof rcv);
  s->seq_ = static_cast<uint32_t>(std::time(nullptr));
  return s;
}

NlSession::~NlSession() {
  if (nl_) mnl_socket_close(nl_);
}

Status NlSession::send(const Batch& b) {
  const int fd = mnl_socket_get_fd(nl_);
  // One message for the whole batch: the send buffer must hold it.
  int snd = static_cast<int>(b.bytes() + 4096);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &snd, sizeof snd);
  if (mnl_socket_sendto(nl_, b.data(), b.bytes()) < 0) return sys_error("netlink send", errno);

  // Drain the replies: one ACK (or error) per message, all queued already.
  std::vector<char> buf(128 * 1024);  // larger than any datagram the kernel sends
  std::set<uint32_t> acked;
  std::optional<Error> first_error;
  for (;;) {
    ssize_t n = ::recv(fd, buf.data(), buf.size(), MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      return sys_error("netlink receive", errno);
    }
    for (auto* nlh = reinterpret_cast<nlmsghdr*>(buf.data());
         mnl_nlmsg_ok(nlh, static_cast<int>(n));
         nlh = mnl_nlmsg_next(nlh, reinterpret_cast<int*>(&n))) {
      if (nlh->nlmsg_type != NLMSG_ERROR) continue;  // notifications, not ours to judge
      auto* err = static_cast<nlmsgerr*>(mnl_nlmsg_get_payload(nlh));
      if (err->error == 0) {
        acked.insert(nlh->nlmsg_seq);
        continue;
      }
      if (!first_error) {
        std::string what = b.describe(nlh->nlmsg_seq);
        first_error = make_error(
            -err->error == EINVAL || -err->error == ENOENT || -err->error == EMLINK ||
                    -err->error == EEXIST || -err->error == EBUSY || -err->error == EOPNOTSUPP
                ? Errc::invalid
                : Errc::io,
            fmt::format("nftables rejected the transaction (nothing was applied): {}: {}",
                        what.empty() ? fmt::format("message seq {}", nlh->nlmsg_seq) : what,
                        std::strerror(-err->error)));
      }
    }
  }
  if (first_error) return *first_error;
  if (!acked.count(b.last_message_seq()))
    return make_error(Errc::io, "netlink: the transaction was not acknowledged");
  return ok_status();
}

Status NlSession::dump(char* req, int (*cb)(const nlmsghdr*, void*), void* data) {
  auto* nlh = reinterpret_cast<nlmsghdr*>(req);
  const uint32_t seq = nlh->nlmsg_seq;
  if (mnl_socket_sendto(nl_, req, nlh->nlmsg_len) < 0) return sys_error("netlink send", errno);
  std::vector<char> buf(128 * 1024);  // larger than any datagram the kernel sends
  for (;;) {
    ssize_t n = mnl_socket_recvfrom(nl_, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return sys_error("netlink receive", errno);
    }
    int rc = mnl_cb_run(buf.data(), static_cast<size_t>(n), seq, portid_, cb, data);
    if (rc == MNL_CB_STOP) return ok_status();
    if (rc < 0) {
      if (errno == ENOENT) return make_error(Errc::not_found, "no such table");
      if (errno == EINTR)
        return make_error(Errc::unavailable, "dump interrupted (ruleset changed)");
      return sys_error("netlink dump", errno);
    }
  }
}

Result<uint32_t> NlSession::generation() {
  std::vector<char> req(MNL_SOCKET_BUFFER_SIZE);
  nftnl_nlmsg_build_hdr(req.data(), NFT_MSG_GETGEN, AF_UNSPEC, NLM_F_ACK, next_seq(1));
  uint32_t gen = 0;
  Status st = dump(
      req.data(),
      [](const nlmsghdr* h, void* d) -> int {
        nftnl_gen* g = nftnl_gen_alloc();
        if (nftnl_gen_nlmsg_parse(h, g) == 0)
          *static_cast<uint32_t*>(d) = nftnl_gen_get_u32(g, NFTNL_GEN_ID);
        nftnl_gen_free(g);
        return MNL_CB_OK;
      },
      &gen);
  if (!st) return st.error();
  return gen;
}

Result<std::map<std::string, RuleHandles>> NlSession::rules(Family family, const std::string& table,
                                                            const std::string& chain) {
  struct Ctx {
    std::string table;
    std::map<std::string, RuleHandles> out;
  } ctx{table, {}};
  std::vector<char> req(MNL_SOCKET_BUFFER_SIZE);
  auto* nlh = nftnl_nlmsg_build_hdr(
      req.data(), NFT_MSG_GETRULE, static_cast<uint16_t>(nfproto(family)), NLM_F_DUMP, next_seq(1));
  RulePtr filter(nftnl_rule_alloc());
  nftnl_rule_set_str(filter.get(), NFTNL_RULE_TABLE, table.c_str());
  if (!chain.empty()) nftnl_rule_set_str(filter.get(), NFTNL_RULE_CHAIN, chain.c_str());
  nftnl_rule_nlmsg_build_payload(nlh, filter.get());
  Status st = dump(
      req.data(),
      [](const nlmsghdr* h, void* d) -> int {
        auto* c = static_cast<Ctx*>(d);
        RulePtr r(nftnl_rule_alloc());
        if (nftnl_rule_nlmsg_parse(h, r.get()) < 0) return MNL_CB_ERROR;
        if (c->table != nftnl_rule_get_str(r.get(), NFTNL_RULE_TABLE)) return MNL_CB_OK;
        auto& rh = c->out[nftnl_rule_get_str(r.get(), NFTNL_RULE_CHAIN)];
        rh.handles.push_back(nftnl_rule_get_u64(r.get(), NFTNL_RULE_HANDLE));
        rh.tags.push_back(read_rule_tag(r.get()));
        return MNL_CB_OK;
      },
      &ctx);
  if (!st) return st.error();
  return std::move(ctx.out);
}

Result<State> NlSession::snapshot(Family family, const std::string& table) {
  State state;
  const auto fam = static_cast<uint16_t>(nfproto(family));
  std::vector<char> req(MNL_SOCKET_BUFFER_SIZE);

  {  // the table itself
    auto* nlh = nftnl_nlmsg_build_hdr(req.data(), NFT_MSG_GETTABLE, fam, NLM_F_ACK, next_seq(1));
    TablePtr t(nftnl_table_alloc());
    nftnl_table_set_str(t.get(), NFTNL_TABLE_NAME, table.c_str());
    nftnl_table_nlmsg_build_payload(nlh, t.get());
    Status st = dump(
        req.data(), [](const nlmsghdr*, void*) -> int { return MNL_CB_OK; }, nullptr);
    if (!st) {
      if (st.error().code == Errc::not_found) return state;
      return st.error();
    }
    state.exists = true;
  }

  struct Ctx {
    const std::string* table;
    State* state;
  } ctx{&table, &state};

  {  // chains
    auto* nlh = nftnl_nlmsg_build_hdr(req.data(), NFT_MSG_GETCHAIN, fam, NLM_F_DUMP, next_seq(1));
    ChainPtr filter(nftnl_chain_alloc());
    nftnl_chain_set_str(filter.get(), NFTNL_CHAIN_TABLE, table.c_str());
    nftnl_chain_nlmsg_build_payload(nlh, filter.get());
    Status st = dump(
        req.data(),
        [](const nlmsghdr* h, void* d) -> int {
          auto* c = static_cast<Ctx*>(d);
          ChainPtr ch(nftnl_chain_alloc());
          if (nftnl_chain_nlmsg_parse(h, ch.get()) < 0) return MNL_CB_ERROR;
          if (*c->table != nftnl_chain_get_str(ch.get(), NFTNL_CHAIN_TABLE)) return MNL_CB_OK;
          ChainState& cs = c->state->chains[nftnl_chain_get_str(ch.get(), NFTNL_CHAIN_NAME)];
          if (nftnl_chain_is_set(ch.get(), NFTNL_CHAIN_HOOKNUM)) {
            BaseChain b;
            auto hook = hook_from(nftnl_chain_get_u32(ch.get(), NFTNL_CHAIN_HOOKNUM));
            b.hook = hook.value_or(Hook::forward);
            b.priority = nftnl_chain_get_s32(ch.get(), NFTNL_CHAIN_PRIO);
            const char* type = nftnl_chain_get_str(ch.get(), NFTNL_CHAIN_TYPE);
            b.type = type && std::strcmp(type, "nat") == 0 ? ChainType::nat : ChainType::filter;
            b.policy_drop = nftnl_chain_is_set(ch.get(), NFTNL_CHAIN_POLICY) &&
                            nftnl_chain_get_u32(ch.get(), NFTNL_CHAIN_POLICY) == NF_DROP;
            cs.base = b;
          }
          return MNL_CB_OK;
        },
        &ctx);
    if (!st) return st.error();
  }

  {  // named sets (anonymous ones belong to their rules)
    auto* nlh = nftnl_nlmsg_build_hdr(req.data(), NFT_MSG_GETSET, fam, NLM_F_DUMP, next_seq(1));
    SetPtr filter(nftnl_set_alloc());
    nftnl_set_set_str(filter.get(), NFTNL_SET_TABLE, table.c_str());
    nftnl_set_nlmsg_build_payload(nlh, filter.get());
    Status st = dump(
        req.data(),
        [](const nlmsghdr* h, void* d) -> int {
          auto* c = static_cast<Ctx*>(d);
          SetPtr s(nftnl_set_alloc());
          if (nftnl_set_nlmsg_parse(h, s.get()) < 0) return MNL_CB_ERROR;
          if (*c->table != nftnl_set_get_str(s.get(), NFTNL_SET_TABLE)) return MNL_CB_OK;
          const uint32_t flags = nftnl_set_get_u32(s.get(), NFTNL_SET_FLAGS);
          if (flags & NFT_SET_ANONYMOUS) return MNL_CB_OK;
          SetState& ss = c->state->sets[nftnl_set_get_str(s.get(), NFTNL_SET_NAME)];
          ss.flags = flags & ~(NFT_SET_CONSTANT);
          ss.key_type = nftnl_set_get_u32(s.get(), NFTNL_SET_KEY_TYPE);
          ss.key_len = nftnl_set_get_u32(s.get(), NFTNL_SET_KEY_LEN);
          if (nftnl_set_is_set(s.get(), NFTNL_SET_DATA_TYPE))
            ss.data_type = nftnl_set_get_u32(s.get(), NFTNL_SET_DATA_TYPE);
          return MNL_CB_OK;
        },
        &ctx);
    if (!st) return st.error();
  }

  for (auto& [name, ss] : state.sets) {  // elements, set by set
    auto* nlh = nftnl_nlmsg_build_hdr(req.data(), NFT_MSG_GETSETELEM, fam, NLM_F_DUMP, next_seq(1));
    SetPtr filter(nftnl_set_alloc());
    nftnl_set_set_str(filter.get(), NFTNL_SET_TABLE, table.c_str());
    nftnl_set_set_str(filter.get(), NFTNL_SET_NAME, name.c_str());
    nftnl_set_elems_nlmsg_build_payload(nlh, filter.get());
    Status st = dump(
        req.data(),
        [](const nlmsghdr* h, void* d) -> int {
          auto* elems = static_cast<std::vector<WireElem>*>(d);
          SetPtr s(nftnl_set_alloc());
          if (nftnl_set_elems_nlmsg_parse(h, s.get()) < 0) return MNL_CB_ERROR;
          nftnl_set_elem_foreach(
              s.get(),
              [](nftnl_set_elem* e, void* out) -> int {
                WireElem w;
                w.key = elem_bytes(e, NFTNL_SET_ELEM_KEY);
                w.key_end = elem_bytes(e, NFTNL_SET_ELEM_KEY_END);
                if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_FLAGS))
                  w.flags =
                      nftnl_set_elem_get_u32(e, NFTNL_SET_ELEM_FLAGS) & NFT_SET_ELEM_INTERVAL_END;
                if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_VERDICT)) {
                  w.has_verdict = true;
                  w.verdict =
                      static_cast<int32_t>(nftnl_set_elem_get_u32(e, NFTNL_SET_ELEM_VERDICT));
                  if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_CHAIN))
                    w.chain = nftnl_set_elem_get_str(e, NFTNL_SET_ELEM_CHAIN);
                }
                static_cast<std::vector<WireElem>*>(out)->push_back(std::move(w));
                return 0;
              },
              elems);
          return MNL_CB_OK;
        },
        &ss.elems);
    if (!st) return st.error();
    std::sort(ss.elems.begin(), ss.elems.end());
  }

  auto rules_or = rules(family, table);
  if (!rules_or) return rules_or.error();
  for (auto& [chain, rh] : *rules_or) {
    ChainState& cs = state.chains[chain];
    cs.handles = std::move(rh.handles);
    cs.tags = std::move(rh.tags);
  }
  return state;
}

}  // namespace podnet::policy::nft
