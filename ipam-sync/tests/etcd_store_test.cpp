// EtcdStore against a real etcd-server: keys where Calico puts them (read back with etcdctl),
// IPv6 affinities, foreign keys, a watch across compaction (re-list and diff), an outage
// (writes fail unavailable, the watch reconnects and catches up with nothing twice or
// missed), TLS with client certificates, username/password auth, and a three-member cluster
// losing its leader mid-run.
#include "ipam-sync/etcd_store.hpp"

#include <gtest/gtest.h>

#include <stdlib.h>
#include <boost/asio/io_context.hpp>

#include <map>
#include <set>

#include "ipam-sync/tests/etcd_server.hpp"
#include "ipam-sync/tests/test_support.hpp"

namespace podnet::store::testing {
namespace {

std::unique_ptr<Datastore> open_or_die(const std::string& spec) {
  auto s = open_datastore(spec);
  EXPECT_TRUE(s.ok()) << spec << ": " << s.error().message;
  return s.ok() ? std::move(s.value()) : nullptr;
}

// What a watch consumer builds, plus checks that nothing arrives twice or out of order.
struct Consumer {
  std::map<std::string, Entry> model;
  std::vector<WatchEvent> changes;
  int snapshots = 0;
  bool ordered = true;
  int64_t last = 0;
  Datastore::WatchCallback callback() {
    return [this](const std::vector<WatchEvent>& evs, bool initial) {
      if (initial) ++snapshots;
      for (const auto& ev : evs) {
        if (!initial) {
          // A delete found by a re-list carries the listing's revision, which the batch's last
          // put may share; everything else is strictly newer.
          bool del = ev.type == WatchEvent::Type::del;
          if (del ? ev.entry.mod_revision < last : ev.entry.mod_revision <= last) ordered = false;
          last = ev.entry.mod_revision;
          changes.push_back(ev);
        } else {
          last = std::max(last, ev.entry.mod_revision);
        }
        if (ev.type == WatchEvent::Type::put) {
          model[ev.entry.key] = ev.entry;
        } else {
          model.erase(ev.entry.key);
        }
      }
    };
  }
  bool has(const std::string& key, const std::string& value) const {
    auto it = model.find(key);
    return it != model.end() && it->second.value == value;
  }
};

std::set<std::string> lines(const std::string& s) {
  std::set<std::string> out;
  size_t start = 0;
  while (start < s.size()) {
    size_t nl = s.find('\n', start);
    if (nl == std::string::npos) nl = s.size();
    if (nl > start) out.insert(s.substr(start, nl - start));
    start = nl + 1;
  }
  return out;
}

TEST(EtcdStore, KeysLiveWhereCalicoPutsThem) {
  EtcdServer etcd;
  ASSERT_TRUE(etcd.ok()) << etcd.error();
  auto ds = open_or_die(etcd.spec());
  ASSERT_TRUE(ds);
  for (std::string k :
       {"ippools/default-ipv4-ippool", "networkpolicies/yaobank/db", "ipamblocks/10-244-1-0-26",
        "ipamblocks/fd00-10-244---122", "blockaffinities/node-1-10-244-1-0-26",
        "ipamhandles/k8s-pod-network.abc", "ipamconfigs/default", "pods/yaobank/db-0"}) {
    ASSERT_TRUE(ds->create(k, "value of " + k + "\n").ok()) << k;
  }
  auto r = etcd.etcdctl({"get", "--prefix", "/calico", "--keys-only"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(
      lines(r.output),
      (std::set<std::string>{"/calico/resources/v3/projectcalico.org/ippools/default-ipv4-ippool",
                             "/calico/resources/v3/projectcalico.org/networkpolicies/yaobank/db",
                             "/calico/ipam/v2/assignment/ipv4/block/10.244.1.0-26",
                             "/calico/ipam/v2/assignment/ipv6/block/fd00:10:244::-122",
                             "/calico/ipam/v2/host/node-1/ipv4/block/10.244.1.0-26",
                             "/calico/ipam/v2/handle/k8s-pod-network.abc", "/calico/ipam/v2/config",
                             "/calico/resources/v3/k8s/pods/yaobank/db-0"}));
  // The value is stored as given, and etcd's revisions are ours.
  auto v = etcd.etcdctl({"get", "/calico/ipam/v2/config", "--print-value-only"});
  EXPECT_EQ(v.output, "value of ipamconfigs/default\n\n");
  auto g = ds->get("ipamconfigs/default");
  ASSERT_TRUE(g.ok());
  auto rev = etcd.etcdctl({"get", "/calico/ipam/v2/config", "-w", "json"});
  EXPECT_NE(rev.output.find("\"mod_revision\":" + std::to_string(g->mod_revision)),
            std::string::npos)
      << rev.output;
  // A key written by someone else under /calico that is not ours is ignored by list and
  // watch; one that is ours (written by etcdctl) is seen.
  ASSERT_EQ(etcd.etcdctl({"put", "/calico/felix/v1/host/n1/status", "x"}).exit_code, 0);
  ASSERT_EQ(
      etcd.etcdctl({"put", "/calico/resources/v3/projectcalico.org/nodes/n9", "n9\n"}).exit_code,
      0);
  auto l = ds->list("");
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(l->entries.size(), 9u);
  EXPECT_EQ(ds->get("nodes/n9")->value, "n9\n");
}

TEST(EtcdStore, Ipv6AffinityPlacedByItsValueAndFoundByItsName) {
  EtcdServer etcd;
  ASSERT_TRUE(etcd.ok()) << etcd.error();
  auto ds = open_or_die(etcd.spec());
  ASSERT_TRUE(ds);
  std::string key = "blockaffinities/node-a-fd00---122";  // node "node-a" or node "node"?
  std::string value = "spec:\n  cidr: fd00::/122\n  node: node-a\n  state: confirmed\n";
  auto bare = ds->create(key, "x: 1\n");
  ASSERT_FALSE(bare.ok());
  EXPECT_EQ(bare.error().code, Errc::invalid);
  auto c = ds->create(key, value);
  ASSERT_TRUE(c.ok()) << c.error().message;
  auto r = etcd.etcdctl({"get", "--prefix", "/calico/ipam/v2/host/", "--keys-only"});
  EXPECT_EQ(lines(r.output),
            (std::set<std::string>{"/calico/ipam/v2/host/node-a/ipv6/block/fd00::-122"}));
  auto g = ds->get(key);
  ASSERT_TRUE(g.ok()) << g.error().message;
  EXPECT_EQ(g->value, value);
  EXPECT_EQ(ds->list("blockaffinities/")->entries.at(0).key, key);
  ASSERT_TRUE(ds->update(key, value + "# 2\n", c.value()).ok());
  ASSERT_TRUE(ds->remove(key, 0).ok());
  EXPECT_EQ(ds->get(key).error().code, Errc::not_found);
}

TEST(EtcdStore, WatchAcrossCompactionRelistsAndDiffs) {
  EtcdServer etcd;
  ASSERT_TRUE(etcd.ok()) << etcd.error();
  auto ds = open_or_die(etcd.spec());
  ASSERT_TRUE(ds);
  ASSERT_TRUE(ds->create("ippools/same", "same\n").ok());
  ASSERT_TRUE(ds->create("ippools/changed", "v1\n").ok());
  ASSERT_TRUE(ds->create("ippools/gone", "g\n").ok());
  boost::asio::io_context io;
  Consumer seen;
  auto w = ds->watch(io, "ippools/", seen.callback());
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE(run_until(io, [&] { return seen.snapshots == 1; }));
  ASSERT_TRUE(run_until(io, [&] { return !ds->unavailable_reason() && seen.snapshots == 1; }));
  io.restart();
  io.run_for(std::chrono::milliseconds(200));  // the watch stream is established

  // While the watcher's loop is not running: cut its stream (restart etcd), change things,
  // and compact past every change, so it cannot resume from its revision.
  etcd.stop_member(0);
  ASSERT_TRUE(etcd.start_member(0)) << etcd.error();
  ASSERT_TRUE(ds->update("ippools/changed", "v2\n", 0).ok());
  ASSERT_TRUE(ds->remove("ippools/gone", 0).ok());
  auto added = ds->create("ippools/added", "a\n");
  ASSERT_TRUE(ds->create("ippools/transient", "t\n").ok());
  ASSERT_TRUE(ds->remove("ippools/transient", 0).ok());
  auto last = ds->update("ippools/changed", "v3\n", 0);
  ASSERT_TRUE(added.ok() && last.ok());
  auto compact = etcd.etcdctl({"compact", std::to_string(last.value())});
  ASSERT_EQ(compact.exit_code, 0) << compact.output;

  ASSERT_TRUE(run_until(
      io, [&] { return seen.has("ippools/changed", "v3\n"); }, std::chrono::seconds(15)));
  io.restart();
  io.run_for(std::chrono::milliseconds(200));
  EXPECT_TRUE(seen.ordered);
  EXPECT_EQ(seen.model.count("ippools/gone"), 0u);
  EXPECT_TRUE(seen.has("ippools/added", "a\n"));
  EXPECT_TRUE(seen.has("ippools/same", "same\n"));
  // The difference, not the history: no v2, nothing for the transient key or the unchanged one.
  std::vector<std::string> got;
  for (auto& ev : seen.changes)
    got.push_back((ev.type == WatchEvent::Type::put ? "put " : "del ") + ev.entry.key);
  EXPECT_EQ(got, (std::vector<std::string>{"put ippools/added", "put ippools/changed",
                                           "del ippools/gone"}));
  EXPECT_EQ(seen.changes.back().entry.mod_revision, last.value());  // the listing's revision
  EXPECT_FALSE(ds->unavailable_reason());
}

TEST(EtcdStore, OutageFailsWritesThenWatchCatchesUpWithoutDuplicates) {
  EtcdServer etcd;
  ASSERT_TRUE(etcd.ok()) << etcd.error();
  auto ds = open_or_die(etcd.spec() + "?timeout=1");
  ASSERT_TRUE(ds);
  ASSERT_TRUE(ds->create("nodes/n0", "0\n").ok());
  boost::asio::io_context io;
  Consumer seen;
  auto w = ds->watch(io, "", seen.callback());
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE(run_until(io, [&] { return seen.snapshots == 1; }));
  ASSERT_TRUE(ds->create("nodes/n1", "1\n").ok());
  ASSERT_TRUE(run_until(io, [&] { return seen.has("nodes/n1", "1\n"); }));
  EXPECT_FALSE(ds->unavailable_reason());

  etcd.stop_member(0);
  auto failed = ds->create("nodes/n2", "2\n");
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code, Errc::unavailable) << failed.error().message;
  EXPECT_EQ(ds->get("nodes/n1").error().code, Errc::unavailable);
  EXPECT_EQ(ds->list("").error().code, Errc::unavailable);
  // The watch notices on its own loop, and says so.
  ASSERT_TRUE(run_until(io, [&] { return ds->unavailable_reason().has_value(); }));
  io.restart();
  io.run_for(std::chrono::milliseconds(1500));  // a few reconnect attempts back off
  EXPECT_TRUE(ds->unavailable_reason().has_value());

  ASSERT_TRUE(etcd.start_member(0)) << etcd.error();
  // The watch reconnecting alone makes the store available again: the writes that failed
  // during the outage do not keep it unavailable.
  ASSERT_TRUE(run_until(
      io, [&] { return !ds->unavailable_reason(); }, std::chrono::seconds(10)));
  ASSERT_TRUE(ds->create("nodes/n2", "2\n").ok());
  ASSERT_TRUE(ds->update("nodes/n0", "0b\n", 0).ok());
  ASSERT_TRUE(ds->remove("nodes/n1", 0).ok());
  ASSERT_TRUE(run_until(
      io, [&] { return !seen.model.count("nodes/n1"); }, std::chrono::seconds(15)));
  EXPECT_TRUE(seen.has("nodes/n2", "2\n"));
  EXPECT_TRUE(seen.has("nodes/n0", "0b\n"));

  // Cut the watcher's connection again with a restart while changes keep coming.
  ASSERT_TRUE(ds->create("nodes/n3", "3\n").ok());
  etcd.stop_member(0);
  ASSERT_TRUE(etcd.start_member(0)) << etcd.error();
  ASSERT_TRUE(ds->create("nodes/n4", "4\n").ok());
  ASSERT_TRUE(run_until(
      io, [&] { return seen.has("nodes/n4", "4\n"); }, std::chrono::seconds(15)));
  io.restart();
  io.run_for(std::chrono::milliseconds(200));
  EXPECT_TRUE(seen.ordered);
  std::vector<std::string> got;
  for (auto& ev : seen.changes)
    got.push_back((ev.type == WatchEvent::Type::put ? "put " : "del ") + ev.entry.key);
  EXPECT_EQ(got, (std::vector<std::string>{"put nodes/n1", "put nodes/n2", "put nodes/n0",
                                           "del nodes/n1", "put nodes/n3", "put nodes/n4"}));
  auto l = ds->list("");
  ASSERT_TRUE(l.ok());
  std::map<std::string, std::string> stored;
  for (auto& e : l->entries) stored[e.key] = e.value;
  std::map<std::string, std::string> watched;
  for (auto& [k, e] : seen.model) watched[k] = e.value;
  EXPECT_EQ(watched, stored);
  EXPECT_FALSE(ds->unavailable_reason());
}

// A CA, a server certificate for 127.0.0.1 and a client certificate, made with openssl.
struct Certs {
  explicit Certs(const std::string& dir) : dir(dir) {
    std::string script =
        "set -e; cd '" + dir +
        "'\n"
        "key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out $1 "
        "2>/dev/null; }\n"
        "key ca.key; openssl req -x509 -new -key ca.key -out ca.pem -days 1 -subj /CN=test-ca\n"
        "key other.key; openssl req -x509 -new -key other.key -out other-ca.pem -days 1 -subj "
        "/CN=other-ca\n"
        "for n in server client; do key $n.key; openssl req -new -key $n.key -out $n.csr -subj "
        "/CN=podnet-$n; done\n"
        "printf 'subjectAltName=IP:127.0.0.1\\nextendedKeyUsage=serverAuth,clientAuth\\n' > "
        "ext\n"
        "for n in server client; do openssl x509 -req -in $n.csr -CA ca.pem -CAkey ca.key "
        "-CAcreateserial -out $n.pem -days 1 -extfile ext 2>/dev/null; done\n";
    auto r = etcd_detail::run({"/bin/sh", "-c", script}, std::chrono::seconds(30));
    ok = r.exit_code == 0;
    output = r.output;
  }
  std::string file(const std::string& name) const { return dir + "/" + name; }
  std::string dir;
  bool ok = false;
  std::string output;
};

TEST(EtcdStore, TlsWithClientCertificates) {
  TempDir tmp;
  Certs certs(tmp.path());
  ASSERT_TRUE(certs.ok) << certs.output;
  EtcdOptions o;
  o.cert_file = certs.file("server.pem");
  o.key_file = certs.file("server.key");
  o.ca_file = certs.file("ca.pem");
  o.client_cert_auth = true;
  EtcdServer etcd(o);
  ASSERT_TRUE(etcd.ok()) << etcd.error();
  ASSERT_EQ(etcd.client_url().substr(0, 8), "https://");

  std::string base = etcd.spec() + "?timeout=2&cacert=" + certs.file("ca.pem");
  auto ds =
      open_or_die(base + "&cert=" + certs.file("client.pem") + "&key=" + certs.file("client.key"));
  ASSERT_TRUE(ds);
  auto c = ds->create("ippools/tls", "t\n");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(ds->get("ippools/tls")->mod_revision, c.value());
  boost::asio::io_context io;
  Consumer seen;
  auto w = ds->watch(io, "ippools/", seen.callback());
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE(run_until(io, [&] { return seen.has("ippools/tls", "t\n"); }));
  ASSERT_TRUE(ds->update("ippools/tls", "t2\n", c.value()).ok());
  ASSERT_TRUE(run_until(io, [&] { return seen.has("ippools/tls", "t2\n"); }));

  // Without a client certificate, or trusting another CA, nothing gets through.
  auto no_cert = open_or_die(base);
  ASSERT_TRUE(no_cert);
  EXPECT_EQ(no_cert->get("ippools/tls").error().code, Errc::unavailable);
  auto wrong_ca =
      open_or_die(etcd.spec() + "?timeout=2&cacert=" + certs.file("other-ca.pem") +
                  "&cert=" + certs.file("client.pem") + "&key=" + certs.file("client.key"));
  ASSERT_TRUE(wrong_ca);
  auto g = wrong_ca->get("ippools/tls");
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.error().code, Errc::unavailable);
  EXPECT_NE(g.error().message.find("certificate"), std::string::npos) << g.error().message;
  // A missing certificate file is a configuration error at open.
  auto missing = open_datastore(base + "&cert=/nonexistent.pem&key=/nonexistent.key");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, Errc::invalid);
}

TEST(EtcdStore, UsernamePasswordAuthWithTokenRenewal) {
  EtcdOptions o;
  o.extra_args = {"--auth-token-ttl=1"};  // tokens expire quickly: renewal is exercised
  EtcdServer etcd(o);
  ASSERT_TRUE(etcd.ok()) << etcd.error();
  for (std::vector<std::string> cmd :
       {std::vector<std::string>{"user", "add", "root:rootpw"},
        {"user", "grant-role", "root", "root"},
        {"role", "add", "podnet"},
        {"role", "grant-permission", "podnet", "--prefix=true", "readwrite", "/calico/"},
        {"user", "add", "podnet:pw"},
        {"user", "grant-role", "podnet", "podnet"},
        {"auth", "enable"}}) {
    auto r = etcd.etcdctl(cmd);
    ASSERT_EQ(r.exit_code, 0) << cmd[0] << " " << cmd[1] << ": " << r.output;
  }
  etcd.set_etcdctl_user("root:rootpw");

  auto ds = open_or_die(etcd.spec() + "?username=podnet&password=pw");
  ASSERT_TRUE(ds);
  auto c = ds->create("ippools/auth", "a\n");
  ASSERT_TRUE(c.ok()) << c.error().message;
  boost::asio::io_context io;
  Consumer seen;
  auto w = ds->watch(io, "", seen.callback());
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE(run_until(io, [&] { return seen.has("ippools/auth", "a\n"); }));
  // After the token expired, calls log in again transparently.
  io.restart();
  io.run_for(std::chrono::milliseconds(2500));
  auto u = ds->update("ippools/auth", "b\n", c.value());
  ASSERT_TRUE(u.ok()) << u.error().message;
  ASSERT_TRUE(run_until(io, [&] { return seen.has("ippools/auth", "b\n"); }));
  EXPECT_EQ(etcd.etcdctl({"get", "--print-value-only",
                          "/calico/resources/v3/projectcalico.org/ippools/auth"})
                .output,
            "b\n\n");

  // Credentials from the environment.
  ::setenv("PODNET_ETCD_USERNAME", "podnet", 1);
  ::setenv("PODNET_ETCD_PASSWORD", "pw", 1);
  auto env = open_or_die(etcd.spec());
  ::unsetenv("PODNET_ETCD_USERNAME");
  ::unsetenv("PODNET_ETCD_PASSWORD");
  ASSERT_TRUE(env);
  EXPECT_EQ(env->get("ippools/auth")->value, "b\n");

  // Wrong password, or none: refused, and not mistaken for an outage.
  auto wrong = open_or_die(etcd.spec() + "?username=podnet&password=nope");
  auto none = open_or_die(etcd.spec());
  ASSERT_TRUE(wrong && none);
  auto g = wrong->get("ippools/auth");
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.error().code, Errc::invalid) << g.error().message;
  auto n = none->get("ippools/auth");
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.error().code, Errc::invalid) << n.error().message;
}

