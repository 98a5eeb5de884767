#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <map>
#include <set>

#include "dataplane/link_messages.hpp"
#include "dataplane/mtu.hpp"
#include "dataplane/route_message.hpp"
#include "dataplane/wireguard.hpp"
#include "dataplane/wireguard_netlink.hpp"

namespace podnet::dataplane {

namespace {

Error nl_error(const std::string& what, const NetlinkError& e) {
  return make_error(Errc::io, what + ": " + e.message);
}

void note(Status& first, Status s) {
  if (!s && first) first = std::move(s);
}

}  // namespace

WireguardProgrammer::WireguardProgrammer(boost::asio::io_context& io,
                                         std::unique_ptr<wg::Backend> backend, rib::Family family)
    : io_(io), family_(family), backend_(std::move(backend)), events_(io) {
  if (!backend_) backend_ = wg::make_backend();
  stats_.backend = backend_->name();
}

WireguardProgrammer::~WireguardProgrammer() {
  *alive_ = false;
}

Status WireguardProgrammer::start() {
  if (auto s = ch_.open(); !s) return s;
  strict_dump_ = ch_.enable_strict_dump().ok();
  NetlinkSocketOptions o;
  o.groups = RTMGRP_LINK |
             (family_ == rib::Family::v4 ? RTMGRP_IPV4_IFADDR | RTMGRP_IPV4_RULE | RTMGRP_IPV4_ROUTE
                                         : RTMGRP_IPV6_IFADDR | RTMGRP_IPV6_ROUTE);
  o.receive_buffer = 4 << 20;
  auto s = events_.open(
      o, [this](const nlmsghdr& h) { on_event(h); }, [this](int) { schedule(); });
  if (!s) return s;
  // IPv6 rule changes have a group but no RTMGRP_ bit.
  if (family_ == rib::Family::v6) {
    if (auto j = events_.set_membership(RTNLGRP_IPV6_RULE, true); !j) return j;
  }
  started_ = true;
  return reconcile();
}

void WireguardProgrammer::set_config(std::optional<WireguardConfig> cfg) {
  if (cfg == cfg_) return;
  cfg_ = std::move(cfg);
  schedule();
}

void WireguardProgrammer::set_peers(std::vector<WireguardPeer> peers) {
  std::sort(peers.begin(), peers.end(),
            [](const WireguardPeer& a, const WireguardPeer& b) { return a.node < b.node; });
  if (peers == peers_) return;
  peers_ = std::move(peers);
  schedule();
}

void WireguardProgrammer::set_throw_prefixes(std::vector<rib::Prefix> prefixes) {
  std::sort(prefixes.begin(), prefixes.end());
  prefixes.erase(std::unique(prefixes.begin(), prefixes.end()), prefixes.end());
  if (prefixes == throws_) return;
  throws_ = std::move(prefixes);
  schedule();
}

void WireguardProgrammer::on_public_key(std::function<void(const std::string&)> cb) {
  on_key_ = std::move(cb);
}

void WireguardProgrammer::resync() {
  schedule();
}

uint8_t WireguardProgrammer::af() const {
  return family_ == rib::Family::v4 ? AF_INET : AF_INET6;
}

void WireguardProgrammer::on_event(const nlmsghdr& h) {
  const WireguardConfig c = cfg_ ? *cfg_ : (last_ ? *last_ : wireguard_default_config(family_));
  switch (h.nlmsg_type) {
    case RTM_NEWLINK:
    case RTM_DELLINK:
      if (auto l = parse_link(h); l && (l->name == c.interface || l->ifindex == stats_.ifindex)) {
        schedule();
      }
      return;
    case RTM_NEWADDR:
    case RTM_DELADDR:
      if (auto a = parse_addr(h); a && stats_.ifindex && a->ifindex == stats_.ifindex) schedule();
      return;
    case RTM_NEWRULE:
    case RTM_DELRULE:
      if (auto r = wg::parse_rule(h);
          r && (r->protocol == c.protocol || r->table == c.routing_table)) {
        schedule();
      }
      return;
    case RTM_NEWROUTE:
    case RTM_DELROUTE: {
      // Every route change of the host comes here (a million BGP routes too): look at the
      // table byte first and parse only ours.
      if (h.nlmsg_len < NLMSG_LENGTH(sizeof(rtmsg))) return;
      const auto* r = static_cast<const rtmsg*>(NLMSG_DATA(&h));
      if (r->rtm_family != af()) return;
      if (r->rtm_table != RT_TABLE_UNSPEC && r->rtm_table != (c.routing_table & 0xff)) return;
      if (auto d = wg::parse_device_route(h); d && d->table == c.routing_table) schedule();
      return;
    }
    default:
      return;
  }
}

void WireguardProgrammer::schedule() {
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

Status WireguardProgrammer::reconcile() {
  if (!started_) return make_error(Errc::internal, "wireguard programmer not started");
  ++stats_.passes;
  Status s = pass();
  stats_.error = s ? "" : s.error().message;
  return s;
}

Status WireguardProgrammer::pass() {
  if (!cfg_) return disable_pass();
  // A renamed device or a moved table/rule: remove the old ones first.
  if (last_ &&
      (last_->interface != cfg_->interface || last_->routing_table != cfg_->routing_table ||
       last_->rule_priority != cfg_->rule_priority || last_->fwmark != cfg_->fwmark)) {
    if (auto s = disable_pass(); !s) return s;
  }
  last_ = cfg_;
  stats_.enabled = true;
  Status s = enable_pass(*cfg_);
  stats_.device_ready = s.ok();
  return s;
}

Status WireguardProgrammer::enable_pass(const WireguardConfig& cfg) {
  int ifindex = 0;
  if (auto s = converge_device(cfg, ifindex); !s) return s;
  stats_.ifindex = ifindex;
  Status first = ok_status();
  note(first, converge_addresses(cfg, ifindex));
  note(first, converge_peers(cfg));
  note(first, converge_routes(&cfg, ifindex));
  note(first, converge_rules(&cfg));
  return first;
}

Status WireguardProgrammer::disable_pass() {
  // Without a last configuration (a restart while disabled) the defaults name what a previous
  // run would have created.
  WireguardConfig old = last_ ? *last_ : wireguard_default_config(family_);
  Status first = ok_status();
  note(first, converge_rules(nullptr));
  std::vector<uint8_t> buf;
  append_link_dump(buf, ch_.next_seq());
  auto links = ch_.dump(buf);
  if (!links) return links.error();
  for (const auto& m : *links) {
    auto l = parse_link(m.header());
    if (!l || l->name != old.interface) continue;
    buf.clear();
    append_del_link(buf, ch_.next_seq(), l->ifindex);
    if (auto r = ch_.call(buf); !r) {
      note(first, nl_error("deleting " + old.interface, r.error()));
    } else {
      ++stats_.devices_deleted;
    }
  }
  // The routes went with the device; any left in the table (device gone by hand) go now.
  note(first, converge_routes(nullptr, 0));
  stats_.enabled = false;
  stats_.device_ready = false;
  stats_.ifindex = 0;
  stats_.peers = 0;
  stats_.routes = 0;
  if (first) {
    last_.reset();
    key_.reset();
    set_public_key("");
  }
  return first;
}

Status WireguardProgrammer::converge_device(const WireguardConfig& cfg, int& ifindex) {
  auto find = [&]() -> Result<std::optional<LinkInfo>> {
    std::vector<uint8_t> buf;
    append_link_dump(buf, ch_.next_seq());
    auto links = ch_.dump(buf);
    if (!links) return links.error();
    for (const auto& m : *links) {
      auto l = parse_link(m.header());
      if (l && l->name == cfg.interface) return std::optional<LinkInfo>(*l);
    }
    return std::optional<LinkInfo>{};
  };
  auto link = find();
  if (!link) return link.error();
  if (*link && !backend_->manages(cfg.interface)) {
    // A link of our name that nothing configures (its wireguard-go died, or something else
    // took the name): replace it.
    std::vector<uint8_t> buf;
    append_del_link(buf, ch_.next_seq(), (*link)->ifindex);
    if (auto r = ch_.call(buf); !r) return nl_error("deleting stale " + cfg.interface, r.error());
    ++stats_.devices_deleted;
    link.value().reset();
  }
  if (!*link) {
    if (auto s = backend_->create(cfg.interface); !s) return s;
    ++stats_.devices_created;
    link = find();
    if (!link) return link.error();
    if (!*link) return make_error(Errc::io, cfg.interface + " did not appear after creation");
  }
  const LinkInfo& l = **link;
  ifindex = l.ifindex;
  uint32_t mtu = cfg.mtu;
  if (mtu == 0) {
    auto host = mtu::detect_host_mtu("");
    uint32_t h = host ? host->mtu : mtu::kFallbackHostMtu;
    mtu = h - (family_ == rib::Family::v4 ? mtu::kWireguardOverhead : mtu::kWireguardV6Overhead);
  }
  bool up = (l.flags & IFF_UP) != 0;
  if (l.mtu != mtu || !up) {
    std::vector<uint8_t> buf;
    append_set_link(buf, ch_.next_seq(), ifindex,
                    l.mtu != mtu ? std::optional<uint32_t>(mtu) : std::nullopt, std::nullopt, !up);
    if (auto r = ch_.call(buf); !r) return nl_error("setting up " + cfg.interface, r.error());
  }
  return ok_status();
}

Status WireguardProgrammer::converge_addresses(const WireguardConfig& cfg, int ifindex) {
  std::vector<uint8_t> buf;
  const uint8_t host_len = family_ == rib::Family::v4 ? 32 : 128;
  append_addr_dump(buf, ch_.next_seq(), af());
  auto addrs = ch_.dump(buf);
  if (!addrs) return addrs.error();
  bool have = false;
  Status first = ok_status();
  for (const auto& m : *addrs) {
    auto a = parse_addr(m.header());
    if (!a || a->ifindex != ifindex || a->address.family() != family_) continue;
    if (cfg.interface_address && a->address == *cfg.interface_address &&
        a->prefix_length == host_len) {
      have = true;
      continue;
    }
    // The kernel's own IPv6 link-local address: removing it would only see it come back.
    if (family_ == rib::Family::v6 && a->address.bytes()[0] == 0xfe &&
        (a->address.bytes()[1] & 0xc0) == 0x80) {
      continue;
    }
    buf.clear();
    append_addr(buf, ch_.next_seq(), false, ifindex, a->address, a->prefix_length);
    if (auto r = ch_.call(buf); !r) note(first, nl_error("removing address", r.error()));
  }
  if (cfg.interface_address && !have) {
    buf.clear();
    append_addr(buf, ch_.next_seq(), true, ifindex, *cfg.interface_address, host_len);
    if (auto r = ch_.call(buf); !r) note(first, nl_error("adding address", r.error()));
  }
  return first;
}

Status WireguardProgrammer::converge_peers(const WireguardConfig& cfg) {
  auto current = backend_->get(cfg.interface);
  if (!current) return current.error();
  wg::DeviceState want;
  if (cfg.private_key) {
    want.private_key = *cfg.private_key;
  } else if (!wg::is_zero(current->private_key)) {
    want.private_key = current->private_key;  // adopt: the published key stays valid
  } else if (key_) {
    want.private_key = *key_;
  } else {
    auto kp = wg::generate_key_pair();
    if (!kp) return kp.error();
    want.private_key = kp->private_key;
    ++stats_.keys_generated;
  }
  key_ = want.private_key;
  want.listen_port = cfg.listen_port;
  want.fwmark = cfg.fwmark;
  for (const auto& p : peers_) {
    wg::PeerState ps;
    ps.public_key = p.public_key;
    ps.endpoint = wg::Endpoint{p.node_ip, cfg.listen_port};
    for (const auto& a : p.allowed_ips) {
      if (a.family() == family_) ps.allowed_ips.push_back(a);
    }
    ps.persistent_keepalive = cfg.persistent_keepalive;
    want.peers.push_back(std::move(ps));
  }
  wg::normalise(want);
  if (!(*current == want)) {
    if (auto s = backend_->set(cfg.interface, *current, want); !s) return s;
    ++stats_.device_updates;
  }
  stats_.peers = want.peers.size();
  auto pub = wg::public_key_of(want.private_key);
  if (!pub) return pub.error();
  set_public_key(wg::to_base64(*pub));
  return ok_status();
}

Status WireguardProgrammer::converge_routes(const WireguardConfig* cfg, int ifindex) {
  const WireguardConfig c = cfg ? *cfg : (last_ ? *last_ : wireguard_default_config(family_));
  // prefix -> the device's ifindex, or 0 for a throw route.
  std::map<rib::Prefix, int> want;
  if (cfg) {
    for (const auto& p : throws_) {
      if (p.family() == family_) want[p] = 0;
    }
    for (const auto& p : peers_) {
      for (const auto& a : p.allowed_ips) {
        if (a.family() == family_) want[a] = ifindex;
      }
    }
  }
  // Only our table's routes of our protocol: with a strict-checking kernel the dump is filtered
  // there, so a million BGP routes in main cost nothing here.
  std::vector<uint8_t> buf;
  wg::append_table_route_dump(buf, ch_.next_seq(), af(), c.routing_table, c.protocol);
  auto dumped = ch_.dump(buf);
  if (!dumped && dumped.error().code != Errc::not_found) return dumped.error();
  const std::vector<NetlinkMessage> routes =
      dumped ? std::move(*dumped) : std::vector<NetlinkMessage>{};  // no table yet: no routes
  stats_.routes_dumped += routes.size();
  Status first = ok_status();
  std::set<rib::Prefix> good;
  for (const auto& m : routes) {
    auto r = wg::parse_device_route(m.header());
    if (!r || r->table != c.routing_table || r->protocol != c.protocol) continue;
    auto w = want.find(r->prefix);
    // The kernel's default metric for a route without one: 0 for IPv4, 1024 for IPv6.
    const uint32_t default_metric = family_ == rib::Family::v4 ? 0 : 1024;
    bool right =
        w != want.end() && r->metric == default_metric && !r->gateway &&
        (w->second ? r->type == RTN_UNICAST && r->ifindex == w->second : r->type == RTN_THROW);
    if (right) {
      good.insert(r->prefix);
      continue;
    }
    buf.clear();
    append_del_route(buf, ch_.next_seq(), false, r->prefix,
                     RouteKey{c.routing_table, c.protocol, r->metric});
    if (auto res = ch_.call(buf); !res) {
      note(first, nl_error("removing route " + r->prefix.to_string(), res.error()));
    } else {
      ++stats_.routes_removed;
    }
  }
  for (const auto& [p, dev] : want) {
    if (good.count(p)) continue;
    buf.clear();
    wg::append_device_route(buf, ch_.next_seq(), p, dev, c.routing_table, c.protocol);
    if (auto res = ch_.call(buf); !res) {
      note(first, nl_error("adding route " + p.to_string(), res.error()));
    } else {
      ++stats_.routes_added;
    }
  }
  stats_.routes = want.size();
  return first;
}

Status WireguardProgrammer::converge_rules(const WireguardConfig* cfg) {
  const WireguardConfig c = cfg ? *cfg : (last_ ? *last_ : wireguard_default_config(family_));
  wg::Rule want{af(), c.rule_priority, c.routing_table, c.fwmark, c.fwmark, true, c.protocol};
  std::vector<uint8_t> buf;
  wg::append_rule_dump(buf, ch_.next_seq(), af());
  auto rules = ch_.dump(buf);
  if (!rules) return rules.error();
  Status first = ok_status();
  bool have = false;
  for (const auto& m : *rules) {
    auto r = wg::parse_rule(m.header());
    if (!r) continue;
    // Ours: tagged with our protocol, or (an untagged one, from an older run or by hand) at
    // our priority pointing at our table.
    bool ours = r->protocol == c.protocol ||
                (r->priority == c.rule_priority && r->table == c.routing_table);
    if (!ours) continue;
    if (cfg && *r == want && !have) {
      have = true;
      continue;
    }
    buf.clear();
    wg::append_rule(buf, ch_.next_seq(), false, *r);
    if (auto res = ch_.call(buf); !res) {
      note(first, nl_error("removing rule", res.error()));
    } else {
      ++stats_.rules_removed;
    }
  }
  if (cfg && !have) {
    buf.clear();
    wg::append_rule(buf, ch_.next_seq(), true, want);
    if (auto res = ch_.call(buf); !res) {
      note(first, nl_error("adding rule", res.error()));
    } else {
      ++stats_.rules_added;
    }
  }
  return first;
}

void WireguardProgrammer::set_public_key(const std::string& k) {
  if (k == public_key_) return;
  public_key_ = k;
  if (on_key_) on_key_(k);
}

}  // namespace podnet::dataplane
