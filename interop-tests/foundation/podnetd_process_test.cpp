// podnetd and podnetctl as real processes: podnetd in network namespaces (one per namespace,
// as the labs run it), its control socket, health and metrics endpoints, the datastore watch,
// clean shutdown; podnetctl processes racing on one resource; writers killed with SIGKILL.
#include <gtest/gtest.h>

#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <random>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "interop-tests/harness/harness.hpp"

namespace podnet {
namespace {

namespace fs = std::filesystem;
using namespace harness;
using namespace std::chrono_literals;

struct Daemon {
  std::string ns, socket, datastore, config;
  Process proc;
};

Daemon start_daemon(const TempDir& dir, const std::string& node, const std::string& netns,
                    const std::string& datastore) {
  Daemon d;
  d.ns = netns;
  d.socket = dir.file(node + ".sock");
  d.datastore = datastore;
  d.config = dir.file(node + ".yaml");
  write_file(d.config, fmt::format(R"(nodeName: {}
datastore:
  type: directory
  path: {}
controlSocket: {}
healthListen: 127.0.0.1:9099
logLevel: debug
)",
                                   node, datastore, d.socket));
  d.proc = Process({podnetd_path(), "--config", d.config}, netns);
  return d;
}

nlohmann::json status(const std::string& socket) {
  auto r = run({podnetctl_path(), "show", "status", "--json", "--socket", socket});
  if (r.exit_code != 0) return nullptr;
  return nlohmann::json::parse(r.out, nullptr, false);
}

std::size_t count_of(const nlohmann::json& st, const std::string& kind) {
  for (const auto& k : st["resources"])
    if (k["kind"] == kind) return k["count"].get<std::size_t>();
  return 0;
}

CommandResult ctl(const std::string& datastore, std::vector<std::string> args,
                  const std::string& input = "") {
  args.insert(args.begin(), podnetctl_path());
  args.push_back("--datastore=dir:" + datastore);
  return run(args, input);
}

class PodnetdProcess : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!is_root()) GTEST_SKIP() << "needs root for network namespaces";
  }
};

TEST_F(PodnetdProcess, BadConfigExitsTwoWithPosition) {
  TempDir dir;
  write_file(dir.file("bad.yaml"), "nodeName: n1\ndatastore:\n  type: directory\n  pth: /tmp/x\n");
  auto r = run({podnetd_path(), "--config", dir.file("bad.yaml")});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find(dir.file("bad.yaml") + ":4:3"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("pth"), std::string::npos) << r.err;
  write_file(dir.file("bad2.yaml"), "nodeName: n1\nhealthListen: [1, 2]\n");
  r = run({podnetd_path(), "--config", dir.file("bad2.yaml")});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find(":2:"), std::string::npos) << r.err;
  r = run({podnetd_path(), "--config", dir.file("missing.yaml")});
  EXPECT_EQ(r.exit_code, 2) << r.err;
}

// --datastore overrides the config file's datastore (as podnetctl's flag does); a bad spec is
// bad input.
TEST_F(PodnetdProcess, DatastoreFlagOverridesTheConfig) {
  TempDir dir;
  Netns ns("pn-flag");
  auto d = start_daemon(dir, "node1", ns.name(), dir.file("from-config"));
  d.proc.stop();
  d.proc = Process({podnetd_path(), "--config", d.config, "--datastore", "dir:" + dir.file("flag")},
                   ns.name());
  ASSERT_TRUE(wait_until([&] { return !status(d.socket).is_null(); })) << d.proc.err();
  EXPECT_EQ(status(d.socket)["datastore"]["spec"], "dir:" + dir.file("flag"));
  auto bad = run({podnetd_path(), "--config", d.config, "--datastore", "etcd:ftp://x"});
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
  EXPECT_NE(bad.err.find("ftp://x"), std::string::npos) << bad.err;
}

