// The allocator suite (allocator_suite.hpp): Calico's IPAM semantics end to end on a real store.
#include "ipam-sync/tests/allocator_suite.hpp"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <spawn.h>
#include <sys/wait.h>

#include <fstream>
#include <set>
#include <sstream>

#include "conf/decode.hpp"
#include "ipam-sync/allocator.hpp"
#include "ipam-sync/ipam_net.hpp"
#include "ipam-sync/ipam_report.hpp"
#include "ipam-sync/origination.hpp"
#include "ipam-sync/resource_ops.hpp"

extern char** environ;

namespace podnet::ipam::testing {
namespace {

using ::testing::HasSubstr;

void apply_yaml(store::Datastore& ds, const std::string& yaml) {
  for (auto& d : conf::parse_documents(yaml, "<test>")) {
    ASSERT_TRUE(d.errors.empty()) << d.errors.front().str();
    for (auto& r : d.resources) ASSERT_TRUE(store::write(ds, r, store::WriteMode::apply).ok());
  }
}

std::string pool_yaml(const std::string& name, const std::string& cidr,
                      const std::string& extra = "") {
  return "apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: " + name +
         "\nspec:\n  cidr: " + cidr + "\n" + extra;
}

std::string config_yaml(const std::string& spec) {
  return "apiVersion: projectcalico.org/v3\nkind: IPAMConfig\nmetadata:\n  name: default\n"
         "spec:\n" +
         spec;
}

conf::types::IPAMBlock block(store::Datastore& ds, const std::string& name) {
  auto r = store::load(ds, "ipamblocks/" + name);
  EXPECT_TRUE(r.ok()) << name << ": " << (r.ok() ? "" : r.error().message);
  if (!r.ok()) return {};
  return conf::decode<conf::types::IPAMBlock>(*r).value();
}

bool exists(store::Datastore& ds, const std::string& key) {
  return ds.get(key).ok();
}

std::vector<std::string> problems(store::Datastore& ds) {
  auto c = ipam_check(ds);
  EXPECT_TRUE(c.ok());
  return c.ok() ? *c : std::vector<std::string>{"check failed"};
}

AssignRequest on(const std::string& node) {
  AssignRequest r;
  r.node = node;
  return r;
}

TEST_P(AllocatorSuite, FirstAssignmentClaimsABlockWithConfirmedAffinity) {
  apply_yaml(ds(), pool_yaml("pool-a", "10.244.0.0/16"));
  Allocator alloc(ds());
  AssignRequest req = on("node1");
  req.handle = "k8s-pod-network.c1";
  req.ns = "default";
  req.pod = "web-1";
  auto a = alloc.auto_assign(req);
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ(a->address, "10.244.0.0");
  EXPECT_EQ(a->block, "10.244.0.0/26");
  EXPECT_EQ(a->pool, "pool-a");
  EXPECT_FALSE(a->borrowed);

  auto b = block(ds(), "10-244-0-0-26");
  EXPECT_EQ(b.spec.affinity, "host:node1");
  ASSERT_EQ(b.spec.allocations.size(), 64u);
  EXPECT_EQ(b.spec.allocations[0], 0);
  EXPECT_EQ(b.spec.unallocated.size(), 63u);
  ASSERT_EQ(b.spec.attributes.size(), 1u);
  EXPECT_EQ(b.spec.attributes[0].handle_id, "k8s-pod-network.c1");
  EXPECT_EQ(b.spec.attributes[0].secondary,
            (std::map<std::string, std::string>{
                {"node", "node1"}, {"namespace", "default"}, {"pod", "web-1"}}));

  auto aff = store::load(ds(), "blockaffinities/node1-10-244-0-0-26");
  ASSERT_TRUE(aff.ok());
  auto typed = conf::decode<conf::types::BlockAffinity>(*aff).value();
  EXPECT_EQ(typed.spec.state, "confirmed");
  EXPECT_EQ(typed.spec.node, "node1");
  EXPECT_EQ(typed.spec.cidr, "10.244.0.0/26");

  auto h = store::load(ds(), "ipamhandles/k8s-pod-network.c1");
  ASSERT_TRUE(h.ok());
  auto handle = conf::decode<conf::types::IPAMHandle>(*h).value();
  EXPECT_EQ(handle.spec.handle_id, "k8s-pod-network.c1");
  EXPECT_EQ(handle.spec.block, (std::map<std::string, int64_t>{{"10-244-0-0-26", 1}}));
  EXPECT_THAT(problems(ds()), ::testing::IsEmpty());
}

TEST_P(AllocatorSuite, FillsItsBlockThenClaimsTheNext) {
  apply_yaml(ds(), pool_yaml("small", "10.9.0.0/24", "  blockSize: 30\n"));
  Allocator alloc(ds());
  std::vector<std::string> got;
  for (int i = 0; i < 6; ++i) {
    auto a = alloc.auto_assign(on("node1"));
    ASSERT_TRUE(a.ok()) << a.error().message;
    got.push_back(a->address + " " + a->block);
  }
  EXPECT_EQ(got, (std::vector<std::string>{"10.9.0.0 10.9.0.0/30", "10.9.0.1 10.9.0.0/30",
                                           "10.9.0.2 10.9.0.0/30", "10.9.0.3 10.9.0.0/30",
                                           "10.9.0.4 10.9.0.4/30", "10.9.0.5 10.9.0.4/30"}));
  EXPECT_TRUE(exists(ds(), "blockaffinities/node1-10-9-0-4-30"));
  // Another node gets a block of its own, not room in node1's.
  auto other = alloc.auto_assign(on("node2"));
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->block, "10.9.0.8/30");
  EXPECT_THAT(problems(ds()), ::testing::IsEmpty());
}

// Two /30 blocks in the pool: node1 and node2 take one each; node1's fifth address can only be
// borrowed from node2's block.
void two_nodes_two_blocks(store::Datastore& ds, Allocator& alloc) {
  apply_yaml(ds, pool_yaml("tiny", "10.7.0.0/29", "  blockSize: 30\n"));
  ASSERT_EQ(alloc.auto_assign(on("node1")).value().block, "10.7.0.0/30");
  ASSERT_EQ(alloc.auto_assign(on("node2")).value().block, "10.7.0.4/30");
  for (int i = 0; i < 3; ++i)
    ASSERT_EQ(alloc.auto_assign(on("node1")).value().block, "10.7.0.0/30");
}

TEST_P(AllocatorSuite, BorrowsOnlyWhenNoBlockIsFree) {
  Allocator alloc(ds());
  two_nodes_two_blocks(ds(), alloc);
  AssignRequest req = on("node1");
  req.handle = "borrower";
  auto a = alloc.auto_assign(req);
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_TRUE(a->borrowed);
  EXPECT_EQ(a->block, "10.7.0.4/30");
  EXPECT_EQ(a->address, "10.7.0.5");
  // The block stays node2's; the address is node1's, and node1 originates it as a /32.
  auto b = block(ds(), "10-7-0-4-30");
  EXPECT_EQ(b.spec.affinity, "host:node2");
  OriginationInputs in{"node1", {block(ds(), "10-7-0-0-30"), b}, {}};
  auto set = origination_set(in);
  ASSERT_EQ(set.size(), 2u);
  EXPECT_EQ(set[1].cidr, "10.7.0.5/32");
  EXPECT_EQ(set[1].kind, Origination::Kind::borrowed);
  EXPECT_THAT(problems(ds()), ::testing::IsEmpty());
}

TEST_P(AllocatorSuite, StrictAffinityForbidsBorrowing) {
  Allocator alloc(ds());
  two_nodes_two_blocks(ds(), alloc);
  apply_yaml(ds(), config_yaml("  strictAffinity: true\n"));
  auto a = alloc.auto_assign(on("node1"));
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error().code, Errc::not_found);
  EXPECT_THAT(a.error().message, HasSubstr("strictAffinity forbids borrowing"));
  // A specific address in node2's block is refused too.
  auto ip = alloc.assign_ip("10.7.0.6", on("node1"));
  ASSERT_FALSE(ip.ok());
  EXPECT_THAT(ip.error().message, HasSubstr("strictAffinity"));
  EXPECT_EQ(block(ds(), "10-7-0-4-30").spec.unallocated.size(), 3u);
}

