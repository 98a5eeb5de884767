// The pure parts of WireGuard: keys (RFC 7748 vector, base64/hex), the UAPI text (get replies,
// set requests as a diff), the rule and route messages, peers from Node resources, what this
// node publishes, and the configuration from FelixConfiguration.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <linux/fib_rules.h>
#include <linux/genetlink.h>
#include <linux/rtnetlink.h>
#include <linux/wireguard.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "conf/types/routing.hpp"
#include "dataplane/netlink_builder.hpp"
#include "dataplane/wireguard.hpp"
#include "dataplane/wireguard_device.hpp"
#include "dataplane/wireguard_genl.hpp"
#include "dataplane/wireguard_keys.hpp"
#include "dataplane/wireguard_netlink.hpp"

namespace podnet::dataplane {
namespace {

rib::Prefix pfx(const char* s) {
  return *rib::Prefix::parse(s);
}
rib::Address addr(const char* s) {
  return *rib::Address::parse(s);
}

wg::Key key_from_hex(const char* h) {
  return *wg::from_hex(h);
}

TEST(WireguardKeys, Rfc7748AlicePublicKey) {
  auto priv = key_from_hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
  auto pub = wg::public_key_of(priv);
  ASSERT_TRUE(pub) << pub.error().message;
  EXPECT_EQ(wg::to_hex(*pub), "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
}

TEST(WireguardKeys, GeneratedPairsAreConsistentAndDistinct) {
  auto a = wg::generate_key_pair();
  auto b = wg::generate_key_pair();
  ASSERT_TRUE(a && b);
  EXPECT_NE(a->private_key, b->private_key);
  EXPECT_EQ(*wg::public_key_of(a->private_key), a->public_key);
  EXPECT_FALSE(wg::is_zero(a->public_key));
}

TEST(WireguardKeys, Base64AndHexRoundTrip) {
  wg::Key zero{};
  EXPECT_EQ(wg::to_base64(zero), std::string(43, 'A') + "=");
  auto kp = wg::generate_key_pair();
  ASSERT_TRUE(kp);
  auto text = wg::to_base64(kp->public_key);
  EXPECT_EQ(text.size(), 44u);
  EXPECT_EQ(*wg::from_base64(text), kp->public_key);
  EXPECT_EQ(*wg::from_hex(wg::to_hex(kp->public_key)), kp->public_key);
  EXPECT_FALSE(wg::from_base64("short="));
  EXPECT_FALSE(wg::from_base64(std::string(42, 'A') + "=="));  // 31 bytes
  EXPECT_FALSE(wg::from_base64(std::string(43, '*') + "="));
  EXPECT_FALSE(wg::from_hex(std::string(63, '0')));
  EXPECT_FALSE(wg::from_hex(std::string(64, 'g')));
}

const char* kHexA = "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";
const char* kHexB = "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f";

TEST(WireguardUapi, ParsesAGetReply) {
  std::string reply =
      std::string("private_key=") + kHexA +
      "\nlisten_port=51820\nfwmark=1048576\npublic_key=" + kHexB +
      "\npreshared_key=0000000000000000000000000000000000000000000000000000000000000000"
      "\nprotocol_version=1\nendpoint=192.168.50.2:51820\nlast_handshake_time_sec=0"
      "\ntx_bytes=0\nrx_bytes=0\npersistent_keepalive_interval=25"
      "\nallowed_ip=10.244.2.0/26\nallowed_ip=10.244.2.64/32\nerrno=0\n\n";
  auto s = wg::parse_get_reply(reply);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(wg::to_hex(s->private_key), kHexA);
  EXPECT_EQ(s->listen_port, 51820);
  EXPECT_EQ(s->fwmark, 0x100000u);
  ASSERT_EQ(s->peers.size(), 1u);
  EXPECT_EQ(wg::to_hex(s->peers[0].public_key), kHexB);
  ASSERT_TRUE(s->peers[0].endpoint);
  EXPECT_EQ(wg::to_string(*s->peers[0].endpoint), "192.168.50.2:51820");
  EXPECT_EQ(s->peers[0].persistent_keepalive, 25);
  EXPECT_EQ(s->peers[0].allowed_ips,
            (std::vector<rib::Prefix>{pfx("10.244.2.0/26"), pfx("10.244.2.64/32")}));

  EXPECT_FALSE(wg::parse_get_reply("errno=19\n\n"));
  EXPECT_FALSE(wg::parse_get_reply("listen_port=1\n\n"));  // no errno
  EXPECT_FALSE(wg::parse_get_reply("listen_port=x\nerrno=0\n\n"));
  EXPECT_EQ(*wg::parse_errno("errno=0\n\n"), 0);
  EXPECT_EQ(*wg::parse_errno("errno=22\n\n"), 22);
}

TEST(WireguardUapi, SetRequestIsTheDifference) {
  wg::DeviceState have;
  have.private_key = key_from_hex(kHexA);
  have.listen_port = 51820;
  wg::PeerState keep{
      key_from_hex(kHexB), wg::Endpoint{addr("192.168.50.2"), 51820}, {pfx("10.244.2.0/26")}, 0};
  wg::PeerState stale{
      key_from_hex(kHexA), wg::Endpoint{addr("192.168.50.3"), 51820}, {pfx("10.244.3.0/26")}, 0};
  have.peers = {keep, stale};
  wg::normalise(have);

  wg::DeviceState want = have;
  EXPECT_EQ(wg::set_request(have, want), "");

  want.fwmark = 0x100000;
  want.peers = {keep};
  want.peers[0].allowed_ips.push_back(pfx("10.244.9.1/32"));
  std::string req = wg::set_request(have, want);
  EXPECT_EQ(req,
            std::string("set=1\nfwmark=1048576\npublic_key=") + kHexB +
                "\nendpoint=192.168.50.2:51820\npersistent_keepalive_interval=0"
                "\nreplace_allowed_ips=true\nallowed_ip=10.244.2.0/26\nallowed_ip=10.244.9.1/32"
                "\npublic_key=" +
                kHexA + "\nremove=true\n\n");
  // The private key is only sent when it differs.
  EXPECT_EQ(req.find("private_key"), std::string::npos);
}

TEST(WireguardNetlink, RuleCarriesInvertedFwmarkLookup) {
  std::vector<uint8_t> buf;
  wg::Rule r{AF_INET, 99, 1, 0x100000, 0x100000, true, 12};
  wg::append_rule(buf, 7, true, r);
  auto msgs = nl::messages(buf);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0]->nlmsg_type, RTM_NEWRULE);
  EXPECT_TRUE(msgs[0]->nlmsg_flags & NLM_F_CREATE);
  const auto* h = static_cast<const fib_rule_hdr*>(NLMSG_DATA(msgs[0]));
  EXPECT_EQ(h->action, FR_ACT_TO_TBL);
  EXPECT_EQ(h->flags & FIB_RULE_INVERT, FIB_RULE_INVERT);
  auto a = nl::Attrs::of(*msgs[0], sizeof(fib_rule_hdr));
  EXPECT_EQ(a.u32(FRA_PRIORITY), 99u);
  EXPECT_EQ(a.u32(FRA_TABLE), 1u);
  EXPECT_EQ(a.u32(FRA_FWMARK), 0x100000u);
  EXPECT_EQ(a.u32(FRA_FWMASK), 0x100000u);
  EXPECT_EQ(a.u8(FRA_PROTOCOL), 12u);
  auto back = wg::parse_rule(*msgs[0]);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, r);
}

