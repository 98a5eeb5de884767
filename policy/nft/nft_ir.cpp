#include "policy/nft/nft_ir.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <set>

#include <fmt/format.h>

#include "policy/nft/bytes.hpp"

namespace podnet::policy::nft {

std::size_t key_width(KeyType t) {
  switch (t) {
    case KeyType::ipv4_addr:
      return 4;
    case KeyType::ipv6_addr:
      return 16;
    case KeyType::inet_proto:
      return 1;
    case KeyType::inet_service:
      return 2;
    case KeyType::ifname:
      return 16;
    case KeyType::mark:
      return 4;
  }
  return 0;
}

namespace {

Result<KeyPart> parse_ip(const std::string& text, int* prefix_out) {
  std::string addr = text;
  int prefix = -1;
  if (auto slash = text.find('/'); slash != std::string::npos) {
    addr = text.substr(0, slash);
    const std::string p = text.substr(slash + 1);
    if (p.empty() || p.size() > 3 || !std::all_of(p.begin(), p.end(), ::isdigit))
      return make_error(Errc::invalid, fmt::format("bad prefix length in '{}'", text));
    prefix = std::stoi(p);
  }
  KeyPart k;
  uint8_t buf[16];
  if (::inet_pton(AF_INET, addr.c_str(), buf) == 1) {
    k.type = KeyType::ipv4_addr;
    k.lo.assign(buf, buf + 4);
  } else if (::inet_pton(AF_INET6, addr.c_str(), buf) == 1) {
    k.type = KeyType::ipv6_addr;
    k.lo.assign(buf, buf + 16);
  } else {
    return make_error(Errc::invalid, fmt::format("'{}' is not an IP address", text));
  }
  const int bits = static_cast<int>(k.lo.size() * 8);
  if (prefix < 0) prefix = bits;
  if (prefix > bits) return make_error(Errc::invalid, fmt::format("prefix too long in '{}'", text));
  // Host bits are cleared (Calico accepts "10.0.0.1/24" as 10.0.0.0/24).
  k.hi = k.lo;
  for (int i = prefix; i < bits; ++i) {
    k.lo[i / 8] &= static_cast<uint8_t>(~(0x80 >> (i % 8)));
    k.hi[i / 8] |= static_cast<uint8_t>(0x80 >> (i % 8));
  }
  if (prefix_out) *prefix_out = prefix;
  return k;
}

std::string ip_str(const Bytes& b) {
  char out[INET6_ADDRSTRLEN] = {};
  ::inet_ntop(b.size() == 4 ? AF_INET : AF_INET6, b.data(), out, sizeof out);
  return out;
}

// The prefix length when [lo, hi] is exactly one CIDR, else -1.
int cidr_len(const Bytes& lo, const Bytes& hi) {
  const int bits = static_cast<int>(lo.size() * 8);
  int p = 0;
  while (p < bits && bit_at(lo, p) == bit_at(hi, p)) ++p;
  for (int i = p; i < bits; ++i)
    if (bit_at(lo, i) != 0 || bit_at(hi, i) != 1) return -1;
  return p;
}

std::string proto_name(uint8_t p) {
  switch (p) {
    case 1:
      return "icmp";
    case 6:
      return "tcp";
    case 17:
      return "udp";
    case 58:
      return "ipv6-icmp";
    case 132:
      return "sctp";
    case 136:
      return "udplite";
  }
  return std::to_string(p);
}

std::string key_type_name(KeyType t) {
  switch (t) {
    case KeyType::ipv4_addr:
      return "ipv4_addr";
    case KeyType::ipv6_addr:
      return "ipv6_addr";
    case KeyType::inet_proto:
      return "inet_proto";
    case KeyType::inet_service:
      return "inet_service";
    case KeyType::ifname:
      return "ifname";
    case KeyType::mark:
      return "mark";
  }
  return "?";
}

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string s;
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? sep : "") + v[i];
  return s;
}

std::string values_str(const Values& v) {
  if (!v.set.empty()) return "@" + v.set;
  std::vector<std::string> parts;
  for (const auto& k : v.literal) parts.push_back(k.str());
  if (parts.size() == 1) return parts[0];
  return "{ " + join(parts, ", ") + " }";
}

