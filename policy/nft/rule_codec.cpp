#include "policy/nft/rule_codec.hpp"

#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/nf_tables.h>

#include <cstring>

#include <fmt/format.h>

#include "policy/nft/batch.hpp"
#include "policy/nft/bytes.hpp"
#include "policy/nft/state.hpp"

namespace podnet::policy::nft {

namespace {

constexpr uint8_t kTagUdataType = 0x7e;  // nft ignores unknown rule udata types

class Encoder {
 public:
  Encoder(nftnl_rule* r, Family f, Batch& b) : r_(r), family_(f), batch_(b) {}

  Status match(const Match& m) {
    return std::visit([this](const auto& x) { return on(x); }, m);
  }
  Status stmt(const Statement& s) {
    return std::visit([this](const auto& x) { return on(x); }, s);
  }

 private:
  nftnl_expr* add(const char* name) {
    nftnl_expr* e = nftnl_expr_alloc(name);
    nftnl_rule_add_expr(r_, e);
    return e;
  }
  void meta_load(uint32_t key, uint32_t dreg) {
    auto* e = add("meta");
    nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
    nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, dreg);
  }
  void payload(uint32_t base, uint32_t off, uint32_t len, uint32_t dreg) {
    auto* e = add("payload");
    nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
    nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, off);
    nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
    nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, dreg);
  }
  void cmp(uint32_t op, const void* data, uint32_t len) {
    auto* e = add("cmp");
    nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
    nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
    nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
  }
  void cmp(uint32_t op, const Bytes& b) { cmp(op, b.data(), static_cast<uint32_t>(b.size())); }
  void bitwise(const void* mask, const void* xr, uint32_t len) {
    auto* e = add("bitwise");
    nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
    nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
    nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, len);
    nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, mask, len);
    nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, xr, len);
  }
  void lookup(uint32_t sreg, const std::string& set, uint32_t set_id, bool negate,
              std::optional<uint32_t> dreg = std::nullopt) {
    auto* e = add("lookup");
    nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, sreg);
    nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, set.c_str());
    if (set_id) nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID, set_id);
    if (negate) nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_FLAGS, NFT_LOOKUP_F_INV);
    if (dreg) nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_DREG, *dreg);
  }
  void nfproto_dep(IpVersion v) {
    if (family_ != Family::inet) return;  // ip / ip6 tables see one family only
    const uint8_t p = v == IpVersion::v4 ? NFPROTO_IPV4 : NFPROTO_IPV6;
    meta_load(NFT_META_NFPROTO, NFT_REG_1);
    cmp(NFT_CMP_EQ, &p, 1);
  }
  void l4proto_eq(uint8_t p) {
    meta_load(NFT_META_L4PROTO, NFT_REG_1);
    cmp(NFT_CMP_EQ, &p, 1);
  }
  // Compares register 1 (already loaded) with literal values or a named set.
  void compare(const Values& v, KeyType type, bool negate) {
    if (!v.set.empty()) {
      lookup(NFT_REG_1, v.set, 0, negate);
      return;
    }
    if (v.literal.size() == 1) {
      const KeyPart& k = v.literal[0];
      if (k.single()) {
        cmp(negate ? NFT_CMP_NEQ : NFT_CMP_EQ, k.lo);
        return;
      }
      // A CIDR is a mask and a compare; any other range is a range expression.
      Bytes mask(k.lo.size());
      bool is_cidr = true;
      for (std::size_t i = 0; i < k.lo.size(); ++i) {
        mask[i] = static_cast<uint8_t>(~(k.lo[i] ^ k.hi[i]));
        if ((k.lo[i] & ~mask[i]) != 0 || (k.hi[i] | mask[i]) != 0xff) is_cidr = false;
      }
      for (std::size_t i = 0, seen_zero = 0; i < k.lo.size() * 8; ++i) {
        if (!bit_at(mask, static_cast<int>(i)))
          seen_zero = 1;
        else if (seen_zero)
          is_cidr = false;
      }
      if (is_cidr && (type == KeyType::ipv4_addr || type == KeyType::ipv6_addr)) {
        Bytes zero(k.lo.size(), 0);
        bitwise(mask.data(), zero.data(), static_cast<uint32_t>(mask.size()));
        cmp(negate ? NFT_CMP_NEQ : NFT_CMP_EQ, k.lo);
        return;
      }
      auto* e = add("range");
      nftnl_expr_set_u32(e, NFTNL_EXPR_RANGE_SREG, NFT_REG_1);
      nftnl_expr_set_u32(e, NFTNL_EXPR_RANGE_OP, negate ? NFT_RANGE_NEQ : NFT_RANGE_EQ);
      nftnl_expr_set(e, NFTNL_EXPR_RANGE_FROM_DATA, k.lo.data(),
                     static_cast<uint32_t>(k.lo.size()));
      nftnl_expr_set(e, NFTNL_EXPR_RANGE_TO_DATA, k.hi.data(), static_cast<uint32_t>(k.hi.size()));
      return;
    }
    Set anon;
    anon.key = {type};
    for (const auto& k : v.literal) {
      if (!k.single()) anon.interval = true;
      anon.elements.push_back(Element{{k}, std::nullopt});
    }
    auto [name, id] = batch_.next_anon_set();
    const SetState st = set_state(anon);
    batch_.add_set(name, st, id);
    batch_.add_elems(name, st.elems, id);
    lookup(NFT_REG_1, name, id, negate);
  }

  Status on(const IfNameMatch& m) {
    meta_load(m.dir == Dir::in ? NFT_META_IIFNAME : NFT_META_OIFNAME, NFT_REG_1);
    std::string n = m.name;
    const bool prefix = !n.empty() && n.back() == '*';
    if (prefix) n.pop_back();
    // Exact names compare with their NUL; a prefix compares only its characters.
    cmp(m.negate ? NFT_CMP_NEQ : NFT_CMP_EQ, n.c_str(),
        static_cast<uint32_t>(n.size() + (prefix ? 0 : 1)));
    return ok_status();
  }
  Status on(const AddrMatch& m) {
    nfproto_dep(m.version);
    const bool v4 = m.version == IpVersion::v4;
    const uint32_t off =
        v4 ? (m.field == AddrField::saddr ? 12 : 16) : (m.field == AddrField::saddr ? 8 : 24);
    payload(NFT_PAYLOAD_NETWORK_HEADER, off, v4 ? 4 : 16, NFT_REG_1);
    compare(m.values, v4 ? KeyType::ipv4_addr : KeyType::ipv6_addr, m.negate);
    return ok_status();
  }
  Status on(const L4ProtoMatch& m) {
    meta_load(NFT_META_L4PROTO, NFT_REG_1);
    Values v;
    for (auto p : m.protos) v.literal.push_back(KeyPart::proto(p));
    compare(v, KeyType::inet_proto, m.negate);
    return ok_status();
  }
  Status on(const PortMatch& m) {
    payload(NFT_PAYLOAD_TRANSPORT_HEADER, m.field == PortField::sport ? 0 : 2, 2, NFT_REG_1);
    compare(m.values, KeyType::inet_service, m.negate);
    return ok_status();
  }
  Status on(const IcmpMatch& m) {
    nfproto_dep(m.version);
    l4proto_eq(m.version == IpVersion::v4 ? IPPROTO_ICMP : IPPROTO_ICMPV6);
    if (m.negate && m.type && m.code) {
      // not (type t and code c): type and code are adjacent bytes, one 2-byte compare. (Two
      // separate != compares would mean "type != t and code != c", a different set.)
      const uint8_t tc[2] = {*m.type, *m.code};
      payload(NFT_PAYLOAD_TRANSPORT_HEADER, 0, 2, NFT_REG_1);
      cmp(NFT_CMP_NEQ, tc, 2);
      return ok_status();
    }
    if (m.type) {
      payload(NFT_PAYLOAD_TRANSPORT_HEADER, 0, 1, NFT_REG_1);
      cmp(m.negate ? NFT_CMP_NEQ : NFT_CMP_EQ, &*m.type, 1);
    }
    if (m.code) {
      payload(NFT_PAYLOAD_TRANSPORT_HEADER, 1, 1, NFT_REG_1);
      cmp(m.negate ? NFT_CMP_NEQ : NFT_CMP_EQ, &*m.code, 1);
    }
    return ok_status();
  }
  Status on(const CtStateMatch& m) {
    auto* e = add("ct");
    nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, NFT_CT_STATE);
    nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
    const uint32_t mask = m.states, zero = 0;  // ct state is host byte order
    bitwise(&mask, &zero, 4);
    cmp(m.negate ? NFT_CMP_EQ : NFT_CMP_NEQ, &zero, 4);
    return ok_status();
  }
  Status on(const MarkMatch& m) {
    meta_load(NFT_META_MARK, NFT_REG_1);
    const uint32_t zero = 0;
    if (m.mask != 0xffffffff) bitwise(&m.mask, &zero, 4);
    cmp(m.negate ? NFT_CMP_NEQ : NFT_CMP_EQ, &m.value, 4);
    return ok_status();
  }
  Status on(const AddrProtoPortMatch& m) {
    nfproto_dep(m.version);
    const bool v4 = m.version == IpVersion::v4;
    const uint32_t off =
        v4 ? (m.addr == AddrField::saddr ? 12 : 16) : (m.addr == AddrField::saddr ? 8 : 24);
    payload(NFT_PAYLOAD_NETWORK_HEADER, off, v4 ? 4 : 16, NFT_REG32_00);
    const uint32_t next = NFT_REG32_00 + (v4 ? 1 : 4);
    meta_load(NFT_META_L4PROTO, next);
    payload(NFT_PAYLOAD_TRANSPORT_HEADER, m.port == PortField::sport ? 0 : 2, 2, next + 1);
    lookup(NFT_REG32_00, m.set, 0, m.negate);
    return ok_status();
  }

  Status on(const FibAddrTypeMatch& m) {
    auto* e = add("fib");
    nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_FLAGS,
                       m.field == AddrField::saddr ? NFTA_FIB_F_SADDR : NFTA_FIB_F_DADDR);
    nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_RESULT, NFT_FIB_RESULT_ADDRTYPE);
    nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_DREG, NFT_REG_1);
    const uint32_t type = static_cast<uint32_t>(m.type);  // host byte order, as fib stores it
    cmp(m.negate ? NFT_CMP_NEQ : NFT_CMP_EQ, &type, 4);
    return ok_status();
  }

  Status on(const Counter&) {
    add("counter");
    return ok_status();
  }
  Status on(const Log& l) {
    auto* e = add("log");
    nftnl_expr_set_str(e, NFTNL_EXPR_LOG_PREFIX, l.prefix.c_str());
    return ok_status();
  }
  Status on(const SetMark& m) {
    meta_load(NFT_META_MARK, NFT_REG_1);
    const uint32_t keep = ~(m.clear | m.set);
    bitwise(&keep, &m.set, 4);
    auto* e = add("meta");
    nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, NFT_META_MARK);
    nftnl_expr_set_u32(e, NFTNL_EXPR_META_SREG, NFT_REG_1);
    return ok_status();
  }
  Status on(const Masquerade&) {
    add("masq");
    return ok_status();
  }
  Status on(const Notrack&) {
    add("notrack");
    return ok_status();
  }
  Status on(const Snat& s) {
    auto a = KeyPart::addr(s.addr);
    if (!a) return a.error();
    const bool v4 = a->type == KeyType::ipv4_addr;
    nfproto_dep(v4 ? IpVersion::v4 : IpVersion::v6);
    auto* imm = add("immediate");
    nftnl_expr_set_u32(imm, NFTNL_EXPR_IMM_DREG, NFT_REG_1);
    nftnl_expr_set(imm, NFTNL_EXPR_IMM_DATA, a->lo.data(), static_cast<uint32_t>(a->lo.size()));
    auto* e = add("nat");
    nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_TYPE, NFT_NAT_SNAT);
    nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FAMILY, v4 ? NFPROTO_IPV4 : NFPROTO_IPV6);
    nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MIN, NFT_REG_1);
    return ok_status();
  }
  Status on(const Dnat& d) {
    auto a = KeyPart::addr(d.addr);
    if (!a) return a.error();
    const bool v4 = a->type == KeyType::ipv4_addr;
    nfproto_dep(v4 ? IpVersion::v4 : IpVersion::v6);
    auto* imm = add("immediate");
    nftnl_expr_set_u32(imm, NFTNL_EXPR_IMM_DREG, NFT_REG_1);
    nftnl_expr_set(imm, NFTNL_EXPR_IMM_DATA, a->lo.data(), static_cast<uint32_t>(a->lo.size()));
    if (d.port) {
      const uint8_t port[2] = {static_cast<uint8_t>(d.port >> 8), static_cast<uint8_t>(d.port)};
      auto* p = add("immediate");
      nftnl_expr_set_u32(p, NFTNL_EXPR_IMM_DREG, NFT_REG_2);
      nftnl_expr_set(p, NFTNL_EXPR_IMM_DATA, port, 2);
    }
    auto* e = add("nat");
    nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_TYPE, NFT_NAT_DNAT);
    nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FAMILY, v4 ? NFPROTO_IPV4 : NFPROTO_IPV6);
    nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MIN, NFT_REG_1);
    if (d.port) nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_PROTO_MIN, NFT_REG_2);
    return ok_status();
  }
  Status on(const Reject& r) {
    auto* e = add("reject");
    if (r.tcp_reset) {
      nftnl_expr_set_u32(e, NFTNL_EXPR_REJECT_TYPE, NFT_REJECT_TCP_RST);
      nftnl_expr_set_u8(e, NFTNL_EXPR_REJECT_CODE, 0);
    } else if (family_ == Family::inet) {
      nftnl_expr_set_u32(e, NFTNL_EXPR_REJECT_TYPE, NFT_REJECT_ICMPX_UNREACH);
      nftnl_expr_set_u8(e, NFTNL_EXPR_REJECT_CODE, NFT_REJECT_ICMPX_PORT_UNREACH);
    } else {
      nftnl_expr_set_u32(e, NFTNL_EXPR_REJECT_TYPE, NFT_REJECT_ICMP_UNREACH);
      // ICMP_PORT_UNREACH (3) / ICMPV6_PORT_UNREACH (4)
      nftnl_expr_set_u8(e, NFTNL_EXPR_REJECT_CODE, family_ == Family::ip ? 3 : 4);
    }
    return ok_status();
  }
  Status on(const NumgenVmap& n) {
    auto* e = add("numgen");
    nftnl_expr_set_u32(e, NFTNL_EXPR_NG_DREG, NFT_REG_1);
    nftnl_expr_set_u32(e, NFTNL_EXPR_NG_MODULUS, static_cast<uint32_t>(n.verdicts.size()));
    nftnl_expr_set_u32(e, NFTNL_EXPR_NG_TYPE, NFT_NG_RANDOM);
    // numgen writes a host-order u32, as meta mark does: a mark-typed map fits it.
    Set map;
    map.key = {KeyType::mark};
    map.vmap = true;
    for (std::size_t i = 0; i < n.verdicts.size(); ++i)
      map.elements.push_back(Element{{KeyPart::mark(static_cast<uint32_t>(i))}, n.verdicts[i]});
    auto [name, id] = batch_.next_anon_set();
    const SetState st = set_state(map);
    batch_.add_set(name, st, id);
    batch_.add_elems(name, st.elems, id);
    lookup(NFT_REG_1, name, id, false, NFT_REG_VERDICT);
    return ok_status();
  }
  Status on(const VmapLookup& v) {
    meta_load(v.dir == Dir::in ? NFT_META_IIFNAME : NFT_META_OIFNAME, NFT_REG_1);
    lookup(NFT_REG_1, v.map, 0, false, NFT_REG_VERDICT);
    return ok_status();
  }
  Status on(const Verdict& v) {
    auto* e = add("immediate");
    nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
    int32_t code = NF_ACCEPT;
    switch (v.kind) {
      case VerdictKind::accept:
        code = NF_ACCEPT;
        break;
      case VerdictKind::drop:
        code = NF_DROP;
        break;
      case VerdictKind::return_:
        code = NFT_RETURN;
        break;
      case VerdictKind::continue_:
        code = NFT_CONTINUE;
        break;
      case VerdictKind::jump:
        code = NFT_JUMP;
        break;
      case VerdictKind::goto_:
        code = NFT_GOTO;
        break;
    }
    nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, static_cast<uint32_t>(code));
    if (!v.chain.empty()) nftnl_expr_set_str(e, NFTNL_EXPR_IMM_CHAIN, v.chain.c_str());
    return ok_status();
  }

  nftnl_rule* r_;
  Family family_;
  Batch& batch_;
};

}  // namespace