TEST(WireguardNetlink, DeviceRouteIsScopeLinkInTheTable) {
  std::vector<uint8_t> buf;
  wg::append_device_route(buf, 3, pfx("10.244.2.0/26"), 42, 1, 12);
  auto msgs = nl::messages(buf);
  ASSERT_EQ(msgs.size(), 1u);
  const auto* r = static_cast<const rtmsg*>(NLMSG_DATA(msgs[0]));
  EXPECT_EQ(r->rtm_scope, RT_SCOPE_LINK);
  EXPECT_EQ(r->rtm_protocol, 12);
  auto d = wg::parse_device_route(*msgs[0]);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->prefix, pfx("10.244.2.0/26"));
  EXPECT_EQ(d->table, 1u);
  EXPECT_EQ(d->ifindex, 42);
  EXPECT_FALSE(d->gateway);
  EXPECT_EQ(d->type, RTN_UNICAST);

  buf.clear();
  wg::append_device_route(buf, 4, pfx("10.244.2.9/32"), 0, 1, 12);
  msgs = nl::messages(buf);
  ASSERT_EQ(msgs.size(), 1u);
  d = wg::parse_device_route(*msgs[0]);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->type, RTN_THROW);
  EXPECT_FALSE(nl::Attrs::of(*msgs[0], sizeof(rtmsg)).has(RTA_OIF));
}

