// RFC 7606 in practice: malformed UPDATEs from real peers in namespaces, one test per case.
// ExaBGP (eBGP, AS 65001, and iBGP, AS 64512) sends what its generic `attribute [ code flags
// value ]` can put on the wire; RawBgpSpeaker (eBGP, AS 65003) sends what ExaBGP cannot encode
// (duplicates, missing attributes, NEXT_HOP of the wrong length, LOCAL_PREF over eBGP -- ExaBGP
// never sends it there -- and a Total Path Attribute Length past the message).
//
// Every case first has the peer announce a good route and the target prefix with valid
// attributes, then the crafted UPDATE for the target, and checks the handling RFC 7606 7.x
// prescribes: treat-as-withdraw (the target leaves podnetd's RIB and the kernel), attribute
// discard (the target stays, updated, without the attribute), or session reset (the exact
// NOTIFICATION arrives at the peer). In the first two the session stays up and the peer's
// other routes stay in the RIB and the kernel.
//
// One podnetd and the ExaBGP peers serve the whole suite (each test has its own prefixes):
// starting them per test would cost more than all the checks together.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "interop-tests/bgp/podnetd_under_test.hpp"
#include "interop-tests/harness/harness.hpp"
#include "interop-tests/peers/exabgp_peer.hpp"
#include "interop-tests/peers/raw_bgp_speaker.hpp"
#include "interop-tests/topology/topology.hpp"

