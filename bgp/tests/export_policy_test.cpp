// Export rules per target kind and the import loop checks, without sockets.
#include "bgp/export_policy.hpp"

#include <gtest/gtest.h>

namespace podnet::bgp {
namespace {

rib::Address addr(const char* s) {
  return rib::Address::parse(s).value();
}
rib::Prefix pfx(const char* s) {
  return rib::Prefix::parse(s).value();
}

struct Fixture {
  rib::AttrStore store;
  rib::PeerInfo local{rib::kLocalPeer, rib::PeerKind::local, {}, 0x0a000001, 64512, false};
  rib::PeerInfo ibgp_client{1, rib::PeerKind::ibgp, addr("10.0.0.2"), 0x0a000002, 64512, true};
  rib::PeerInfo ibgp_plain{2, rib::PeerKind::ibgp, addr("10.0.0.3"), 0x0a000003, 64512, false};
  rib::PeerInfo ebgp{3, rib::PeerKind::ebgp, addr("192.0.2.1"), 0xc0000201, 65001, false};

  std::optional<rib::PathAttributes> run(const ExportPolicy& p, const rib::PeerInfo& src,
                                         const rib::PathAttributes& a,
                                         const char* prefix = "10.1.0.0/26") {
    const rib::AttrRef ref = store.intern(a);
    return p.apply(pfx(prefix), rib::ExportCandidate{src, 0, ref});
  }
};

ExportPolicy ibgp_policy(bool rr_client) {
  ExportPolicy p;
  p.ebgp = false;
  p.local_as = p.peer_as = 64512;
  p.router_id = 0x0a000001;
  p.cluster_id = 0x0a000001;
  p.rr_client = rr_client;
  p.self_v4 = addr("10.0.0.1");
  p.self_v6 = addr("fd00::1");
  p.ipv6 = true;
  return p;
}

ExportPolicy ebgp_policy() {
  ExportPolicy p = ibgp_policy(false);
  p.ebgp = true;
  p.peer_as = 65002;
  return p;
}

rib::PathAttributes learned() {
  rib::PathAttributes a;
  a.origin = rib::Origin::egp;
  a.as_path = rib::AsPath{{{rib::AsSegmentType::as_sequence, {65001, 65009}}}};
  a.next_hop = addr("192.0.2.1");
  a.med = 50;
  a.local_pref = 200;
  return a;
}

TEST(ExportPolicy, LocalRoutesToIbgpGetLocalPrefNextHopSelfOriginIgp) {
  Fixture f;
  const auto out = f.run(ibgp_policy(false), f.local, rib::PathAttributes{});
  ASSERT_TRUE(out);
  EXPECT_EQ(out->origin, rib::Origin::igp);
  EXPECT_EQ(out->as_path, rib::AsPath{});
  EXPECT_EQ(out->local_pref, 100u);
  EXPECT_EQ(out->next_hop, addr("10.0.0.1"));
  // IPv6: the MP next hop, no classic NEXT_HOP.
  const auto v6 = f.run(ibgp_policy(false), f.local, rib::PathAttributes{}, "fd00:1::/122");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->mp_next_hop, addr("fd00::1"));
  EXPECT_FALSE(v6->next_hop);
}

TEST(ExportPolicy, EbgpLearnedToIbgpKeepsNextHopUnlessSelf) {
  Fixture f;
  auto out = f.run(ibgp_policy(false), f.ebgp, learned());
  ASSERT_TRUE(out);
  EXPECT_EQ(out->next_hop, addr("192.0.2.1"));
  EXPECT_EQ(out->local_pref, 200u);
  EXPECT_EQ(out->med, 50u);
  ExportPolicy self = ibgp_policy(false);
  self.next_hop_mode = NextHopMode::self;
  EXPECT_EQ(f.run(self, f.ebgp, learned())->next_hop, addr("10.0.0.1"));
}

TEST(ExportPolicy, ToEbgpPrependsDropsLocalPrefAndReceivedMedAndSetsSelf) {
  Fixture f;
  const auto out = f.run(ebgp_policy(), f.ibgp_plain, learned());
  ASSERT_TRUE(out);
  EXPECT_EQ(out->as_path->segments.front().asns, (std::vector<uint32_t>{64512, 65001, 65009}));
  EXPECT_FALSE(out->local_pref);
  EXPECT_FALSE(out->med);
  EXPECT_EQ(out->next_hop, addr("10.0.0.1"));
  // A local route's MED may go out.
  rib::PathAttributes own;
  own.med = 7;
  EXPECT_EQ(f.run(ebgp_policy(), f.local, own)->med, 7u);
  // Not back to the AS it came from.
  ExportPolicy back = ebgp_policy();
  back.peer_as = 65001;
  EXPECT_FALSE(f.run(back, f.ebgp, learned()));
  // NO_EXPORT stays inside.
  rib::PathAttributes ne = learned();
  ne.communities = {rib::kCommunityNoExport};
  EXPECT_FALSE(f.run(ebgp_policy(), f.ibgp_plain, ne));
  EXPECT_TRUE(f.run(ibgp_policy(false), f.ebgp, ne));
}

TEST(ExportPolicy, ReflectionRules) {
  Fixture f;
  // Not reflecting between plain iBGP peers.
  EXPECT_FALSE(f.run(ibgp_policy(false), f.ibgp_plain, learned()));
  // Non-client -> client: reflected with ORIGINATOR_ID and our cluster id.
  const auto to_client = f.run(ibgp_policy(true), f.ibgp_plain, learned());
  ASSERT_TRUE(to_client);
  EXPECT_EQ(to_client->originator_id, rib::Address::v4(0x0a000003));
  EXPECT_EQ(to_client->cluster_list, std::vector<uint32_t>{0x0a000001});
  EXPECT_EQ(to_client->next_hop, addr("192.0.2.1"));
  // Client -> non-client: reflected too.
  EXPECT_TRUE(f.run(ibgp_policy(false), f.ibgp_client, learned()));
  // A family the peer did not negotiate is not exported.
  ExportPolicy v4only = ibgp_policy(false);
  v4only.ipv6 = false;
  EXPECT_FALSE(f.run(v4only, f.local, rib::PathAttributes{}, "fd00:1::/122"));
}

TEST(ExportPolicy, KeyDiffersWhenAnythingExportDependsOnDiffers) {
  const ExportPolicy a = ibgp_policy(false);
  ExportPolicy b = a;
  EXPECT_EQ(a.key(), b.key());
  b.rr_client = true;
  EXPECT_NE(a.key(), b.key());
  b = a;
  b.four_octet_as = false;
  EXPECT_NE(a.key(), b.key());
  b = a;
  b.self_v4 = addr("10.0.0.9");
  EXPECT_NE(a.key(), b.key());
  EXPECT_NE(ebgp_policy().key(), a.key());
}

TEST(ImportAllowed, LoopChecks) {
  rib::PathAttributes a = learned();
  EXPECT_TRUE(import_allowed(a, 64512, 0, 0x0a000001, 0x0a000001));
  a.as_path->segments[0].asns.push_back(64512);
  std::string why;
  EXPECT_FALSE(import_allowed(a, 64512, 0, 0x0a000001, 0x0a000001, &why));
  EXPECT_EQ(why, "AS_PATH contains our AS 64512");
  EXPECT_TRUE(import_allowed(a, 64512, 1, 0x0a000001, 0x0a000001));
  rib::PathAttributes o = learned();
  o.originator_id = rib::Address::v4(0x0a000001);
  EXPECT_FALSE(import_allowed(o, 64512, 0, 0x0a000001, 0x0a000001));
  rib::PathAttributes c = learned();
  c.cluster_list = {7, 0x0a000001};
  EXPECT_FALSE(import_allowed(c, 64512, 0, 0x0a000001, 0x0a000001));
}

}  // namespace
}  // namespace podnet::bgp