Status encode_rule(nftnl_rule* out, Family family, const Rule& r, Batch& batch) {
  Encoder enc(out, family, batch);
  for (const auto& m : r.match)
    if (Status st = enc.match(m); !st) return st;
  for (const auto& s : r.stmt)
    if (Status st = enc.stmt(s); !st) return st;
  const uint64_t tag = rule_tag(r);
  nftnl_udata_buf* buf = nftnl_udata_buf_alloc(64);
  nftnl_udata_put(buf, kTagUdataType, sizeof tag, &tag);
  nftnl_rule_set_data(out, NFTNL_RULE_USERDATA, nftnl_udata_buf_data(buf),
                      nftnl_udata_buf_len(buf));
  nftnl_udata_buf_free(buf);
  return ok_status();
}

uint64_t read_rule_tag(const nftnl_rule* r) {
  if (!nftnl_rule_is_set(r, NFTNL_RULE_USERDATA)) return 0;
  uint32_t len = 0;
  const void* data = nftnl_rule_get_data(r, NFTNL_RULE_USERDATA, &len);
  uint64_t tag = 0;
  nftnl_udata_parse(
      data, len,
      [](const nftnl_udata* attr, void* out) -> int {
        if (nftnl_udata_type(attr) == kTagUdataType && nftnl_udata_len(attr) == sizeof(uint64_t))
          std::memcpy(out, nftnl_udata_get(attr), sizeof(uint64_t));
        return 0;
      },
      &tag);
  return tag;
}

}  // namespace podnet::policy::nft
