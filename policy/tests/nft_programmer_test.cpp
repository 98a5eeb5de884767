// The nftables programmer against the real kernel, each test in a fresh network namespace:
// what it applies is what `nft list` shows; changes are incremental (untouched chains keep their
// rule handles); a rejected transaction changes nothing; drift is found and repaired; a restart
// adopts a matching table without a change and replaces a stale one; and a scale smoke.
#include <chrono>
#include <cstdio>
#include <regex>

#include <gtest/gtest.h>

#include "interop-tests/harness/harness.hpp"
#include "policy/nft/nft_programmer.hpp"
#include "policy/tests/nft_netns.hpp"
#include "policy/tests/nft_sample.hpp"

namespace podnet::policy::nft {
namespace {

using testing::addr;
using testing::sample_table;

// The namespace of the running test; shell commands (the nft CLI) run inside it.
harness::Netns* g_ns = nullptr;
std::string output(const std::string& cmd) {
  return g_ns->exec({"sh", "-c", cmd}).out;
}
int run(const std::string& cmd) {
  return g_ns->exec({"sh", "-c", cmd}).exit_code;
}

std::string nft_list(const std::string& table = "podnet-test") {
  return output("nft list table inet " + table + " 2>&1");
}

std::vector<uint64_t> nft_handles(const std::string& chain,
                                  const std::string& table = "podnet-test") {
  std::vector<uint64_t> out;
  const std::string text = output("nft -a list chain inet " + table + " " + chain + " 2>&1");
  std::regex re(R"(# handle (\d+))");
  bool first = true;  // the chain line carries the chain's own handle
  for (std::sregex_iterator it(text.begin(), text.end(), re), end; it != end; ++it) {
    if (first) {
      first = false;
      continue;
    }
    out.push_back(std::stoull((*it)[1]));
  }
  return out;
}

class NftProgrammer : public ::testing::Test {
 protected:
  void SetUp() override {
    ns_ = std::make_unique<harness::Netns>("pnnft");
    g_ns = ns_.get();
    testing::ScopedNetns in(ns_->name());
    ASSERT_TRUE(in.ok()) << "cannot enter " << ns_->name();
    auto p = Programmer::create();  // its socket stays in the test's namespace
    ASSERT_TRUE(p.ok()) << p.error().message;
    prog_ = std::move(*p);
  }
  void TearDown() override {
    prog_.reset();
    g_ns = nullptr;
  }
  std::unique_ptr<harness::Netns> ns_;
  std::unique_ptr<Programmer> prog_;
};

TEST_F(NftProgrammer, AppliedTableIsWhatNftLists) {
  auto st = prog_->apply(sample_table());
  ASSERT_TRUE(st.ok()) << st.error().message;
  EXPECT_GT(st->messages, 0u);
  const std::string l = nft_list();
  for (const char* want : {"set pods-a {",
                           "type ipv4_addr",
                           "flags interval",
                           "10.244.0.0/26",
                           "10.244.1.7",
                           "type ipv4_addr . inet_proto . inet_service",
                           "10.244.0.5 . tcp . 8080",
                           "type ifname : verdict",
                           "\"cali1\" : goto tw-cali1",
                           "fd00:10:244::/122",
                           "type filter hook forward priority filter; policy accept;",
                           "ct state established,related accept",
                           "ct state invalid drop",
                           "iifname \"cali*\" iifname vmap @from-wl",
                           "oifname \"cali*\" oifname vmap @to-wl",
                           "ip saddr @pods-a tcp dport { 80, 443-450 }",
                           "ip daddr . meta l4proto . th dport @np-http",
                           "ip6 saddr @pods-a6",
                           "icmpv6 type echo-request",
                           "ip saddr != 192.168.0.0/16",
                           "icmp type echo-request",
                           "log prefix \"pn-icmp \"",
                           "meta l4proto != { tcp, udp } drop",
                           "jump pi-allow-http",
                           "meta mark & 0x00010000 == 0x00010000 return"}) {
    EXPECT_NE(l.find(want), std::string::npos) << "missing '" << want << "' in\n" << l;
  }
  auto v = prog_->verify();
  ASSERT_TRUE(v.ok()) << v.error().message;
  EXPECT_TRUE(v->empty()) << (*v)[0];
  // The programmer's recorded handles are the kernel's.
  EXPECT_EQ(prog_->handles("pi-allow-http"), nft_handles("pi-allow-http"));
  // Applying the same table again sends nothing.
  auto again = prog_->apply(sample_table());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->messages, 0u);
}

TEST_F(NftProgrammer, ChangesAreIncremental) {
  Table t = sample_table();
  ASSERT_TRUE(prog_->apply(t).ok());
  std::map<std::string, std::vector<uint64_t>> before;
  for (const auto& c : t.chains) before[c.name] = nft_handles(c.name);

  // A pod added (set element + map elements + its two endpoint chains), one policy rule changed.
  t.set("pods-a")->elements.push_back(Element{{addr("10.244.2.9")}, {}});
  t.set("pods-a")->elements.erase(t.set("pods-a")->elements.begin() + 1);  // 10.244.1.7 gone
  t.set("to-wl")->elements.push_back(
      Element{{KeyPart::ifname("cali3")}, Verdict::goto_("tw-cali3")});
  Chain tw3 = *t.chain("tw-cali1");
  tw3.name = "tw-cali3";
  t.chains.push_back(tw3);
  t.chain("po-allow-all")
      ->rules.insert(t.chain("po-allow-all")->rules.begin(),
                     Rule{{L4ProtoMatch{{17}, false},
                           PortMatch{PortField::dport, Values{{KeyPart::port(53)}, {}}, false}},
                          {Counter{}, SetMark{0, 0x10000}, Verdict::ret()}});
  auto st = prog_->apply(t);
  ASSERT_TRUE(st.ok()) << st.error().message;
  EXPECT_EQ(st->chains_added, 1u);
  EXPECT_EQ(st->chains_rewritten, 1u);
  EXPECT_EQ(st->rewritten, std::vector<std::string>{"po-allow-all"});
  EXPECT_EQ(st->elements_added, 3u);    // 10.244.2.9 start+end, "cali3"
  EXPECT_EQ(st->elements_removed, 2u);  // 10.244.1.7 start+end
  EXPECT_EQ(st->rules_added, tw3.rules.size() + 2);

  for (const auto& c : sample_table().chains) {
    if (c.name == "po-allow-all") {
      EXPECT_NE(nft_handles(c.name), before[c.name]);
      continue;
    }
    EXPECT_EQ(nft_handles(c.name), before[c.name]) << "chain " << c.name << " was touched";
  }
  const std::string l = nft_list();
  EXPECT_NE(l.find("10.244.2.9"), std::string::npos) << l;
  EXPECT_EQ(l.find("10.244.1.7"), std::string::npos) << l;
  EXPECT_NE(l.find("\"cali3\" : goto tw-cali3"), std::string::npos) << l;
  EXPECT_NE(l.find("udp dport 53"), std::string::npos) << l;
  EXPECT_EQ(prog_->handles("po-allow-all"), nft_handles("po-allow-all"));

  // Removing the pod again deletes its chain (after its map element) in the same batch.
  t = sample_table();
  st = prog_->apply(t);
  ASSERT_TRUE(st.ok()) << st.error().message;
  EXPECT_EQ(st->chains_removed, 1u);
  EXPECT_EQ(nft_list().find("tw-cali3"), std::string::npos);
  auto v = prog_->verify();
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->empty()) << (*v)[0];
}