namespace podnet::interop {
namespace {

using namespace std::chrono_literals;
using harness::wait_until;
using nlohmann::json;

constexpr const char* kPn = "10.0.0.1";
constexpr const char* kExa = "10.0.0.2";   // eBGP ExaBGP, AS 65001
constexpr const char* kRaw = "10.0.0.3";   // eBGP raw speaker, AS 65003
constexpr const char* kIbgp = "10.0.0.4";  // iBGP ExaBGP, AS 64512

const std::string kResources = single_node_resources(
    {{"exa", "10.0.0.2", 65001}, {"raw", "10.0.0.3", 65003}, {"ibgp", "10.0.0.4", 64512}});

// The shared lab: podnetd and the two ExaBGP peers.
struct Lab {
  std::unique_ptr<Topology> topo;
  PodnetdUnderTest pn;
  std::unique_ptr<ExabgpPeer> exa;
  std::unique_ptr<ExabgpPeer> ibgp;
};

Lab* lab = nullptr;

class Rfc7606 : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!harness::is_root()) return;
    lab = new Lab;
    lab->topo = std::make_unique<Topology>("pn7606");
    for (const char* h : {"pn", "exa", "raw", "ibgp"})
      if (!lab->topo->add_host(h)) return;
    auto lan = lab->topo->add_lan("lan", {{"pn", "eth0", {"10.0.0.1/24"}},
                                          {"exa", "eth0", {"10.0.0.2/24"}},
                                          {"raw", "eth0", {"10.0.0.3/24"}},
                                          {"ibgp", "eth0", {"10.0.0.4/24"}}});
    if (!lan || !lab->topo->up()) return;
    if (!lab->pn.start(lab->topo->ns("pn"), "n1", kResources)) return;
    lab->exa = start_exabgp("exa", kExa, 65001);
    lab->ibgp = start_exabgp("ibgp", kIbgp, 64512);
  }
  static std::unique_ptr<ExabgpPeer> start_exabgp(const std::string& host, const char* address,
                                                  uint32_t as) {
    PeerConfig c;
    c.local_as = as;
    c.router_id = address;
    c.listen_address = address;
    NeighborConfig n;
    n.address = kPn;
    n.remote_as = 64512;
    n.local_address = address;
    n.hold_time = 9;
    c.neighbors.push_back(n);
    auto p = std::make_unique<ExabgpPeer>(lab->topo->ns(host), c);
    if (!p->start()) return nullptr;
    return p;
  }
  static void TearDownTestSuite() {
    delete lab;
    lab = nullptr;
  }

  void SetUp() override {
    if (!harness::is_root()) GTEST_SKIP() << "needs root for network namespaces";
    ASSERT_NE(lab, nullptr);
    ASSERT_TRUE(lab->exa && lab->ibgp) << "the ExaBGP peers did not start";
    ASSERT_TRUE(lab->exa->wait_established(kPn)) << lab->exa->log();
    ASSERT_TRUE(lab->ibgp->wait_established(kPn)) << lab->ibgp->log();
    exa_downs_ = lab->exa->downs(kPn);
  }
  void TearDown() override {
    if (HasFailure() && lab) {
      std::cerr << "--- podnetd log\n" << lab->pn.log();
      if (lab->exa) std::cerr << "--- exabgp (eBGP) log\n" << lab->exa->log();
      if (raw_) std::cerr << "--- raw speaker log\n" << raw_->log();
    }
    raw_.reset();
  }

  // Case n's prefixes: a good route that must survive and the target the crafted UPDATE hits.
  static std::string good(int n) { return fmt::format("10.{}.1.0/24", 100 + n); }
  static std::string target(int n) { return fmt::format("10.{}.2.0/24", 100 + n); }

  // Both prefixes announced with valid attributes by the eBGP ExaBGP, in RIB and kernel.
  void exa_baseline(int n, const std::string& target_extra = "med 10") {
    ASSERT_TRUE(lab->exa->announce(good(n), kExa));
    ASSERT_TRUE(lab->exa->announce(target(n), kExa, target_extra));
    ASSERT_TRUE(wait_until([&] {
      auto t = lab->pn.path(target(n), kExa);
      return !t.is_null() && t["attributes"].value("med", 0) == 10 &&
             lab->pn.in_kernel(target(n)) && lab->pn.in_kernel(good(n));
    })) << lab->pn.show({"routes"}).dump();
  }

  // The crafted UPDATE was treated as withdraw: the target is gone from RIB and kernel, the
  // good route and the session are untouched, and podnetd logged why with the RFC's subcode.
  void expect_treat_as_withdraw(int n, const std::string& from, int subcode,
                                const std::string& what) {
    EXPECT_TRUE(wait_until([&] {
      return lab->pn.path(target(n), from).is_null() && !lab->pn.in_kernel(target(n));
    })) << lab->pn.show({"routes", target(n)}).dump();
    EXPECT_NE(lab->pn.log().find(fmt::format("treat-as-withdraw (3/{}): {}", subcode, what)),
              std::string::npos);
    expect_rest_untouched(n, from);
  }

  // The crafted UPDATE was used without the discarded attribute (MED 20 shows it was used).
  json expect_discarded(int n, const std::string& from, int subcode, const std::string& what) {
    json p;
    EXPECT_TRUE(wait_until([&] {
      p = lab->pn.path(target(n), from);
      return !p.is_null() && p["attributes"].value("med", 0) == 20;
    })) << lab->pn.show({"routes", target(n)}).dump();
    EXPECT_TRUE(lab->pn.in_kernel(target(n)));
    EXPECT_NE(lab->pn.log().find(fmt::format("attribute-discard (3/{}): {}", subcode, what)),
              std::string::npos);
    expect_rest_untouched(n, from);
    return p.is_null() ? json::object() : p["attributes"];
  }

  void expect_rest_untouched(int n, const std::string& from) {
    EXPECT_FALSE(lab->pn.path(good(n), from).is_null());
    EXPECT_TRUE(lab->pn.in_kernel(good(n)));
    EXPECT_TRUE(lab->pn.established(global_peer_name(from))) << lab->pn.show({"peers"}).dump();
    if (from == kExa) {
      EXPECT_EQ(lab->exa->downs(kPn), exa_downs_) << "the session was reset";
    }
  }

  std::string last_error(const std::string& address) const {
    return lab->pn.last_error(global_peer_name(address));
  }

  // A raw speaker with an established session announcing case n's good and target routes.
  void raw_baseline(int n) {
    raw_ = std::make_unique<RawBgpSpeaker>(lab->topo->ns("raw"), kRaw, kPn, 65003);
    ASSERT_TRUE(raw_->start());
    ASSERT_TRUE(raw_->wait_established()) << raw_->log();
    ASSERT_TRUE(raw_->send_update(raw::update({}, valid_attrs(10), raw::nlri(good(n)))));
    ASSERT_TRUE(raw_->send_update(raw::update({}, valid_attrs(10), raw::nlri(target(n)))));
    ASSERT_TRUE(wait_until([&] {
      return !lab->pn.path(target(n), kRaw).is_null() && lab->pn.in_kernel(target(n)) &&
             lab->pn.in_kernel(good(n));
    })) << lab->pn.show({"routes"}).dump();
  }

  // ORIGIN IGP, AS_PATH 65003, NEXT_HOP 10.0.0.3, MED.
  static std::vector<uint8_t> origin() { return raw::attribute(0x40, 1, {0}); }
  static std::vector<uint8_t> as_path() {
    return raw::attribute(0x40, 2, {2, 1, 0, 0, 0xfd, 0xeb});
  }
  static std::vector<uint8_t> next_hop() { return raw::attribute(0x40, 3, {10, 0, 0, 3}); }
  static std::vector<uint8_t> med(uint8_t v) { return raw::attribute(0x80, 4, {0, 0, 0, v}); }
  static std::vector<uint8_t> valid_attrs(uint8_t m) {
    return raw::concat({origin(), as_path(), next_hop(), med(m)});
  }

  int exa_downs_ = 0;
  std::unique_ptr<RawBgpSpeaker> raw_;
};

