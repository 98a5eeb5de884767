#include "dataplane/wireguard_device.hpp"

#include <algorithm>
#include <charconv>

namespace podnet::dataplane::wg {

namespace {

template <class T>
bool parse_number(std::string_view s, T& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

Result<Endpoint> parse_endpoint(std::string_view s) {
  auto colon = s.rfind(':');
  if (colon == std::string_view::npos) return make_error(Errc::invalid, "endpoint without port");
  std::string_view host = s.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  auto ip = rib::Address::parse(host);
  Endpoint e;
  if (!ip || !parse_number(s.substr(colon + 1), e.port)) {
    return make_error(Errc::invalid, "bad endpoint '" + std::string(s) + "'");
  }
  e.ip = *ip;
  return e;
}

const PeerState* find_peer(const DeviceState& s, const Key& k) {
  auto it = std::lower_bound(s.peers.begin(), s.peers.end(), k,
                             [](const PeerState& p, const Key& key) { return p.public_key < key; });
  return it != s.peers.end() && it->public_key == k ? &*it : nullptr;
}

}  // namespace

std::string to_string(const Endpoint& e) {
  std::string host = e.ip.to_string();
  if (e.ip.family() == rib::Family::v6) host = "[" + host + "]";
  return host + ":" + std::to_string(e.port);
}

void normalise(DeviceState& s) {
  for (auto& p : s.peers) {
    std::sort(p.allowed_ips.begin(), p.allowed_ips.end());
    p.allowed_ips.erase(std::unique(p.allowed_ips.begin(), p.allowed_ips.end()),
                        p.allowed_ips.end());
  }
  std::sort(s.peers.begin(), s.peers.end(),
            [](const PeerState& a, const PeerState& b) { return a.public_key < b.public_key; });
}

Result<DeviceState> parse_get_reply(std::string_view reply) {
  DeviceState s;
  PeerState* peer = nullptr;
  std::optional<int> err;
  while (!reply.empty()) {
    auto nl = reply.find('\n');
    std::string_view line = reply.substr(0, nl);
    reply = nl == std::string_view::npos ? std::string_view{} : reply.substr(nl + 1);
    if (line.empty()) break;  // the blank line ends the reply
    auto eq = line.find('=');
    if (eq == std::string_view::npos) {
      return make_error(Errc::invalid, "uapi: malformed line '" + std::string(line) + "'");
    }
    std::string_view key = line.substr(0, eq), value = line.substr(eq + 1);
    auto bad = [&] {
      return make_error(Errc::invalid, "uapi: bad value in '" + std::string(line) + "'");
    };
    if (key == "errno") {
      int e = 0;
      if (!parse_number(value, e)) return bad();
      err = e;
    } else if (key == "private_key") {
      auto k = from_hex(value);
      if (!k) return bad();
      s.private_key = *k;
    } else if (key == "listen_port") {
      if (!parse_number(value, s.listen_port)) return bad();
    } else if (key == "fwmark") {
      if (!parse_number(value, s.fwmark)) return bad();
    } else if (key == "public_key") {
      auto k = from_hex(value);
      if (!k) return bad();
      s.peers.push_back(PeerState{});
      peer = &s.peers.back();
      peer->public_key = *k;
    } else if (peer && key == "endpoint") {
      auto e = parse_endpoint(value);
      if (!e) return e.error();
      peer->endpoint = *e;
    } else if (peer && key == "allowed_ip") {
      auto p = rib::Prefix::parse(value);
      if (!p) return bad();
      peer->allowed_ips.push_back(*p);
    } else if (peer && key == "persistent_keepalive_interval") {
      if (!parse_number(value, peer->persistent_keepalive)) return bad();
    }
    // Everything else (handshake times, byte counters, protocol version) is not state we set.
  }
  if (!err) return make_error(Errc::invalid, "uapi: reply without errno");
  if (*err != 0) return make_error(Errc::io, "uapi get: errno=" + std::to_string(*err));
  normalise(s);
  return s;
}

Result<int> parse_errno(std::string_view reply) {
  auto pos = reply.find("errno=");
  if (pos == std::string_view::npos) return make_error(Errc::invalid, "uapi: reply without errno");
  auto rest = reply.substr(pos + 6);
  rest = rest.substr(0, rest.find('\n'));
  int e = 0;
  if (!parse_number(rest, e)) return make_error(Errc::invalid, "uapi: bad errno");
  return e;
}

DeviceUpdate diff(const DeviceState& current, const DeviceState& desired) {
  DeviceUpdate u;
  if (current.private_key != desired.private_key) u.private_key = desired.private_key;
  if (current.listen_port != desired.listen_port) u.listen_port = desired.listen_port;
  if (current.fwmark != desired.fwmark) u.fwmark = desired.fwmark;
  for (const auto& want : desired.peers) {
    const PeerState* have = find_peer(current, want.public_key);
    if (!have || !(*have == want)) u.upsert.push_back(want);
  }
  for (const auto& have : current.peers) {
    if (!find_peer(desired, have.public_key)) u.remove.push_back(have.public_key);
  }
  return u;
}

std::string set_request(const DeviceUpdate& u) {
  if (u.empty()) return {};
  std::string body = "set=1\n";
  if (u.private_key) body += "private_key=" + to_hex(*u.private_key) + "\n";
  if (u.listen_port) body += "listen_port=" + std::to_string(*u.listen_port) + "\n";
  if (u.fwmark) body += "fwmark=" + std::to_string(*u.fwmark) + "\n";
  for (const auto& want : u.upsert) {
    body += "public_key=" + to_hex(want.public_key) + "\n";
    if (want.endpoint) body += "endpoint=" + to_string(*want.endpoint) + "\n";
    body += "persistent_keepalive_interval=" + std::to_string(want.persistent_keepalive) + "\n";
    body += "replace_allowed_ips=true\n";
    for (const auto& p : want.allowed_ips) body += "allowed_ip=" + p.to_string() + "\n";
  }
  for (const auto& k : u.remove) body += "public_key=" + to_hex(k) + "\nremove=true\n";
  return body + "\n";
}

}  // namespace podnet::dataplane::wg