std::string ct_states_str(uint32_t s) {
  static const std::pair<uint32_t, const char*> names[] = {{ct::invalid, "invalid"},
                                                           {ct::established, "established"},
                                                           {ct::related, "related"},
                                                           {ct::new_, "new"},
                                                           {ct::untracked, "untracked"}};
  std::vector<std::string> out;
  for (auto [bit, name] : names)
    if (s & bit) out.push_back(name);
  return join(out, ",");
}

const char* ip_kw(IpVersion v) {
  return v == IpVersion::v4 ? "ip" : "ip6";
}
const char* neg(bool n) {
  return n ? "!= " : "";
}

struct MatchPrinter {
  std::string operator()(const IfNameMatch& m) const {
    return fmt::format("{} {}\"{}\"", m.dir == Dir::in ? "iifname" : "oifname", neg(m.negate),
                       m.name);
  }
  std::string operator()(const AddrMatch& m) const {
    return fmt::format("{} {} {}{}", ip_kw(m.version),
                       m.field == AddrField::saddr ? "saddr" : "daddr", neg(m.negate),
                       values_str(m.values));
  }
  std::string operator()(const L4ProtoMatch& m) const {
    std::vector<std::string> p;
    for (auto x : m.protos) p.push_back(proto_name(x));
    return fmt::format("meta l4proto {}{}", neg(m.negate),
                       p.size() == 1 ? p[0] : "{ " + join(p, ", ") + " }");
  }
  std::string operator()(const PortMatch& m) const {
    return fmt::format("th {} {}{}", m.field == PortField::sport ? "sport" : "dport", neg(m.negate),
                       values_str(m.values));
  }
  std::string operator()(const IcmpMatch& m) const {
    const char* kw = m.version == IpVersion::v4 ? "icmp" : "icmpv6";
    std::string s =
        fmt::format("meta l4proto {}", m.version == IpVersion::v4 ? "icmp" : "ipv6-icmp");
    if (m.negate && m.type && m.code)  // one compare of both bytes (see rule_codec.cpp)
      return s + fmt::format(" {} type . {} code != {} . {}", kw, kw, *m.type, *m.code);
    if (m.type) s += fmt::format(" {} type {}{}", kw, neg(m.negate), *m.type);
    if (m.code) s += fmt::format(" {} code {}{}", kw, neg(m.negate), *m.code);
    return s;
  }
  std::string operator()(const CtStateMatch& m) const {
    return fmt::format("ct state {}{}", m.negate ? "!= " : "", ct_states_str(m.states));
  }
  std::string operator()(const MarkMatch& m) const {
    if (m.mask == 0xffffffff) return fmt::format("meta mark {}0x{:08x}", neg(m.negate), m.value);
    return fmt::format("meta mark & 0x{:08x} {}0x{:08x}", m.mask,
                       m.negate ? "!= " : "== ", m.value);
  }
  std::string operator()(const AddrProtoPortMatch& m) const {
    return fmt::format("{} {} . meta l4proto . th {} {}@{}", ip_kw(m.version),
                       m.addr == AddrField::saddr ? "saddr" : "daddr",
                       m.port == PortField::sport ? "sport" : "dport", neg(m.negate), m.set);
  }
  std::string operator()(const FibAddrTypeMatch& m) const {
    const char* t = "unicast";
    switch (m.type) {
      case AddrType::unicast:
        break;
      case AddrType::local:
        t = "local";
        break;
      case AddrType::broadcast:
        t = "broadcast";
        break;
      case AddrType::multicast:
        t = "multicast";
        break;
    }
    return fmt::format("fib {} type {}{}", m.field == AddrField::saddr ? "saddr" : "daddr",
                       neg(m.negate), t);
  }
};

