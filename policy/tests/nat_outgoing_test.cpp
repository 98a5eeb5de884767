// The NAT outgoing builder: which pools and hosts end up in which set, masquerade vs SNAT, and
// that toggling natOutgoing changes set elements only (the programmer's diff stays small).
#include <gtest/gtest.h>

#include "policy/nat_outgoing.hpp"

namespace podnet::policy {
namespace {

conf::types::IPPool pool(const std::string& name, const std::string& cidr, bool nat,
                         std::vector<std::string> uses = {"Workload", "Tunnel"}) {
  conf::types::IPPool p;
  p.metadata.name = name;
  p.spec.cidr = cidr;
  p.spec.nat_outgoing = nat;
  p.spec.allowed_uses = std::move(uses);
  return p;
}

std::vector<std::string> elems(const nft::Table& t, const std::string& set) {
  std::vector<std::string> out;
  for (const auto& e : nft::normalized_elements(*t.set(set))) out.push_back(e.key[0].str());
  return out;
}

TEST(NatOutgoing, MasqueradesNatPoolsToOutsideAllPools) {
  conf::types::FelixConfiguration::Spec felix;
  auto t = nat_outgoing_table(
      {pool("a", "10.244.0.0/16", true), pool("b", "10.96.0.0/16", false),
       pool("lb", "192.0.2.0/24", false, {"LoadBalancer"}), pool("v6", "fd00:10:244::/48", true)},
      {"172.18.0.2"}, felix);
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_TRUE(nft::validate(*t).ok());
  EXPECT_EQ(elems(*t, "masq-ipam-pools-v4"), std::vector<std::string>{"10.244.0.0/16"});
  EXPECT_EQ(elems(*t, "all-ipam-pools-v4"),
            (std::vector<std::string>{"10.96.0.0/16", "10.244.0.0/16"}));  // not the LB-only pool
  EXPECT_EQ(elems(*t, "masq-ipam-pools-v6"), std::vector<std::string>{"fd00:10:244::/48"});
  EXPECT_EQ(t->set("all-hosts-net-v4"), nullptr);  // IPPoolsOnly: hosts are not excluded
  const std::string d = nft::dump(*t);
  EXPECT_NE(d.find("type nat hook postrouting priority 110"), std::string::npos) << d;
  EXPECT_NE(
      d.find("ip saddr @masq-ipam-pools-v4 ip daddr != @all-ipam-pools-v4 counter masquerade"),
      std::string::npos)
      << d;
}

TEST(NatOutgoing, HostExclusionAndSnatAddress) {
  conf::types::FelixConfiguration::Spec felix;
  felix.nat_outgoing_exclusions = "IPPoolsAndHostIPs";
  felix.nat_outgoing_address = "198.51.100.7";
  auto t = nat_outgoing_table({pool("a", "10.244.0.0/16", true)}, {"172.18.0.3", "172.18.0.4/32"},
                              felix);
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(elems(*t, "all-hosts-net-v4"),
            (std::vector<std::string>{"172.18.0.3-172.18.0.4"}));  // adjacent hosts merge
  const std::string d = nft::dump(*t);
  EXPECT_NE(d.find("ip daddr != @all-hosts-net-v4 counter snat ip to 198.51.100.7"),
            std::string::npos)
      << d;
  EXPECT_NE(d.find("ip6 daddr != @all-hosts-net-v6 counter masquerade"), std::string::npos) << d;
}

TEST(NatOutgoing, TogglingAPoolChangesElementsOnly) {
  conf::types::FelixConfiguration::Spec felix;
  auto on = nat_outgoing_table({pool("a", "10.244.0.0/16", true)}, {}, felix);
  auto off = nat_outgoing_table({pool("a", "10.244.0.0/16", false)}, {}, felix);
  ASSERT_TRUE(on.ok() && off.ok());
  EXPECT_EQ(on->chains, off->chains);
  EXPECT_NE(on->sets, off->sets);
}

TEST(NatOutgoing, BadInputIsRejected) {
  conf::types::FelixConfiguration::Spec felix;
  EXPECT_FALSE(nat_outgoing_table({pool("a", "not-a-cidr", true)}, {}, felix).ok());
  felix.nat_outgoing_address = "nope";
  EXPECT_FALSE(nat_outgoing_table({pool("a", "10.0.0.0/8", true)}, {}, felix).ok());
  felix.nat_outgoing_address.clear();
  felix.nat_outgoing_exclusions = "Everything";
  EXPECT_FALSE(nat_outgoing_table({pool("a", "10.0.0.0/8", true)}, {}, felix).ok());
}

}  // namespace
}  // namespace podnet::policy