TEST_P(AllocatorSuite, MaxBlocksPerHostExhaustedIsAPreciseError) {
  apply_yaml(ds(), pool_yaml("small", "10.9.0.0/24", "  blockSize: 30\n"));
  apply_yaml(ds(), config_yaml("  maxBlocksPerHost: 1\n"));
  Allocator alloc(ds());
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(alloc.auto_assign(on("node1")).ok());
  auto a = alloc.auto_assign(on("node1"));
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error().message,
            "node node1 has 1 blocks in pools [small], the limit (IPAMConfig maxBlocksPerHost "
            "1), and they are full");
  EXPECT_FALSE(exists(ds(), "ipamblocks/10-9-0-4-30"));
  EXPECT_TRUE(alloc.auto_assign(on("node2")).ok());  // the limit is per node
}

TEST_P(AllocatorSuite, AnnotationsChooseThePool) {
  apply_yaml(ds(),
             pool_yaml("pool-a", "10.1.0.0/16") + "---\n" + pool_yaml("pool-b", "10.2.0.0/16"));
  apply_yaml(ds(),
             "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: blue\n  annotations:\n"
             "    cni.projectcalico.org/ipv4pools: '[\"pool-b\"]'\n---\n"
             "apiVersion: v1\nkind: Pod\nmetadata:\n  name: special\n  namespace: blue\n"
             "  annotations:\n    cni.projectcalico.org/ipv4pools: '[\"10.1.0.0/16\"]'\n"
             "spec:\n  nodeName: node1\n---\n"
             "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: broken\n  annotations:\n"
             "    cni.projectcalico.org/ipv4pools: 'pool-b'\n");
  Allocator alloc(ds());
  AssignRequest req = on("node1");
  req.ns = "blue";
  req.pod = "plain";
  EXPECT_EQ(alloc.auto_assign(req).value().pool, "pool-b");  // the namespace's choice
  req.pod = "special";
  EXPECT_EQ(alloc.auto_assign(req).value().pool, "pool-a");  // the pod's wins
  req.pools = {"pool-b"};
  EXPECT_EQ(alloc.auto_assign(req).value().pool, "pool-b");  // an explicit pool wins over both
  req = on("node1");
  req.ns = "broken";
  auto bad = alloc.auto_assign(req);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, Errc::invalid);
  EXPECT_THAT(bad.error().message, HasSubstr("namespace broken annotation "
                                             "cni.projectcalico.org/ipv4pools: 'pool-b' is not "
                                             "a JSON list"));
  req = on("node2");  // no annotation, no blocks yet: the first pool that selects the node
  req.ns = "default";
  EXPECT_EQ(alloc.auto_assign(req).value().pool, "pool-a");
  req.pools = {"no-such-pool"};
  EXPECT_THAT(alloc.auto_assign(req).error().message, HasSubstr("no IPPool named no-such-pool"));
}

