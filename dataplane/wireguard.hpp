// The WireGuard programmer: encrypts pod traffic between nodes as Calico's Felix does
// (felix/wireguard/wireguard.go), with the kernel's wireguard module where there is one and
// wireguard-go (userspace, UAPI socket) where there is not.
//
// One programmer serves one address family: IPv4 (`wireguard.cali`, port 51820) or IPv6
// (`wg-v6.cali`, port 51821, Felix's wireguardEnabledV6), each with its own device, key
// (status.wireguardPublicKey / wireguardPublicKeyV6), peers, table routes and rule of its family.
// The table number, rule priority and fwmark are shared: v4 and v6 routing tables and rules are
// separate in the kernel.
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
// Usage from the daemon (once per family, `f` = rib::Family::v4 or v6):
//   dataplane::WireguardProgrammer wg(io, nullptr, f);
//   wg.on_public_key([&](const std::string& k) { /* publish (or clear) it: publish_wireguard */ });
//   wg.set_config(enabled ? std::optional(*wireguard_config_from(felix, self, f)) : nullopt);
//   wg.set_peers(wireguard_peers(nodes, self_name, routed_prefixes_by_node, f));
//   wg.start();  // then it follows kernel events; wg.resync() forces a pass
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
inline constexpr const char* kWireguardDeviceV6 = "wg-v6.cali";
inline constexpr uint16_t kWireguardPort = 51820;
inline constexpr uint16_t kWireguardPortV6 = 51821;
inline constexpr uint32_t kWireguardFwmark = 0x100000;

struct WireguardConfig {
  std::string interface = kWireguardDevice;
  uint16_t listen_port = 51820;
  uint32_t mtu = 0;  // 0: host MTU (mtu.hpp) minus WireGuard's 60 bytes (80 over IPv6)
  uint32_t routing_table = 1;
  uint32_t rule_priority = 99;
  uint32_t fwmark = kWireguardFwmark;
  uint16_t persistent_keepalive = 0;  // seconds, 0 = off
  uint8_t protocol = 12;              // our route protocol, also tags the rule
  // spec.wireguard.interfaceIPv4Address (IPv6Address for a v6 programmer), /32 (/128).
  std::optional<rib::Address> interface_address;
  // A key to use instead of the device's own or a generated one (tests, a key kept on disk).
  std::optional<wg::Key> private_key;
  friend bool operator==(const WireguardConfig&, const WireguardConfig&) = default;
};

// The defaults of a family's programmer: IPv6 gets `wg-v6.cali` and port 51821.
WireguardConfig wireguard_default_config(rib::Family family);

// FelixConfiguration's WireGuard settings of `family` (wireguardInterfaceName(V6),
// wireguardListeningPort(V6), wireguardMTU(V6); the shared priority and keepalive such as
// "25s"), this node's interface address of that family from its Node; `routing_table` and
// `fwmark` are the daemon's. Errors: an unparsable keepalive or interface address.
Result<WireguardConfig> wireguard_config_from(const conf::types::FelixConfiguration& felix,
                                              const conf::types::Node& self,
                                              rib::Family family = rib::Family::v4);

struct WireguardPeer {
  std::string node;
  wg::Key public_key{};
  rib::Address node_ip;
  std::vector<rib::Prefix> allowed_ips;  // sorted, no duplicates
  friend bool operator==(const WireguardPeer&, const WireguardPeer&) = default;
};

// The peers for this node in `family`: every other node with a valid, non-zero
// status.wireguardPublicKey (V6) and a spec.bgp.ipv4Address (ipv6Address, the endpoint);
// allowed IPs = the prefixes of that family in `routed[node]` (its blocks and borrowed
// addresses, from IPAM) plus its spec.wireguard.interfaceIPv4Address (IPv6Address). A key
// claimed by two nodes makes neither a peer (as Felix: the kernel would route one node's traffic
// to the other). Sorted by node name.
std::vector<WireguardPeer> wireguard_peers(
    const std::vector<conf::types::Node>& nodes, const std::string& self,
    const std::map<std::string, std::vector<rib::Prefix>>& routed,
    rib::Family family = rib::Family::v4);

// The prefixes that must not be caught by a covering peer route in the WireGuard table (Felix's
// `throw` routes): this node's own (`routed[self]`: local blocks and addresses borrowed from
// other nodes' blocks) and those of every node that is not a peer, of `family`. Sorted, no
// duplicates.
std::vector<rib::Prefix> wireguard_throw_prefixes(
    const std::vector<WireguardPeer>& peers, const std::string& self,
    const std::map<std::string, std::vector<rib::Prefix>>& routed,
    rib::Family family = rib::Family::v4);

// What this node publishes for `family`: `public_key` (base64, "" = none/disabled) in
// status.wireguardPublicKey (wireguardPublicKeyV6), `interface_address` ("" = none) in
// spec.wireguard.interfaceIPv4Address (interfaceIPv6Address). The other family's fields are
// left alone. Returns whether `node` changed (so the caller writes it back only then).
bool publish_wireguard(conf::types::Node& node, const std::string& public_key,
                       const std::string& interface_address, rib::Family family = rib::Family::v4);
// The same on the stored Node document, for store::modify's mutator: empty values remove the
// fields (and an emptied spec.wireguard / status object), as Felix clears them when disabled.
bool publish_wireguard(nlohmann::json& node_doc, const std::string& public_key,
                       const std::string& interface_address, rib::Family family = rib::Family::v4);

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
  uint64_t routes_dumped = 0;  // route messages read back from the kernel, over all passes
  uint64_t rules_added = 0;
  uint64_t rules_removed = 0;
  std::string error;  // last pass's first error, "" if it converged
};

class WireguardProgrammer {
 public:
  // `backend` nullptr: wg::make_backend() (the kernel's where it has the module, otherwise
  // wireguard-go). `family`: which addresses, routes and rule this instance programs.
  explicit WireguardProgrammer(boost::asio::io_context& io,
                               std::unique_ptr<wg::Backend> backend = nullptr,
                               rib::Family family = rib::Family::v4);
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
  rib::Family family() const { return family_; }

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
  uint8_t af() const;

  boost::asio::io_context& io_;
  rib::Family family_;
  std::unique_ptr<wg::Backend> backend_;
  NetlinkChannel ch_;
  NetlinkSocket events_;
  // The kernel filters route dumps by table and protocol (NETLINK_GET_STRICT_CHK, Linux 4.20+);
  // without it every pass reads every route of the family and filters here.
  bool strict_dump_ = false;
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
