#include "conf/schema/common.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <map>

#include "conf/schema/checks.hpp"

namespace podnet::conf::schema {
namespace {

std::string quoted(const Json& v) {
  return "\"" + v.get<std::string>() + "\"";
}

Check cidr_check(int family, bool bare_ip) {
  return [family, bare_ip](const Json& v) -> std::string {
    auto c = parse_cidr(v.get<std::string>(), bare_ip);
    if (!c) return quoted(v) + " is not a valid CIDR";
    if (family && c->addr.family != family)
      return quoted(v) + fmt::format(" is not an IPv{} CIDR", family);
    return "";
  };
}

Check ip_check(int family) {
  return [family](const Json& v) -> std::string {
    auto a = parse_ip(v.get<std::string>());
    if (!a) return quoted(v) + " is not a valid IP address";
    if (family && a->family != family)
      return quoted(v) + fmt::format(" is not an IPv{} address", family);
    return "";
  };
}

Check wrap(std::string (*f)(std::string_view)) {
  return [f](const Json& v) -> std::string {
    auto e = f(v.get<std::string>());
    return e.empty() ? e : quoted(v) + ": " + e;
  };
}

}  // namespace

S cidr() {
  return str().check(cidr_check(0, true));
}
S cidr_v4() {
  return str().check(cidr_check(4, true));
}
S cidr_v6() {
  return str().check(cidr_check(6, true));
}
S strict_cidr() {
  return str().check(cidr_check(0, false));
}
S ip() {
  return str().check(ip_check(0));
}
S ipv4() {
  return str().check(ip_check(4));
}
S ipv6() {
  return str().check(ip_check(6));
}
S ip_or_cidr_v4() {
  return str().check(cidr_check(4, true));
}
S ip_or_cidr_v6() {
  return str().check(cidr_check(6, true));
}

S selector() {
  return str().check([](const Json& v) -> std::string {
    auto s = v.get<std::string>();
    if (s.find('\n') != std::string::npos) return "a selector must be on one line";
    if (s.size() > 65536) return "selector is too long";
    return "";
  });
}

S duration() {
  return str().check(wrap(check_duration));
}

S as_number() {
  return int_or_str()
      .check([](const Json& v) -> std::string {
        std::string s = v.is_string() ? v.get<std::string>() : v.dump();
        if (!parse_as_number(s))
          return fmt::format("{} is not an AS number (0-4294967295 or a.b)", s);
        return "";
      })
      .normalize([](const Json& v) -> Json {
        std::string s = v.is_string() ? v.get<std::string>() : v.dump();
        return static_cast<int64_t>(*parse_as_number(s));
      });
}

S port() {
  return int_or_str().check([](const Json& v) -> std::string {
    if (v.is_number_integer()) {
      auto p = v.get<int64_t>();
      return p >= 0 && p <= 65535 ? "" : fmt::format("port {} is out of range 0-65535", p);
    }
    auto s = v.get<std::string>();
    auto colon = s.find(':');
    if (colon != std::string::npos) {
      auto lo = std::atoll(s.substr(0, colon).c_str()),
           hi = std::atoll(s.substr(colon + 1).c_str());
      bool digits = !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
        return std::isdigit(static_cast<unsigned char>(c)) || c == ':';
      });
      if (!digits || colon == 0 || colon + 1 == s.size() ||
          s.find(':', colon + 1) != std::string::npos)
        return fmt::format("\"{}\" is not a port range lo:hi", s);
      if (lo > hi || hi > 65535)
        return fmt::format("port range \"{}\" is invalid (0-65535, lo <= hi)", s);
      return "";
    }
    if (!s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
          return std::isdigit(static_cast<unsigned char>(c));
        })) {
      auto p = std::atoll(s.c_str());
      return p <= 65535 ? "" : fmt::format("port {} is out of range 0-65535", s);
    }
    // A named port (IANA service name rules).
    if (s.empty() || s.size() > 15) return fmt::format("\"{}\" is not a valid named port", s);
    for (char c : s)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-')
        return fmt::format("\"{}\" is not a valid named port", s);
    return "";
  });
}

