#include "bgp/route_filter.hpp"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

namespace podnet::bgp {

namespace {

// Calico's priority <-> LOCAL_PREF mapping (confd: krt_metric = 2147483647 - bgp_local_pref).
constexpr uint32_t kPriorityBase = 2147483647u;
constexpr uint32_t kDefaultPriority = 1024;

uint32_t priority_of(const rib::PathAttributes& a) {
  return a.local_pref ? kPriorityBase - std::min(*a.local_pref, kPriorityBase) : kDefaultPriority;
}

std::optional<uint64_t> parse_number(std::string_view s) {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

bool cidr_matches(const FilterRule& r, const rib::Prefix& p) {
  if (!r.cidr) return true;
  if (r.cidr->family() != p.family()) return false;
  switch (r.op) {
    case MatchOp::equal:
      return p == *r.cidr;
    case MatchOp::not_equal:
      return p != *r.cidr;
    case MatchOp::in:
    case MatchOp::not_in: {
      const bool in =
          r.cidr->contains(p) && p.length() >= r.min_length && p.length() <= r.max_length;
      return r.op == MatchOp::in ? in : !in;
    }
  }
  return false;
}

bool as_path_starts_with(const rib::PathAttributes& a, const std::vector<uint32_t>& prefix) {
  if (prefix.empty()) return true;
  if (!a.as_path) return false;
  // BIRD's `bgp_path ~ [= a b * =]` walks the path as a flat list of ASNs.
  std::vector<uint32_t> flat;
  for (const auto& s : a.as_path->segments) flat.insert(flat.end(), s.asns.begin(), s.asns.end());
  return flat.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), flat.begin());
}

bool matches(const FilterRule& r, const rib::Prefix& p, const rib::PathAttributes& a,
             const RouteContext& ctx) {
  if (r.ibgp_peer && *r.ibgp_peer != ctx.ibgp_peer) return false;
  if (!cidr_matches(r, p)) return false;
  if (r.remote_peers_only && !ctx.from_bgp) return false;
  if (!r.interface.empty()) return false;  // no route in podnetd's RIB has an interface
  if (r.community && !has_community(a, *r.community)) return false;
  if (!as_path_starts_with(a, r.as_path_prefix)) return false;
  if (r.priority && *r.priority != priority_of(a)) return false;
  return true;
}

void prepend(rib::PathAttributes& a, const std::vector<uint32_t>& asns) {
  if (!a.as_path) a.as_path = rib::AsPath{};
  auto& segs = a.as_path->segments;
  if (segs.empty() || segs.front().type != rib::AsSegmentType::as_sequence ||
      segs.front().asns.size() + asns.size() > 255) {
    segs.insert(segs.begin(), rib::AsPathSegment{rib::AsSegmentType::as_sequence, {}});
  }
  auto& front = segs.front().asns;
  front.insert(front.begin(), asns.begin(), asns.end());
}

void apply(const FilterOperation& op, rib::PathAttributes& a) {
  switch (op.kind) {
    case FilterOperation::Kind::add_community:
      add_community(a, op.community);
      break;
    case FilterOperation::Kind::prepend_as_path:
      prepend(a, op.asns);
      break;
    case FilterOperation::Kind::set_priority:
      a.local_pref = kPriorityBase - std::min(op.priority, kPriorityBase);
      break;
  }
}

const std::vector<FilterRule>& rules_of(const RouteFilter& f, bool import, rib::Family fam) {
  if (fam == rib::Family::v4) return import ? f.import_v4 : f.export_v4;
  return import ? f.import_v6 : f.export_v6;
}

std::string rule_text(const FilterRule& r) {
  std::string s = r.accept ? "A" : "R";
  if (r.cidr)
    s += fmt::format(" {}{}{{{},{}}}", static_cast<int>(r.op), r.cidr->to_string(), r.min_length,
                     r.max_length);
  if (r.remote_peers_only) s += " rp";
  if (!r.interface.empty()) s += " if=" + r.interface;
  if (r.ibgp_peer) s += *r.ibgp_peer ? " ibgp" : " ebgp";
  if (r.community) s += " c=" + r.community->to_string();
  if (!r.as_path_prefix.empty()) s += fmt::format(" asp={}", fmt::join(r.as_path_prefix, ","));
  if (r.priority) s += fmt::format(" pri={}", *r.priority);
  for (const auto& op : r.operations) {
    switch (op.kind) {
      case FilterOperation::Kind::add_community:
        s += " +c=" + op.community.to_string();
        break;
      case FilterOperation::Kind::prepend_as_path:
        s += fmt::format(" +p={}", fmt::join(op.asns, ","));
        break;
      case FilterOperation::Kind::set_priority:
        s += fmt::format(" +pri={}", op.priority);
        break;
    }
  }
  return s;
}

std::string rules_text(const std::vector<FilterRule>& rules) {
  std::string s;
  for (const auto& r : rules) s += "[" + rule_text(r) + "]";
  return s;
}

Result<std::vector<uint32_t>> asns_of(const std::vector<int64_t>& in, const std::string& what) {
  std::vector<uint32_t> out;
  for (int64_t v : in) {
    if (v < 0 || v > 0xFFFFFFFFll) return make_error(Errc::invalid, what + ": bad AS number");
    out.push_back(static_cast<uint32_t>(v));
  }
  return out;
}

Result<FilterRule> compile_rule(const conf::types::BGPFilterRule& in, rib::Family fam,
                                const std::string& where) {
  FilterRule r;
  if (in.action == "Accept") {
    r.accept = true;
  } else if (in.action != "Reject") {
    return make_error(Errc::invalid, where + ": action must be Accept or Reject");
  }
  if (!in.cidr.empty()) {
    auto c = rib::Prefix::parse(in.cidr);
    if (!c || c->family() != fam)
      return make_error(Errc::invalid, where + ": bad cidr \"" + in.cidr + "\"");
    r.cidr = *c;
    if (in.match_operator == "In" || in.match_operator.empty()) {
      r.op = MatchOp::in;
    } else if (in.match_operator == "NotIn") {
      r.op = MatchOp::not_in;
    } else if (in.match_operator == "Equal") {
      r.op = MatchOp::equal;
    } else if (in.match_operator == "NotEqual") {
      r.op = MatchOp::not_equal;
    } else {
      return make_error(Errc::invalid, where + ": bad matchOperator \"" + in.match_operator + "\"");
    }
    // filterMatchPrefixLength: min defaults to (and never goes below) the cidr's length, max to
    // the family's; both are clamped the same way.
    const int64_t fam_max = rib::max_length(fam);
    int64_t lo = c->length(), hi = fam_max;
    if (in.prefix_length_min) lo = std::max(lo, *in.prefix_length_min);
    if (in.prefix_length_max) hi = std::min(hi, *in.prefix_length_max);
    if ((in.prefix_length_min && (*in.prefix_length_min < 0 || *in.prefix_length_min > fam_max)) ||
        (in.prefix_length_max && (*in.prefix_length_max < 0 || *in.prefix_length_max > fam_max)))
      return make_error(Errc::invalid, where + ": prefixLength out of range");
    r.min_length = static_cast<uint8_t>(lo);
    r.max_length = static_cast<uint8_t>(hi);  // below min_length: an In that matches nothing
  }
  if (!in.source.empty()) {
    if (in.source != "RemotePeers")
      return make_error(Errc::invalid, where + ": source must be RemotePeers");
    r.remote_peers_only = true;
  }
  r.interface = in.interface;
  if (!in.peer_type.empty()) {
    if (in.peer_type != "iBGP" && in.peer_type != "eBGP")
      return make_error(Errc::invalid, where + ": peerType must be eBGP or iBGP");
    r.ibgp_peer = in.peer_type == "iBGP";
  }
  if (!in.communities.empty()) {
    if (in.communities.size() != 1)
      return make_error(Errc::invalid, where + ": communities takes exactly one value");
    auto c = parse_community(in.communities.front());
    if (!c) return make_error(Errc::invalid, where + ": " + c.error().message);
    r.community = *c;
  }
  auto asp = asns_of(in.as_path_prefix, where);
  if (!asp) return asp.error();
  r.as_path_prefix = std::move(*asp);
  if (in.priority) {
    if (*in.priority < 1 || *in.priority > 2147483646)
      return make_error(Errc::invalid, where + ": priority out of range");
    r.priority = static_cast<uint32_t>(*in.priority);
  }
  if (!in.operations.empty() && !r.accept)
    return make_error(Errc::invalid, where + ": operations are only valid with Accept");
  for (const auto& o : in.operations) {
    FilterOperation op;
    const int set =
        (o.add_community ? 1 : 0) + (o.prepend_as_path.empty() ? 0 : 1) + (o.set_priority ? 1 : 0);
    if (set != 1) return make_error(Errc::invalid, where + ": an operation sets exactly one field");
    if (o.add_community) {
      auto c = parse_community(*o.add_community);
      if (!c) return make_error(Errc::invalid, where + ": " + c.error().message);
      op.kind = FilterOperation::Kind::add_community;
      op.community = *c;
    } else if (!o.prepend_as_path.empty()) {
      auto a = asns_of(o.prepend_as_path, where);
      if (!a) return a.error();
      op.kind = FilterOperation::Kind::prepend_as_path;
      op.asns = std::move(*a);
    } else {
      if (*o.set_priority < 1 || *o.set_priority > 2147483646)
        return make_error(Errc::invalid, where + ": setPriority out of range");
      op.kind = FilterOperation::Kind::set_priority;
      op.priority = static_cast<uint32_t>(*o.set_priority);
    }
    r.operations.push_back(std::move(op));
  }
  return r;
}

}  // namespace

