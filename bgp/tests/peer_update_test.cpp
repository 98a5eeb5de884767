// Peers updated in place (issue 6: "each change applies to the sessions it concerns without
// restarting the others"): which PeerConfig changes need a new session and which only change
// what is sent and accepted; the mesh -> reflector migration as desired_peers computes it (every
// session kept on every node); and live PeerManagers on loopback where a node becomes a route
// reflector, its peers are renamed and made clients, next-hop mode changes, all without a
// NOTIFICATION, while a graceful restart time change still resets with Cease / Other
// Configuration Change.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <set>
#include <string>

#include "bgp/desired_peers.hpp"
#include "bgp/tests/desired_peers_fixture.hpp"
#include "bgp/tests/session_harness.hpp"

namespace podnet::bgp {
namespace {

using namespace std::chrono_literals;
using testing::addr;
using testing::LogCapture;
using testing::pfx;
using testing::run_for;
using testing::run_until;
using testing::Speaker;

constexpr uint32_t kAs = 64512;

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) ++n;
  return n;
}

PeerConfig base_config() {
  PeerConfig c;
  c.name = "Mesh_10_0_0_2";
  c.origin = PeerOrigin::mesh;
  c.address = addr("10.0.0.2");
  c.peer_as = kAs;
  c.local_as = kAs;
  c.source_address = addr("10.0.0.1");
  c.graceful_restart_time = 120;
  return c;
}

TEST(SessionIdentity, ChangesThatOnlyShapeRoutesKeepTheSession) {
  const std::vector<std::pair<const char*, std::function<void(PeerConfig&)>>> changes = {
      {"name", [](PeerConfig& c) { c.name = "Node_10_0_0_2"; }},
      {"origin", [](PeerConfig& c) { c.origin = PeerOrigin::node; }},
      {"next hop", [](PeerConfig& c) { c.next_hop_mode = NextHopMode::self; }},
      {"rr client", [](PeerConfig& c) { c.route_reflector_client = true; }},
      {"cluster", [](PeerConfig& c) { c.cluster_id = 0xf4000001; }},
      {"allowas-in", [](PeerConfig& c) { c.allow_local_as = 1; }},
      {"communities",
       [](PeerConfig& c) {
         c.route_policy.prefix_communities.push_back({pfx("10.244.0.0/16"), {}});
       }},
  };
  for (const auto& [what, change] : changes) {
    PeerConfig c = base_config();
    change(c);
    EXPECT_FALSE(c == base_config()) << what;
    EXPECT_TRUE(c.same_session(base_config())) << what;
    EXPECT_TRUE(c.same_peer(base_config())) << what;
  }
}

TEST(SessionIdentity, ChangesTheOpenOrTransportCarriesResetIt) {
  const std::vector<std::pair<const char*, std::function<void(PeerConfig&)>>> changes = {
      {"neighbour", [](PeerConfig& c) { c.port = 1179; }},
      {"peer AS", [](PeerConfig& c) { c.peer_as = 65001; }},
      {"local AS", [](PeerConfig& c) { c.local_as = 65002; }},
      {"source address", [](PeerConfig& c) { c.source_address.reset(); }},
      {"passive", [](PeerConfig& c) { c.passive = true; }},
      {"password", [](PeerConfig& c) { c.password = "s3cret"; }},
      {"TTL security", [](PeerConfig& c) { c.ttl_security_hops = 1; }},
      {"hold time", [](PeerConfig& c) { c.hold_time = 90; }},
      {"keepalive time", [](PeerConfig& c) { c.keepalive_time = 10; }},
      {"connect retry time", [](PeerConfig& c) { c.connect_retry_time = 1; }},
      {"graceful restart", [](PeerConfig& c) { c.graceful_restart_time = 300; }},
      {"address families", [](PeerConfig& c) { c.ipv6_unicast = true; }},
      {"ADD-PATH", [](PeerConfig& c) { c.add_path_send = true; }},
  };
  for (const auto& [what, change] : changes) {
    PeerConfig c = base_config();
    change(c);
    EXPECT_FALSE(c.same_session(base_config())) << what;
    EXPECT_EQ(base_config().session_differences(c), std::vector<std::string_view>{what});
  }
}

