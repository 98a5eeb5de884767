// The rtnetlink messages of the tunnel programmers: links (vxlan, ipip), addresses, neighbours
// and bridge FDB entries, built into a buffer and parsed back from dumps. Kept apart from the
// programmers so the tests can check every attribute the kernel will receive.
#pragma once

#include <linux/netlink.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dataplane/encap.hpp"
#include "rib/prefix.hpp"

namespace podnet::dataplane {

struct VxlanLinkParams {
  std::string name = kVxlanDevice;
  uint32_t vni = 4096;
  uint16_t port = 4789;    // host order; sent big-endian as the kernel wants
  int parent_ifindex = 0;  // IFLA_VXLAN_LINK: the NIC holding the node IP
  rib::Address local;      // IFLA_VXLAN_LOCAL: outer source address (the node IP)
  Mac mac{};
  uint32_t mtu = 1450;
};

// RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL: a vxlan device with learning off.
void append_new_vxlan_link(std::vector<uint8_t>& buf, uint32_t seq, const VxlanLinkParams& p);
// RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL: an ipip (iptun) device, no local/remote (any to any),
// path MTU discovery on, as `ip link add tunl0 type ipip` and Felix's netlink.Iptun do.
void append_new_ipip_link(std::vector<uint8_t>& buf, uint32_t seq, const std::string& name,
                          uint32_t mtu);
// RTM_NEWLINK on an existing index: MTU, MAC and/or up, whichever is given.
void append_set_link(std::vector<uint8_t>& buf, uint32_t seq, int ifindex,
                     std::optional<uint32_t> mtu, std::optional<Mac> mac, bool set_up);
void append_del_link(std::vector<uint8_t>& buf, uint32_t seq, int ifindex);
// RTM_NEWADDR (NLM_F_CREATE | NLM_F_REPLACE) / RTM_DELADDR of `a`/`prefix_length`.
void append_addr(std::vector<uint8_t>& buf, uint32_t seq, bool add, int ifindex,
                 const rib::Address& a, uint8_t prefix_length);
// RTM_NEWNEIGH (NLM_F_CREATE | NLM_F_REPLACE, NUD_PERMANENT) / RTM_DELNEIGH: an ARP entry.
void append_neigh(std::vector<uint8_t>& buf, uint32_t seq, bool add, int ifindex,
                  const rib::Address& ip, const Mac& mac);
// The same in the bridge family with NTF_SELF: the vxlan device's own FDB, MAC -> remote VTEP.
void append_fdb(std::vector<uint8_t>& buf, uint32_t seq, bool add, int ifindex, const Mac& mac,
                const rib::Address& dst);
// Dump requests: links; addresses / neighbours of one family (AF_INET, AF_BRIDGE...).
void append_link_dump(std::vector<uint8_t>& buf, uint32_t seq);
void append_addr_dump(std::vector<uint8_t>& buf, uint32_t seq, uint8_t family);
void append_neigh_dump(std::vector<uint8_t>& buf, uint32_t seq, uint8_t family);

struct LinkInfo {
  int ifindex = 0;
  std::string name;
  unsigned flags = 0;  // IFF_*
  uint32_t mtu = 0;
  std::optional<Mac> mac;
  std::string kind;  // IFLA_INFO_KIND ("vxlan", "ipip", "veth", "" for none)
  // vxlan only
  std::optional<uint32_t> vni;
  std::optional<uint16_t> port;  // host order
  std::optional<uint32_t> vxlan_link;
  std::optional<rib::Address> vxlan_local;
  std::optional<uint8_t> learning;
};
std::optional<LinkInfo> parse_link(const nlmsghdr& h);

struct AddrInfo {
  int ifindex = 0;
  rib::Address address;
  uint8_t prefix_length = 0;
};
std::optional<AddrInfo> parse_addr(const nlmsghdr& h);

struct NeighInfo {
  uint8_t family = 0;
  int ifindex = 0;
  uint16_t state = 0;  // NUD_*
  uint8_t flags = 0;   // NTF_*
  std::optional<rib::Address> dst;
  std::optional<Mac> lladdr;
};
std::optional<NeighInfo> parse_neigh(const nlmsghdr& h);

}  // namespace podnet::dataplane