// apply_delta: the same change as above, named by the caller instead of diffed: the same
// batch content, other chains keep their handles, the recorded table and state follow (verify()
// finds the kernel in sync); a delta that would change a set's type is refused before sending.
TEST_F(NftProgrammer, DeltaChangesOnlyWhatItNames) {
  Table t = sample_table();
  ASSERT_TRUE(prog_->apply(t).ok());
  std::map<std::string, std::vector<uint64_t>> before;
  for (const auto& c : t.chains) before[c.name] = nft_handles(c.name);

  TableDelta d;
  Set pods = *t.set("pods-a");
  pods.elements.push_back(Element{{addr("10.244.2.9")}, {}});
  pods.elements.erase(pods.elements.begin() + 1);  // 10.244.1.7 gone
  Set to_wl = *t.set("to-wl");
  to_wl.elements.push_back(Element{{KeyPart::ifname("cali3")}, Verdict::goto_("tw-cali3")});
  Chain tw3 = *t.chain("tw-cali1");
  tw3.name = "tw-cali3";
  d.sets_put = {pods, to_wl};
  d.chains_put = {tw3};
  auto st = prog_->apply_delta(d);
  ASSERT_TRUE(st.ok()) << st.error().message;
  EXPECT_EQ(st->chains_added, 1u);
  EXPECT_EQ(st->chains_rewritten, 0u);
  EXPECT_EQ(st->elements_added, 3u);
  EXPECT_EQ(st->elements_removed, 2u);
  for (const auto& c : t.chains)
    EXPECT_EQ(nft_handles(c.name), before[c.name]) << "chain " << c.name << " was touched";
  const std::string l = nft_list();
  EXPECT_NE(l.find("10.244.2.9"), std::string::npos) << l;
  EXPECT_EQ(l.find("10.244.1.7"), std::string::npos) << l;
  EXPECT_NE(l.find("\"cali3\" : goto tw-cali3"), std::string::npos) << l;
  apply_delta(t, d);
  ASSERT_NE(prog_->applied(), nullptr);
  EXPECT_EQ(sorted(*prog_->applied()), sorted(t));
  EXPECT_EQ(prog_->handles("tw-cali3"), nft_handles("tw-cali3"));
  auto v = prog_->verify();
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->empty()) << (*v)[0];

  // Removal: the map element goes before the chain it points at, in one batch.
  TableDelta back;
  back.sets_put = {*sample_table().set("to-wl")};
  back.chains_removed = {"tw-cali3"};
  st = prog_->apply_delta(back);
  ASSERT_TRUE(st.ok()) << st.error().message;
  EXPECT_EQ(st->chains_removed, 1u);
  EXPECT_EQ(nft_list().find("tw-cali3"), std::string::npos);
  v = prog_->verify();
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->empty()) << (*v)[0];

  // A set whose key type would change: refused, nothing sent, the kernel as it was.
  TableDelta bad;
  Set v6 = *sample_table().set("pods-a6");
  v6.name = "pods-a";
  bad.sets_put = {v6};
  auto r = prog_->apply_delta(bad);
  EXPECT_FALSE(r.ok());
  v = prog_->verify();
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->empty()) << (*v)[0];
}