TEST_P(AllocatorSuite, PoolNodeSelectorChoosesByNodeLabels) {
  apply_yaml(ds(), pool_yaml("rack1", "10.1.0.0/16", "  nodeSelector: rack == 'r1'\n") + "---\n" +
                       pool_yaml("rack2", "10.2.0.0/16", "  nodeSelector: rack == 'r2'\n"));
  apply_yaml(
      ds(),
      "apiVersion: projectcalico.org/v3\nkind: Node\nmetadata:\n  name: n1\n  labels:\n"
      "    rack: r1\n---\napiVersion: projectcalico.org/v3\nkind: Node\nmetadata:\n  name: n2\n"
      "  labels:\n    rack: r2\n");
  Allocator alloc(ds());
#ifdef PODNET_IPAM_SELECTOR
  EXPECT_EQ(alloc.auto_assign(on("n1")).value().pool, "rack1");
  EXPECT_EQ(alloc.auto_assign(on("n2")).value().pool, "rack2");
  auto none = alloc.auto_assign(on("n3"));  // no Node, no labels: neither pool selects it
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().message,
            "no enabled IPv4 pool allowing Workload addresses selects node n3");
  AssignRequest req = on("n2");
  req.pools = {"rack1"};
  EXPECT_THAT(alloc.auto_assign(req).error().message,
              HasSubstr("IPPool rack1 (nodeSelector rack == 'r1') does not select node n2"));
#else
  auto a = alloc.auto_assign(on("n1"));
  ASSERT_FALSE(a.ok());
  EXPECT_THAT(a.error().message, HasSubstr("needs the selector engine"));
#endif
}

