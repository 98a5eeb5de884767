#include "conf/daemon_config.hpp"

#include <fmt/format.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>

#include "conf/schema/checks.hpp"
#include "conf/schema/schema.hpp"

namespace podnet::conf {
namespace {

using schema::Json;
using schema::S;

std::string check_host_port(const Json& v) {
  auto s = v.get<std::string>();
  auto colon = s.rfind(':');
  if (colon == std::string::npos) return fmt::format("\"{}\" is not host:port", s);
  std::string host = s.substr(0, colon), port = s.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    auto ip = parse_ip(host.substr(1, host.size() - 2));
    if (!ip || ip->family != 6) return fmt::format("\"{}\": bad IPv6 address in [ ]", s);
  } else if (host.find(':') != std::string::npos) {
    return fmt::format("\"{}\": write an IPv6 address as [addr]:port", s);
  }
  char* end = nullptr;
  long p = std::strtol(port.c_str(), &end, 10);
  if (port.empty() || *end || p < 0 || p > 65535)
    return fmt::format("\"{}\": port must be 0-65535", s);
  return "";
}

std::string check_ipv4(const Json& v) {
  auto ip = parse_ip(v.get<std::string>());
  if (!ip || ip->family != 4)
    return fmt::format("\"{}\" is not an IPv4 address", v.get<std::string>());
  return "";
}

std::string check_prefix(const Json& v) {
  auto c = parse_cidr(v.get<std::string>());
  if (!c) return fmt::format("\"{}\" is not a CIDR", v.get<std::string>());
  if (c->host_bits_set())
    return fmt::format("\"{}\" has host bits set (did you mean {}?)", v.get<std::string>(),
                       c->masked().str());
  return "";
}

std::string check_hold_time(const Json& v) {
  auto t = v.get<int64_t>();
  if (t == 1 || t == 2) return "a hold time must be 0 or at least 3 seconds (RFC 4271)";
  return "";
}

std::string check_autodetect(const Json& v) {
  auto s = v.get<std::string>();
  if (s == "first-found" || s == "none") return "";
  for (const char* p : {"interface=", "skip-interface=", "cidr="})
    if (s.rfind(p, 0) == 0 && s.size() > std::strlen(p)) return "";
  return fmt::format(
      "\"{}\": expected first-found, interface=REGEX, skip-interface=REGEX, cidr=CIDR or none", s);
}

std::string check_endpoint(const Json& v) {
  auto s = v.get<std::string>();
  if (s.rfind("http://", 0) != 0 && s.rfind("https://", 0) != 0)
    return fmt::format("\"{}\" is not an http:// or https:// URL", s);
  return "";
}

// One line per setting: its key path in the file, its schema, and where it goes.
struct Setting {
  const char* path;
  S spec;
  std::function<void(DaemonConfig&, const Json&)> set;
};

#define PODNET_SETTING(key, spec, member)                                 \
  Setting {                                                               \
    key, spec, [](DaemonConfig& c, const Json& v) { v.get_to(c.member); } \
  }

const std::vector<Setting>& settings() {
  static const std::vector<Setting> table = {
      PODNET_SETTING("nodeName", schema::str(), node_name),
      PODNET_SETTING("datastore.type", schema::str().oneof({"directory", "etcdv3"}),
                     datastore.type),
      PODNET_SETTING("datastore.path", schema::str(), datastore.path),
      PODNET_SETTING("datastore.etcdEndpoints", schema::list(schema::str().check(check_endpoint)),
                     datastore.etcd_endpoints),
      PODNET_SETTING("controlSocket", schema::str(), control_socket),
      PODNET_SETTING("healthListen", schema::str().check(check_host_port), health_listen),
      PODNET_SETTING("logLevel", schema::str().oneof({"trace", "debug", "info", "warn", "error"}),
                     log_level),
      PODNET_SETTING("addressAutodetection.ipv4", schema::str().check(check_autodetect),
                     autodetection.ipv4),
      PODNET_SETTING("addressAutodetection.ipv6", schema::str().check(check_autodetect),
                     autodetection.ipv6),
      PODNET_SETTING("kernelRoutes.enabled", schema::boolean(), kernel_routes.enabled),
      // 0-4 are the kernel's own (unspec, redirect, kernel, boot, static): never ours.
      PODNET_SETTING("kernelRoutes.protocol", schema::integer().range(5, 255),
                     kernel_routes.protocol),
      PODNET_SETTING("kernelRoutes.table", schema::integer().range(1, 4294967294),
                     kernel_routes.table),
      PODNET_SETTING("kernelRoutes.metric", schema::integer().range(0, 4294967295),
                     kernel_routes.metric),
      PODNET_SETTING("dataplane.overlay", schema::boolean(), dataplane.overlay),
      PODNET_SETTING("dataplane.mtuFile", schema::str(), dataplane.mtu_file),
      PODNET_SETTING("policy.enabled", schema::boolean(), policy.enabled),
      PODNET_SETTING("natOutgoing", schema::boolean(), nat_outgoing),
      PODNET_SETTING("bgp.enabled", schema::boolean(), bgp.enabled),
      PODNET_SETTING("bgp.routerId", schema::str().check(check_ipv4), bgp.router_id),
      PODNET_SETTING("bgp.holdTime", schema::integer().range(0, 65535).check(check_hold_time),
                     bgp.hold_time),
      PODNET_SETTING("bgp.staticRoutes", schema::list(schema::str().check(check_prefix)),
                     bgp.static_routes),
  };
  return table;
}

// The file's schema, built from the dotted paths of the table.
schema::SpecPtr file_schema() {
  struct Node {
    std::vector<std::pair<std::string, Node>> children;
    std::optional<S> leaf;
  };
  Node root;
  for (const auto& s : settings()) {
    Node* cur = &root;
    std::string_view p = s.path;
    while (true) {
      auto dot = p.find('.');
      std::string part(p.substr(0, dot));
      auto it = std::find_if(cur->children.begin(), cur->children.end(),
                             [&](const auto& c) { return c.first == part; });
      if (it == cur->children.end()) {
        cur->children.push_back({part, Node{}});
        it = cur->children.end() - 1;
      }
      cur = &it->second;
      if (dot == std::string_view::npos) break;
      p.remove_prefix(dot + 1);
    }
    cur->leaf = s.spec;
  }
  std::function<S(const Node&)> build = [&](const Node& n) -> S {
    if (n.leaf) return *n.leaf;
    std::vector<std::pair<std::string, S>> fields;
    for (const auto& [name, child] : n.children) fields.push_back({name, build(child)});
    return schema::obj(std::move(fields));
  };
  return build(root);
}

const Json* lookup(const Json& j, std::string_view path) {
  const Json* cur = &j;
  while (true) {
    auto dot = path.find('.');
    std::string part(path.substr(0, dot));
    if (!cur->is_object() || !cur->contains(part)) return nullptr;
    cur = &(*cur)[part];
    if (dot == std::string_view::npos) return cur;
    path.remove_prefix(dot + 1);
  }
}

std::string host_name() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return "localhost";
  return buf;
}

}  // namespace