TEST_F(PodnetdProcess, TwoDaemonsInTwoNamespacesServeStatusHealthAndMetrics) {
  TempDir dir;
  Netns ns1("pn-node1"), ns2("pn-node2");
  auto d1 = start_daemon(dir, "node1", ns1.name(), dir.file("store1"));
  auto d2 = start_daemon(dir, "node2", ns2.name(), dir.file("store2"));
  for (auto* d : {&d1, &d2}) {
    ASSERT_TRUE(wait_until([&] {
      auto st = status(d->socket);
      return !st.is_null() && st["datastore"]["synced"] == true;
    })) << d->proc.err();
  }
  auto st1 = status(d1.socket);
  EXPECT_EQ(st1["nodeName"], "node1");
  EXPECT_EQ(status(d2.socket)["nodeName"], "node2");
  // Both listen on 127.0.0.1:9099, each in its own namespace.
  EXPECT_EQ(st1["healthListen"], "127.0.0.1:9099");
  // The defaults a Calico node creates are there, so the seed's patches work verbatim.
  EXPECT_EQ(count_of(st1, "FelixConfiguration"), 1u) << st1.dump();
  EXPECT_EQ(count_of(st1, "KubeControllersConfiguration"), 1u) << st1.dump();
  EXPECT_EQ(fs::status(d1.socket).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);

  for (const auto* ns : {&ns1, &ns2}) {
    auto live = ns->exec(
        {"curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:9099/livez"});
    EXPECT_EQ(live.out, "200") << live.err;
    auto ready = ns->exec({"curl", "-s", "http://127.0.0.1:9099/readyz"});
    EXPECT_EQ(ready.out, "ok\n");
  }
  // curl speaks to the control socket directly too.
  auto raw = run({"curl", "-s", "--unix-socket", d1.socket, "http://podnetd/v1/status"});
  EXPECT_NE(raw.out.find("\"nodeName\": \"node1\""), std::string::npos) << raw.out;

  // A change in the datastore reaches the running daemon through the watch.
  auto applied = ctl(d1.datastore, {"apply", "-f", "-"},
                     "apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: p1\n"
                     "spec:\n  cidr: 10.244.0.0/16\n");
  ASSERT_EQ(applied.exit_code, 0) << applied.err;
  EXPECT_TRUE(wait_until([&] { return count_of(status(d1.socket), "IPPool") == 1; }));
  EXPECT_EQ(count_of(status(d2.socket), "IPPool"), 0u);
  auto metrics = ns1.exec({"curl", "-s", "http://127.0.0.1:9099/metrics"});
  EXPECT_NE(metrics.out.find("podnet_build_info{"), std::string::npos) << metrics.out;
  EXPECT_NE(
      metrics.out.find("podnet_resources{kind=\"IPPool\",api_version=\"projectcalico.org/v3\"} 1"),
      std::string::npos)
      << metrics.out;
  auto rev = nlohmann::json(status(d1.socket))["datastore"]["revision"].get<int64_t>();
  EXPECT_NE(metrics.out.find(fmt::format("podnet_datastore_revision {}", rev)), std::string::npos);

  // A bad value dropped into the datastore by hand is rejected; the last good one stays.
  auto pool_file = d1.datastore + "/ippools/p1.yaml";
  ASSERT_TRUE(fs::exists(pool_file));
  write_file(pool_file,
             "apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: p1\n"
             "spec:\n  cidr: not-a-cidr\n");
  EXPECT_TRUE(wait_until([&] { return !status(d1.socket)["datastore"]["rejected"].empty(); }));
  EXPECT_EQ(count_of(status(d1.socket), "IPPool"), 1u);
  auto human = run({podnetctl_path(), "show", "status", "--socket", d1.socket});
  EXPECT_EQ(human.exit_code, 0);
  EXPECT_NE(human.out.find("node node1"), std::string::npos) << human.out;
  EXPECT_NE(human.out.find("ippools/p1"), std::string::npos) << human.out;

  // A second podnetd on the same socket refuses to start and leaves the first alone.
  auto dup = run({podnetd_path(), "--config", d1.config}, "", 20s);
  EXPECT_EQ(dup.exit_code, 1) << dup.err;
  EXPECT_NE(dup.err.find("another process"), std::string::npos) << dup.out << dup.err;
  EXPECT_FALSE(status(d1.socket).is_null());

  // SIGHUP does not reload (changes come from the watch) and does not kill.
  ::kill(d1.proc.pid(), SIGHUP);
  EXPECT_TRUE(
      wait_until([&] { return d1.proc.err().find("SIGHUP ignored") != std::string::npos; }));
  EXPECT_TRUE(d1.proc.running());
  EXPECT_FALSE(status(d1.socket).is_null());

  // SIGTERM: clean exit, socket gone.
  EXPECT_EQ(d1.proc.stop(SIGTERM), 0) << d1.proc.err();
  EXPECT_FALSE(fs::exists(d1.socket));
  EXPECT_EQ(run({podnetctl_path(), "show", "status", "--socket", d1.socket}).exit_code, 1);
  EXPECT_EQ(d2.proc.stop(SIGINT), 0);
}

