// The nftables IR: a structured description of one nftables table (chains, sets, verdict maps,
// rules made of typed matches and statements), as the policy compiler and the NAT builder produce
// it and the programmer (nft_programmer.hpp) applies it. Nothing here is nft text: rules are
// values that compare with ==, so the programmer can diff the desired table against what it last
// applied and touch only what changed. dump() renders an `nft list`-like text for tests and logs.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "conf/result.hpp"

namespace podnet::policy::nft {

using Bytes = std::vector<uint8_t>;

enum class Family { inet, ip, ip6 };
enum class IpVersion { v4, v6 };

// ---- values ----------------------------------------------------------------------------------

// Element key / match value types. The order of the enumerators is not significant.
enum class KeyType { ipv4_addr, ipv6_addr, inet_proto, inet_service, ifname, mark };

// Width of a key type in bytes as the kernel compares it (ifname: IFNAMSIZ).
std::size_t key_width(KeyType t);

// One component of a set element or a match value: an inclusive range [lo, hi] of big-endian
// bytes of the type's width (lo == hi for a single value). Built with the factories below, which
// is the only place where text is parsed.
struct KeyPart {
  KeyType type = KeyType::inet_service;
  Bytes lo, hi;

  static Result<KeyPart> addr(const std::string& text);  // "10.0.0.1", "10.0.0.0/24", "fd00::/64"
  static Result<KeyPart> addr_range(const std::string& lo, const std::string& hi);
  static KeyPart proto(uint8_t p);
  static KeyPart port(uint16_t p);
  static KeyPart port_range(uint16_t lo, uint16_t hi);
  static KeyPart ifname(const std::string& name);
  static KeyPart mark(uint32_t m);

  bool single() const { return lo == hi; }
  std::string str() const;  // "10.0.0.0/24", "10.0.0.1-10.0.0.9", "80-90", "tcp", "\"cali1\""
  friend bool operator==(const KeyPart&, const KeyPart&) = default;
  friend auto operator<=>(const KeyPart&, const KeyPart&) = default;
};

enum class VerdictKind { accept, drop, return_, jump, goto_, continue_ };
struct Verdict {
  VerdictKind kind = VerdictKind::accept;
  std::string chain;  // jump / goto only