std::string CommunityValue::to_string() const {
  if (large)
    return fmt::format("{}:{}:{}", large_value.global_admin, large_value.local1,
                       large_value.local2);
  return fmt::format("{}:{}", standard >> 16, standard & 0xffff);
}

Result<CommunityValue> parse_community(std::string_view s) {
  std::vector<uint64_t> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t colon = s.find(':', start);
    auto n =
        parse_number(s.substr(start, colon == std::string_view::npos ? s.npos : colon - start));
    if (!n) break;
    parts.push_back(*n);
    if (colon == std::string_view::npos) {
      CommunityValue c;
      if (parts.size() == 2 && parts[0] <= 0xffff && parts[1] <= 0xffff) {
        c.standard = static_cast<uint32_t>((parts[0] << 16) | parts[1]);
        return c;
      }
      if (parts.size() == 3 && parts[0] <= 0xFFFFFFFFull && parts[1] <= 0xFFFFFFFFull &&
          parts[2] <= 0xFFFFFFFFull) {
        c.large = true;
        c.large_value = {static_cast<uint32_t>(parts[0]), static_cast<uint32_t>(parts[1]),
                         static_cast<uint32_t>(parts[2])};
        return c;
      }
      break;
    }
    start = colon + 1;
  }
  return make_error(Errc::invalid, fmt::format("bad community \"{}\" (want aa:nn or aa:nn:mm)", s));
}

