#include "dataplane/vxlan_programmer.hpp"

#include <linux/if.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <map>
#include <set>

#include "conf/types/routing.hpp"
#include "dataplane/interfaces.hpp"
#include "dataplane/link_messages.hpp"

namespace podnet::dataplane {

Result<VxlanConfig> vxlan_config_from(const conf::types::Node& self, uint32_t vni, uint16_t port,
                                      uint32_t mtu) {
  auto local = encap::remote_from(self);  // same fields: IP, tunnel address, MAC
  if (!local) return local.error();
  if (!local->vxlan_tunnel_ip) {
    return make_error(Errc::unavailable,
                      "node " + self.metadata.name + " has no ipv4VXLANTunnelAddr yet");
  }
  VxlanConfig c;
  c.vni = vni;
  c.port = port;
  c.node_ip = local->ip;
  c.tunnel_ip = *local->vxlan_tunnel_ip;
  c.mac = *local->vxlan_mac;
  c.mtu = mtu;
  return c;
}

std::vector<VxlanPeer> vxlan_peers(const std::vector<encap::RemoteNode>& nodes) {
  std::vector<VxlanPeer> out;
  for (const auto& n : nodes) {
    if (!n.vxlan_tunnel_ip || !n.vxlan_mac) continue;
    out.push_back(VxlanPeer{n.name, n.ip, *n.vxlan_tunnel_ip, *n.vxlan_mac});
  }
  return out;
}

namespace {

Status failed(const std::string& what, const NetlinkError& e) {
  return make_error(Errc::io, what + ": " + e.message);
}

}  // namespace

VxlanProgrammer::VxlanProgrammer(boost::asio::io_context& io) : io_(io), events_(io) {}

VxlanProgrammer::~VxlanProgrammer() {
  *alive_ = false;
}

Status VxlanProgrammer::start() {
  if (auto s = ch_.open(); !s) return s;
  NetlinkSocketOptions o;
  o.groups = RTMGRP_LINK | RTMGRP_NEIGH | RTMGRP_IPV4_IFADDR;
  o.receive_buffer = 1 << 20;
  auto s = events_.open(
      o, [this](const nlmsghdr& h) { on_event(h); }, [this](int) { schedule(); });
  if (!s) return s;
  started_ = true;
  return reconcile();
}

void VxlanProgrammer::set_config(std::optional<VxlanConfig> cfg) {
  if (cfg == cfg_) return;
  cfg_ = std::move(cfg);
  schedule();
}

void VxlanProgrammer::set_remote_nodes(std::vector<VxlanPeer> peers) {
  std::sort(peers.begin(), peers.end());
  if (peers == peers_) return;
  peers_ = std::move(peers);
  schedule();
}

void VxlanProgrammer::resync() {
  schedule();
}

void VxlanProgrammer::schedule() {
  if (!started_ || posted_) return;
  posted_ = true;
  std::weak_ptr<bool> alive = alive_;
  boost::asio::post(io_, [this, alive] {
    auto a = alive.lock();
    if (!a || !*a) return;
    posted_ = false;
    (void)reconcile();
  });
}

void VxlanProgrammer::on_event(const nlmsghdr& h) {
  switch (h.nlmsg_type) {
    case RTM_NEWLINK:
    case RTM_DELLINK: {
      auto l = parse_link(h);
      if (!l) return;
      std::string dev = cfg_ ? cfg_->device : std::string(kVxlanDevice);
      if (l->ifindex == ifindex_ || l->ifindex == parent_ifindex_ || l->name == dev ||
          (cfg_ && l->name == cfg_->parent)) {
        schedule();
      }
      return;
    }
    case RTM_NEWADDR:
    case RTM_DELADDR: {
      auto a = parse_addr(h);
      // Ours changed, or the node IP moved (the parent may be another interface now).
      if (a && (a->ifindex == ifindex_ || (cfg_ && a->address == cfg_->node_ip))) schedule();
      return;
    }
    case RTM_NEWNEIGH:
    case RTM_DELNEIGH: {
      auto n = parse_neigh(h);
      if (!n || ifindex_ == 0 || n->ifindex != ifindex_) return;
      // Dynamic ARP activity on the device is the kernel's; an entry deleted, or a permanent
      // one written by someone else, is a change to look at.
      if (h.nlmsg_type == RTM_DELNEIGH || (n->state & (NUD_PERMANENT | NUD_NOARP)) ||
          n->family == AF_BRIDGE) {
        schedule();
      }
      return;
    }
    default:
      return;
  }
}

void VxlanProgrammer::note(Status& first, Status s) {
  if (!s && first) first = std::move(s);
}

Status VxlanProgrammer::reconcile() {
  if (!ch_.is_open()) return make_error(Errc::unavailable, "VXLAN programmer not started");
  auto s = pass();
  stats_.error = s ? std::string() : s.error().message;
  return s;
}

Status VxlanProgrammer::pass() {
  ++stats_.passes;
  stats_.neighbours = cfg_ ? peers_.size() : 0;
  if (!cfg_) {
    stats_.device_ready = false;
    ifindex_ = 0;
    return remove_device();
  }
  int ifindex = 0;
  if (auto s = converge_device(ifindex); !s) {
    stats_.device_ready = false;
    return s;
  }
  ifindex_ = ifindex;
  stats_.ifindex = ifindex;
  Status first = ok_status();
  auto addr = converge_addresses(ifindex);
  stats_.device_ready = addr.ok();
  note(first, std::move(addr));
  note(first, converge_neighbours(ifindex));
  note(first, converge_fdb(ifindex));
  return first;
}

Status VxlanProgrammer::remove_device() {
  auto ifs = list_interfaces(ch_);
  if (!ifs) return ifs.error();
  const auto* dev = interface_named(*ifs, kVxlanDevice);
  if (!dev || dev->kind != "vxlan") return ok_status();
  buf_.clear();
  append_del_link(buf_, ch_.next_seq(), dev->ifindex);
  if (auto r = ch_.call(buf_); !r) return failed("delete " + dev->name, r.error());
  ++stats_.devices_deleted;
  return ok_status();
}

Status VxlanProgrammer::converge_device(int& ifindex) {
  const VxlanConfig& c = *cfg_;
  auto ifs = list_interfaces(ch_);
  if (!ifs) return ifs.error();
  const InterfaceInfo* parent =
      c.parent.empty() ? interface_with_address(*ifs, c.node_ip) : interface_named(*ifs, c.parent);
  if (!parent) {
    return make_error(Errc::not_found,
                      c.parent.empty() ? "no interface holds the node IP " + c.node_ip.to_string()
                                       : "parent interface " + c.parent + " not found");
  }
  parent_ifindex_ = parent->ifindex;
  stats_.parent = parent->name;

  // The kernel's view of our device, in full (list_interfaces keeps only the common fields).
  std::vector<uint8_t> req;
  append_link_dump(req, ch_.next_seq());
  auto links = ch_.dump(req);
  if (!links) return links.error();
  std::optional<LinkInfo> dev;
  for (const auto& m : *links) {
    auto l = parse_link(m.header());
    if (l && l->name == c.device) dev = l;
  }
  if (dev) {
    bool same = dev->kind == "vxlan" && dev->vni == c.vni && dev->port == c.port &&
                dev->vxlan_link == static_cast<uint32_t>(parent->ifindex) &&
                dev->vxlan_local == c.node_ip && dev->learning.value_or(1) == 0;
    if (!same) {
      // VNI, port, parent and learning cannot all be changed in place: start again.
      buf_.clear();
      append_del_link(buf_, ch_.next_seq(), dev->ifindex);
      if (auto r = ch_.call(buf_); !r) return failed("delete " + c.device, r.error());
      ++stats_.devices_recreated;
      dev.reset();
    }
  }
  if (!dev) {
    VxlanLinkParams p;
    p.name = c.device;
    p.vni = c.vni;
    p.port = c.port;
    p.parent_ifindex = parent->ifindex;
    p.local = c.node_ip;
    p.mac = c.mac;
    p.mtu = c.mtu;
    buf_.clear();
    append_new_vxlan_link(buf_, ch_.next_seq(), p);
    if (auto r = ch_.call(buf_); !r) return failed("create " + c.device, r.error());
    ++stats_.devices_created;
    req.clear();
    append_link_dump(req, ch_.next_seq());
    links = ch_.dump(req);
    if (!links) return links.error();
    for (const auto& m : *links) {
      auto l = parse_link(m.header());
      if (l && l->name == c.device) dev = l;
    }
    if (!dev) return make_error(Errc::internal, c.device + " created but not found");
  }
  ifindex = dev->ifindex;
  std::optional<uint32_t> mtu;
  std::optional<Mac> mac;
  if (dev->mtu != c.mtu) mtu = c.mtu;
  if (dev->mac != c.mac) mac = c.mac;
  bool up = (dev->flags & IFF_UP) == 0;
  if (mtu || mac || up) {
    buf_.clear();
    append_set_link(buf_, ch_.next_seq(), ifindex, mtu, mac, up);
    if (auto r = ch_.call(buf_); !r) return failed("configure " + c.device, r.error());
    ++stats_.link_updates;
  }
  return ok_status();
}

Status VxlanProgrammer::converge_addresses(int ifindex) {
  std::vector<uint8_t> req;
  append_addr_dump(req, ch_.next_seq(), AF_INET);
  auto addrs = ch_.dump(req);
  if (!addrs) return addrs.error();
  bool have = false;
  Status first = ok_status();
  for (const auto& m : *addrs) {
    auto a = parse_addr(m.header());
    if (!a || a->ifindex != ifindex) continue;
    if (a->address == cfg_->tunnel_ip && a->prefix_length == 32) {
      have = true;
      continue;
    }
    buf_.clear();
    append_addr(buf_, ch_.next_seq(), false, ifindex, a->address, a->prefix_length);
    if (auto r = ch_.call(buf_); !r) {
      note(first, failed("remove address " + a->address.to_string(), r.error()));
    } else {
      ++stats_.addresses_changed;
    }
  }
  if (!have) {
    buf_.clear();
    append_addr(buf_, ch_.next_seq(), true, ifindex, cfg_->tunnel_ip, 32);
    if (auto r = ch_.call(buf_); !r) {
      note(first, failed("add address " + cfg_->tunnel_ip.to_string(), r.error()));
    } else {
      ++stats_.addresses_changed;
    }
  }
  return first;
}

Status VxlanProgrammer::converge_neighbours(int ifindex) {
  std::map<rib::Address, Mac> want;
  for (const auto& p : peers_) want[p.tunnel_ip] = p.mac;
  std::vector<uint8_t> req;
  append_neigh_dump(req, ch_.next_seq(), AF_INET);
  auto dumped = ch_.dump(req);
  if (!dumped) return dumped.error();
  Status first = ok_status();
  std::set<rib::Address> good;
  for (const auto& m : *dumped) {
    auto n = parse_neigh(m.header());
    if (!n || n->ifindex != ifindex || !n->dst) continue;
    auto it = want.find(*n->dst);
    if (it != want.end() && n->lladdr == it->second && (n->state & NUD_PERMANENT)) {
      good.insert(*n->dst);
      ++stats_.entries_adopted;
      continue;
    }
    if (it != want.end()) continue;  // wrong MAC or not permanent: replaced below
    buf_.clear();
    append_neigh(buf_, ch_.next_seq(), false, ifindex, *n->dst, Mac{});
    if (auto r = ch_.call(buf_); !r && r.error().err != ENOENT) {
      note(first, failed("remove neighbour " + n->dst->to_string(), r.error()));
    } else {
      ++stats_.entries_removed;
    }
  }
  for (const auto& [ip, mac] : want) {
    if (good.count(ip)) continue;
    buf_.clear();
    append_neigh(buf_, ch_.next_seq(), true, ifindex, ip, mac);
    if (auto r = ch_.call(buf_); !r) {
      note(first, failed("neighbour " + ip.to_string(), r.error()));
    } else {
      ++stats_.entries_added;
    }
  }
  return first;
}

Status VxlanProgrammer::converge_fdb(int ifindex) {
  std::map<Mac, rib::Address> want;
  for (const auto& p : peers_) want[p.mac] = p.node_ip;
  std::vector<uint8_t> req;
  append_neigh_dump(req, ch_.next_seq(), AF_BRIDGE);
  auto dumped = ch_.dump(req);
  if (!dumped) return dumped.error();
  Status first = ok_status();
  std::set<Mac> good;
  for (const auto& m : *dumped) {
    auto n = parse_neigh(m.header());
    if (!n || n->ifindex != ifindex || !(n->flags & NTF_SELF) || !n->lladdr) continue;
    auto it = want.find(*n->lladdr);
    if (it != want.end() && n->dst == it->second && (n->state & NUD_PERMANENT) &&
        !good.count(*n->lladdr)) {
      good.insert(*n->lladdr);
      ++stats_.entries_adopted;
      continue;
    }
    // Not ours, or a second/wrong remote for one of our MACs: delete exactly that remote.
    rib::Address dst = n->dst.value_or(rib::Address());
    buf_.clear();
    append_fdb(buf_, ch_.next_seq(), false, ifindex, *n->lladdr, dst);
    if (auto r = ch_.call(buf_); !r && r.error().err != ENOENT) {
      note(first, failed("remove FDB entry " + to_string(*n->lladdr), r.error()));
    } else {
      ++stats_.entries_removed;
    }
  }
  for (const auto& [mac, dst] : want) {
    if (good.count(mac)) continue;
    buf_.clear();
    append_fdb(buf_, ch_.next_seq(), true, ifindex, mac, dst);
    if (auto r = ch_.call(buf_); !r) {
      note(first, failed("FDB entry " + to_string(mac), r.error()));
    } else {
      ++stats_.entries_added;
    }
  }
  return first;
}

}  // namespace podnet::dataplane
