// The kernel backend's messages: WireGuard's generic netlink family (linux/wireguard.h) —
// WG_CMD_GET_DEVICE dumps and WG_CMD_SET_DEVICE requests carrying a DeviceUpdate — and the
// RTM_NEWLINK that creates a `wireguard` link. Kept apart so the tests check them attribute by
// attribute on kernels without the module.
#pragma once

#include <linux/netlink.h>

#include <cstdint>
#include <string>
#include <vector>

#include "conf/result.hpp"
#include "dataplane/wireguard_device.hpp"

namespace podnet::dataplane::wg {

// CTRL_CMD_GETFAMILY for "wireguard" (to learn its family id).
void append_family_request(std::vector<uint8_t>& buf, uint32_t seq);
// The family id from the reply; nullopt if the message is not one.
std::optional<uint16_t> parse_family_id(const nlmsghdr& h);

void append_get_device(std::vector<uint8_t>& buf, uint32_t seq, uint16_t family,
                       const std::string& ifname);
// Adds one part of a WG_CMD_GET_DEVICE dump to `state` (a peer split over two parts continues
// where the last one stopped, as the kernel documents).
Status merge_device_part(const nlmsghdr& h, DeviceState& state);
void append_set_device(std::vector<uint8_t>& buf, uint32_t seq, uint16_t family,
                       const std::string& ifname, const DeviceUpdate& u);

// RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL: a `wireguard` link.
void append_new_wireguard_link(std::vector<uint8_t>& buf, uint32_t seq, const std::string& ifname);

}  // namespace podnet::dataplane::wg