struct StmtPrinter {
  std::string operator()(const Counter&) const { return "counter"; }
  std::string operator()(const Log& l) const { return fmt::format("log prefix \"{}\"", l.prefix); }
  std::string operator()(const SetMark& m) const {
    return fmt::format("meta mark set meta mark & 0x{:08x} | 0x{:08x}", ~(m.clear | m.set), m.set);
  }
  std::string operator()(const Masquerade&) const { return "masquerade"; }
  std::string operator()(const Notrack&) const { return "notrack"; }
  std::string operator()(const Snat& s) const {
    return fmt::format("snat {} to {}", s.addr.find(':') == std::string::npos ? "ip" : "ip6",
                       s.addr);
  }
  std::string operator()(const VmapLookup& v) const {
    return fmt::format("{} vmap @{}", v.dir == Dir::in ? "iifname" : "oifname", v.map);
  }
  std::string operator()(const Verdict& v) const { return v.str(); }
  std::string operator()(const Dnat& d) const {
    const bool v6 = d.addr.find(':') != std::string::npos;
    if (!d.port) return fmt::format("dnat {} to {}", v6 ? "ip6" : "ip", d.addr);
    return v6 ? fmt::format("dnat ip6 to [{}]:{}", d.addr, d.port)
              : fmt::format("dnat ip to {}:{}", d.addr, d.port);
  }
  std::string operator()(const Reject& r) const {
    return r.tcp_reset ? "reject with tcp reset" : "reject";
  }
  std::string operator()(const NumgenVmap& n) const {
    std::vector<std::string> parts;
    for (std::size_t i = 0; i < n.verdicts.size(); ++i)
      parts.push_back(fmt::format("{} : {}", i, n.verdicts[i].str()));
    return fmt::format("numgen random mod {} vmap {{ {} }}", n.verdicts.size(), join(parts, ", "));
  }
};

const char* hook_name(Hook h) {
  switch (h) {
    case Hook::prerouting:
      return "prerouting";
    case Hook::input:
      return "input";
    case Hook::forward:
      return "forward";
    case Hook::output:
      return "output";
    case Hook::postrouting:
      return "postrouting";
  }
  return "?";
}

}  // namespace

Result<KeyPart> KeyPart::addr(const std::string& text) {
  return parse_ip(text, nullptr);
}

Result<KeyPart> KeyPart::addr_range(const std::string& lo, const std::string& hi) {
  auto a = parse_ip(lo, nullptr);
  if (!a) return a.error();
  auto b = parse_ip(hi, nullptr);
  if (!b) return b.error();
  if (a->type != b->type || a->lo > b->hi)
    return make_error(Errc::invalid, fmt::format("bad address range {}-{}", lo, hi));
  KeyPart k = *a;
  k.hi = b->hi;
  return k;
}

KeyPart KeyPart::proto(uint8_t p) {
  return {KeyType::inet_proto, {p}, {p}};
}

KeyPart KeyPart::port(uint16_t p) {
  return port_range(p, p);
}

KeyPart KeyPart::port_range(uint16_t lo, uint16_t hi) {
  return {KeyType::inet_service, be_bytes(lo, 2), be_bytes(hi, 2)};
}

KeyPart KeyPart::ifname(const std::string& name) {
  Bytes b(16, 0);
  std::copy_n(name.begin(), std::min<std::size_t>(name.size(), 15), b.begin());
  return {KeyType::ifname, b, b};
}

// meta mark loads the mark in host byte order, so set elements hold it that way too.
KeyPart KeyPart::mark(uint32_t m) {
  Bytes b(4);
  std::memcpy(b.data(), &m, 4);
  return {KeyType::mark, b, b};
}

std::string KeyPart::str() const {
  switch (type) {
    case KeyType::ipv4_addr:
    case KeyType::ipv6_addr: {
      if (lo == hi) return ip_str(lo);
      if (int p = cidr_len(lo, hi); p >= 0) return fmt::format("{}/{}", ip_str(lo), p);
      return ip_str(lo) + "-" + ip_str(hi);
    }
    case KeyType::inet_proto:
      return proto_name(lo[0]);
    case KeyType::inet_service: {
      auto a = from_be(lo), b = from_be(hi);
      return a == b ? std::to_string(a) : fmt::format("{}-{}", a, b);
    }
    case KeyType::ifname:
      return "\"" + std::string(reinterpret_cast<const char*>(lo.data()), strnlen_bytes(lo)) + "\"";
    case KeyType::mark: {
      uint32_t m = 0;
      std::memcpy(&m, lo.data(), 4);
      return fmt::format("0x{:08x}", m);
    }
  }
  return "?";
}

