// The IPIP programmer: Calico's `tunl0` (kind ipip, any-to-any, path MTU discovery on), its MTU
// (host MTU - 20 unless configured), up, and the node's ipv4IPIPTunnelAddr as its only address.
// Routes `<block> via <node IP> dev tunl0 onlink` are the route programmer's (encap.hpp).
//
// Kernels without IPIP: creating a link of kind "ipip" makes the kernel try to load
// `rtnl-link-ipip` and, failing that, answer EOPNOTSUPP ("Unknown device type"). That is the
// one check that works whether the driver is a module, built in, or absent, and whether or not
// modprobe exists; /sys/module/ipip only adds detail to the message. probe_ipip() asks without
// creating anything: a deliberately invalid ipip request (IFLA_IPTUN_PROTO = 255) is refused
// with EINVAL by a kernel that has the driver (its validator ran) and EOPNOTSUPP by one that
// has not. The reason is kept for the daemon's /readyz and `show status`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "conf/result.hpp"
#include "dataplane/encap.hpp"
#include "dataplane/netlink_channel.hpp"
#include "rib/prefix.hpp"

namespace podnet::dataplane {

// The probe request: RTM_NEWLINK of kind `kind` named `name`, NLM_F_CREATE | NLM_F_EXCL, with
// IFLA_INFO_DATA { IFLA_IPTUN_PROTO = 255 }.
void append_kind_probe(std::vector<uint8_t>& buf, uint32_t seq, const std::string& name,
                       const std::string& kind);
// What a probe's answer means: nullopt = the kind is supported; else why not.
std::optional<std::string> kind_probe_verdict(const std::string& kind, int err,
                                              const std::string& kernel_message);
// Probes `kind` on `ch` (its namespace). nullopt: supported.
std::optional<std::string> probe_link_kind(NetlinkChannel& ch, const std::string& kind);
// nullopt when this kernel can make ipip devices; else a sentence for the operator.
std::optional<std::string> probe_ipip(NetlinkChannel& ch);

struct IpipConfig {
  std::string device = kIpipDevice;
  rib::Address tunnel_ip;  // ipv4IPIPTunnelAddr
  uint32_t mtu = 1480;
  friend bool operator==(const IpipConfig&, const IpipConfig&) = default;
};

struct IpipStats {
  bool device_ready = false;
  int ifindex = 0;
  uint64_t passes = 0;
  uint64_t devices_created = 0;
  uint64_t link_updates = 0;
  uint64_t addresses_changed = 0;
  std::string error;
};

class IpipProgrammer {
 public:
  IpipProgrammer() = default;
  // Opens the channel in the calling thread's namespace, probes IPIP support, runs a pass.
  Status start();
  // nullopt: IPIP off (tunl0, which a kernel with the driver always has, loses its addresses).
  // Runs a pass right away (a handful of netlink calls).
  Status set_config(std::optional<IpipConfig> cfg);
  Status reconcile();
  // Set when the kernel cannot do IPIP (probed at start()). The daemon shows it.
  std::optional<std::string> unavailable_reason() const { return unavailable_; }
  IpipStats stats() const { return stats_; }

 private:
  Status pass();
  NetlinkChannel ch_;
  std::optional<IpipConfig> cfg_;
  std::optional<std::string> unavailable_;
  IpipStats stats_;
  std::vector<uint8_t> buf_;
};

}  // namespace podnet::dataplane