// ---- treat-as-withdraw, ExaBGP ----

// RFC 7606 7.1: ORIGIN with an undefined value.
TEST_F(Rfc7606, BadOriginValueIsTreatAsWithdraw) {
  exa_baseline(1);
  ASSERT_TRUE(lab->exa->announce(target(1), kExa, "med 20 attribute [ 0x01 0x40 0x05 ]"));
  expect_treat_as_withdraw(1, kExa, 6, "ORIGIN");
}

// RFC 7606 7.1: ORIGIN of length 2.
TEST_F(Rfc7606, OriginWrongLengthIsTreatAsWithdraw) {
  exa_baseline(2);
  ASSERT_TRUE(lab->exa->announce(target(2), kExa, "med 20 attribute [ 0x01 0x40 0x0000 ]"));
  expect_treat_as_withdraw(2, kExa, 5, "ORIGIN");
}

// RFC 7606 3 c: ORIGIN marked optional (flags 0xC0) is a flags error, handled as a malformed
// ORIGIN.
TEST_F(Rfc7606, OriginFlaggedOptionalIsTreatAsWithdraw) {
  exa_baseline(3);
  ASSERT_TRUE(lab->exa->announce(target(3), kExa, "med 20 attribute [ 0x01 0xc0 0x00 ]"));
  expect_treat_as_withdraw(3, kExa, 4, "ORIGIN");
}

// RFC 7606 7.2: an AS_PATH segment of type 5 (undefined).
TEST_F(Rfc7606, AsPathBadSegmentTypeIsTreatAsWithdraw) {
  exa_baseline(4);
  ASSERT_TRUE(lab->exa->announce(target(4), kExa, "med 20 attribute [ 0x02 0x40 0x05010000fde9 ]"));
  expect_treat_as_withdraw(4, kExa, 11, "AS_PATH");
}

// RFC 7606 7.2: a segment claiming three AS numbers where the attribute holds one.
TEST_F(Rfc7606, AsPathSegmentOverrunIsTreatAsWithdraw) {
  exa_baseline(5);
  ASSERT_TRUE(lab->exa->announce(target(5), kExa, "med 20 attribute [ 0x02 0x40 0x02030000fde9 ]"));
  expect_treat_as_withdraw(5, kExa, 11, "AS_PATH");
}

// RFC 7606 7.4: MULTI_EXIT_DISC of length 3.
TEST_F(Rfc7606, MedWrongLengthIsTreatAsWithdraw) {
  exa_baseline(6);
  ASSERT_TRUE(lab->exa->announce(target(6), kExa, "attribute [ 0x04 0x80 0x000014 ]"));
  expect_treat_as_withdraw(6, kExa, 5, "MULTI_EXIT_DISC");
}

// RFC 7606 7.8: COMMUNITIES, a known optional transitive attribute, of length 5.
TEST_F(Rfc7606, CommunitiesNotMultipleOfFourIsTreatAsWithdraw) {
  exa_baseline(7);
  ASSERT_TRUE(lab->exa->announce(target(7), kExa, "med 20 attribute [ 0x08 0xc0 0xfde9000001 ]"));
  expect_treat_as_withdraw(7, kExa, 5, "COMMUNITIES");
}

// ---- attribute discard, ExaBGP ----