TEST_P(AllocatorSuite, DisabledPoolIsNotUsed) {
  apply_yaml(ds(), pool_yaml("off", "10.1.0.0/16", "  disabled: true\n") + "---\n" +
                       pool_yaml("on", "10.2.0.0/16"));
  Allocator alloc(ds());
  for (int i = 0; i < 3; ++i) EXPECT_EQ(alloc.auto_assign(on("node1")).value().pool, "on");
  AssignRequest req = on("node1");
  req.pools = {"off"};
  EXPECT_THAT(alloc.auto_assign(req).error().message, HasSubstr("IPPool off is disabled"));
  EXPECT_THAT(alloc.assign_ip("10.1.0.9", on("node1")).error().message,
              HasSubstr("which is disabled"));
  apply_yaml(ds(), pool_yaml("on", "10.2.0.0/16", "  disabled: true\n"));
  EXPECT_EQ(alloc.auto_assign(on("node1")).error().code, Errc::not_found);
}

TEST_P(AllocatorSuite, TunnelAddressesComeFromTunnelPools) {
  apply_yaml(ds(), pool_yaml("workloads", "10.1.0.0/16", "  allowedUses: [Workload]\n") + "---\n" +
                       pool_yaml("tunnels", "10.2.0.0/16", "  allowedUses: [Tunnel]\n"));
  Allocator alloc(ds());
  AssignRequest tunnel = on("node1");
  tunnel.type = "vxlanTunnelAddress";
  tunnel.handle = "vxlan-tunnel-addr-node1";
  auto t = alloc.auto_assign(tunnel);
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->pool, "tunnels");
  auto w = alloc.auto_assign(on("node1"));
  EXPECT_EQ(w.value().pool, "workloads");
  auto info = ipam_lookup(ds(), t->address);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->secondary.at("type"), "vxlanTunnelAddress");
  EXPECT_EQ(info->secondary.at("node"), "node1");
  EXPECT_EQ(info->handle, "vxlan-tunnel-addr-node1");
  AssignRequest wrong = tunnel;
  wrong.pools = {"workloads"};
  EXPECT_THAT(alloc.auto_assign(wrong).error().message,
              HasSubstr("does not allow Tunnel addresses"));
}

TEST_P(AllocatorSuite, ReleaseByAddressHandleAndBlock) {
  apply_yaml(ds(), pool_yaml("pool-a", "10.244.0.0/16"));
  Allocator alloc(ds());
  AssignRequest h1 = on("node1"), h2 = on("node1");
  h1.handle = "h1";
  h2.handle = "h2";
  std::string a1 = alloc.auto_assign(h1).value().address;
  std::string a2 = alloc.auto_assign(h1).value().address;
  std::string a3 = alloc.auto_assign(h2).value().address;
  auto handle_count = [&](const std::string& h) {
    auto r = store::load(ds(), "ipamhandles/" + h);
    if (!r.ok()) return int64_t{-1};
    return conf::decode<conf::types::IPAMHandle>(*r).value().spec.block.at("10-244-0-0-26");
  };
  EXPECT_EQ(handle_count("h1"), 2);

  ASSERT_TRUE(alloc.release_ip(a1).ok());
  EXPECT_EQ(handle_count("h1"), 1);
  auto again = alloc.release_ip(a1);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().message, a1 + " is not allocated");
  EXPECT_THAT(problems(ds()), ::testing::IsEmpty());

  auto busy = alloc.release_block("10.244.0.0/26");
  ASSERT_FALSE(busy.ok());
  EXPECT_EQ(busy.error().message, "block 10.244.0.0/26 still has 2 allocated addresses (" + a2 +
                                      ", " + a3 + "); release them first");

  EXPECT_EQ(alloc.release_handle("h1").value(), 1);
  EXPECT_EQ(handle_count("h1"), -1);
  EXPECT_EQ(alloc.release_handle("h1").error().code, Errc::not_found);
  ASSERT_TRUE(alloc.release_ip(a3).ok());
  EXPECT_EQ(handle_count("h2"), -1);

  // Emptied, the block keeps its affinity (and the node keeps allocating from it).
  auto b = block(ds(), "10-244-0-0-26");
  EXPECT_EQ(b.spec.affinity, "host:node1");
  EXPECT_EQ(b.spec.unallocated.size(), 64u);
  EXPECT_TRUE(b.spec.attributes.empty());
  EXPECT_TRUE(exists(ds(), "blockaffinities/node1-10-244-0-0-26"));
  EXPECT_THAT(problems(ds()), ::testing::IsEmpty());

  ASSERT_TRUE(alloc.release_block("10.244.0.0/26").ok());
  EXPECT_FALSE(exists(ds(), "ipamblocks/10-244-0-0-26"));
  EXPECT_FALSE(exists(ds(), "blockaffinities/node1-10-244-0-0-26"));
  EXPECT_THAT(problems(ds()), ::testing::IsEmpty());
}

