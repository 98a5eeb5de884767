// The origination set from IPAM resources written as Calico stores them.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "conf/decode.hpp"
#include "conf/resource.hpp"
#include "ipam-sync/origination.hpp"

namespace podnet::ipam {
namespace {

OriginationInputs inputs(const std::string& node, const std::string& yaml) {
  OriginationInputs in;
  in.node_name = node;
  for (const auto& doc : conf::parse_documents(yaml, "t.yaml")) {
    EXPECT_TRUE(doc.errors.empty()) << doc.errors.front().str();
    for (const auto& r : doc.resources) {
      if (r.kind->kind == "IPAMBlock")
        in.blocks.push_back(*conf::decode<conf::types::IPAMBlock>(r));
      if (r.kind->kind == "IPPool") in.pools.push_back(*conf::decode<conf::types::IPPool>(r));
    }
  }
  return in;
}

// A /26 block with the given affinity; `owners` maps ordinals to the node holding them.
std::string block(const std::string& cidr, const std::string& affinity,
                  const std::vector<std::pair<int, std::string>>& owners, bool deleted = false) {
  std::vector<std::string> alloc(64, "null");
  std::string attrs;
  for (std::size_t i = 0; i < owners.size(); ++i) {
    alloc[static_cast<std::size_t>(owners[i].first)] = std::to_string(i);
    attrs += fmt::format("  - handle_id: h{}\n    secondary:\n      node: {}\n      pod: p{}\n", i,
                         owners[i].second, i);
  }
  std::string name = cidr;
  for (auto& c : name)
    if (c == '.' || c == '/' || c == ':') c = '-';
  return fmt::format(
      "---\napiVersion: projectcalico.org/v3\nkind: IPAMBlock\nmetadata:\n  name: {}\nspec:\n"
      "  cidr: {}\n{}  allocations: [{}]\n  unallocated: []\n  attributes:{}\n  deleted: {}\n",
      name, cidr, affinity.empty() ? "" : "  affinity: " + affinity + "\n", fmt::join(alloc, ", "),
      attrs.empty() ? " []" : "\n" + attrs, deleted ? "true" : "false");
}

std::string pool(const std::string& name, const std::string& cidr, bool no_export) {
  return fmt::format(
      "---\napiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: {}\nspec:\n"
      "  cidr: {}\n  disableBGPExport: {}\n",
      name, cidr, no_export ? "true" : "false");
}

TEST(Origination, AffineBlocksAndBorrowedAddresses) {
  auto set = origination_set(
      inputs("node2", pool("p", "10.244.0.0/16", false) +
                          block("10.244.1.0/26", "host:node1", {{0, "node1"}, {5, "node2"}}) +
                          block("10.244.2.0/26", "host:node2", {{0, "node2"}, {1, "node1"}}) +
                          block("10.244.3.0/26", "host:node2", {}, /*deleted=*/true)));
  ASSERT_EQ(set.size(), 2u);
  EXPECT_EQ(set[0].cidr, "10.244.1.5/32");  // borrowed from node1's block
  EXPECT_EQ(set[0].kind, Origination::Kind::borrowed);
  EXPECT_EQ(set[0].block, "10.244.1.0/26");
  EXPECT_EQ(set[0].pool, "p");
  EXPECT_EQ(set[1].cidr, "10.244.2.0/26");  // its own block, once (not its /32s)
  EXPECT_EQ(set[1].kind, Origination::Kind::affine_block);
  EXPECT_TRUE(set[1].export_bgp);
  // Seen from node1: its own block, and its workload's address in node2's block (borrowed).
  auto n1 = origination_set(
      inputs("node1", block("10.244.1.0/26", "host:node1", {{0, "node1"}, {5, "node2"}}) +
                          block("10.244.2.0/26", "host:node2", {{0, "node2"}, {1, "node1"}})));
  ASSERT_EQ(n1.size(), 2u);
  EXPECT_EQ(n1[0].cidr, "10.244.1.0/26");
  EXPECT_EQ(n1[1].cidr, "10.244.2.1/32");
  EXPECT_EQ(n1[0].pool, "");
}

TEST(Origination, DisableBgpExportAndIpv6AndUnaffineBlocks) {
  auto set = origination_set(inputs("node1", pool("quiet", "10.10.0.0/16", true) +
                                                 pool("v6", "fd00:10::/48", false) +
                                                 block("10.10.0.64/26", "host:node1", {}) +
                                                 block("fd00:10::/122", "host:node1", {}) +
                                                 block("fd00:10::40/122", "", {{3, "node1"}})));
  ASSERT_EQ(set.size(), 3u);
  EXPECT_EQ(set[0].cidr, "10.10.0.64/26");
  EXPECT_FALSE(set[0].export_bgp);
  EXPECT_EQ(set[1].cidr, "fd00:10::/122");
  EXPECT_TRUE(set[1].export_bgp);
  EXPECT_EQ(set[2].cidr, "fd00:10::43/128");
  EXPECT_EQ(set[2].kind, Origination::Kind::borrowed);
}

TEST(Origination, BlockAddressArithmetic) {
  EXPECT_EQ(block_address("10.0.0.0/26", 0), "10.0.0.0/32");
  EXPECT_EQ(block_address("10.0.0.192/26", 63), "10.0.0.255/32");
  EXPECT_EQ(block_address("10.0.0.192/26", 64), "");
  EXPECT_EQ(block_address("10.0.254.0/23", 300), "10.0.255.44/32");
  EXPECT_EQ(block_address("10.0.0.0/8", 70000), "10.1.17.112/32");  // carries across octets
  EXPECT_EQ(block_address("fd00::ff00/120", 0x1ff), "");
  EXPECT_EQ(block_address("fd00::ff00/119", 0x1ff), "fd00::ffff/128");
  EXPECT_EQ(block_address("bogus", 1), "");
}

}  // namespace
}  // namespace podnet::ipam