TEST_F(NftProgrammer, RejectedBatchChangesNothing) {
  ASSERT_TRUE(prog_->apply(sample_table()).ok());
  const std::string good = output("nft -a list ruleset");

  // A jump into a chain the kernel does not have, past validation (the kernel must say no).
  auto raw = [&] {
    testing::ScopedNetns in(ns_->name());
    return Programmer::create(Programmer::Options{false});
  }();
  ASSERT_TRUE(raw.ok());
  Table bad = sample_table();
  bad.set("pods-a")->elements.push_back(Element{{addr("10.99.0.0/16")}, {}});  // would-be change
  bad.chain("po-allow-all")->rules.push_back(Rule{{}, {Verdict::jump("no-such-chain")}});
  auto st = (*raw)->apply(bad);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("add rule podnet-test po-allow-all jump no-such-chain"),
            std::string::npos)
      << st.error().message;
  EXPECT_NE(st.error().message.find("No such file or directory"), std::string::npos)
      << st.error().message;
  EXPECT_EQ(output("nft -a list ruleset"), good);

  // A jump loop passes validation; the kernel rejects the whole transaction (EMLINK).
  Table loop = sample_table();
  loop.set("pods-a")->elements.push_back(Element{{addr("10.99.0.0/16")}, {}});
  loop.chain("pi-allow-http")->rules.push_back(Rule{{}, {Verdict::jump("tw-cali1")}});
  st = prog_->apply(loop);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("jump tw-cali1: Too many links"), std::string::npos)
      << st.error().message;
  EXPECT_EQ(output("nft -a list ruleset"), good);
  // The last good state is kept: nothing drifted, and the next good change applies normally.
  ASSERT_TRUE(prog_->applied() && *prog_->applied() == sample_table());
  auto v = prog_->verify();
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->empty());
  Table next = sample_table();
  next.set("pods-a")->elements.push_back(Element{{addr("10.99.0.0/16")}, {}});
  auto ok = prog_->apply(next);
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(ok->elements_added, 2u);
  EXPECT_EQ(ok->chains_rewritten, 0u);
}

