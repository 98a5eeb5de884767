// Pod-facing MTU, as Felix computes it (felix/dataplane/linux/int_dataplane.go):
//  - host MTU: the smallest MTU of the interfaces that are up and whose name matches
//    mtuIfacePattern (default below); 1460 when none matches (the smallest common cloud MTU);
//  - each tunnel's MTU: FelixConfiguration's explicit ipipMTU / vxlanMTU / vxlanMTUV6 /
//    wireguardMTU / wireguardMTUV6, or the host MTU minus its overhead: 20 (IPIP), 50 (VXLAN),
//    70 (VXLAN over IPv6), 60 (WireGuard), 80 (WireGuard over IPv6);
//  - pod MTU: the smallest MTU among the *enabled* encapsulations; the host MTU if none is.
// It is written to a file (Calico's /var/lib/calico/mtu) for the CNI plugin, atomically.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "conf/result.hpp"
#include "dataplane/encap.hpp"
#include "dataplane/interfaces.hpp"

namespace podnet::conf::types {
struct FelixConfiguration;
}

namespace podnet::dataplane::mtu {

inline constexpr const char* kDefaultIfacePattern =
    "^((en|wl|ww|sl|ib)[Pcopsvx].*|(eth|wlan|wwan).*)";
inline constexpr const char* kDefaultMtuFile = "/var/lib/calico/mtu";
inline constexpr uint32_t kFallbackHostMtu = 1460;
inline constexpr uint32_t kIpipOverhead = 20;
inline constexpr uint32_t kVxlanOverhead = 50;
inline constexpr uint32_t kVxlanV6Overhead = 70;
inline constexpr uint32_t kWireguardOverhead = 60;
inline constexpr uint32_t kWireguardV6Overhead = 80;

struct Encaps {
  bool ipip = false;
  bool vxlan = false;
  bool vxlan_v6 = false;
  bool wireguard = false;
  bool wireguard_v6 = false;
};

// Per-tunnel MTUs: explicit (non-zero) values from FelixConfiguration, or 0 for "from host".
struct TunnelMtus {
  uint32_t ipip = 0;
  uint32_t vxlan = 0;
  uint32_t vxlan_v6 = 0;
  uint32_t wireguard = 0;
  uint32_t wireguard_v6 = 0;
};

// Fills every 0 with host MTU minus the tunnel's overhead.
TunnelMtus resolve(uint32_t host_mtu, TunnelMtus configured);
uint32_t pod_mtu(uint32_t host_mtu, const Encaps& enabled, const TunnelMtus& configured);

// From the resources: explicit MTUs of FelixConfiguration; which encapsulations are on —
// IPIP/VXLAN when some pool of the family uses them (or FelixConfiguration's ipipEnabled /
// vxlanEnabled says so explicitly), WireGuard from wireguardEnabled(V6).
TunnelMtus configured_from(const conf::types::FelixConfiguration& f);
Encaps encaps_from(const std::vector<encap::Pool>& pools, const conf::types::FelixConfiguration& f);

struct HostMtu {
  uint32_t mtu = kFallbackHostMtu;
  std::vector<std::string> interfaces;  // those considered (up, name matches)
  bool fallback = true;                 // none matched: kFallbackHostMtu
};
// `pattern` "" = the default. Errors: the pattern is not a valid regular expression.
Result<HostMtu> host_mtu(const std::vector<InterfaceInfo>& ifs, const std::string& pattern);
// The same over the calling thread's network namespace.
Result<HostMtu> detect_host_mtu(const std::string& pattern);

// Writes "<mtu>" to `path` (parent directories created) through a temporary file and rename,
// so the CNI plugin never reads a half-written number. Unchanged content is not rewritten.
Status write_mtu_file(const std::string& path, uint32_t mtu);

}  // namespace podnet::dataplane::mtu
