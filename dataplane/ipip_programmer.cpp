#include "dataplane/ipip_programmer.hpp"

#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/if_tunnel.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "dataplane/interfaces.hpp"
#include "dataplane/link_messages.hpp"
#include "dataplane/netlink_builder.hpp"

namespace podnet::dataplane {

void append_kind_probe(std::vector<uint8_t>& buf, uint32_t seq, const std::string& name,
                       const std::string& kind) {
  nl::Builder b(buf);
  ifinfomsg i{};
  i.ifi_family = AF_UNSPEC;
  b.begin(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, seq, i);
  b.attr_str(IFLA_IFNAME, name);
  auto info = b.nest_begin(IFLA_LINKINFO);
  b.attr_str(IFLA_INFO_KIND, kind);
  auto data = b.nest_begin(IFLA_INFO_DATA);
  b.attr_u8(IFLA_IPTUN_PROTO, 255);  // not IPIP, MPLS or any: the driver's validator says EINVAL
  b.nest_end(data);
  b.nest_end(info);
  b.end();
}

std::optional<std::string> kind_probe_verdict(const std::string& kind, int err,
                                              const std::string& kernel_message) {
  switch (err) {
    case 0:       // an old driver without the check created it (the caller deletes it)
    case EINVAL:  // the driver is there and refused the bad protocol
    case EEXIST:  // the probe name is taken: the lookup came first, nothing learned, assume yes
      return std::nullopt;
    case EOPNOTSUPP: {
      struct stat st {};
      bool loaded = ::stat(("/sys/module/" + kind).c_str(), &st) == 0;
      return "the kernel has no " + kind + " support (" + kernel_message +
             (loaded ? ")"
                     : "; no /sys/module/" + kind +
                           ": the module is not loaded and could not be loaded)");
    }
    case EPERM:
      return "cannot create " + kind + " devices: " + kernel_message + " (needs CAP_NET_ADMIN)";
    default:
      return "cannot tell whether the kernel supports " + kind + ": " + kernel_message;
  }
}

std::optional<std::string> probe_link_kind(NetlinkChannel& ch, const std::string& kind) {
  std::string name = "pnprobe" + std::to_string(::getpid() % 100000);
  std::vector<uint8_t> buf;
  append_kind_probe(buf, ch.next_seq(), name, kind);
  auto r = ch.call(buf);
  if (r) {
    // Created after all: remove it again.
    if (auto ifs = list_interfaces(ch)) {
      if (const auto* i = interface_named(*ifs, name)) {
        buf.clear();
        append_del_link(buf, ch.next_seq(), i->ifindex);
        (void)ch.call(buf);
      }
    }
    return std::nullopt;
  }
  return kind_probe_verdict(kind, r.error().err, r.error().message);
}

std::optional<std::string> probe_ipip(NetlinkChannel& ch) {
  if (auto ifs = list_interfaces(ch)) {
    const auto* t = interface_named(*ifs, kIpipDevice);
    if (t && t->kind == "ipip") return std::nullopt;  // the driver made its fallback tunl0
  }
  return probe_link_kind(ch, "ipip");
}

Status IpipProgrammer::start() {
  if (auto s = ch_.open(); !s) return s;
  unavailable_ = probe_ipip(ch_);
  return reconcile();
}

Status IpipProgrammer::set_config(std::optional<IpipConfig> cfg) {
  if (cfg == cfg_) return ok_status();
  cfg_ = std::move(cfg);
  if (!ch_.is_open()) return ok_status();
  return reconcile();
}

Status IpipProgrammer::reconcile() {
  if (!ch_.is_open()) return make_error(Errc::unavailable, "IPIP programmer not started");
  auto s = pass();
  stats_.error = s ? std::string() : s.error().message;
  return s;
}

Status IpipProgrammer::pass() {
  ++stats_.passes;
  stats_.device_ready = false;
  std::string name = cfg_ ? cfg_->device : std::string(kIpipDevice);
  auto ifs = list_interfaces(ch_);
  if (!ifs) return ifs.error();
  const InterfaceInfo* dev = interface_named(*ifs, name);
  if (!cfg_) {
    if (!dev || dev->kind != "ipip") return ok_status();
    for (const auto& [a, len] : dev->addresses) {
      if (a.family() != rib::Family::v4) continue;  // as Felix: only the IPv4 tunnel address
      buf_.clear();
      append_addr(buf_, ch_.next_seq(), false, dev->ifindex, a, len);
      if (auto r = ch_.call(buf_); !r) return make_error(Errc::io, r.error().message);
      ++stats_.addresses_changed;
    }
    return ok_status();
  }
  if (unavailable_) return make_error(Errc::unavailable, *unavailable_);
  int ifindex = 0;
  uint32_t mtu = 0;
  bool up = false;
  std::vector<std::pair<rib::Address, uint8_t>> addrs;
  if (!dev) {
    buf_.clear();
    append_new_ipip_link(buf_, ch_.next_seq(), name, cfg_->mtu);
    if (auto r = ch_.call(buf_); !r) {
      if (r.error().err == EOPNOTSUPP) {
        unavailable_ = kind_probe_verdict("ipip", r.error().err, r.error().message);
        return make_error(Errc::unavailable, *unavailable_);
      }
      return make_error(Errc::io, "create " + name + ": " + r.error().message);
    }
    ++stats_.devices_created;
    auto again = list_interfaces(ch_);
    if (!again) return again.error();
    dev = interface_named(*again, name);
    if (!dev) return make_error(Errc::internal, name + " created but not found");
    ifindex = dev->ifindex;
    mtu = dev->mtu;
    up = dev->admin_up;
    addrs = dev->addresses;
  } else {
    if (dev->kind != "ipip") {
      return make_error(Errc::invalid, name + " exists but is a " +
                                           (dev->kind.empty() ? "device" : dev->kind) +
                                           " device, not ipip");
    }
    ifindex = dev->ifindex;
    mtu = dev->mtu;
    up = dev->admin_up;
    addrs = dev->addresses;
  }
  stats_.ifindex = ifindex;
  if (mtu != cfg_->mtu || !up) {
    buf_.clear();
    append_set_link(buf_, ch_.next_seq(), ifindex,
                    mtu != cfg_->mtu ? std::optional<uint32_t>(cfg_->mtu) : std::nullopt,
                    std::nullopt, !up);
    if (auto r = ch_.call(buf_); !r)
      return make_error(Errc::io, "configure " + name + ": " + r.error().message);
    ++stats_.link_updates;
  }
  bool have = false;
  for (const auto& [a, len] : addrs) {
    if (a == cfg_->tunnel_ip && len == 32) {
      have = true;
      continue;
    }
    if (a.family() != rib::Family::v4) continue;  // IPv6 link-local and such stay
    buf_.clear();
    append_addr(buf_, ch_.next_seq(), false, ifindex, a, len);
    if (auto r = ch_.call(buf_); !r) return make_error(Errc::io, r.error().message);
    ++stats_.addresses_changed;
  }
  if (!have) {
    buf_.clear();
    append_addr(buf_, ch_.next_seq(), true, ifindex, cfg_->tunnel_ip, 32);
    if (auto r = ch_.call(buf_); !r) return make_error(Errc::io, "address: " + r.error().message);
    ++stats_.addresses_changed;
  }
  stats_.device_ready = true;
  return ok_status();
}

}  // namespace podnet::dataplane