// The three-node migration of the lab, as each node computes its peers: the reflector BGPPeer
// applied, node1 labelled and given a cluster id, then the mesh off. Whatever a node keeps
// peering with, it keeps over the same session: only names and route reflection change.
TEST(SessionIdentity, MeshToReflectorMigrationKeepsEverySession) {
  const std::string peering = test::kPeerWithReflectors;
  auto nodes = [](bool reflector) {
    std::string n1 = "---\napiVersion: projectcalico.org/v3\nkind: Node\nmetadata:\n  name: n1\n";
    if (reflector) n1 += "  labels:\n    route-reflector: 'true'\n";
    n1 += "spec:\n  bgp:\n    ipv4Address: 10.0.0.1/24\n";
    if (reflector) n1 += "    routeReflectorClusterID: 244.0.0.1\n";
    return n1 + test::node("n2", "10.0.0.2/24") + test::node("n3", "10.0.0.3/24");
  };
  const std::string mesh_off =
      "---\napiVersion: projectcalico.org/v3\nkind: BGPConfiguration\nmetadata:\n  name: "
      "default\nspec:\n  nodeToNodeMeshEnabled: false\n";
  const std::vector<std::string> steps = {nodes(false) + peering, nodes(true) + peering,
                                          nodes(true) + peering + mesh_off};
  for (const char* self : {"n1", "n2", "n3"}) {
    std::vector<DesiredBgp> d;
    for (const auto& yaml : steps) d.push_back(desired_bgp(test::inputs(self, yaml)));
    for (std::size_t step = 1; step < d.size(); ++step) {
      for (const PeerConfig& now : d[step].peers) {
        for (const PeerConfig& was : d[step - 1].peers) {
          if (!was.same_peer(now)) continue;
          EXPECT_TRUE(was.same_session(now))
              << self << " step " << step << ": " << was.name << " -> " << now.name;
        }
      }
    }
    EXPECT_EQ(d[0].peers.size(), 2u) << self;
  }
  // The reflector's view: its mesh peers became clients of cluster 244.0.0.1, same sessions.
  const DesiredBgp before = desired_bgp(test::inputs("n1", steps[0]));
  const DesiredBgp after = desired_bgp(test::inputs("n1", steps[1]));
  const PeerConfig* mesh = test::find(before, "Mesh_10_0_0_2");
  const PeerConfig* client = test::find(after, "Node_10_0_0_2");
  ASSERT_TRUE(mesh && client);
  EXPECT_FALSE(mesh->route_reflector_client);
  EXPECT_TRUE(client->route_reflector_client);
  EXPECT_EQ(client->cluster_id, 0xf4000001u);
  EXPECT_EQ(after.speaker.cluster_id, 0xf4000001u);
  // And a client's: its mesh peer to n1 is now the BGPPeer's, not a client.
  const DesiredBgp n2 = desired_bgp(test::inputs("n2", steps[1]));
  const PeerConfig* to_rr = test::find(n2, "Node_10_0_0_1");
  ASSERT_TRUE(to_rr);
  EXPECT_FALSE(to_rr->route_reflector_client);
}