std::string Verdict::str() const {
  switch (kind) {
    case VerdictKind::accept:
      return "accept";
    case VerdictKind::drop:
      return "drop";
    case VerdictKind::return_:
      return "return";
    case VerdictKind::continue_:
      return "continue";
    case VerdictKind::jump:
      return "jump " + chain;
    case VerdictKind::goto_:
      return "goto " + chain;
  }
  return "?";
}

const Chain* Table::chain(const std::string& n) const {
  for (const auto& c : chains)
    if (c.name == n) return &c;
  return nullptr;
}
const Set* Table::set(const std::string& n) const {
  for (const auto& s : sets)
    if (s.name == n) return &s;
  return nullptr;
}
Chain* Table::chain(const std::string& n) {
  return const_cast<Chain*>(static_cast<const Table*>(this)->chain(n));
}
Set* Table::set(const std::string& n) {
  return const_cast<Set*>(static_cast<const Table*>(this)->set(n));
}

std::string family_name(Family f) {
  switch (f) {
    case Family::inet:
      return "inet";
    case Family::ip:
      return "ip";
    case Family::ip6:
      return "ip6";
  }
  return "?";
}

std::string dump(const Rule& r) {
  std::vector<std::string> parts;
  for (const auto& m : r.match) parts.push_back(std::visit(MatchPrinter{}, m));
  for (const auto& s : r.stmt) parts.push_back(std::visit(StmtPrinter{}, s));
  return join(parts, " ");
}

std::string dump(const Table& t) {
  std::string out = fmt::format("table {} {} {{\n", family_name(t.family), t.name);
  for (const auto& s : t.sets) {
    std::vector<std::string> types;
    for (auto k : s.key) types.push_back(key_type_name(k));
    out += fmt::format("\t{} {} {{\n\t\ttype {}{}\n", s.vmap ? "map" : "set", s.name,
                       join(types, " . "), s.vmap ? " : verdict" : "");
    if (s.interval) out += "\t\tflags interval\n";
    if (!s.elements.empty()) {
      std::vector<std::string> elems;
      for (const auto& e : s.elements) {
        std::vector<std::string> parts;
        for (const auto& k : e.key) parts.push_back(k.str());
        elems.push_back(join(parts, " . ") + (e.verdict ? " : " + e.verdict->str() : ""));
      }
      out += "\t\telements = { " + join(elems, ",\n\t\t\t     ") + " }\n";
    }
    out += "\t}\n";
  }
  for (const auto& c : t.chains) {
    out += fmt::format("\tchain {} {{\n", c.name);
    if (c.base)
      out +=
          fmt::format("\t\ttype {} hook {} priority {}; policy {};\n",
                      c.base->type == ChainType::filter ? "filter" : "nat", hook_name(c.base->hook),
                      c.base->priority, c.base->policy_drop ? "drop" : "accept");
    for (const auto& r : c.rules) out += "\t\t" + dump(r) + "\n";
    out += "\t}\n";
  }
  return out + "}\n";
}

namespace {

Status invalid(std::string msg) {
  return make_error(Errc::invalid, std::move(msg));
}

Status check_values(const Table& t, const Values& v, KeyType want, const std::string& where) {
  if (!v.set.empty()) {
    const Set* s = t.set(v.set);
    if (!s) return invalid(fmt::format("{}: no set @{}", where, v.set));
    if (s->vmap || s->key.size() != 1 || s->key[0] != want)
      return invalid(fmt::format("{}: set @{} has the wrong key type", where, v.set));
    return ok_status();
  }
  if (v.literal.empty()) return invalid(where + ": no values");
  for (const auto& k : v.literal)
    if (k.type != want)
      return invalid(fmt::format("{}: value {} has the wrong type", where, k.str()));
  return ok_status();
}

}  // namespace