// RFC 7606 7.6: ATOMIC_AGGREGATE of length 1 is discarded; the route stays.
TEST_F(Rfc7606, AtomicAggregateWrongLengthIsDiscarded) {
  exa_baseline(8, "med 10 atomic-aggregate");
  ASSERT_TRUE(lab->pn.path(target(8), kExa)["attributes"].value("atomicAggregate", false));
  ASSERT_TRUE(lab->exa->announce(target(8), kExa, "med 20 attribute [ 0x06 0x40 0x00 ]"));
  auto attrs = expect_discarded(8, kExa, 5, "ATOMIC_AGGREGATE");
  EXPECT_FALSE(attrs.contains("atomicAggregate")) << attrs.dump();
}

// RFC 7606 7.7: AGGREGATOR of length 6 on a 4-octet-AS session (8 expected) is discarded.
TEST_F(Rfc7606, AggregatorWrongLengthIsDiscarded) {
  exa_baseline(9, "med 10 aggregator ( 65001:10.0.0.2 )");
  ASSERT_TRUE(lab->pn.path(target(9), kExa)["attributes"].contains("aggregator"));
  ASSERT_TRUE(lab->exa->announce(target(9), kExa, "med 20 attribute [ 0x07 0xc0 0xfde90a000002 ]"));
  auto attrs = expect_discarded(9, kExa, 5, "AGGREGATOR");
  EXPECT_FALSE(attrs.contains("aggregator")) << attrs.dump();
}

// RFC 4271 5 / RFC 7606 3: an unrecognized optional transitive attribute full of garbage is
// not inspected: the route is accepted, the attribute kept and passed on with Partial set.
TEST_F(Rfc7606, UnknownOptionalTransitiveGarbageIsKept) {
  exa_baseline(10);
  ASSERT_TRUE(lab->exa->announce(target(10), kExa,
                                 "med 20 attribute [ 0xf0 0xc0 0xdeadbeefcafe0102030405 ]"));
  json p;
  ASSERT_TRUE(wait_until([&] {
    p = lab->pn.path(target(10), kExa);
    return !p.is_null() && p["attributes"].value("med", 0) == 20;
  }));
  ASSERT_TRUE(p["attributes"].contains("unknownAttributes")) << p.dump();
  auto u = p["attributes"]["unknownAttributes"][0];
  EXPECT_EQ(u["type"], 240);
  EXPECT_EQ(u["flags"], 0xc0);
  EXPECT_EQ(u["length"], 11);
  EXPECT_TRUE(lab->pn.in_kernel(target(10)));
  expect_rest_untouched(10, kExa);
  // Passed on to the iBGP peer unchanged but for the Partial bit (flags 0xC0 -> 0xE0).
  EXPECT_TRUE(wait_until([&] {
    std::istringstream in(lab->ibgp->events());
    std::string line;
    while (std::getline(in, line)) {
      if (line.find(target(10)) != std::string::npos &&
          line.find(R"("attribute-0xF0-0xE0": "0xdeadbeefcafe0102030405")") != std::string::npos)
        return true;
    }
    return false;
  })) << lab->ibgp->events();
}

// ---- session reset, ExaBGP ----

// RFC 7606 7.11: an MP_REACH_NLRI next hop of length 5 for IPv4 unicast: the NLRI after it
// cannot be located, so the session is reset (UPDATE Message Error / Optional Attribute
// Error). Withdrawn from ExaBGP, the session comes back with the peer's good routes.
TEST_F(Rfc7606, MpReachBadNextHopLengthResetsTheSession) {
  exa_baseline(11);
  ASSERT_TRUE(lab->exa->announce(target(11), kExa,
                                 "attribute [ 0x0e 0x80 0x000101050a000002ff00180a6f03 ]"));
  EXPECT_TRUE(lab->exa->wait_notification(true, 3, 9)) << lab->exa->log();
  EXPECT_NE(last_error(kExa).find("Optional Attribute Error"), std::string::npos)
      << last_error(kExa);
  EXPECT_NE(lab->pn.log().find("session-reset (3/9): MP_REACH_NLRI"), std::string::npos);
  // ExaBGP reconnects and re-sends it: the session flaps until the route is withdrawn.
  ASSERT_TRUE(lab->exa->withdraw(target(11)));
  EXPECT_TRUE(wait_until(
      [&] {
        return lab->exa->established(kPn) && !lab->pn.path(good(11), kExa).is_null() &&
               lab->pn.in_kernel(good(11));
      },
      30s));
  EXPECT_TRUE(lab->pn.path(target(11), kExa).is_null());
}