TEST(EtcdStore, ThreeMembersLeaderKilledWritesContinueOnAnotherEndpoint) {
  EtcdServer etcd(3);
  ASSERT_TRUE(etcd.ok()) << etcd.error();
  auto ds = open_or_die(etcd.spec() + "?timeout=2");
  ASSERT_TRUE(ds);
  boost::asio::io_context io;
  Consumer seen;
  auto w = ds->watch(io, "nodes/", seen.callback());
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE(run_until(io, [&] { return seen.snapshots == 1; }));

  auto write = [&](int i) {
    // During the election a write may be refused; the store moves to another member.
    for (int attempt = 0; attempt < 20; ++attempt) {
      auto r = ds->create("nodes/n" + std::to_string(i), std::to_string(i) + "\n");
      if (r.ok()) return true;
      EXPECT_EQ(r.error().code, Errc::unavailable) << r.error().message;
      io.restart();
      io.run_for(std::chrono::milliseconds(100));
    }
    return false;
  };
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(write(i)) << i;
  ASSERT_TRUE(run_until(io, [&] { return seen.model.size() == 10; }));
  auto leader = etcd.leader();
  ASSERT_TRUE(leader.has_value());
  etcd.kill_member(*leader);
  for (int i = 10; i < 20; ++i) ASSERT_TRUE(write(i)) << i;
  ASSERT_TRUE(run_until(
      io, [&] { return seen.model.size() == 20; }, std::chrono::seconds(20)));
  io.restart();
  io.run_for(std::chrono::milliseconds(200));
  EXPECT_TRUE(seen.ordered);
  EXPECT_EQ(seen.changes.size(), 20u);
  auto l = ds->list("nodes/");
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(l->entries.size(), 20u);
}

}  // namespace
}  // namespace podnet::store::testing
