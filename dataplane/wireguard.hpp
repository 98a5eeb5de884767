// The WireGuard programmer: encrypts pod traffic between nodes as Calico's Felix does
// (felix/wireguard/wireguard.go), with the kernel's wireguard module where there is one and
// wireguard-go (userspace, UAPI socket) where there is not.
//
// While enabled it keeps, in the calling thread's network namespace:
//  - the device (`wireguard.cali` by default): created if missing, adopted if it is there; its
//    address (spec.wireguard.interfaceIPv4Address, /32), MTU, up;
//  - the device's configuration: this node's private key (kept across restarts: read back from
//    the device; generated with X25519 only when the device has none), listen port, fwmark, and
//    one peer per other node that published a key — endpoint node IP : our port, allowed IPs =
//    the prefixes routed to that node (blocks, borrowed /32s, tunnel addresses);
//  - in the dedicated routing table (1 by default) `prefix dev wireguard.cali scope link` for
//    every allowed IP, and `throw prefix` for this node's own and non-peers' prefixes (a pod
//    borrowed from a peer's block must not be caught by that block's route), with our route
//    protocol; routes of other protocols there are left alone;
//  - the rule `not fwmark M/M lookup <table>` at priority 99: everything but WireGuard's own
//    (marked) UDP packets is looked up in the table first, and falls through to main when it
//    has no route — so a node without a key stays reachable unencrypted.
// Disabled: the device (its peers with it), the table's routes and the rule are removed.
// Reconciled like routes: every pass reads the kernel and the device and converges; stale
// peers, routes and rules are removed; a restart adopts everything without re-creating the
// device or changing its key.
//
// Usage from the daemon:
//   dataplane::WireguardProgrammer wg(io);
//   wg.on_public_key([&](const std::string& k) { /* publish (or clear) status.wireguardPublicKey */
//   }); wg.set_config(felix.wireguardEnabled ? std::optional(config_from(felix, self, mtu)) :
//   nullopt); wg.set_peers(wireguard_peers(nodes, self_name, routed_prefixes_by_node)); wg.start();
//   // then wg.resync() now and then (no kernel events yet)
#pragma once

#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "conf/result.hpp"
#include "dataplane/netlink_channel.hpp"
#include "dataplane/netlink_socket.hpp"
#include "dataplane/wireguard_backend.hpp"
#include "dataplane/wireguard_keys.hpp"
#include "rib/prefix.hpp"

namespace podnet::conf::types {
struct Node;
struct FelixConfiguration;
}  // namespace podnet::conf::types