// RFC 4271 6.3 (unchanged by RFC 7606): an unrecognized attribute that claims to be
// well-known (Optional bit clear) resets the session with UPDATE Message Error /
// Unrecognized Well-known Attribute.
TEST_F(Rfc7606, UnrecognizedWellKnownAttributeResetsTheSession) {
  exa_baseline(14);
  ASSERT_TRUE(lab->exa->announce(target(14), kExa, "med 20 attribute [ 0xf1 0x40 0x00 ]"));
  EXPECT_TRUE(lab->exa->wait_notification(true, 3, 2)) << lab->exa->log();
  EXPECT_NE(last_error(kExa).find("Unrecognized Well-known Attribute"), std::string::npos)
      << last_error(kExa);
  ASSERT_TRUE(lab->exa->withdraw(target(14)));
  EXPECT_TRUE(wait_until(
      [&] {
        return lab->exa->established(kPn) && !lab->pn.path(good(14), kExa).is_null() &&
               lab->pn.in_kernel(good(14));
      },
      30s));
  EXPECT_TRUE(lab->pn.path(target(14), kExa).is_null());
}

// ---- iBGP, ExaBGP ----

// RFC 7606 7.5 differs by session type: LOCAL_PREF from an iBGP peer is used (the eBGP case,
// discard, is RawBgpSpeaker's below since ExaBGP never sends LOCAL_PREF over eBGP).
TEST_F(Rfc7606, LocalPrefFromIbgpPeerIsKept) {
  ASSERT_TRUE(lab->ibgp->announce(good(12), kIbgp));
  ASSERT_TRUE(lab->ibgp->announce(target(12), kIbgp, "med 20 local-preference 200"));
  json p;
  ASSERT_TRUE(wait_until([&] {
    p = lab->pn.path(target(12), kIbgp);
    return !p.is_null() && lab->pn.in_kernel(target(12));
  })) << lab->pn.show({"routes"}).dump();
  EXPECT_EQ(p["attributes"].value("localPref", 0), 200) << p.dump();
  EXPECT_EQ(p["kind"], "ibgp");
}

// RFC 7606 7.2 for iBGP: a malformed AS_PATH is treat-as-withdraw on internal sessions too.
TEST_F(Rfc7606, IbgpAsPathBadSegmentTypeIsTreatAsWithdraw) {
  ASSERT_TRUE(lab->ibgp->announce(good(13), kIbgp));
  ASSERT_TRUE(lab->ibgp->announce(target(13), kIbgp, "med 10"));
  ASSERT_TRUE(wait_until([&] { return !lab->pn.path(target(13), kIbgp).is_null(); }));
  ASSERT_TRUE(lab->ibgp->announce(target(13), kIbgp, "attribute [ 0x02 0x40 0x05010000fde9 ]"));
  expect_treat_as_withdraw(13, kIbgp, 11, "AS_PATH");
}

// ---- RawBgpSpeaker: what ExaBGP cannot encode ----

// RFC 7606 3 d: an UPDATE with NLRI but without ORIGIN.
TEST_F(Rfc7606, MissingOriginIsTreatAsWithdraw) {
  raw_baseline(20);
  ASSERT_TRUE(raw_->send_update(
      raw::update({}, raw::concat({as_path(), next_hop(), med(20)}), raw::nlri(target(20)))));
  expect_treat_as_withdraw(20, kRaw, 3, "missing well-known attribute 1");
}

TEST_F(Rfc7606, MissingAsPathIsTreatAsWithdraw) {
  raw_baseline(21);
  ASSERT_TRUE(raw_->send_update(
      raw::update({}, raw::concat({origin(), next_hop(), med(20)}), raw::nlri(target(21)))));
  expect_treat_as_withdraw(21, kRaw, 3, "missing well-known attribute 2");
}

TEST_F(Rfc7606, MissingNextHopIsTreatAsWithdraw) {
  raw_baseline(22);
  ASSERT_TRUE(raw_->send_update(
      raw::update({}, raw::concat({origin(), as_path(), med(20)}), raw::nlri(target(22)))));
  expect_treat_as_withdraw(22, kRaw, 3, "missing well-known attribute 3");
}