  static Verdict accept() { return {VerdictKind::accept, {}}; }
  static Verdict drop() { return {VerdictKind::drop, {}}; }
  static Verdict ret() { return {VerdictKind::return_, {}}; }
  static Verdict jump(std::string c) { return {VerdictKind::jump, std::move(c)}; }
  static Verdict goto_(std::string c) { return {VerdictKind::goto_, std::move(c)}; }
  std::string str() const;
  friend bool operator==(const Verdict&, const Verdict&) = default;
  friend auto operator<=>(const Verdict&, const Verdict&) = default;
};

// ---- sets and maps ---------------------------------------------------------------------------

struct Element {
  std::vector<KeyPart> key;        // one part, or one per component of a concatenation
  std::optional<Verdict> verdict;  // verdict maps only
  friend bool operator==(const Element&, const Element&) = default;
  friend auto operator<=>(const Element&, const Element&) = default;
};

// A named set, or a verdict map when `vmap` is true. `key` has more than one type for a
// concatenation (ipv4_addr . inet_proto . inet_service for named ports). `interval` allows
// ranges / CIDRs in elements; the programmer merges overlapping and adjacent ranges.
struct Set {
  std::string name;
  std::vector<KeyType> key;
  bool interval = false;
  bool vmap = false;
  std::vector<Element> elements;
  friend bool operator==(const Set&, const Set&) = default;
};

// ---- rules -----------------------------------------------------------------------------------

enum class Dir { in, out };  // iifname / oifname
enum class AddrField { saddr, daddr };
enum class PortField { sport, dport };

// Where a match takes its comparison values from: literal values (one value → cmp or range; more
// → an anonymous set) or a named set ("@name").
struct Values {
  std::vector<KeyPart> literal;
  std::string set;  // non-empty: lookup in this named set
  friend bool operator==(const Values&, const Values&) = default;
};

// iifname / oifname == name; a trailing '*' matches a prefix ("cali*").
struct IfNameMatch {
  Dir dir = Dir::in;
  std::string name;
  bool negate = false;
  friend bool operator==(const IfNameMatch&, const IfNameMatch&) = default;
};
// ip/ip6 saddr/daddr == cidr | in {…} | @set; negate gives != / not in.
struct AddrMatch {
  IpVersion version = IpVersion::v4;
  AddrField field = AddrField::saddr;
  Values values;
  bool negate = false;
  friend bool operator==(const AddrMatch&, const AddrMatch&) = default;
};
// meta l4proto == p | in {…}
struct L4ProtoMatch {
  std::vector<uint8_t> protos;
  bool negate = false;
  friend bool operator==(const L4ProtoMatch&, const L4ProtoMatch&) = default;
};
// th sport/dport == port | range | in {…} | @set (needs an l4proto match before it).
struct PortMatch {
  PortField field = PortField::dport;
  Values values;
  bool negate = false;
  friend bool operator==(const PortMatch&, const PortMatch&) = default;
};
// icmp / icmpv6 type (and code); implies meta l4proto icmp / ipv6-icmp.
struct IcmpMatch {
  IpVersion version = IpVersion::v4;
  std::optional<uint8_t> type;
  std::optional<uint8_t> code;
  bool negate = false;  // negates the type/code comparison, not the protocol
  friend bool operator==(const IcmpMatch&, const IcmpMatch&) = default;
};
// ct state bits (any of them set); negate: none of them set.
namespace ct {
inline constexpr uint32_t invalid = 1, established = 2, related = 4, new_ = 8, untracked = 64;
}
struct CtStateMatch {
  uint32_t states = 0;
  bool negate = false;
  friend bool operator==(const CtStateMatch&, const CtStateMatch&) = default;
};
// meta mark & mask == value (negate: !=).
struct MarkMatch {
  uint32_t mask = 0xffffffff;
  uint32_t value = 0;
  bool negate = false;
  friend bool operator==(const MarkMatch&, const MarkMatch&) = default;
};
// ip daddr . meta l4proto . th dport @set (named ports), saddr / sport for the source side.
struct AddrProtoPortMatch {
  IpVersion version = IpVersion::v4;
  AddrField addr = AddrField::daddr;
  PortField port = PortField::dport;
  std::string set;
  bool negate = false;
  friend bool operator==(const AddrProtoPortMatch&, const AddrProtoPortMatch&) = default;
};

// fib saddr|daddr type <t>: the address's route type in this namespace's tables (RTN_* values).
// `fib daddr type local` is "addressed to this node", whatever interface the address is on.
enum class AddrType : uint32_t { unicast = 1, local = 2, broadcast = 3, multicast = 5 };
struct FibAddrTypeMatch {
  AddrField field = AddrField::daddr;
  AddrType type = AddrType::local;
  bool negate = false;
  friend bool operator==(const FibAddrTypeMatch&, const FibAddrTypeMatch&) = default;
};

using Match = std::variant<IfNameMatch, AddrMatch, L4ProtoMatch, PortMatch, IcmpMatch, CtStateMatch,
                           MarkMatch, AddrProtoPortMatch, FibAddrTypeMatch>;

struct Counter {
  friend bool operator==(const Counter&, const Counter&) = default;
};
struct Log {
  std::string prefix;
  friend bool operator==(const Log&, const Log&) = default;
};
// meta mark set (mark & ~clear) | set — Calico's accept/pass marks: set=0x10000; clear=0x30000.
struct SetMark {
  uint32_t clear = 0;
  uint32_t set = 0;
  friend bool operator==(const SetMark&, const SetMark&) = default;
};
struct Masquerade {
  friend bool operator==(const Masquerade&, const Masquerade&) = default;
};
struct Snat {
  std::string addr;  // "192.0.2.1" or "2001:db8::1"
  friend bool operator==(const Snat&, const Snat&) = default;
};
// notrack: the packet skips connection tracking. Only effective before conntrack (hook
// prerouting / output at a priority below -200, i.e. "raw" -300).
struct Notrack {
  friend bool operator==(const Notrack&, const Notrack&) = default;
};
// iifname / oifname vmap @map: the map's verdict is the rule's verdict.
struct VmapLookup {
  Dir dir = Dir::in;
  std::string map;
  friend bool operator==(const VmapLookup&, const VmapLookup&) = default;
};
// dnat to addr[:port] (nat chains): Kubernetes service -> endpoint. port 0 keeps the port.
struct Dnat {
  std::string addr;  // "10.0.0.1" or "fd00::1"
  uint16_t port = 0;
  friend bool operator==(const Dnat&, const Dnat&) = default;
};
// reject: a TCP reset, or ICMP(v6) port unreachable. The kernel takes it only in chains on the
// input / forward / output hooks (and chains entered from them); it ends the packet.
struct Reject {
  bool tcp_reset = false;
  friend bool operator==(const Reject&, const Reject&) = default;
};
// numgen random mod N vmap { 0 : v[0], ..., N-1 : v[N-1] } (N = verdicts.size()): one of the
// verdicts, uniformly at random per new connection. An anonymous map owned by the rule.
struct NumgenVmap {
  std::vector<Verdict> verdicts;
  friend bool operator==(const NumgenVmap&, const NumgenVmap&) = default;
};

using Statement = std::variant<Counter, Log, SetMark, Masquerade, Snat, VmapLookup, Verdict,
                               Notrack, Dnat, Reject, NumgenVmap>;

struct Rule {
  std::vector<Match> match;     // all must hold
  std::vector<Statement> stmt;  // run in order; a Verdict, if any, must be last
  friend bool operator==(const Rule&, const Rule&) = default;
};

// ---- chains and the table --------------------------------------------------------------------

enum class ChainType { filter, nat };
enum class Hook { prerouting, input, forward, output, postrouting };

struct BaseChain {
  ChainType type = ChainType::filter;
  Hook hook = Hook::forward;
  int32_t priority = 0;
  bool policy_drop = false;  // default policy accept
  friend bool operator==(const BaseChain&, const BaseChain&) = default;
};

struct Chain {
  std::string name;
  std::optional<BaseChain> base;  // absent: a regular chain, entered by jump/goto/vmap
  std::vector<Rule> rules;
  friend bool operator==(const Chain&, const Chain&) = default;
};

struct Table {
  Family family = Family::inet;
  std::string name;
  std::vector<Set> sets;  // sets and verdict maps
  std::vector<Chain> chains;
  friend bool operator==(const Table&, const Table&) = default;