namespace podnet::dataplane {

inline constexpr const char* kWireguardDevice = "wireguard.cali";
inline constexpr uint32_t kWireguardFwmark = 0x100000;

struct WireguardConfig {
  std::string interface = kWireguardDevice;
  uint16_t listen_port = 51820;
  uint32_t mtu = 0;  // 0: host MTU (mtu.hpp) minus WireGuard's 60 bytes
  uint32_t routing_table = 1;
  uint32_t rule_priority = 99;
  uint32_t fwmark = kWireguardFwmark;
  uint16_t persistent_keepalive = 0;           // seconds, 0 = off
  uint8_t protocol = 12;                       // our route protocol, also tags the rule
  std::optional<rib::Address> interface_ipv4;  // spec.wireguard.interfaceIPv4Address
  // A key to use instead of the device's own or a generated one (tests, a key kept on disk).
  std::optional<wg::Key> private_key;
  friend bool operator==(const WireguardConfig&, const WireguardConfig&) = default;
};

// FelixConfiguration's WireGuard settings (name, port, priority, MTU, keepalive such as "25s"),
// this node's interface address from its Node; `routing_table` and `fwmark` are the daemon's.
// Errors: an unparsable keepalive or interface address.
Result<WireguardConfig> wireguard_config_from(const conf::types::FelixConfiguration& felix,
                                              const conf::types::Node& self);

struct WireguardPeer {
  std::string node;
  wg::Key public_key{};
  rib::Address node_ip;
  std::vector<rib::Prefix> allowed_ips;  // sorted, no duplicates
  friend bool operator==(const WireguardPeer&, const WireguardPeer&) = default;
};

// The peers for this node: every other node with a valid, non-zero status.wireguardPublicKey
// and a spec.bgp.ipv4Address; allowed IPs = `routed[node]` (its blocks and borrowed addresses,
// from IPAM) plus its spec.wireguard.interfaceIPv4Address. A key claimed by two nodes makes
// neither a peer (as Felix: the kernel would route one node's traffic to the other). Sorted by
// node name.
std::vector<WireguardPeer> wireguard_peers(
    const std::vector<conf::types::Node>& nodes, const std::string& self,
    const std::map<std::string, std::vector<rib::Prefix>>& routed);

// The prefixes that must not be caught by a covering peer route in the WireGuard table (Felix's
// `throw` routes): this node's own (`routed[self]`: local blocks and addresses borrowed from
// other nodes' blocks) and those of every node that is not a peer. Sorted, no duplicates.
std::vector<rib::Prefix> wireguard_throw_prefixes(
    const std::vector<WireguardPeer>& peers, const std::string& self,
    const std::map<std::string, std::vector<rib::Prefix>>& routed);

// What this node publishes: `public_key` (base64, "" = none/disabled) in
// status.wireguardPublicKey, `interface_ipv4` ("" = none) in spec.wireguard.interfaceIPv4Address.
// Returns whether `node` changed (so the caller writes it back only then).
bool publish_wireguard(conf::types::Node& node, const std::string& public_key,
                       const std::string& interface_ipv4);
// The same on the stored Node document, for store::modify's mutator: empty values remove the
// fields (and an emptied spec.wireguard / status object), as Felix clears them when disabled.
bool publish_wireguard(nlohmann::json& node_doc, const std::string& public_key,
                       const std::string& interface_ipv4);

struct WireguardStats {
  bool enabled = false;
  bool device_ready = false;  // exists, configured, up, routes and rule in place
  std::string backend;
  int ifindex = 0;
  std::size_t peers = 0;
  std::size_t routes = 0;
  uint64_t passes = 0;
  uint64_t devices_created = 0;
  uint64_t devices_deleted = 0;
  uint64_t keys_generated = 0;
  uint64_t device_updates = 0;  // UAPI/genl writes that changed something
  uint64_t routes_added = 0;
  uint64_t routes_removed = 0;
  uint64_t rules_added = 0;
  uint64_t rules_removed = 0;
  std::string error;  // last pass's first error, "" if it converged
};

class WireguardProgrammer {
 public:
  // `backend` nullptr: wg::make_backend() (the kernel's where it has the module, otherwise
  // wireguard-go).
  explicit WireguardProgrammer(boost::asio::io_context& io,
                               std::unique_ptr<wg::Backend> backend = nullptr);
  WireguardProgrammer(const WireguardProgrammer&) = delete;
  WireguardProgrammer& operator=(const WireguardProgrammer&) = delete;
  ~WireguardProgrammer();

  // Opens the netlink channel in the calling thread's network namespace and runs a first pass.
  Status start();
  // nullopt: disabled (everything removed).
  void set_config(std::optional<WireguardConfig> cfg);
  void set_peers(std::vector<WireguardPeer> peers);
  // `throw` routes in the table (wireguard_throw_prefixes); a prefix that is also a peer's
  // allowed IP is routed to the peer.
  void set_throw_prefixes(std::vector<rib::Prefix> prefixes);
  // Called after a pass whenever this node's public key changed (base64; "" when disabled).
  void on_public_key(std::function<void(const std::string&)> cb);

  void resync();       // schedules a pass on the loop (coalesced)
  Status reconcile();  // runs a pass now
  bool idle() const { return !posted_; }

  std::string public_key() const { return public_key_; }
  WireguardStats stats() const { return stats_; }

 private:
  void schedule();
  void on_event(const nlmsghdr& h);
  Status pass();
  Status enable_pass(const WireguardConfig& cfg);
  Status disable_pass();
  Status converge_device(const WireguardConfig& cfg, int& ifindex);
  Status converge_addresses(const WireguardConfig& cfg, int ifindex);
  Status converge_peers(const WireguardConfig& cfg);
  Status converge_routes(const WireguardConfig* cfg, int ifindex);
  Status converge_rules(const WireguardConfig* cfg);
  void set_public_key(const std::string& k);

  boost::asio::io_context& io_;
  std::unique_ptr<wg::Backend> backend_;
  NetlinkChannel ch_;
  NetlinkSocket events_;
  bool started_ = false;
  bool posted_ = false;
  std::optional<WireguardConfig> cfg_;
  // What was last enabled, so a disable knows which device/table/rule to remove.
  std::optional<WireguardConfig> last_;
  std::vector<WireguardPeer> peers_;
  std::vector<rib::Prefix> throws_;
  std::optional<wg::Key> key_;  // the key this process put on the device
  std::string public_key_;
  std::function<void(const std::string&)> on_key_;
  WireguardStats stats_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace podnet::dataplane
