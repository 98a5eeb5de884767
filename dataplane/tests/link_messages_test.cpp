// The bytes the tunnel programmers send, taken apart attribute by attribute and checked against
// what the kernel's rtnetlink policies expect (types, lengths, byte order, nesting, flags).
// This is the only check the IPIP messages get on a kernel without the ipip driver.
#include "dataplane/link_messages.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/if_tunnel.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include "dataplane/ipip_programmer.hpp"
#include "dataplane/netlink_builder.hpp"
#include "dataplane/route_message.hpp"

namespace podnet::dataplane {
namespace {

rib::Address addr(const char* s) {
  return *rib::Address::parse(s);
}

const nlmsghdr& only_message(const std::vector<uint8_t>& buf) {
  auto msgs = nl::messages(buf);
  EXPECT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs.front()->nlmsg_len, buf.size());  // length covers everything, nothing trails
  return *msgs.front();
}

using Order = std::vector<std::pair<uint16_t, std::size_t>>;

TEST(IpipMessages, NewLinkAttributeByAttribute) {
  std::vector<uint8_t> buf;
  append_new_ipip_link(buf, 77, "tunl0", 1480);
  const nlmsghdr& h = only_message(buf);
  EXPECT_EQ(h.nlmsg_type, RTM_NEWLINK);
  EXPECT_EQ(h.nlmsg_seq, 77u);
  EXPECT_EQ(h.nlmsg_flags, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL);
  const auto* ifi = static_cast<const ifinfomsg*>(NLMSG_DATA(&h));
  EXPECT_EQ(ifi->ifi_family, AF_UNSPEC);
  EXPECT_EQ(ifi->ifi_index, 0);  // a new device: the kernel picks the index
  auto a = nl::Attrs::of(h, sizeof(ifinfomsg));
  // IFLA_IFNAME is NLA_STRING (max IFNAMSIZ-1) with its NUL; IFLA_MTU a u32; IFLA_LINKINFO nested.
  EXPECT_EQ(a.order(),
            (Order{{IFLA_IFNAME, 6}, {IFLA_MTU, 4}, {IFLA_LINKINFO, a.get(IFLA_LINKINFO).size()}}));
  EXPECT_EQ(a.get(IFLA_IFNAME).back(), 0);
  EXPECT_EQ(*a.str(IFLA_IFNAME), "tunl0");
  EXPECT_EQ(*a.u32(IFLA_MTU), 1480u);
  auto info = a.nested(IFLA_LINKINFO);
  EXPECT_EQ(info.order(), (Order{{IFLA_INFO_KIND, 5}, {IFLA_INFO_DATA, 8}}));
  EXPECT_EQ(*info.str(IFLA_INFO_KIND), "ipip");  // rtnl_link_ops "ipip" (module rtnl-link-ipip)
  auto data = info.nested(IFLA_INFO_DATA);
  // ipip_policy: IFLA_IPTUN_PMTUDISC is NLA_U8; no LOCAL/REMOTE = any-to-any like tunl0.
  EXPECT_EQ(data.order(), (Order{{IFLA_IPTUN_PMTUDISC, 1}}));
  EXPECT_EQ(*data.u8(IFLA_IPTUN_PMTUDISC), 1);
  // The nested flag is set on both nests (the kernel's strict validation wants it).
  const auto* first = reinterpret_cast<const rtattr*>(
      reinterpret_cast<const uint8_t*>(&h) + NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(ifinfomsg)));
  int left = static_cast<int>(h.nlmsg_len - (NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(ifinfomsg))));
  bool nested_flag = false;
  for (auto* r = first; RTA_OK(r, left); r = RTA_NEXT(r, left)) {
    if ((r->rta_type & NLA_TYPE_MASK) == IFLA_LINKINFO) nested_flag = r->rta_type & NLA_F_NESTED;
  }
  EXPECT_TRUE(nested_flag);
}