bool has_community(const rib::PathAttributes& a, const CommunityValue& c) {
  if (c.large)
    return std::find(a.large_communities.begin(), a.large_communities.end(), c.large_value) !=
           a.large_communities.end();
  return std::find(a.communities.begin(), a.communities.end(), c.standard) != a.communities.end();
}

void add_community(rib::PathAttributes& a, const CommunityValue& c) {
  if (has_community(a, c)) return;
  if (c.large) {
    a.large_communities.push_back(c.large_value);
  } else {
    a.communities.push_back(c.standard);
  }
}

bool RoutePolicy::has_import() const {
  return std::any_of(filters.begin(), filters.end(), [](const RouteFilter& f) {
    return !f.import_v4.empty() || !f.import_v6.empty();
  });
}

std::string RoutePolicy::export_key() const {
  std::string s;
  for (const auto& f : filters) {
    if (f.export_v4.empty() && f.export_v6.empty()) continue;
    s += " f4=" + rules_text(f.export_v4) + " f6=" + rules_text(f.export_v6);
  }
  for (const auto& pc : prefix_communities) {
    s += " pa=" + pc.cidr.to_string();
    for (const auto& c : pc.communities) s += "," + c.to_string();
  }
  return s;
}

std::string RoutePolicy::import_key() const {
  std::string s;
  for (const auto& f : filters) {
    if (f.import_v4.empty() && f.import_v6.empty()) continue;
    s += " i4=" + rules_text(f.import_v4) + " i6=" + rules_text(f.import_v6);
  }
  return s;
}

