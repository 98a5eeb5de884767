// What a WireGuard device holds (its private key, port, fwmark and peers) and the text of the
// cross-platform UAPI protocol (wireguard.com/xplatform) that reads and writes it: `get=1`
// answered by key=value lines, and `set=1` requests. The kernel's generic netlink interface
// carries the same fields, so a genl backend reuses DeviceState and the diff below.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "conf/result.hpp"
#include "dataplane/wireguard_keys.hpp"
#include "rib/prefix.hpp"

namespace podnet::dataplane::wg {

struct Endpoint {
  rib::Address ip;
  uint16_t port = 0;
  friend auto operator<=>(const Endpoint&, const Endpoint&) = default;
  friend bool operator==(const Endpoint&, const Endpoint&) = default;
};
std::string to_string(const Endpoint& e);  // "192.0.2.1:51820", "[2001:db8::1]:51820"

struct PeerState {
  Key public_key{};
  std::optional<Endpoint> endpoint;
  std::vector<rib::Prefix> allowed_ips;  // sorted, no duplicates
  uint16_t persistent_keepalive = 0;     // seconds, 0 = off
  friend bool operator==(const PeerState&, const PeerState&) = default;
};

struct DeviceState {
  Key private_key{};  // all zero: none set
  uint16_t listen_port = 0;
  uint32_t fwmark = 0;
  std::vector<PeerState> peers;  // sorted by public key
  friend bool operator==(const DeviceState&, const DeviceState&) = default;
};

// Sorts peers by key and each peer's allowed IPs, removing duplicates.
void normalise(DeviceState& s);

// Parses the reply to `get=1` (ends with "errno=0" and an empty line). Errors: a non-zero
// errno, a malformed line or key.
Result<DeviceState> parse_get_reply(std::string_view reply);
// The errno of a `set=1` reply ("errno=0\n\n" is success).
Result<int> parse_errno(std::string_view reply);

// What takes a device from `current` to `desired`: the device fields that differ, every desired
// peer that is missing or differs (its allowed IPs replaced by exactly the desired list), and
// every peer not desired (removed). Peers already right are not mentioned, so their sessions
// are untouched. Both backends send this, in their own encoding.
struct DeviceUpdate {
  std::optional<Key> private_key;
  std::optional<uint16_t> listen_port;
  std::optional<uint32_t> fwmark;
  std::vector<PeerState> upsert;
  std::vector<Key> remove;
  bool empty() const {
    return !private_key && !listen_port && !fwmark && upsert.empty() && remove.empty();
  }
};
DeviceUpdate diff(const DeviceState& current, const DeviceState& desired);

// The update as a UAPI `set=1` request (peers with replace_allowed_ips=true or remove=true);
// "" when it is empty.
std::string set_request(const DeviceUpdate& u);
inline std::string set_request(const DeviceState& current, const DeviceState& desired) {
  return set_request(diff(current, desired));
}

}  // namespace podnet::dataplane::wg
