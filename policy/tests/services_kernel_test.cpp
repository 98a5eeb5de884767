// The services table in a real kernel (one network namespace): the kernel takes every
// expression (fib, numgen + anonymous verdict map, dnat with a port, reject), a cluster IP is
// balanced over both backends, a node port of a local address is served, and a service without
// endpoints answers with a TCP reset at once.
#include <gtest/gtest.h>

#include <set>

#include "interop-tests/harness/harness.hpp"
#include "policy/nft/nft_programmer.hpp"
#include "policy/services_nat.hpp"
#include "policy/tests/nft_netns.hpp"

namespace podnet::policy {
namespace {

using harness::Netns;
using harness::Process;

class ServicesKernel : public ::testing::Test {
 protected:
  void SetUp() override {
    ns_ = std::make_unique<Netns>("svc-k");
    for (const auto& cmd : std::vector<std::vector<std::string>>{
             {"ip", "link", "add", "d0", "type", "veth", "peer", "name", "d1"},
             {"ip", "link", "set", "d1", "up"},
             {"ip", "addr", "add", "10.0.0.1/24", "dev", "d0"},
             {"ip", "link", "set", "d0", "up"},
             {"ip", "route", "add", "10.96.0.0/12", "dev", "d0"}}) {
      auto r = ns_->exec(cmd);
      ASSERT_EQ(r.exit_code, 0) << r.err;
    }
    const std::string server = harness::binary_dir() + "/policy/svc_http_server";
    for (auto [port, text] : {std::pair{"8080", "one"}, std::pair{"8081", "two"}}) {
      servers_.emplace_back(std::vector<std::string>{server, port, text}, ns_->name());
      Process& p = servers_.back();
      ASSERT_TRUE(harness::wait_until([&] {
        return p.out().find("listening") != std::string::npos;
      })) << p.err();
    }
  }

  Status apply(const std::vector<ServiceFrontend>& fs) {
    auto t = services_table(fs);
    if (!t) return t.error();
    if (!prog_) {
      testing::ScopedNetns in(ns_->name());
      auto p = nft::Programmer::create();
      if (!p) return p.error();
      prog_ = std::move(*p);
    }
    auto st = prog_->apply(*t);
    if (!st) return st.error();
    return ok_status();
  }

  // curl's exit code and body.
  std::pair<int, std::string> get(const std::string& url) {
    auto r = ns_->exec({"curl", "-s", "--max-time", "3", url});
    return {r.exit_code, r.out};
  }

  std::unique_ptr<Netns> ns_;
  std::vector<Process> servers_;
  std::unique_ptr<nft::Programmer> prog_;
};

ServiceFrontend web(uint16_t node_port, std::vector<ServiceEndpoint> eps) {
  ServiceFrontend f;
  f.ns = "demo";
  f.name = "web";
  f.cluster_ip = "10.96.0.1";
  f.port = 80;
  f.node_port = node_port;
  f.endpoints = std::move(eps);
  return f;
}

TEST_F(ServicesKernel, ClusterIpBalancesNodePortServesNoEndpointsResets) {
  ASSERT_TRUE(harness::is_root());
  ServiceFrontend empty = web(0, {});
  empty.name = "empty";
  empty.cluster_ip = "10.96.0.2";
  auto st =
      apply({web(30080, {{"10.0.0.1", 8080, "demo/a", true}, {"10.0.0.1", 8081, "demo/b", true}}),
             empty});
  ASSERT_TRUE(st.ok()) << st.error().message;

  auto listed = ns_->exec({"nft", "list", "table", "ip", "podnet-svc"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  for (const char* want :
       {"type nat hook prerouting priority dstnat", "fib daddr type local goto nodeports",
        "numgen random mod 2 vmap", "dnat to 10.0.0.1:8081", "reject with tcp reset", "masquerade"})
    EXPECT_NE(listed.out.find(want), std::string::npos) << want << " in\n" << listed.out;

  std::set<std::string> seen;
  for (int i = 0; i < 40 && seen.size() < 2; ++i) {
    auto [rc, body] = get("http://10.96.0.1/");
    ASSERT_EQ(rc, 0) << body;
    seen.insert(body.substr(0, 3));
  }
  EXPECT_EQ(seen, (std::set<std::string>{"one", "two"}));

  auto [np_rc, np_body] = get("http://10.0.0.1:30080/");
  EXPECT_EQ(np_rc, 0);
  EXPECT_TRUE(np_body.rfind("one", 0) == 0 || np_body.rfind("two", 0) == 0) << np_body;

  // No endpoints: refused at once (curl 7), not a timeout (28).
  EXPECT_EQ(get("http://10.96.0.2/").first, 7);

  // One backend left: only it answers; the emptied service's chains are gone.
  st = apply({web(30080, {{"10.0.0.1", 8081, "demo/b", true}}), empty});
  ASSERT_TRUE(st.ok()) << st.error().message;
  for (int i = 0; i < 5; ++i) EXPECT_EQ(get("http://10.96.0.1/").second.substr(0, 3), "two");
  listed = ns_->exec({"nft", "list", "table", "ip", "podnet-svc"});
  EXPECT_EQ(listed.out.find("10.0.0.1:8080"), std::string::npos) << listed.out;
  EXPECT_TRUE(prog_->verify()->empty());
  EXPECT_TRUE(prog_->remove().ok());
}

}  // namespace
}  // namespace podnet::policy
