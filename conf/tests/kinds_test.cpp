#include "conf/kinds.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <set>

namespace podnet::conf {
namespace {

TEST(Kinds, EveryAliasFindsItsKind) {
  for (const auto& k : all_kinds()) {
    for (const auto& a : k.aliases) {
      const KindInfo* found = find_kind(a);
      ASSERT_NE(found, nullptr) << a;
      // "networkpolicy" is Calico's; every other alias is unique to its kind.
      EXPECT_EQ(found, &k) << a;
      std::string upper = a;
      for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      EXPECT_EQ(find_kind(upper), &k) << upper;
    }
    EXPECT_EQ(find_kind(k.api_version, k.kind), &k) << k.kind;
  }
}

TEST(Kinds, PluralsAndAliasesAreUniqueAndLowerCase) {
  std::set<std::string> plurals, aliases;
  for (const auto& k : all_kinds()) {
    EXPECT_TRUE(plurals.insert(k.plural).second) << k.plural;
    for (const auto& a : k.aliases) {
      EXPECT_TRUE(aliases.insert(a).second) << a;
      EXPECT_TRUE(std::none_of(a.begin(), a.end(), [](char c) {
        return std::isupper(static_cast<unsigned char>(c));
      })) << a;
    }
  }
  EXPECT_EQ(all_kinds().size(), 24u);
}

TEST(Kinds, NamedLookups) {
  EXPECT_EQ(find_kind("IPPool")->plural, "ippools");
  EXPECT_EQ(find_kind("pool")->kind, "IPPool");
  EXPECT_EQ(find_kind("gnp")->kind, "GlobalNetworkPolicy");
  EXPECT_EQ(find_kind("heps")->kind, "HostEndpoint");
  EXPECT_EQ(find_kind("bgppeers")->kind, "BGPPeer");
  EXPECT_EQ(find_kind("felixconfiguration")->kind, "FelixConfiguration");
  EXPECT_EQ(find_kind("networkpolicy")->api_version, "projectcalico.org/v3");
  EXPECT_EQ(find_kind("NetworkPolicy")->api_version, "projectcalico.org/v3");
  EXPECT_EQ(find_kind("netpol")->api_version, "networking.k8s.io/v1");
  EXPECT_EQ(find_kind("knp")->plural, "kubernetesnetworkpolicies");
  EXPECT_EQ(find_kind("networkpolicies.networking.k8s.io")->plural, "kubernetesnetworkpolicies");
  EXPECT_EQ(find_kind("installation")->api_version, "operator.tigera.io/v1");
  EXPECT_EQ(find_kind("networking.k8s.io/v1", "NetworkPolicy")->plural,
            "kubernetesnetworkpolicies");
  EXPECT_EQ(find_kind("projectcalico.org/v3", "IPAMConfiguration")->kind, "IPAMConfig");
  EXPECT_EQ(find_kind("nosuchkind"), nullptr);
  EXPECT_EQ(find_kind("v1", "IPPool"), nullptr);
  std::set<std::string> namespaced;
  for (const auto& k : all_kinds())
    if (k.namespaced) namespaced.insert(k.plural);
  EXPECT_EQ(namespaced,
            (std::set<std::string>{"networkpolicies", "kubernetesnetworkpolicies", "networksets",
                                   "pods", "serviceaccounts", "secrets", "services"}));
}

}  // namespace
}  // namespace podnet::conf