TEST_P(AllocatorSuite, AssignsASpecificAddress) {
  apply_yaml(ds(), pool_yaml("pool-a", "10.244.0.0/16"));
  Allocator alloc(ds());
  AssignRequest req = on("node1");
  req.handle = "fixed";
  auto a = alloc.assign_ip("10.244.3.7", req);
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ(a->block, "10.244.3.0/26");
  EXPECT_FALSE(a->borrowed);
  EXPECT_EQ(block(ds(), "10-244-3-0-26").spec.affinity, "host:node1");
  auto twice = alloc.assign_ip("10.244.3.7", on("node2"));
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.error().code, Errc::already_exists);
  EXPECT_EQ(twice.error().message, "10.244.3.7 is already allocated (handle fixed, node node1)");
  auto borrowed = alloc.assign_ip("10.244.3.8", on("node2"));
  ASSERT_TRUE(borrowed.ok());
  EXPECT_TRUE(borrowed->borrowed);
  EXPECT_EQ(alloc.assign_ip("10.99.0.1", on("node1")).error().message, "10.99.0.1 is in no IPPool");
  // Auto-assignment skips the taken ordinals of its block.
  auto next = alloc.auto_assign(on("node1"));
  EXPECT_EQ(next.value().address, "10.244.3.0");
  EXPECT_THAT(problems(ds()), ::testing::IsEmpty());
}

TEST_P(AllocatorSuite, NodeDeletionReleasesItsAddressesAndBlocks) {
  apply_yaml(ds(), pool_yaml("tiny", "10.7.0.0/29", "  blockSize: 30\n"));
  Allocator alloc(ds());
  AssignRequest n1 = on("node1");
  n1.handle = "pod-on-node1";
  ASSERT_EQ(alloc.auto_assign(n1).value().block, "10.7.0.0/30");
  ASSERT_TRUE(alloc.assign_ip("10.7.0.4", n1).ok());  // node1 claims the second block too
  AssignRequest n2 = on("node2");
  n2.handle = "pod-on-node2";
  auto borrowed = alloc.assign_ip("10.7.0.1", n2);  // node2 borrows from node1's first block
  ASSERT_TRUE(borrowed.ok());
  ASSERT_TRUE(borrowed->borrowed);

  auto c = alloc.release_node("node1");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->released_addresses, 2);
  EXPECT_EQ(c->deleted_blocks, 1);   // 10.7.0.4/30: empty now
  EXPECT_EQ(c->orphaned_blocks, 1);  // 10.7.0.0/30: node2 still has an address in it
  EXPECT_EQ(c->deleted_affinities, 2);
  EXPECT_FALSE(exists(ds(), "ipamblocks/10-7-0-4-30"));
  EXPECT_FALSE(exists(ds(), "blockaffinities/node1-10-7-0-0-30"));
  EXPECT_FALSE(exists(ds(), "ipamhandles/pod-on-node1"));
  auto orphan = block(ds(), "10-7-0-0-30");
  EXPECT_FALSE(orphan.spec.affinity.has_value());
  EXPECT_EQ(orphan.spec.unallocated.size(), 3u);
  EXPECT_THAT(problems(ds()), ::testing::IsEmpty());
  // Its last address released, the unaffine block goes.
  ASSERT_TRUE(alloc.release_ip("10.7.0.1").ok());
  EXPECT_FALSE(exists(ds(), "ipamblocks/10-7-0-0-30"));
  EXPECT_THAT(problems(ds()), ::testing::IsEmpty());
}