TEST(WireguardGenl, SetDeviceCarriesTheUpdateAndReadsBack) {
  wg::DeviceState have;
  have.peers = {wg::PeerState{key_from_hex(kHexA), std::nullopt, {pfx("10.244.3.0/26")}, 0}};
  wg::DeviceState want;
  want.private_key = key_from_hex(kHexA);
  want.listen_port = 51820;
  want.fwmark = 0x100000;
  want.peers = {wg::PeerState{key_from_hex(kHexB),
                              wg::Endpoint{addr("192.168.50.2"), 51820},
                              {pfx("10.244.2.0/26"), pfx("10.244.2.1/32")},
                              25}};
  std::vector<uint8_t> buf;
  wg::append_set_device(buf, 9, 0x1234, "wireguard.cali", wg::diff(have, want));
  auto msgs = nl::messages(buf);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0]->nlmsg_type, 0x1234);
  EXPECT_EQ(static_cast<const genlmsghdr*>(NLMSG_DATA(msgs[0]))->cmd, WG_CMD_SET_DEVICE);
  auto a = nl::Attrs::of(*msgs[0], GENL_HDRLEN);
  EXPECT_EQ(a.str(WGDEVICE_A_IFNAME), "wireguard.cali");
  EXPECT_EQ(a.get(WGDEVICE_A_PRIVATE_KEY).size(), 32u);
  EXPECT_EQ(a.u16(WGDEVICE_A_LISTEN_PORT), 51820);
  EXPECT_EQ(a.u32(WGDEVICE_A_FWMARK), 0x100000u);
  // Peer 0 is the upsert (allowed IPs replaced), peer 1 the removal.
  auto peers = a.nested(WGDEVICE_A_PEERS);
  auto p0 = peers.nested(0), p1 = peers.nested(1);
  EXPECT_EQ(p0.u32(WGPEER_A_FLAGS), uint32_t{WGPEER_F_REPLACE_ALLOWEDIPS});
  EXPECT_EQ(p0.u16(WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL), 25);
  auto ep = p0.get(WGPEER_A_ENDPOINT);
  ASSERT_EQ(ep.size(), sizeof(sockaddr_in));
  sockaddr_in sa{};
  std::memcpy(&sa, ep.data(), sizeof sa);
  EXPECT_EQ(sa.sin_family, AF_INET);
  EXPECT_EQ(ntohs(sa.sin_port), 51820);
  auto ip1 = p0.nested(WGPEER_A_ALLOWEDIPS).nested(1);
  EXPECT_EQ(ip1.u16(WGALLOWEDIP_A_FAMILY), AF_INET);
  EXPECT_EQ(ip1.u8(WGALLOWEDIP_A_CIDR_MASK), 32);
  EXPECT_EQ(p1.u32(WGPEER_A_FLAGS), uint32_t{WGPEER_F_REMOVE_ME});
  EXPECT_EQ(wg::to_hex(*wg::from_hex(wg::to_hex(key_from_hex(kHexA)))), kHexA);

  // The get dump uses the same attributes: parsing this message yields the desired state,
  // plus the removed peer (a dump would not list it; the parser does not interpret flags).
  wg::DeviceState back;
  ASSERT_TRUE(wg::merge_device_part(*msgs[0], back));
  wg::normalise(back);
  EXPECT_EQ(back.private_key, want.private_key);
  EXPECT_EQ(back.listen_port, 51820);
  EXPECT_EQ(back.fwmark, 0x100000u);
  ASSERT_EQ(back.peers.size(), 2u);
  auto b = std::find_if(back.peers.begin(), back.peers.end(),
                        [](const wg::PeerState& p) { return wg::to_hex(p.public_key) == kHexB; });
  ASSERT_NE(b, back.peers.end());
  EXPECT_EQ(*b, want.peers[0]);
}