TEST_F(NftProgrammer, DriftIsDetectedAndRepaired) {
  ASSERT_TRUE(prog_->apply(sample_table()).ok());
  const std::string good = nft_list();
  const auto handles = nft_handles("tw-cali2");
  ASSERT_EQ(handles.size(), 5u);
  const auto untouched = nft_handles("pi-allow-http");

  ASSERT_EQ(run("nft delete rule inet podnet-test tw-cali2 handle " + std::to_string(handles[2])),
            0);
  ASSERT_EQ(run("nft delete element inet podnet-test pods-a '{ 10.244.1.7 }'"), 0);
  ASSERT_EQ(run("nft add chain inet podnet-test intruder"), 0);
  auto v = prog_->verify();
  ASSERT_TRUE(v.ok()) << v.error().message;
  std::string all;
  for (const auto& d : *v) all += d + "\n";
  EXPECT_NE(all.find("chain tw-cali2: rules differ (5 expected, 4 present)"), std::string::npos)
      << all;
  EXPECT_NE(all.find("set pods-a: element missing"), std::string::npos) << all;
  EXPECT_NE(all.find("unexpected chain intruder"), std::string::npos) << all;
  EXPECT_EQ(all.find("pi-allow-http"), std::string::npos) << all;

  // The generation tells the daemon when a re-check is due at all.
  auto gen = prog_->generation();
  ASSERT_TRUE(gen.ok());
  EXPECT_FALSE(prog_->verified_generation().has_value());  // the last verify found drift
  auto r = prog_->repair();
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->rewritten, std::vector<std::string>{"tw-cali2"});
  EXPECT_EQ(r->chains_removed, 1u);
  EXPECT_EQ(nft_list(), good);
  EXPECT_EQ(nft_handles("pi-allow-http"), untouched);
  v = prog_->verify();
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->empty()) << (*v)[0];
  EXPECT_EQ(prog_->verified_generation(), *prog_->generation());
  ASSERT_EQ(run("nft add table inet someone-else"), 0);  // anyone's commit moves it on
  EXPECT_NE(prog_->verified_generation(), *prog_->generation());

  // A rule replaced in place (same position, new handle, no podnet tag) is drift too.
  const auto h = nft_handles("po-allow-all");
  ASSERT_EQ(run("nft replace rule inet podnet-test po-allow-all handle " + std::to_string(h[0]) +
                " accept"),
            0);
  v = prog_->verify();
  ASSERT_TRUE(v.ok());
  ASSERT_FALSE(v->empty());
  ASSERT_TRUE(prog_->repair().ok());
  EXPECT_EQ(nft_list(), good);
}

TEST_F(NftProgrammer, ApplyRecoversFromDriftThatBreaksTheDiff) {
  ASSERT_TRUE(prog_->apply(sample_table()).ok());
  // Behind podnet's back: the whole table goes; later an element the next diff removes.
  ASSERT_EQ(run("nft delete table inet podnet-test"), 0);
  Table next = sample_table();
  next.set("pods-a")->elements.push_back(Element{{addr("10.99.0.0/16")}, {}});
  auto st = prog_->apply(next);
  ASSERT_TRUE(st.ok()) << st.error().message;
  EXPECT_TRUE(st->recovered_drift);
  EXPECT_NE(nft_list().find("10.99.0.0/16"), std::string::npos);
  auto v = prog_->verify();
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->empty()) << (*v)[0];

  ASSERT_EQ(run("nft delete element inet podnet-test pods-a '{ 10.244.1.7 }'"), 0);
  next.set("pods-a")->elements.erase(next.set("pods-a")->elements.begin() + 1);  // 10.244.1.7
  st = prog_->apply(next);  // its first batch deletes an element that is already gone
  ASSERT_TRUE(st.ok()) << st.error().message;
  EXPECT_TRUE(st->recovered_drift);
  v = prog_->verify();
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->empty()) << (*v)[0];
  // And a table the kernel rejects on its own merits is still reported, not retried into.
  Table loop = sample_table();
  loop.chain("pi-allow-http")->rules.push_back(Rule{{}, {Verdict::jump("tw-cali1")}});
  auto bad = prog_->apply(loop);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, Errc::invalid);
}