// RFC 7606 7.3: NEXT_HOP of length 5.
TEST_F(Rfc7606, NextHopWrongLengthIsTreatAsWithdraw) {
  raw_baseline(23);
  ASSERT_TRUE(raw_->send_update(raw::update(
      {}, raw::concat({origin(), as_path(), raw::attribute(0x40, 3, {10, 0, 0, 3, 9}), med(20)}),
      raw::nlri(target(23)))));
  expect_treat_as_withdraw(23, kRaw, 5, "NEXT_HOP");
}

// RFC 7606 3 g: a repeated attribute other than MP_REACH/MP_UNREACH: all but the first are
// discarded (MED 20 first, MED 30 second: 20 is used).
TEST_F(Rfc7606, DuplicateMedKeepsTheFirst) {
  raw_baseline(24);
  ASSERT_TRUE(raw_->send_update(
      raw::update({}, raw::concat({origin(), as_path(), next_hop(), med(20), med(30)}),
                  raw::nlri(target(24)))));
  auto attrs = expect_discarded(24, kRaw, 1, "MULTI_EXIT_DISC");
  EXPECT_EQ(attrs.value("med", 0), 20);
}

// RFC 7606 7.5: LOCAL_PREF from an eBGP peer is discarded; the route is used.
TEST_F(Rfc7606, LocalPrefFromEbgpPeerIsDiscarded) {
  raw_baseline(25);
  ASSERT_TRUE(raw_->send_update(raw::update({},
                                            raw::concat({origin(), as_path(), next_hop(), med(20),
                                                         raw::attribute(0x40, 5, {0, 0, 0, 200})}),
                                            raw::nlri(target(25)))));
  auto attrs = expect_discarded(25, kRaw, 9, "LOCAL_PREF");
  EXPECT_FALSE(attrs.contains("localPref")) << attrs.dump();
}

// RFC 7606 3 g: MP_REACH_NLRI twice resets the session (UPDATE Message Error / Malformed
// Attribute List).
TEST_F(Rfc7606, DuplicateMpReachResetsTheSession) {
  raw_baseline(26);
  const auto mp = raw::attribute(0x80, 14, {0, 1, 1, 4, 10, 0, 0, 3, 0, 24, 10, 126, 2});
  ASSERT_TRUE(raw_->send_update(raw::update({}, raw::concat({origin(), as_path(), mp, mp}), {})));
  EXPECT_TRUE(raw_->wait_notification(3, 1)) << raw_->log();
  EXPECT_NE(lab->pn.log().find("session-reset (3/1): MP_REACH_NLRI"), std::string::npos);
  // The reset takes the peer's routes with it.
  EXPECT_TRUE(wait_until([&] { return !lab->pn.in_kernel(good(26)); }));
  EXPECT_TRUE(lab->pn.path(good(26), kRaw).is_null());
}

// RFC 4271 6.3 / RFC 7606 4: a Total Path Attribute Length larger than the message leaves the
// NLRI unlocatable: session reset with UPDATE Message Error / Malformed Attribute List.
TEST_F(Rfc7606, TotalAttributeLengthOverrunResetsTheSession) {
  raw_baseline(27);
  auto body = raw::update({}, valid_attrs(20), raw::nlri(target(27)));
  body[3] = static_cast<uint8_t>(body[3] + 40);  // attribute length low octet: 40 too many
  ASSERT_TRUE(raw_->send_update(body));
  EXPECT_TRUE(raw_->wait_notification(3, 1)) << raw_->log();
  EXPECT_NE(last_error(kRaw).find("Malformed Attribute List"), std::string::npos)
      << last_error(kRaw);
  EXPECT_TRUE(wait_until([&] { return !lab->pn.in_kernel(good(27)); }));
}

// RFC 7606 4: an attribute whose own length runs past the Path Attributes field, inside a
// message whose total length is right: treat-as-withdraw (the NLRI is still found from the
// Total Path Attribute Length).
TEST_F(Rfc7606, AttributeOverrunningTheFieldIsTreatAsWithdraw) {
  raw_baseline(28);
  auto attrs = raw::concat({origin(), as_path(), next_hop(), med(20)});
  attrs[attrs.size() - 5] = 9;  // MED's length octet: 9, where 4 are left in the field
  ASSERT_TRUE(raw_->send_update(raw::update({}, attrs, raw::nlri(target(28)))));
  expect_treat_as_withdraw(28, kRaw, 5, "attribute at offset");
}

}  // namespace
}  // namespace podnet::interop