TEST(WireguardGenl, WireguardLinkAndFamilyRequest) {
  std::vector<uint8_t> buf;
  wg::append_new_wireguard_link(buf, 1, "wireguard.cali");
  auto msgs = nl::messages(buf);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0]->nlmsg_type, RTM_NEWLINK);
  auto a = nl::Attrs::of(*msgs[0], sizeof(ifinfomsg));
  EXPECT_EQ(a.str(IFLA_IFNAME), "wireguard.cali");
  EXPECT_EQ(a.nested(IFLA_LINKINFO).str(IFLA_INFO_KIND), "wireguard");
  buf.clear();
  wg::append_family_request(buf, 2);
  msgs = nl::messages(buf);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0]->nlmsg_type, GENL_ID_CTRL);
  EXPECT_EQ(nl::Attrs::of(*msgs[0], GENL_HDRLEN).str(CTRL_ATTR_FAMILY_NAME), "wireguard");
}

TEST(WireguardNetlink, TableRouteDumpAsksForOneTableAndProtocol) {
  std::vector<uint8_t> buf;
  wg::append_table_route_dump(buf, 5, AF_INET6, 1, 12);
  auto msgs = nl::messages(buf);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0]->nlmsg_type, RTM_GETROUTE);
  EXPECT_TRUE(msgs[0]->nlmsg_flags & NLM_F_DUMP);
  const auto* r = static_cast<const rtmsg*>(NLMSG_DATA(msgs[0]));
  EXPECT_EQ(r->rtm_family, AF_INET6);
  EXPECT_EQ(r->rtm_table, 1);
  EXPECT_EQ(r->rtm_protocol, 12);
  // Strict checking refuses a dump request with these set.
  EXPECT_EQ(r->rtm_dst_len, 0);
  EXPECT_EQ(r->rtm_scope, 0);
  EXPECT_EQ(nl::Attrs::of(*msgs[0], sizeof(rtmsg)).u32(RTA_TABLE), 1u);

  // A table above 255 travels in RTA_TABLE only.
  buf.clear();
  wg::append_table_route_dump(buf, 6, AF_INET, 1000, 12);
  msgs = nl::messages(buf);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(static_cast<const rtmsg*>(NLMSG_DATA(msgs[0]))->rtm_table, RT_TABLE_UNSPEC);
  EXPECT_EQ(nl::Attrs::of(*msgs[0], sizeof(rtmsg)).u32(RTA_TABLE), 1000u);
}

TEST(WireguardNetlink, V6DeviceRouteRoundTrips) {
  std::vector<uint8_t> buf;
  wg::append_device_route(buf, 3, pfx("fd00:10:244:2::/122"), 42, 1, 12);
  auto msgs = nl::messages(buf);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(static_cast<const rtmsg*>(NLMSG_DATA(msgs[0]))->rtm_family, AF_INET6);
  auto d = wg::parse_device_route(*msgs[0]);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->prefix, pfx("fd00:10:244:2::/122"));
  EXPECT_EQ(d->ifindex, 42);
}

conf::types::Node node(const std::string& name, const std::string& ip, const std::string& key,
                       const std::string& wg_ip = "") {
  conf::types::Node n;
  n.metadata.name = name;
  if (!ip.empty()) {
    n.spec.bgp.emplace();
    n.spec.bgp->ipv4_address = ip;
  }
  n.status.wireguard_public_key = key;
  if (!wg_ip.empty()) n.spec.wireguard = conf::types::NodeWireguardSpec{wg_ip, ""};
  return n;
}