std::string DaemonConfig::datastore_spec() const {
  if (datastore.type == "etcdv3")
    return "etcd:" + fmt::format("{}", fmt::join(datastore.etcd_endpoints, ","));
  return "dir:" + datastore.path;
}

Result<DaemonConfig> parse_daemon_config(std::string_view yaml, std::string_view source) {
  std::string src(source);
  schema::Input in;
  try {
    in = schema::from_yaml(YAML::Load(std::string(yaml)), 0);
  } catch (const YAML::Exception& e) {
    return make_error(Errc::invalid, fmt::format("{}:{}:{}: YAML syntax error: {}", src,
                                                 e.mark.line + 1, e.mark.column + 1, e.msg));
  }
  if (in.kind == schema::Input::Kind::null) in.kind = schema::Input::Kind::map;  // empty file
  static const schema::SpecPtr spec = file_schema();
  schema::Walk w;
  Json j = w.run(in, *spec, "");
  DaemonConfig c;
  c.node_name = host_name();
  if (w.ok()) {
    for (const auto& s : settings())
      if (const Json* v = lookup(j, s.path)) s.set(c, *v);
    if (c.datastore.type == "etcdv3" && c.datastore.etcd_endpoints.empty())
      w.error("datastore.etcdEndpoints", "the etcdv3 datastore needs at least one endpoint");
    if (c.node_name.empty()) w.error("nodeName", "must not be empty");
    if (auto e = check_dns_subdomain(c.node_name); !e.empty() && lookup(j, "nodeName"))
      w.error("nodeName", fmt::format("\"{}\": {}", c.node_name, e));
  }
  if (!w.ok()) {
    std::string msg;
    for (const auto& p : w.problems())
      msg += fmt::format("{}{}:{}:{}: {}{}{}", msg.empty() ? "" : "\n", src, p.line, p.column,
                         p.path, p.path.empty() ? "" : ": ", p.message);
    return make_error(Errc::invalid, msg);
  }
  return c;
}

Result<DaemonConfig> load_daemon_config(const std::string& path) {
  std::ifstream f(path);
  if (!f)
    return make_error(Errc::io, fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  std::stringstream ss;
  ss << f.rdbuf();
  return parse_daemon_config(ss.str(), path);
}

}  // namespace podnet::conf