  const Chain* chain(const std::string& n) const;
  const Set* set(const std::string& n) const;
  Chain* chain(const std::string& n);
  Set* set(const std::string& n);
};

// A change to a table by name: sets / chains put (added, or replacing the one of that name, with
// their whole contents) and removed. Incremental callers build it from what they know changed,
// so nobody has to diff whole tables.
struct TableDelta {
  std::vector<Set> sets_put;
  std::vector<std::string> sets_removed;
  std::vector<Chain> chains_put;
  std::vector<std::string> chains_removed;
  bool empty() const {
    return sets_put.empty() && sets_removed.empty() && chains_put.empty() && chains_removed.empty();
  }
};
// Applies a delta to a table value (put replaces in place or appends; removals erase).
void apply_delta(Table& t, const TableDelta& d);
// The table with its sets and chains sorted by name: equal content, equal value.
Table sorted(Table t);

// `nft list table`-like text (deterministic; elements in the order given).
std::string dump(const Table& t);
std::string dump(const Rule& r);
std::string family_name(Family f);

// Checks what the kernel would otherwise reject with a less precise error: jump/goto targets and
// set references exist, element shapes match their set's key, a verdict is last, names fit.
Status validate(const Table& t);

// Interval sets: sorts elements and merges overlapping or adjacent ranges (the kernel rejects
// overlaps). Non-interval sets: sorts and de-duplicates.
std::vector<Element> normalized_elements(const Set& s);

}  // namespace podnet::policy::nft