Verdict run_filters(const RoutePolicy& policy, bool import, const rib::Prefix& prefix,
                    rib::PathAttributes& a, const RouteContext& ctx) {
  for (const auto& f : policy.filters) {
    for (const auto& r : rules_of(f, import, prefix.family())) {
      if (!matches(r, prefix, a, ctx)) continue;
      if (!r.accept) return Verdict::reject;
      for (const auto& op : r.operations) apply(op, a);
      return Verdict::accept;
    }
  }
  return Verdict::none;
}

void add_prefix_communities(const RoutePolicy& policy, const rib::Prefix& prefix,
                            rib::PathAttributes& a) {
  for (const auto& pc : policy.prefix_communities) {
    if (pc.cidr.family() != prefix.family() || !pc.cidr.contains(prefix)) continue;
    for (const auto& c : pc.communities) add_community(a, c);
  }
}

Result<RouteFilter> compile_filter(const conf::types::BGPFilter& f) {
  RouteFilter out;
  out.name = f.metadata.name;
  struct Part {
    const std::vector<conf::types::BGPFilterRule>& in;
    std::vector<FilterRule>& out;
    rib::Family fam;
    const char* what;
  };
  for (const Part& part : {Part{f.spec.export_v4, out.export_v4, rib::Family::v4, "exportV4"},
                           Part{f.spec.import_v4, out.import_v4, rib::Family::v4, "importV4"},
                           Part{f.spec.export_v6, out.export_v6, rib::Family::v6, "exportV6"},
                           Part{f.spec.import_v6, out.import_v6, rib::Family::v6, "importV6"}}) {
    for (std::size_t i = 0; i < part.in.size(); ++i) {
      auto r = compile_rule(part.in[i], part.fam,
                            fmt::format("BGPFilter {} {}[{}]", f.metadata.name, part.what, i));
      if (!r) return r.error();
      part.out.push_back(std::move(*r));
    }
  }
  return out;
}

Result<std::vector<PrefixCommunities>> compile_prefix_advertisements(
    const std::vector<conf::types::PrefixAdvertisement>& ads,
    const std::vector<conf::types::Community>& named) {
  std::vector<PrefixCommunities> out;
  for (const auto& ad : ads) {
    auto cidr = rib::Prefix::parse(ad.cidr);
    if (!cidr)
      return make_error(Errc::invalid, "prefixAdvertisements: bad cidr \"" + ad.cidr + "\"");
    PrefixCommunities pc{*cidr, {}};
    for (const auto& c : ad.communities) {
      std::string value = c;
      for (const auto& n : named) {
        if (n.name == c) value = n.value;
      }
      auto v = parse_community(value);
      if (!v)
        return make_error(Errc::invalid, fmt::format("prefixAdvertisements {}: community \"{}\" is "
                                                     "neither a defined name nor a value",
                                                     ad.cidr, c));
      pc.communities.push_back(*v);
    }
    out.push_back(std::move(pc));
  }
  return out;
}

}  // namespace podnet::bgp