TEST(IpipMessages, RouteViaNodeIpOnTunl0Onlink) {
  // What the route programmer sends once "tunl0" resolved to ifindex 9.
  RouteSpec spec = RouteSpec::unicast({NextHop(addr("192.168.1.20"), 9, "tunl0", true)});
  std::vector<uint8_t> buf;
  append_new_route(buf, 11, true, false, *rib::Prefix::parse("10.244.2.0/26"), spec, RouteKey{});
  const nlmsghdr& h = only_message(buf);
  EXPECT_EQ(h.nlmsg_type, RTM_NEWROUTE);
  EXPECT_EQ(h.nlmsg_flags, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK);
  const auto* r = static_cast<const rtmsg*>(NLMSG_DATA(&h));
  EXPECT_EQ(r->rtm_family, AF_INET);
  EXPECT_EQ(r->rtm_dst_len, 26);
  EXPECT_EQ(r->rtm_protocol, 12);  // proto bird
  EXPECT_EQ(r->rtm_type, RTN_UNICAST);
  EXPECT_EQ(r->rtm_scope, RT_SCOPE_UNIVERSE);
  EXPECT_EQ(r->rtm_flags, static_cast<unsigned>(RTNH_F_ONLINK));  // the gateway is on tunl0
  auto a = nl::Attrs::of(h, sizeof(rtmsg));
  EXPECT_EQ(
      a.order(),
      (Order{{RTA_DST, 4}, {RTA_TABLE, 4}, {RTA_PRIORITY, 4}, {RTA_GATEWAY, 4}, {RTA_OIF, 4}}));
  EXPECT_EQ(rib::Address::from_bytes(rib::Family::v4, a.get(RTA_DST)), addr("10.244.2.0"));
  EXPECT_EQ(*a.u32(RTA_TABLE), 254u);
  EXPECT_EQ(*a.u32(RTA_PRIORITY), 1024u);
  EXPECT_EQ(rib::Address::from_bytes(rib::Family::v4, a.get(RTA_GATEWAY)), addr("192.168.1.20"));
  EXPECT_EQ(*a.u32(RTA_OIF), 9u);
  // Read back as a kernel dump would be: the same route, onlink.
  auto parsed = parse_route(h);
  ASSERT_TRUE(parsed);
  ASSERT_EQ(parsed->route.spec.nexthops.size(), 1u);
  EXPECT_TRUE(parsed->route.spec.nexthops[0].onlink);
  EXPECT_EQ(parsed->route.spec.nexthops[0].ifindex, 9);
  RouteSpec resolved = spec;
  EXPECT_TRUE(parsed->route.matches(resolved));
  resolved.nexthops[0].ifindex = 10;  // another device: a change
  EXPECT_FALSE(parsed->route.matches(resolved));
  resolved.nexthops[0].ifindex = 9;
  resolved.nexthops[0].onlink = false;  // onlink dropped: a change too
  EXPECT_FALSE(parsed->route.matches(resolved));
}

TEST(IpipMessages, ProbeCarriesAnInvalidProtocol) {
  std::vector<uint8_t> buf;
  append_kind_probe(buf, 5, "pnprobe1", "ipip");
  const nlmsghdr& h = only_message(buf);
  EXPECT_EQ(h.nlmsg_type, RTM_NEWLINK);
  EXPECT_EQ(h.nlmsg_flags, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL);
  auto a = nl::Attrs::of(h, sizeof(ifinfomsg));
  EXPECT_EQ(*a.str(IFLA_IFNAME), "pnprobe1");
  EXPECT_FALSE(a.has(IFLA_MTU));
  auto info = a.nested(IFLA_LINKINFO);
  EXPECT_EQ(*info.str(IFLA_INFO_KIND), "ipip");
  auto data = info.nested(IFLA_INFO_DATA);
  EXPECT_EQ(data.order(), (Order{{IFLA_IPTUN_PROTO, 1}}));
  // ipip_tunnel_validate accepts only IPPROTO_IPIP, IPPROTO_MPLS and 0.
  EXPECT_EQ(*data.u8(IFLA_IPTUN_PROTO), 255);
}

TEST(IpipMessages, ProbeVerdicts) {
  EXPECT_FALSE(kind_probe_verdict("ipip", EINVAL, "Invalid argument"));
  EXPECT_FALSE(kind_probe_verdict("ipip", 0, ""));
  auto missing =
      kind_probe_verdict("ipip", EOPNOTSUPP, "Operation not supported: Unknown device type");
  ASSERT_TRUE(missing);
  EXPECT_NE(missing->find("no ipip support"), std::string::npos);
  EXPECT_NE(missing->find("Unknown device type"), std::string::npos);
  auto perm = kind_probe_verdict("ipip", EPERM, "Operation not permitted");
  ASSERT_TRUE(perm);
  EXPECT_NE(perm->find("CAP_NET_ADMIN"), std::string::npos);
}