// Three speakers in one AS, meshed like Calico nodes: A, B (originates 10.70.2.0/26) and C
// (10.70.3.0/26). Then A becomes the reflector of both, as in the lab's migration.
struct Mesh {
  Mesh() : a(io, 1, kAs), b(io, 2, kAs), c(io, 3, kAs) {
    a.pm->set_peers({cfg(a, b, "Mesh"), cfg(a, c, "Mesh")});
    b.pm->set_peers({cfg(b, a, "Mesh"), cfg(b, c, "Mesh")});
    c.pm->set_peers({cfg(c, a, "Mesh"), cfg(c, b, "Mesh")});
  }
  static PeerConfig cfg(const Speaker& from, const Speaker& to, const std::string& prefix) {
    PeerConfig p = testing::peer_config(from, to, kAs, kAs);
    p.name = prefix + "_" + name_part(to.address);
    return p;
  }
  bool all_up() {
    for (Speaker* s : {&a, &b, &c})
      for (const auto& st : s->pm->peers())
        if (st.state != "Established") return false;
    return true;
  }
  // The peer addresses `at` holds paths for `prefix` from.
  static std::set<std::string> sources(const Speaker& at, const char* prefix) {
    std::set<std::string> out;
    for (const auto& r : at.rib.routes(pfx(prefix))) out.insert(r.peer_address.to_string());
    return out;
  }
  static const rib::PathAttributes* path_from(const Speaker& at, const char* prefix,
                                              const char* from) {
    for (const auto& r : at.rib.routes(pfx(prefix)))
      if (r.peer_address == addr(from)) return r.path.attrs.get();
    return nullptr;
  }
  // A made a reflector (cluster 244.0.0.1) with B and C as clients, peers named Node_.
  void make_a_reflector() {
    SpeakerConfig sc;
    sc.router_id = a.address.v4_value();
    sc.local_as = kAs;
    sc.listen_port = 0;
    sc.listen_addresses = {a.address};
    sc.cluster_id = 0xf4000001;
    ASSERT_TRUE(a.pm->set_speaker(sc).ok());
    ab = cfg(a, b, "Node");
    ac = cfg(a, c, "Node");
    for (PeerConfig* p : {&ab, &ac}) {
      p->route_reflector_client = true;
      p->cluster_id = sc.cluster_id;
    }
    a.pm->set_peers({ab, ac});
    b.pm->set_peers({cfg(b, a, "Node"), cfg(b, c, "Mesh")});
    c.pm->set_peers({cfg(c, a, "Node"), cfg(c, b, "Mesh")});
  }

  boost::asio::io_context io;
  Speaker a, b, c;
  PeerConfig ab, ac;
};