TEST(WireguardPeers, OnlyOtherNodesWithAUniqueKeyAndAnAddress) {
  auto ka = wg::to_base64(wg::generate_key_pair()->public_key);
  auto kb = wg::to_base64(wg::generate_key_pair()->public_key);
  auto kc = wg::to_base64(wg::generate_key_pair()->public_key);
  auto kd = wg::to_base64(wg::generate_key_pair()->public_key);
  std::vector<conf::types::Node> nodes = {
      node("self", "192.168.50.1/24", ka),
      node("b", "192.168.50.2/24", kb, "10.244.2.1"),
      node("nokey", "192.168.50.3/24", ""),
      node("badkey", "192.168.50.4/24", "not-a-key"),
      node("zero", "192.168.50.5/24", wg::to_base64(wg::Key{})),
      node("dup1", "192.168.50.6/24", kc),
      node("dup2", "192.168.50.7/24", kc),
      node("noip", "", kd),
  };
  std::map<std::string, std::vector<rib::Prefix>> routed = {
      {"b", {pfx("10.244.2.0/26"), pfx("10.244.9.7/32"), pfx("10.244.2.0/26")}},
      {"nokey", {pfx("10.244.3.0/26")}}};
  auto peers = wireguard_peers(nodes, "self", routed);
  ASSERT_EQ(peers.size(), 1u);
  EXPECT_EQ(peers[0].node, "b");
  EXPECT_EQ(wg::to_base64(peers[0].public_key), kb);
  EXPECT_EQ(peers[0].node_ip, addr("192.168.50.2"));
  EXPECT_EQ(
      peers[0].allowed_ips,
      (std::vector<rib::Prefix>{pfx("10.244.2.0/26"), pfx("10.244.2.1/32"), pfx("10.244.9.7/32")}));
  // Throw routes: our own prefixes and those of every non-peer, not the peer's.
  routed["self"] = {pfx("10.244.1.0/26"), pfx("10.244.2.9/32")};
  EXPECT_EQ(
      wireguard_throw_prefixes(peers, "self", routed),
      (std::vector<rib::Prefix>{pfx("10.244.1.0/26"), pfx("10.244.2.9/32"), pfx("10.244.3.0/26")}));

  // Our own key claimed by another node as well: that node is not a peer either.
  nodes.push_back(node("thief", "192.168.50.8/24", ka));
  peers = wireguard_peers(nodes, "self", routed);
  ASSERT_EQ(peers.size(), 1u);
  EXPECT_EQ(peers[0].node, "b");
}

TEST(WireguardPeers, PublishReportsChanges) {
  auto n = node("self", "192.168.50.1/24", "");
  EXPECT_TRUE(publish_wireguard(n, "KEY", "10.244.1.1"));
  EXPECT_EQ(n.status.wireguard_public_key, "KEY");
  ASSERT_TRUE(n.spec.wireguard);
  EXPECT_EQ(n.spec.wireguard->interface_ipv4_address, "10.244.1.1");
  EXPECT_FALSE(publish_wireguard(n, "KEY", "10.244.1.1"));
  EXPECT_TRUE(publish_wireguard(n, "", ""));
  EXPECT_EQ(n.status.wireguard_public_key, "");
  EXPECT_FALSE(n.spec.wireguard);
}

TEST(WireguardPeers, PublishOnTheStoredDocument) {
  auto doc = nlohmann::json::parse(R"({"apiVersion": "projectcalico.org/v3", "kind": "Node",
      "metadata": {"name": "self"}, "spec": {"bgp": {"ipv4Address": "192.168.50.1/24"}}})");
  EXPECT_TRUE(publish_wireguard(doc, "KEY", "10.244.1.1"));
  EXPECT_EQ(doc["status"]["wireguardPublicKey"], "KEY");
  EXPECT_EQ(doc["spec"]["wireguard"]["interfaceIPv4Address"], "10.244.1.1");
  EXPECT_FALSE(publish_wireguard(doc, "KEY", "10.244.1.1"));
  EXPECT_TRUE(publish_wireguard(doc, "", ""));
  EXPECT_FALSE(doc.contains("status"));
  EXPECT_FALSE(doc["spec"].contains("wireguard"));
  EXPECT_EQ(doc["spec"]["bgp"]["ipv4Address"], "192.168.50.1/24");
  EXPECT_FALSE(publish_wireguard(doc, "", ""));
}

