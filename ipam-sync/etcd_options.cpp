#include "ipam-sync/etcd_options.hpp"

#include <fmt/format.h>

#include <cstdlib>

namespace podnet::store::etcd {
namespace {

Error bad(const std::string& spec, const std::string& why) {
  return make_error(Errc::invalid, fmt::format("datastore \"etcd:{}\": {}", spec, why));
}

Result<Endpoint> parse_url(const std::string& spec, const std::string& url) {
  Endpoint e;
  std::string rest;
  if (url.starts_with("http://")) {
    rest = url.substr(7);
  } else if (url.starts_with("https://")) {
    e.tls = true;
    rest = url.substr(8);
  } else {
    return bad(spec, fmt::format("\"{}\" is not an http:// or https:// URL", url));
  }
  if (!rest.empty() && rest.back() == '/') rest.pop_back();
  if (rest.find('/') != std::string::npos || rest.find('@') != std::string::npos)
    return bad(spec, fmt::format("\"{}\": want SCHEME://HOST[:PORT] only", url));
  std::string port;
  if (rest.starts_with("[")) {
    auto close = rest.find(']');
    if (close == std::string::npos) return bad(spec, fmt::format("\"{}\": unclosed [", url));
    e.host = rest.substr(1, close - 1);
    if (close + 1 < rest.size()) {
      if (rest[close + 1] != ':') return bad(spec, fmt::format("\"{}\": junk after ]", url));
      port = rest.substr(close + 2);
    }
  } else {
    auto colon = rest.find(':');
    e.host = rest.substr(0, colon);
    if (colon != std::string::npos) port = rest.substr(colon + 1);
  }
  if (e.host.empty()) return bad(spec, fmt::format("\"{}\": no host", url));
  if (!port.empty()) {
    if (port.find_first_not_of("0123456789") != std::string::npos || port.size() > 5 ||
        std::stoi(port) == 0 || std::stoi(port) > 65535)
      return bad(spec, fmt::format("\"{}\": bad port", url));
    e.port = port;
  }
  return e;
}

}  // namespace

std::string Endpoint::url() const {
  bool v6 = host.find(':') != std::string::npos;
  return fmt::format("{}://{}{}{}:{}", tls ? "https" : "http", v6 ? "[" : "", host, v6 ? "]" : "",
                     port);
}

std::string Options::describe() const {
  std::string s = "etcd:";
  for (size_t i = 0; i < endpoints.size(); ++i) s += (i ? "," : "") + endpoints[i].url();
  std::vector<std::string> opts;
  if (!ca_file.empty()) opts.push_back("cacert=" + ca_file);
  if (!cert_file.empty()) opts.push_back("cert=" + cert_file);
  if (!key_file.empty()) opts.push_back("key=" + key_file);
  if (!username.empty()) opts.push_back("username=" + username);
  for (size_t i = 0; i < opts.size(); ++i) s += (i ? "&" : "?") + opts[i];
  return s;
}

Result<Options> parse_options(const std::string& spec) {
  Options o;
  auto q = spec.find('?');
  std::string urls = spec.substr(0, q);
  size_t start = 0;
  while (start <= urls.size()) {
    auto comma = urls.find(',', start);
    std::string url = urls.substr(start, comma == std::string::npos ? comma : comma - start);
    auto e = parse_url(spec, url);
    if (!e.ok()) return e.error();
    o.endpoints.push_back(e.value());
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  bool has_user = false;
  if (q != std::string::npos) {
    std::string query = spec.substr(q + 1);
    size_t p = 0;
    while (p <= query.size()) {
      auto amp = query.find('&', p);
      std::string kv = query.substr(p, amp == std::string::npos ? amp : amp - p);
      auto eq = kv.find('=');
      if (eq == std::string::npos) return bad(spec, fmt::format("option \"{}\" has no value", kv));
      std::string k = kv.substr(0, eq), v = kv.substr(eq + 1);
      if (k == "cacert") {
        o.ca_file = v;
      } else if (k == "cert") {
        o.cert_file = v;
      } else if (k == "key") {
        o.key_file = v;
      } else if (k == "username") {
        o.username = v;
        has_user = true;
      } else if (k == "password") {
        o.password = v;
      } else if (k == "timeout") {
        char* end = nullptr;
        double s = std::strtod(v.c_str(), &end);
        if (v.empty() || *end != '\0' || !(s > 0) || s > 3600)
          return bad(spec, fmt::format("timeout \"{}\": want seconds", v));
        o.timeout = std::chrono::milliseconds(static_cast<int64_t>(s * 1000));
      } else {
        return bad(spec, fmt::format("unknown option \"{}\" (cacert, cert, key, username, "
                                     "password, timeout)",
                                     k));
      }
      if (amp == std::string::npos) break;
      p = amp + 1;
    }
  }
  if (o.cert_file.empty() != o.key_file.empty()) return bad(spec, "cert and key go together");
  if (!has_user) {
    if (const char* u = std::getenv("PODNET_ETCD_USERNAME"); u && *u) {
      o.username = u;
      if (const char* pw = std::getenv("PODNET_ETCD_PASSWORD")) o.password = pw;
    }
  }
  return o;
}

}  // namespace podnet::store::etcd