TEST(VxlanMessages, NewLinkAttributeByAttribute) {
  VxlanLinkParams p;
  p.vni = 4096;
  p.port = 4789;
  p.parent_ifindex = 3;
  p.local = addr("192.168.1.10");
  p.mac = mac_for_node("node-a");
  p.mtu = 1450;
  std::vector<uint8_t> buf;
  append_new_vxlan_link(buf, 9, p);
  const nlmsghdr& h = only_message(buf);
  EXPECT_EQ(h.nlmsg_flags, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL);
  auto a = nl::Attrs::of(h, sizeof(ifinfomsg));
  EXPECT_EQ(*a.str(IFLA_IFNAME), "vxlan.calico");
  EXPECT_EQ(*a.u32(IFLA_MTU), 1450u);
  ASSERT_EQ(a.get(IFLA_ADDRESS).size(), 6u);
  EXPECT_TRUE(std::equal(p.mac.begin(), p.mac.end(), a.get(IFLA_ADDRESS).begin()));
  auto info = a.nested(IFLA_LINKINFO);
  EXPECT_EQ(*info.str(IFLA_INFO_KIND), "vxlan");
  auto d = info.nested(IFLA_INFO_DATA);
  EXPECT_EQ(d.order(), (Order{{IFLA_VXLAN_ID, 4},
                              {IFLA_VXLAN_LINK, 4},
                              {IFLA_VXLAN_LOCAL, 4},
                              {IFLA_VXLAN_PORT, 2},
                              {IFLA_VXLAN_LEARNING, 1}}));
  EXPECT_EQ(*d.u32(IFLA_VXLAN_ID), 4096u);
  EXPECT_EQ(*d.u32(IFLA_VXLAN_LINK), 3u);
  EXPECT_EQ(*d.u16(IFLA_VXLAN_PORT), htons(4789));  // NLA_BE16
  EXPECT_EQ(*d.u8(IFLA_VXLAN_LEARNING), 0);
  EXPECT_EQ(rib::Address::from_bytes(rib::Family::v4, d.get(IFLA_VXLAN_LOCAL)), p.local);
}

TEST(NeighbourMessages, PermanentArpAndSelfFdb) {
  Mac mac = mac_for_node("node-b");
  std::vector<uint8_t> buf;
  append_neigh(buf, 1, true, 7, addr("10.244.2.0"), mac);
  const nlmsghdr& n = only_message(buf);
  EXPECT_EQ(n.nlmsg_type, RTM_NEWNEIGH);
  EXPECT_EQ(n.nlmsg_flags, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_REPLACE);
  auto ni = parse_neigh(n);
  ASSERT_TRUE(ni);
  EXPECT_EQ(ni->family, AF_INET);
  EXPECT_EQ(ni->ifindex, 7);
  EXPECT_EQ(ni->state, NUD_PERMANENT);
  EXPECT_EQ(*ni->dst, addr("10.244.2.0"));
  EXPECT_EQ(*ni->lladdr, mac);

  buf.clear();
  append_fdb(buf, 2, true, 7, mac, addr("192.168.1.20"));
  const nlmsghdr& f = only_message(buf);
  auto fi = parse_neigh(f);
  ASSERT_TRUE(fi);
  EXPECT_EQ(fi->family, AF_BRIDGE);
  EXPECT_EQ(fi->flags, NTF_SELF);  // the vxlan device's own table, not a bridge's
  EXPECT_EQ(fi->state, NUD_PERMANENT);
  EXPECT_EQ(*fi->lladdr, mac);
  EXPECT_EQ(*fi->dst, addr("192.168.1.20"));
  EXPECT_EQ(nl::Attrs::of(f, sizeof(ndmsg)).order(), (Order{{NDA_LLADDR, 6}, {NDA_DST, 4}}));

  buf.clear();
  append_neigh(buf, 3, false, 7, addr("10.244.2.0"), mac);
  const nlmsghdr& d = only_message(buf);
  EXPECT_EQ(d.nlmsg_type, RTM_DELNEIGH);
  EXPECT_FALSE(nl::Attrs::of(d, sizeof(ndmsg)).has(NDA_LLADDR));
}

TEST(LinkMessages, SetLinkOnlyWhatChanges) {
  std::vector<uint8_t> buf;
  append_set_link(buf, 4, 12, 1400u, std::nullopt, true);
  const nlmsghdr& h = only_message(buf);
  EXPECT_EQ(h.nlmsg_flags, NLM_F_REQUEST);  // no CREATE: the device must exist
  const auto* ifi = static_cast<const ifinfomsg*>(NLMSG_DATA(&h));
  EXPECT_EQ(ifi->ifi_index, 12);
  EXPECT_EQ(ifi->ifi_flags, static_cast<unsigned>(IFF_UP));
  EXPECT_EQ(ifi->ifi_change, static_cast<unsigned>(IFF_UP));
  auto a = nl::Attrs::of(h, sizeof(ifinfomsg));
  EXPECT_EQ(a.order(), (Order{{IFLA_MTU, 4}}));
}

TEST(AddressMessages, HostAddress) {
  std::vector<uint8_t> buf;
  append_addr(buf, 8, true, 5, addr("10.244.1.0"), 32);
  const nlmsghdr& h = only_message(buf);
  auto ai = parse_addr(h);
  ASSERT_TRUE(ai);
  EXPECT_EQ(ai->ifindex, 5);
  EXPECT_EQ(ai->prefix_length, 32);
  EXPECT_EQ(ai->address, addr("10.244.1.0"));
}

}  // namespace
}  // namespace podnet::dataplane
