// The VXLAN programmer: keeps Calico's VXLAN device and its per-node entries in the kernel.
//
//  - Device `vxlan.calico`: VNI 4096, UDP 4789, bound to the NIC holding the node IP (which is
//    also the outer source address), learning off, the node's VXLAN MAC, MTU (mtu.hpp), up,
//    and the node's tunnel address as a /32 (nothing else).
//  - Per remote node with a VTEP: a permanent ARP entry tunnel IP -> MAC, and a permanent FDB
//    entry (bridge family, NTF_SELF) MAC -> node IP, both on vxlan.calico.
//  - Routes to remote blocks `via <tunnel IP> dev vxlan.calico onlink` are the route
//    programmer's (encap.hpp chooses them); this one only makes them resolvable.
//
// Reconciled like routes: every pass dumps links, addresses, neighbours and FDB entries,
// adopts what matches, fixes what differs (a device whose VNI, port, parent or learning flag
// differs is recreated; a different MTU or MAC is changed in place) and removes entries that
// are not desired — on our device only; nothing on any other device is touched. A pass runs
// at start(), after every change of desired state (coalesced on the loop), and when a kernel
// event says our device or its entries changed (deleted by hand, a stray permanent entry
// added).
//
// Usage from the daemon:
//   dataplane::VxlanProgrammer vxlan(io);
//   vxlan.set_config(cfg);                 // nullopt while no pool uses VXLAN: device removed
//   vxlan.set_remote_nodes(peers);         // every other node with a VTEP
//   if (auto s = vxlan.start(); !s) ...    // then it keeps itself converged
#pragma once

#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "conf/result.hpp"
#include "dataplane/encap.hpp"
#include "dataplane/netlink_channel.hpp"
#include "dataplane/netlink_socket.hpp"
#include "rib/prefix.hpp"

namespace podnet::conf::types {
struct Node;
}

namespace podnet::dataplane {

struct VxlanConfig {
  std::string device = kVxlanDevice;
  uint32_t vni = 4096;
  uint16_t port = 4789;
  rib::Address node_ip;  // this node's IP: outer source; its interface is the parent
  std::string parent;    // the parent by name instead ("" = the interface holding node_ip)
  rib::Address tunnel_ip;
  Mac mac{};
  uint32_t mtu = 1450;
  friend bool operator==(const VxlanConfig&, const VxlanConfig&) = default;
};

// This node's VXLAN settings from its Node resource: tunnel address (ipv4VXLANTunnelAddr, which
// IPAM allocates and writes back when missing: until then, an error), MAC (vxlanTunnelMACAddr or
// derived from the name), node IP (spec.bgp.ipv4Address). VNI, port and MTU are the caller's
// (FelixConfiguration vxlanVNI / vxlanPort, mtu.hpp).
Result<VxlanConfig> vxlan_config_from(const conf::types::Node& self, uint32_t vni, uint16_t port,
                                      uint32_t mtu);

struct VxlanPeer {
  std::string node;
  rib::Address node_ip;
  rib::Address tunnel_ip;
  Mac mac{};
  friend auto operator<=>(const VxlanPeer&, const VxlanPeer&) = default;
  friend bool operator==(const VxlanPeer&, const VxlanPeer&) = default;
};

// The remote nodes that have a VTEP (tunnel IP and MAC); the others are left out.
std::vector<VxlanPeer> vxlan_peers(const std::vector<encap::RemoteNode>& nodes);

struct VxlanStats {
  bool device_ready = false;  // exists, configured as desired, up, addressed
  int ifindex = 0;
  std::string parent;          // the parent interface found on the last pass
  std::size_t neighbours = 0;  // desired entries (= FDB entries)
  uint64_t passes = 0;
  uint64_t devices_created = 0;
  uint64_t devices_recreated = 0;  // wrong VNI/port/parent/learning
  uint64_t devices_deleted = 0;    // VXLAN turned off
  uint64_t link_updates = 0;       // MTU, MAC or up changed in place
  uint64_t addresses_changed = 0;  // added or removed
  uint64_t entries_added = 0;      // neighbour or FDB entries written (new or replaced)
  uint64_t entries_removed = 0;    // stale neighbour or FDB entries deleted
  uint64_t entries_adopted = 0;    // found correct in the kernel (per pass)
  std::string error;               // last pass's first error, "" if it converged
};

class VxlanProgrammer {
 public:
  explicit VxlanProgrammer(boost::asio::io_context& io);
  VxlanProgrammer(const VxlanProgrammer&) = delete;
  VxlanProgrammer& operator=(const VxlanProgrammer&) = delete;
  ~VxlanProgrammer();

  // Opens the netlink sockets in the calling thread's network namespace and runs a first pass.
  // An error here is the pass's (also in stats().error); the programmer keeps running.
  Status start();

  void set_config(std::optional<VxlanConfig> cfg);
  void set_remote_nodes(std::vector<VxlanPeer> peers);
  // Schedules a pass (also happens by itself on changes and kernel events).
  void resync();
  // Runs a pass now.
  Status reconcile();

  bool idle() const { return !posted_; }
  VxlanStats stats() const { return stats_; }

 private:
  void schedule();
  void on_event(const nlmsghdr& h);
  Status pass();
  Status converge_device(int& ifindex);
  Status converge_addresses(int ifindex);
  Status converge_neighbours(int ifindex);
  Status converge_fdb(int ifindex);
  Status remove_device();
  void note(Status& first, Status s);

  boost::asio::io_context& io_;
  NetlinkChannel ch_;
  NetlinkSocket events_;
  bool started_ = false;
  bool posted_ = false;
  std::optional<VxlanConfig> cfg_;
  std::vector<VxlanPeer> peers_;  // sorted by tunnel IP
  int ifindex_ = 0;
  int parent_ifindex_ = 0;
  VxlanStats stats_;
  std::vector<uint8_t> buf_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace podnet::dataplane