TEST(PeerUpdate, NodeBecomingReflectorKeepsItsSessionsAndStartsReflecting) {
  LogCapture log;
  Mesh m;
  ASSERT_TRUE(run_until(
      m.io, [&] { return m.all_up(); }, 10s));
  m.b.originate("10.70.2.0/26");
  m.c.originate("10.70.3.0/26");
  ASSERT_TRUE(run_until(
      m.io,
      [&] {
        return Mesh::sources(m.c, "10.70.2.0/26") == std::set<std::string>{"127.0.0.2"} &&
               Mesh::sources(m.a, "10.70.3.0/26") == std::set<std::string>{"127.0.0.3"};
      },
      5s));
  // Not a reflector: A passes no iBGP route on.
  run_for(m.io, 300ms);
  EXPECT_EQ(Mesh::sources(m.c, "10.70.2.0/26"), std::set<std::string>{"127.0.0.2"});
  // Both ends connect at once: connection collisions are resolved with a Cease each.
  const std::size_t ups = count(log.text(), "-> Established");
  const std::size_t notifications = count(log.text(), "NOTIFICATION");
  EXPECT_EQ(ups, 6u);  // each side of three sessions

  ASSERT_NO_FATAL_FAILURE(m.make_a_reflector());
  for (const char* n : {"Node_127_0_0_2", "Node_127_0_0_3"})
    EXPECT_EQ(m.a.state(n), "Established") << n;
  // B's route reaches C reflected by A too: ORIGINATOR_ID B, CLUSTER_LIST [244.0.0.1], next hop
  // still B; and C's reaches B.
  ASSERT_TRUE(run_until(
      m.io,
      [&] {
        return Mesh::sources(m.c, "10.70.2.0/26") ==
                   std::set<std::string>{"127.0.0.1", "127.0.0.2"} &&
               Mesh::sources(m.b, "10.70.3.0/26") ==
                   std::set<std::string>{"127.0.0.1", "127.0.0.3"};
      },
      5s))
      << log.text();
  const rib::PathAttributes* reflected = Mesh::path_from(m.c, "10.70.2.0/26", "127.0.0.1");
  ASSERT_TRUE(reflected);
  EXPECT_EQ(reflected->originator_id, addr("127.0.0.2"));
  EXPECT_EQ(reflected->cluster_list, std::vector<uint32_t>{0xf4000001});
  EXPECT_EQ(reflected->next_hop, addr("127.0.0.2"));
  // Nothing was reset: no new NOTIFICATION anywhere, no session came up again, the status names
  // the new peers.
  run_for(m.io, 200ms);
  EXPECT_EQ(count(log.text(), "NOTIFICATION"), notifications) << log.text();
  EXPECT_EQ(count(log.text(), "-> Established"), ups) << log.text();
  EXPECT_TRUE(log.contains("peer Mesh_127_0_0_2: now Node_127_0_0_2 (config), same session"));
  EXPECT_TRUE(log.contains("peer Node_127_0_0_2: now a route reflector client")) << log.text();
  EXPECT_EQ(m.a.status("Node_127_0_0_2")->last_error, "");
  EXPECT_EQ(m.b.status("Node_127_0_0_1")->last_error, "");
  EXPECT_FALSE(m.a.status("Mesh_127_0_0_2"));

  // Next hop self towards B: the reflected route of C now points at A. Still no reset.
  m.ab.next_hop_mode = NextHopMode::self;
  m.a.pm->set_peers({m.ab, m.ac});
  ASSERT_TRUE(run_until(
      m.io,
      [&] {
        auto* p = Mesh::path_from(m.b, "10.70.3.0/26", "127.0.0.1");
        return p && p->next_hop == addr("127.0.0.1");
      },
      5s));
  // Neither is a client any more: a non-client's routes go to clients only, so A stops
  // reflecting both ways and withdraws what it reflected.
  for (PeerConfig* p : {&m.ab, &m.ac}) {
    p->route_reflector_client = false;
    p->cluster_id.reset();
  }
  m.a.pm->set_peers({m.ab, m.ac});
  ASSERT_TRUE(run_until(
      m.io,
      [&] {
        return Mesh::sources(m.b, "10.70.3.0/26") == std::set<std::string>{"127.0.0.3"} &&
               Mesh::sources(m.c, "10.70.2.0/26") == std::set<std::string>{"127.0.0.2"};
      },
      5s));
  EXPECT_EQ(count(log.text(), "NOTIFICATION"), notifications) << log.text();
  EXPECT_EQ(count(log.text(), "-> Established"), ups);
}

TEST(PeerUpdate, RenegotiatedSettingResetsOnlyThatSessionWithOtherConfigurationChange) {
  LogCapture log;
  Mesh m;
  ASSERT_TRUE(run_until(
      m.io, [&] { return m.all_up(); }, 10s));
  ASSERT_NO_FATAL_FAILURE(m.make_a_reflector());
  run_for(m.io, 200ms);
  const std::size_t ups = count(log.text(), "-> Established");
  // A new name and a new graceful restart time for C: the session resets (the restart time is
  // in the OPEN's capability).
  m.ac.name = "Global_127_0_0_3";
  m.ac.graceful_restart_time = 60;
  m.a.pm->set_peers({m.ab, m.ac});
  EXPECT_TRUE(log.contains("peer Node_127_0_0_3: graceful restart changed: resetting the session"))
      << log.text();
  ASSERT_TRUE(run_until(
      m.io, [&] { return m.a.state("Global_127_0_0_3") == "Established"; }, 10s));
  EXPECT_EQ(m.c.status("Node_127_0_0_1")->last_error, "Received: Cease/Other Configuration Change");
  EXPECT_EQ(m.b.status("Node_127_0_0_1")->last_error, "");
  EXPECT_EQ(count(log.text(), "-> Established"), ups + 2);  // C's session to A, both ends
  EXPECT_TRUE(log.contains("sent NOTIFICATION Cease/Other Configuration Change")) << log.text();
  EXPECT_TRUE(log.contains("received NOTIFICATION Cease/Other Configuration Change"));
}

}  // namespace
}  // namespace podnet::bgp