TEST_F(NftProgrammer, RestartAdoptsMatchingTableAndReplacesStaleOne) {
  ASSERT_TRUE(prog_->apply(sample_table()).ok());
  const std::string listed = output("nft -a list ruleset");

  auto in_ns = [&] {
    testing::ScopedNetns in(ns_->name());
    return Programmer::create();
  };
  auto second = in_ns();
  ASSERT_TRUE(second.ok());
  auto st = (*second)->apply(sample_table());
  ASSERT_TRUE(st.ok()) << st.error().message;
  EXPECT_TRUE(st->adopted);
  EXPECT_EQ(st->messages, 0u);
  EXPECT_EQ(output("nft -a list ruleset"), listed);  // same handles: nothing was rewritten
  EXPECT_EQ((*second)->handles("tw-cali1"), nft_handles("tw-cali1"));
  auto v = (*second)->verify();
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->empty());

  // A third instance wants something else: the leftover is replaced in one transaction.
  ASSERT_EQ(run("nft add chain inet podnet-test leftover"), 0);
  Table other = sample_table();
  other.chains.pop_back();  // po-allow-all gone...
  for (auto& c : other.chains)
    for (auto& r : c.rules)
      if (auto* v2 = std::get_if<Verdict>(&r.stmt.back()); v2 && v2->chain == "po-allow-all")
        *v2 = Verdict::ret();
  auto third = in_ns();
  ASSERT_TRUE(third.ok());
  st = (*third)->apply(other);
  ASSERT_TRUE(st.ok()) << st.error().message;
  EXPECT_TRUE(st->replaced);
  const std::string l = nft_list();
  EXPECT_EQ(l.find("leftover"), std::string::npos) << l;
  EXPECT_EQ(l.find("po-allow-all"), std::string::npos) << l;
  v = (*third)->verify();
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->empty()) << (*v)[0];
}

TEST_F(NftProgrammer, ConcatenatedIntervalAndHostOrderSetsRoundTrip) {
  Table t;
  t.name = "podnet-kinds";
  t.sets.push_back(Set{"net-ports",
                       {KeyType::ipv4_addr, KeyType::inet_service},
                       true,
                       false,
                       {Element{{addr("10.1.0.0/24"), KeyPart::port_range(8000, 8080)}, {}},
                        Element{{addr("10.2.0.7"), KeyPart::port(53)}, {}}}});
  t.sets.push_back(
      Set{"marks", {KeyType::mark}, false, false, {Element{{KeyPart::mark(0x10000)}, {}}}});
  t.sets.push_back(Set{"v6nets",
                       {KeyType::ipv6_addr},
                       true,
                       false,
                       {Element{{addr("fd00::/64")}, {}}, Element{{addr("::/0")}, {}}}});
  Chain c{"input", BaseChain{ChainType::filter, Hook::input, 0, false}, {}};
  c.rules.push_back(
      Rule{{AddrMatch{IpVersion::v6, AddrField::saddr, Values{{}, "v6nets"}, false},
            AddrMatch{IpVersion::v4, AddrField::daddr,
                      Values{{*KeyPart::addr_range("10.0.0.1", "10.0.0.9")}, {}}, true}},
           {Counter{}}});
  t.chains.push_back(c);
  auto st = prog_->apply(t);
  ASSERT_TRUE(st.ok()) << st.error().message;
  const std::string l = nft_list("podnet-kinds");
  EXPECT_NE(l.find("10.1.0.0/24 . 8000-8080"), std::string::npos) << l;
  EXPECT_NE(l.find("10.2.0.7 . 53"), std::string::npos) << l;
  EXPECT_NE(l.find("0x00010000"), std::string::npos) << l;
  EXPECT_NE(l.find("ip daddr != 10.0.0.1-10.0.0.9"), std::string::npos) << l;
  auto v = prog_->verify();  // what the kernel dumps back equals what was sent
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->empty()) << (*v)[0];
  // Changing one range of the concatenation swaps exactly that element.
  t.set("net-ports")->elements[0].key[1] = KeyPart::port_range(8000, 8443);
  st = prog_->apply(t);
  ASSERT_TRUE(st.ok()) << st.error().message;
  EXPECT_EQ(st->elements_added, 1u);
  EXPECT_EQ(st->elements_removed, 1u);
  EXPECT_NE(nft_list("podnet-kinds").find("10.1.0.0/24 . 8000-8443"), std::string::npos);
}