TEST(WireguardConfigFrom, FelixSettingsAndInterfaceAddress) {
  conf::types::FelixConfiguration f;
  f.spec.wireguard_listening_port = 51999;
  f.spec.wireguard_routing_rule_priority = 90;
  f.spec.wireguard_interface_name = "wg-x";
  f.spec.wireguard_mtu = 1400;
  f.spec.wireguard_keep_alive = "1m30s";
  auto self = node("self", "192.168.50.1/24", "", "10.244.1.1");
  auto c = wireguard_config_from(f, self);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->interface, "wg-x");
  EXPECT_EQ(c->listen_port, 51999);
  EXPECT_EQ(c->rule_priority, 90u);
  EXPECT_EQ(c->mtu, 1400u);
  EXPECT_EQ(c->persistent_keepalive, 90);
  EXPECT_EQ(c->interface_address, addr("10.244.1.1"));
  EXPECT_EQ(c->fwmark, kWireguardFwmark);
  EXPECT_EQ(c->routing_table, 1u);

  f.spec.wireguard_keep_alive = "25";
  EXPECT_EQ(wireguard_config_from(f, self)->persistent_keepalive, 25);
  f.spec.wireguard_keep_alive = "25x";
  EXPECT_FALSE(wireguard_config_from(f, self));
  f.spec.wireguard_keep_alive = "0";
  self.spec.wireguard->interface_ipv4_address = "nonsense";
  EXPECT_FALSE(wireguard_config_from(f, self));
}

// A dual-stack node as the datastore holds it.
conf::types::Node node6(const std::string& name, const std::string& ip6, const std::string& key4,
                        const std::string& key6, const std::string& wg_ip6 = "") {
  auto n = node(name, "192.168.50.9/24", key4);
  n.spec.bgp->ipv6_address = ip6;
  n.status.wireguard_public_key_v6 = key6;
  if (!wg_ip6.empty()) n.spec.wireguard = conf::types::NodeWireguardSpec{"", wg_ip6};
  return n;
}

TEST(WireguardPeersV6, KeyAddressAndAllowedIpsOfTheFamily) {
  auto k = [](int i) {
    wg::Key key{};
    key[0] = static_cast<uint8_t>(i);
    return wg::to_base64(key);
  };
  std::vector<conf::types::Node> nodes = {
      node6("self", "fd00:50::1/64", k(1), k(11)),
      node6("b", "fd00:50::2/64", k(2), k(12), "fd00:10:244:2::1"),
      node6("v4only", "fd00:50::3/64", k(3), ""),  // no v6 key: no v6 peer
      node6("noaddr", "", k(4), k(14)),            // no IPv6 address: no v6 peer
  };
  std::map<std::string, std::vector<rib::Prefix>> routed = {
      {"b", {pfx("10.244.2.0/26"), pfx("fd00:10:244:2::/122"), pfx("fd00:10:244:9::7/128")}},
      {"v4only", {pfx("10.244.3.0/26"), pfx("fd00:10:244:3::/122")}},
      {"self", {pfx("10.244.1.0/26"), pfx("fd00:10:244:1::/122")}}};
  auto peers = wireguard_peers(nodes, "self", routed, rib::Family::v6);
  ASSERT_EQ(peers.size(), 1u);
  EXPECT_EQ(peers[0].node, "b");
  EXPECT_EQ(wg::to_base64(peers[0].public_key), k(12));
  EXPECT_EQ(peers[0].node_ip, addr("fd00:50::2"));
  EXPECT_EQ(peers[0].allowed_ips,
            (std::vector<rib::Prefix>{pfx("fd00:10:244:2::/122"), pfx("fd00:10:244:2::1/128"),
                                      pfx("fd00:10:244:9::7/128")}));
  EXPECT_EQ(wireguard_throw_prefixes(peers, "self", routed, rib::Family::v6),
            (std::vector<rib::Prefix>{pfx("fd00:10:244:1::/122"), pfx("fd00:10:244:3::/122")}));
  // The v4 view of the same nodes is independent: every other node has a v4 key and address.
  auto peers4 = wireguard_peers(nodes, "self", routed);
  ASSERT_EQ(peers4.size(), 3u);
  for (const auto& p : peers4)
    for (const auto& a : p.allowed_ips) EXPECT_EQ(a.family(), rib::Family::v4) << a.to_string();
}