Status validate(const Table& t) {
  if (t.name.empty() || t.name.size() > 255) return invalid("table name empty or too long");
  std::set<std::string> names;
  for (const auto& s : t.sets) {
    if (s.name.empty() || s.name.size() > 255 || s.name.starts_with("__"))
      return invalid(fmt::format("set name '{}' is empty, too long or reserved", s.name));
    if (!names.insert("set " + s.name).second) return invalid("duplicate set " + s.name);
    if (s.key.empty()) return invalid("set " + s.name + " has no key type");
    for (const auto& e : s.elements) {
      if (e.key.size() != s.key.size())
        return invalid(fmt::format("set {}: element has {} parts, key has {}", s.name, e.key.size(),
                                   s.key.size()));
      for (std::size_t i = 0; i < e.key.size(); ++i) {
        if (e.key[i].type != s.key[i])
          return invalid(
              fmt::format("set {}: element part {} has the wrong type", s.name, e.key[i].str()));
        if (!s.interval && !e.key[i].single())
          return invalid(
              fmt::format("set {}: range {} needs flags interval", s.name, e.key[i].str()));
      }
      if (s.vmap != e.verdict.has_value())
        return invalid(fmt::format("set {}: verdicts belong in maps only", s.name));
      if (e.verdict &&
          (e.verdict->kind == VerdictKind::jump || e.verdict->kind == VerdictKind::goto_)) {
        const Chain* c = t.chain(e.verdict->chain);
        if (!c || c->base)
          return invalid(
              fmt::format("map {}: {} targets no regular chain", s.name, e.verdict->str()));
      }
    }
  }
  for (const auto& c : t.chains) {
    if (c.name.empty() || c.name.size() > 255)
      return invalid(fmt::format("chain name '{}' is empty or too long", c.name));
    if (!names.insert("chain " + c.name).second) return invalid("duplicate chain " + c.name);
    if (c.base && c.base->type == ChainType::nat && (c.base->hook == Hook::forward))
      return invalid("chain " + c.name + ": nat chains cannot hook forward");
    for (std::size_t i = 0; i < c.rules.size(); ++i) {
      const Rule& r = c.rules[i];
      const std::string where = fmt::format("chain {} rule {} ({})", c.name, i, dump(r));
      for (const auto& m : r.match) {
        Status st = ok_status();
        if (auto* a = std::get_if<AddrMatch>(&m))
          st = check_values(t, a->values,
                            a->version == IpVersion::v4 ? KeyType::ipv4_addr : KeyType::ipv6_addr,
                            where);
        else if (auto* p = std::get_if<PortMatch>(&m))
          st = check_values(t, p->values, KeyType::inet_service, where);
        else if (auto* n = std::get_if<AddrProtoPortMatch>(&m)) {
          const Set* s = t.set(n->set);
          const KeyType at = n->version == IpVersion::v4 ? KeyType::ipv4_addr : KeyType::ipv6_addr;
          if (!s || s->vmap ||
              s->key != std::vector<KeyType>{at, KeyType::inet_proto, KeyType::inet_service})
            st = invalid(where + ": needs a set of addr . inet_proto . inet_service @" + n->set);
        } else if (auto* l = std::get_if<L4ProtoMatch>(&m)) {
          if (l->protos.empty()) st = invalid(where + ": no protocols");
        } else if (auto* f = std::get_if<IfNameMatch>(&m)) {
          if (f->name.empty() || f->name.size() > 15) st = invalid(where + ": bad interface name");
        }
        if (!st) return st;
      }
      for (std::size_t j = 0; j < r.stmt.size(); ++j) {
        const auto& s = r.stmt[j];
        const bool terminal =
            std::holds_alternative<Verdict>(s) || std::holds_alternative<VmapLookup>(s) ||
            std::holds_alternative<NumgenVmap>(s) || std::holds_alternative<Reject>(s);
        if (terminal && j + 1 != r.stmt.size())
          return invalid(where + ": a verdict must be the last statement");
        if (auto* v = std::get_if<Verdict>(&s);
            v && (v->kind == VerdictKind::jump || v->kind == VerdictKind::goto_)) {
          const Chain* target = t.chain(v->chain);
          if (!target || target->base)
            return invalid(where + ": " + v->str() + " targets no regular chain");
        }
        if (auto* vm = std::get_if<VmapLookup>(&s)) {
          const Set* m = t.set(vm->map);
          if (!m || !m->vmap || m->key != std::vector<KeyType>{KeyType::ifname})
            return invalid(where + ": no ifname verdict map @" + vm->map);
        }
        if (auto* ng = std::get_if<NumgenVmap>(&s)) {
          if (ng->verdicts.empty()) return invalid(where + ": numgen over no verdicts");
          for (const auto& v : ng->verdicts)
            if (v.kind == VerdictKind::jump || v.kind == VerdictKind::goto_) {
              const Chain* target = t.chain(v.chain);
              if (!target || target->base)
                return invalid(where + ": " + v.str() + " targets no regular chain");
            }
        }
        if (auto* dn = std::get_if<Dnat>(&s)) {
          auto a = KeyPart::addr(dn->addr);
          if (!a || !a->single()) return invalid(where + ": bad dnat address " + dn->addr);
          if (c.base && c.base->type != ChainType::nat)
            return invalid(where + ": NAT in a filter base chain");
        }
        // The kernel refuses reject on prerouting / postrouting hooks (validated at commit,
        // with a bare EOPNOTSUPP); say which rule.
        if (std::holds_alternative<Reject>(s) && c.base &&
            (c.base->hook == Hook::prerouting || c.base->hook == Hook::postrouting))
          return invalid(where + ": reject outside the input/forward/output hooks");
        if (auto* sn = std::get_if<Snat>(&s)) {
          auto a = KeyPart::addr(sn->addr);
          if (!a || !a->single()) return invalid(where + ": bad snat address " + sn->addr);
        }
        // notrack elsewhere would be accepted by the kernel and silently do nothing.
        if (std::holds_alternative<Notrack>(s) &&
            (!c.base || c.base->priority > -200 ||
             (c.base->hook != Hook::prerouting && c.base->hook != Hook::output)))
          return invalid(where + ": notrack outside a prerouting/output chain before conntrack");
        if ((std::holds_alternative<Masquerade>(s) || std::holds_alternative<Snat>(s)) && c.base &&
            c.base->type != ChainType::nat)
          return invalid(where + ": NAT in a filter base chain");
      }
    }
  }
  return ok_status();
}