TEST_F(NftProgrammer, ScaleSmokeTenThousandElementsThousandChains) {
  Table t;
  t.name = "podnet-scale";
  Set s{"members", {KeyType::ipv4_addr}, false, false, {}};
  for (int i = 0; i < 10000; ++i)
    s.elements.push_back(Element{
        {addr(("10." + std::to_string(i / 250) + "." + std::to_string(i % 250) + ".1").c_str())},
        {}});
  Set ports{
      "ports", {KeyType::ipv4_addr, KeyType::inet_proto, KeyType::inet_service}, false, false, {}};
  t.sets = {s, ports};
  Chain base{"forward", BaseChain{}, {}};
  for (int i = 0; i < 1000; ++i) {
    Chain c{"pi-" + std::to_string(i), std::nullopt, {}};
    c.rules.push_back(
        Rule{{AddrMatch{IpVersion::v4, AddrField::saddr, Values{{}, "members"}, false},
              L4ProtoMatch{{6}, false},
              PortMatch{PortField::dport,
                        Values{{KeyPart::port(static_cast<uint16_t>(1000 + i))}, {}}, false}},
             {SetMark{0, 0x10000}, Verdict::ret()}});
    c.rules.push_back(Rule{
        {AddrProtoPortMatch{IpVersion::v4, AddrField::daddr, PortField::dport, "ports", false}},
        {SetMark{0, 0x10000}, Verdict::ret()}});
    t.chains.push_back(c);
    if (i < 1000)
      base.rules.push_back(Rule{{MarkMatch{0x10000, 0, false}}, {Verdict::jump(c.name)}});
  }
  t.chains.push_back(base);

  auto t0 = std::chrono::steady_clock::now();
  auto st = prog_->apply(t);
  auto t1 = std::chrono::steady_clock::now();
  ASSERT_TRUE(st.ok()) << st.error().message;
  t.set("members")->elements.push_back(Element{{addr("172.16.0.1")}, {}});
  auto st2 = prog_->apply(t);
  auto t2 = std::chrono::steady_clock::now();
  ASSERT_TRUE(st2.ok()) << st2.error().message;
  EXPECT_EQ(st2->messages, 1u);
  auto v = prog_->verify();
  auto t3 = std::chrono::steady_clock::now();
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->empty());
  auto ms = [](auto a, auto b) { return std::chrono::duration<double, std::milli>(b - a).count(); };
  std::printf(
      "scale: cold apply %.1f ms (%zu messages, %zu bytes, %zu rules); one element %.2f ms; verify "
      "%.1f ms\n",
      ms(t0, t1), st->messages, st->bytes, st->rules_added, ms(t1, t2), ms(t2, t3));
  const std::string count =
      output("nft list set inet podnet-scale members | grep -o '10\\.[0-9]*\\.[0-9]*\\.1' | wc -l");
  EXPECT_EQ(std::stoi(count), 10000);
}

}  // namespace
}  // namespace podnet::policy::nft