TEST_P(AllocatorSuite, Ipv6Blocks) {
  apply_yaml(ds(), pool_yaml("v6", "fd00:10::/112"));
  Allocator alloc(ds());
  AssignRequest req = on("node1");
  req.family = 6;
  std::set<std::string> seen;
  Assignment last;
  for (int i = 0; i < 65; ++i) {
    auto a = alloc.auto_assign(req);
    ASSERT_TRUE(a.ok()) << a.error().message;
    EXPECT_TRUE(seen.insert(a->address).second) << a->address;
    last = *a;
  }
  EXPECT_EQ(*seen.begin(), "fd00:10::");
  EXPECT_EQ(last.block, "fd00:10::40/122");
  EXPECT_EQ(last.address, "fd00:10::40");
  EXPECT_EQ(block(ds(), "fd00-10---122").spec.allocations.size(), 64u);
  EXPECT_TRUE(exists(ds(), "blockaffinities/node1-fd00-10--40-122"));
  ASSERT_TRUE(alloc.release_ip("fd00:10::3").ok());
  EXPECT_THAT(problems(ds()), ::testing::IsEmpty());
}

TEST_P(AllocatorSuite, CheckReportsCorruption) {
  apply_yaml(ds(), pool_yaml("pool-a", "10.244.0.0/16"));
  Allocator alloc(ds());
  AssignRequest req = on("node1");
  req.handle = "h";
  ASSERT_TRUE(alloc.auto_assign(req).ok());
  // Hand-edit the block: ordinal 5 both free and allocated, ordinal 6 neither.
  auto r = store::modify(ds(), "ipamblocks/10-244-0-0-26", [](nlohmann::json& d) {
    auto& s = d["spec"];
    s["allocations"][5] = 0;
    auto& un = s["unallocated"];
    un.erase(std::find(un.begin(), un.end(), nlohmann::json(6)));
    return ok_status();
  });
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_THAT(problems(ds()),
              ::testing::UnorderedElementsAre(
                  "double-allocated: 10.244.0.5 (block 10.244.0.0/26) is allocated and also on "
                  "the free list",
                  "lost: 10.244.0.6 (block 10.244.0.0/26) is neither allocated nor free",
                  "handle h counts 1 addresses in block 10-244-0-0-26, which holds 2"));
}

// Two processes allocate on the same node and pool at once: every address is handed out
// exactly once, the stored blocks hold exactly the addresses the processes printed, and the
// handles count them right.
TEST_P(AllocatorSuite, TwoRacingProcessesNeverDuplicateOrLose) {
  apply_yaml(ds(), pool_yaml("race", "10.50.0.0/16"));
  const int per_process = GetParam().name == "etcd" ? 600 : 750;
  const std::string spec = ds().describe();
  std::vector<std::pair<pid_t, std::string>> kids;
  for (const char* handle : {"racer-a", "racer-b"}) {
    std::string out =
        ::testing::TempDir() + "ipam-race-" + handle + "-" + std::to_string(::getpid()) + ".txt";
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    std::vector<std::string> args{
        PODNET_IPAM_TOOL, "assign", spec, "node1", std::to_string(per_process), handle};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid = -1;
    ASSERT_EQ(posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    kids.emplace_back(pid, out);
  }
  std::multiset<std::string> printed;
  for (auto& [pid, out] : kids) {
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    std::ifstream f(out);
    for (std::string line; std::getline(f, line);) printed.insert(line);
    std::remove(out.c_str());
  }
  ASSERT_EQ(printed.size(), static_cast<size_t>(2 * per_process));
  std::set<std::string> unique(printed.begin(), printed.end());
  EXPECT_EQ(unique.size(), printed.size()) << "an address was handed out twice";

  std::set<std::string> stored;
  auto blocks = store::load_all(ds(), *conf::find_kind("IPAMBlock"), "");
  ASSERT_TRUE(blocks.ok());
  for (const auto& r : *blocks) {
    auto b = conf::decode<conf::types::IPAMBlock>(r).value();
    EXPECT_EQ(b.spec.affinity, "host:node1");
    auto net = parse_net(b.spec.cidr).value();
    for (size_t o = 0; o < b.spec.allocations.size(); ++o)
      if (b.spec.allocations[o]) stored.insert(addr_str(4, net.base + o));
  }
  EXPECT_EQ(stored, unique) << "the store and the processes disagree (a lost allocation)";
  EXPECT_THAT(problems(ds()), ::testing::IsEmpty());
}

}  // namespace
}  // namespace podnet::ipam::testing