S protocol() {
  return int_or_str().check([](const Json& v) -> std::string {
    if (v.is_number_integer()) {
      auto p = v.get<int64_t>();
      return p >= 1 && p <= 255 ? "" : fmt::format("protocol {} is out of range 1-255", p);
    }
    auto s = v.get<std::string>();
    static const char* names[] = {"tcp", "udp", "icmp", "icmpv6", "sctp", "udplite"};
    std::string lower;
    for (char c : s) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (auto* n : names)
      if (lower == n) return "";
    if (!s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
          return std::isdigit(static_cast<unsigned char>(c));
        })) {
      auto p = std::atoll(s.c_str());
      if (p >= 1 && p <= 255) return "";
    }
    return fmt::format("\"{}\" is not a protocol (TCP, UDP, ICMP, ICMPv6, SCTP, UDPLite or 1-255)",
                       s);
  });
}

S labels() {
  return map(str().check(wrap(check_label_value)),
             [](const Json& k) { return check_label_key(k.get<std::string>()); });
}

S annotations() {
  return map(str(), [](const Json& k) { return check_label_key(k.get<std::string>()); });
}

S name_ref() {
  return str().check(wrap(check_dns_subdomain));
}

S secret_key_ref() {
  return obj({{"secretKeyRef",
               obj({{"name", str().req()}, {"key", str().req()}, {"optional", boolean()}})}});
}

S metadata(const KindInfo& k, NameCheck name_check) {
  if (!name_check) name_check = [](std::string_view s) { return check_dns_subdomain(s); };
  auto name = str().req().check([name_check](const Json& v) -> std::string {
    auto e = name_check(v.get<std::string>());
    return e.empty() ? e : "\"" + v.get<std::string>() + "\": " + e;
  });
  S ns = k.namespaced ? str().def("default").check(wrap(check_dns_label))
                      : str().check([kind = k.kind](const Json& v) -> std::string {
                          return v.get<std::string>().empty()
                                     ? ""
                                     : kind + " is cluster-scoped and takes no namespace";
                        });
  return obj({
      {"name", name},
      {"generateName", str()},
      {"namespace", ns},
      {"selfLink", str()},
      {"uid", str()},
      {"resourceVersion", str()},
      {"generation", integer()},
      {"creationTimestamp", str()},
      {"deletionTimestamp", str()},
      {"deletionGracePeriodSeconds", integer()},
      {"labels", labels()},
      {"annotations", annotations()},
      {"ownerReferences", list(any())},
      {"finalizers", list(str())},
      {"managedFields", list(any())},
  });
}

S document(const KindInfo& k, S spec, S status, bool open_top, NameCheck name_check) {
  S d = obj({
      {"apiVersion", str().req()},
      {"kind", str().req()},
      {"metadata", metadata(k, std::move(name_check)).req()},
      {"spec", spec.always()},
      {"status", status},
  });
  return open_top ? d.open() : d;
}

S document_no_spec(const KindInfo& k, S status, bool open_top, NameCheck name_check) {
  S d = obj({
      {"apiVersion", str().req()},
      {"kind", str().req()},
      {"metadata", metadata(k, std::move(name_check)).req()},
      {"status", status},
  });
  return open_top ? d.open() : d;
}

bool has(const Json& o, const char* key) {
  return o.is_object() && o.contains(key);
}

const Json* at(const Json& doc, std::initializer_list<const char*> path) {
  const Json* cur = &doc;
  for (const char* p : path) {
    if (!cur->is_object() || !cur->contains(p)) return nullptr;
    cur = &(*cur)[p];
  }
  return cur;
}

std::string doc_name(const Json& doc) {
  const Json* n = at(doc, {"metadata", "name"});
  return n && n->is_string() ? n->get<std::string>() : "";
}

void order_like(Json& o, const Spec& s) {
  Json out = Json::object();
  for (const auto& f : s.fields)
    if (o.contains(f.name)) out[f.name] = std::move(o[f.name]);
  for (auto& [k, v] : o.items())
    if (!out.contains(k)) out[k] = std::move(v);
  o = std::move(out);
}

const KindSchema& kind_schema(const KindInfo& k) {
  static const std::map<std::string, KindSchema> all = [] {
    std::map<std::string, KindSchema> m;
    for (auto* group :
         {routing_schemas, ipam_schemas, policy_schemas, k8s_schemas, operator_schemas})
      for (auto& [plural, ks] : group()) m.emplace(plural, std::move(ks));
    return m;
  }();
  return all.at(k.plural);
}

}  // namespace podnet::conf::schema