std::vector<Element> normalized_elements(const Set& s) {
  std::vector<Element> v = s.elements;
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  if (!s.interval || s.key.size() != 1 || s.vmap) return v;
  std::vector<Element> out;
  for (auto& e : v) {
    if (!out.empty()) {
      KeyPart& last = out.back().key[0];
      Bytes next = last.hi;
      const bool wrapped = increment(next);
      if (wrapped || e.key[0].lo <= next) {  // overlapping or adjacent
        if (e.key[0].hi > last.hi) last.hi = e.key[0].hi;
        continue;
      }
    }
    out.push_back(std::move(e));
  }
  return out;
}

void apply_delta(Table& t, const TableDelta& d) {
  auto put = [](auto& list, const auto& item) {
    for (auto& x : list)
      if (x.name == item.name) {
        x = item;
        return;
      }
    list.push_back(item);
  };
  for (const auto& s : d.sets_put) put(t.sets, s);
  for (const auto& c : d.chains_put) put(t.chains, c);
  auto gone = [](const std::vector<std::string>& names) {
    return [&names](const auto& x) {
      return std::find(names.begin(), names.end(), x.name) != names.end();
    };
  };
  if (!d.sets_removed.empty()) std::erase_if(t.sets, gone(d.sets_removed));
  if (!d.chains_removed.empty()) std::erase_if(t.chains, gone(d.chains_removed));
}

Table sorted(Table t) {
  auto by_name = [](const auto& a, const auto& b) { return a.name < b.name; };
  std::sort(t.sets.begin(), t.sets.end(), by_name);
  std::sort(t.chains.begin(), t.chains.end(), by_name);
  return t;
}

}  // namespace podnet::policy::nft