TEST(WireguardPeersV6, PublishTouchesOnlyTheV6Fields) {
  auto doc = nlohmann::json::parse(R"({"apiVersion": "projectcalico.org/v3", "kind": "Node",
      "metadata": {"name": "self"}, "spec": {"bgp": {"ipv4Address": "192.168.50.1/24"}}})");
  EXPECT_TRUE(publish_wireguard(doc, "K4", "10.244.1.1"));
  EXPECT_TRUE(publish_wireguard(doc, "K6", "fd00:10:244:1::1", rib::Family::v6));
  EXPECT_EQ(doc["status"]["wireguardPublicKey"], "K4");
  EXPECT_EQ(doc["status"]["wireguardPublicKeyV6"], "K6");
  EXPECT_EQ(doc["spec"]["wireguard"]["interfaceIPv6Address"], "fd00:10:244:1::1");
  EXPECT_FALSE(publish_wireguard(doc, "K6", "fd00:10:244:1::1", rib::Family::v6));
  // v6 off: its key and address go, v4's stay.
  EXPECT_TRUE(publish_wireguard(doc, "", "", rib::Family::v6));
  EXPECT_FALSE(doc["status"].contains("wireguardPublicKeyV6"));
  EXPECT_FALSE(doc["spec"]["wireguard"].contains("interfaceIPv6Address"));
  EXPECT_EQ(doc["status"]["wireguardPublicKey"], "K4");
  EXPECT_EQ(doc["spec"]["wireguard"]["interfaceIPv4Address"], "10.244.1.1");

  auto n = node6("self", "fd00:50::1/64", "K4", "");
  EXPECT_TRUE(publish_wireguard(n, "K6", "fd00:10:244:1::1", rib::Family::v6));
  EXPECT_EQ(n.status.wireguard_public_key_v6, "K6");
  EXPECT_EQ(n.status.wireguard_public_key, "K4");
  EXPECT_TRUE(publish_wireguard(n, "", "", rib::Family::v6));
  EXPECT_FALSE(n.spec.wireguard);
}

TEST(WireguardConfigFromV6, V6NamePortMtuAndInterfaceAddress) {
  conf::types::FelixConfiguration f;
  f.spec.wireguard_mtu = 1400;  // the v4 one: not used for v6
  f.spec.wireguard_routing_rule_priority = 90;
  auto self = node6("self", "fd00:50::1/64", "", "", "fd00:10:244:1::1");
  auto c = wireguard_config_from(f, self, rib::Family::v6);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->interface, "wg-v6.cali");
  EXPECT_EQ(c->listen_port, 51821);
  EXPECT_EQ(c->mtu, 0u);
  EXPECT_EQ(c->rule_priority, 90u);
  EXPECT_EQ(c->interface_address, addr("fd00:10:244:1::1"));
  EXPECT_EQ(wireguard_default_config(rib::Family::v6).interface, kWireguardDeviceV6);

  f.spec.wireguard_interface_name_v6 = "wg6-x";
  f.spec.wireguard_listening_port_v6 = 52000;
  f.spec.wireguard_mtu_v6 = 1380;
  c = wireguard_config_from(f, self, rib::Family::v6);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->interface, "wg6-x");
  EXPECT_EQ(c->listen_port, 52000);
  EXPECT_EQ(c->mtu, 1380u);
  // The v4 config of the same node has no interface address (the node has only a v6 one).
  EXPECT_FALSE(wireguard_config_from(f, self)->interface_address);

  f.spec.wireguard_listening_port_v6 = 70000;
  EXPECT_FALSE(wireguard_config_from(f, self, rib::Family::v6));
  f.spec.wireguard_listening_port_v6 = 51821;
  self.spec.wireguard->interface_ipv6_address = "10.244.1.1";  // wrong family
  EXPECT_FALSE(wireguard_config_from(f, self, rib::Family::v6));
}

}  // namespace
}  // namespace podnet::dataplane