// Two podnetctl processes label one resource at the same time; CAS + retry means every label
// of both lands.
TEST_F(PodnetdProcess, RacingPodnetctlNeverLoseAnUpdate) {
  TempDir dir;
  auto store = dir.file("store");
  ASSERT_EQ(ctl(store, {"apply", "-f", "-"},
                "apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: p1\n"
                "spec:\n  cidr: 10.244.0.0/16\n")
                .exit_code,
            0);
  constexpr int kPerWriter = 40;
  std::string script;
  for (const char* w : {"a", "b"}) {
    script += fmt::format(
        "(for i in $(seq 1 {}); do {} label ippool p1 {}$i=x --datastore dir:{} >/dev/null || "
        "echo FAIL; done) &\n",
        kPerWriter, podnetctl_path(), w, store);
  }
  // A third writer patches the spec concurrently; its change must survive too.
  script += fmt::format(
      "(for i in $(seq 1 {}); do {} patch ippool p1 -p '{{\"spec\":{{\"natOutgoing\":true}}}}' "
      "--datastore dir:{} >/dev/null || echo FAIL; done) &\nwait\n",
      kPerWriter / 4, podnetctl_path(), store);
  auto r = sh(script, 300s);
  EXPECT_EQ(r.out.find("FAIL"), std::string::npos) << r.out << r.err;
  auto got = ctl(store, {"get", "ippool", "p1", "-o", "json"});
  ASSERT_EQ(got.exit_code, 0);
  auto doc = nlohmann::json::parse(got.out);
  EXPECT_EQ(doc["metadata"]["labels"].size(), 2u * kPerWriter) << doc.dump(2);
  EXPECT_EQ(doc["spec"]["natOutgoing"], true);
}

// Writers SIGKILLed mid-write never leave a half-written resource: every stored file decodes,
// and podnetd (itself killed and restarted meanwhile) comes back to exactly what is stored.
TEST_F(PodnetdProcess, SigkillDuringWritesLeavesNoHalfWrittenResource) {
  TempDir dir;
  Netns ns("pn-kill");
  auto store = dir.file("store");
  // A large multi-document file: many policies with long rule lists take real time to write.
  std::string big;
  for (int i = 0; i < 150; ++i) {
    big += fmt::format(
        "---\napiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata:\n"
        "  name: gnp-{}\nspec:\n  order: {}\n  selector: app == 'a{}'\n  ingress:\n",
        i, i, i);
    for (int j = 0; j < 40; ++j)
      big += fmt::format(
          "  - action: Allow\n    protocol: TCP\n    source:\n      nets:\n"
          "      - 10.{}.{}.0/24\n    destination:\n      ports: [{}]\n",
          i % 250, j, 1000 + j);
  }
  write_file(dir.file("big.yaml"), big);
  auto d = start_daemon(dir, "node1", ns.name(), store);
  ASSERT_TRUE(wait_until([&] { return !status(d.socket).is_null(); })) << d.proc.err();

  std::mt19937 rng(42);
  for (int round = 0; round < 12; ++round) {
    Process writer(
        {podnetctl_path(), "apply", "-f", dir.file("big.yaml"), "--datastore=dir:" + store});
    std::this_thread::sleep_for(std::chrono::milliseconds(20 + rng() % 400));
    writer.kill9();
    if (round % 3 == 1) {
      // Kill podnetd too, while the next writer runs, and start it again.
      Process writer2(
          {podnetctl_path(), "apply", "-f", dir.file("big.yaml"), "--datastore=dir:" + store});
      std::this_thread::sleep_for(std::chrono::milliseconds(50 + rng() % 200));
      d.proc.kill9();
      writer2.kill9();
      d = start_daemon(dir, "node1", ns.name(), store);
    }
    // Every stored policy decodes completely (get -o yaml decodes each file).
    auto got = ctl(store, {"get", "gnp", "-o", "yaml"});
    ASSERT_EQ(got.exit_code, 0) << "round " << round << ": " << got.err;
    for (auto& e : fs::recursive_directory_iterator(store)) {
      if (!e.is_regular_file()) continue;
      auto rel = fs::relative(e.path(), store);
      // The store's own state and temp files live under dot-names.
      if (std::any_of(rel.begin(), rel.end(),
                      [](const fs::path& p) { return p.string().front() == '.'; }))
        continue;
      EXPECT_EQ(e.path().extension(), ".yaml") << e.path();
    }
  }
  // podnetd, restarted and killed along the way, agrees with the store.
  auto listed = ctl(store, {"get", "gnp", "-o", "json"});
  ASSERT_EQ(listed.exit_code, 0);
  auto n = nlohmann::json::parse(listed.out)["items"].size();
  ASSERT_TRUE(wait_until([&] {
    auto st = status(d.socket);
    return !st.is_null() && count_of(st, "GlobalNetworkPolicy") == n;
  })) << n;
  EXPECT_TRUE(status(d.socket)["datastore"]["rejected"].empty());
  // And a final apply completes: the lock is never left held by a dead writer.
  auto fin = ctl(store, {"apply", "-f", dir.file("big.yaml")});
  EXPECT_EQ(fin.exit_code, 0) << fin.err;
  EXPECT_TRUE(wait_until([&] { return count_of(status(d.socket), "GlobalNetworkPolicy") == 150; }));
}

}  // namespace
}  // namespace podnet
