// Backend-agnostic Datastore behaviour (see store_conformance.hpp): CRUD, compare-and-swap
// and the exact error codes of a lost compare, store-wide revisions, listing by prefix in key
// order (Calico and Kubernetes kinds, IPAM keys), key validation, a second instance's view,
// and the watch's snapshot, change order, prefix and teardown.
#include "ipam-sync/tests/store_conformance.hpp"

#include <boost/asio/io_context.hpp>
#include <map>

#include "ipam-sync/tests/test_support.hpp"

namespace podnet::store::testing {
namespace {

TEST_P(StoreConformance, CrudRoundTrip) {
  auto c = store().create("ippools/default-ipv4-ippool", "spec:\n  cidr: 10.0.0.0/16\n");
  ASSERT_TRUE(c.ok()) << c.error().message;
  auto g = store().get("ippools/default-ipv4-ippool");
  ASSERT_TRUE(g.ok()) << g.error().message;
  EXPECT_EQ(g->key, "ippools/default-ipv4-ippool");
  EXPECT_EQ(g->value, "spec:\n  cidr: 10.0.0.0/16\n");
  EXPECT_EQ(g->mod_revision, c.value());
  EXPECT_EQ(g->create_revision, c.value());

  auto u = store().update("ippools/default-ipv4-ippool", "spec:\n  cidr: 10.1.0.0/16\n", c.value());
  ASSERT_TRUE(u.ok()) << u.error().message;
  EXPECT_GT(u.value(), c.value());
  g = store().get("ippools/default-ipv4-ippool");
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->value, "spec:\n  cidr: 10.1.0.0/16\n");
  EXPECT_EQ(g->mod_revision, u.value());
  EXPECT_EQ(g->create_revision, c.value());

  auto r = store().remove("ippools/default-ipv4-ippool", u.value());
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_GT(r.value(), u.value());
  g = store().get("ippools/default-ipv4-ippool");
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.error().code, Errc::not_found);
}

TEST_P(StoreConformance, CreateOnExistingFails) {
  ASSERT_TRUE(store().create("ippools/a", "x: 1\n").ok());
  auto c = store().create("ippools/a", "x: 2\n");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, Errc::already_exists);
  EXPECT_EQ(store().get("ippools/a")->value, "x: 1\n");
}

TEST_P(StoreConformance, StaleRevisionConflictsAndZeroIsUnconditional) {
  auto c = store().create("ippools/a", "v: 1\n");
  ASSERT_TRUE(c.ok());
  auto u1 = store().update("ippools/a", "v: 2\n", c.value());
  ASSERT_TRUE(u1.ok());

  auto stale = store().update("ippools/a", "v: stale\n", c.value());
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error().code, Errc::conflict);
  auto stale_rm = store().remove("ippools/a", c.value());
  ASSERT_FALSE(stale_rm.ok());
  EXPECT_EQ(stale_rm.error().code, Errc::conflict);
  EXPECT_EQ(store().get("ippools/a")->value, "v: 2\n");

  auto u2 = store().update("ippools/a", "v: 3\n", 0);
  ASSERT_TRUE(u2.ok());
  EXPECT_EQ(store().get("ippools/a")->value, "v: 3\n");
  ASSERT_TRUE(store().remove("ippools/a", 0).ok());

  auto missing = store().update("ippools/a", "v: 4\n", 0);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, Errc::not_found);
  auto missing_rm = store().remove("ippools/a", 0);
  ASSERT_FALSE(missing_rm.ok());
  EXPECT_EQ(missing_rm.error().code, Errc::not_found);
  auto missing_cas = store().update("ippools/a", "v: 5\n", u2.value());
  ASSERT_FALSE(missing_cas.ok());
  EXPECT_EQ(missing_cas.error().code, Errc::not_found);
}

TEST_P(StoreConformance, RevisionsStrictlyIncreaseStoreWide) {
  int64_t last = store().revision().value();
  std::vector<int64_t> revs;
  for (int i = 0; i < 5; ++i)
    revs.push_back(store().create("ippools/p" + std::to_string(i), "a\n").value());
  revs.push_back(store().update("ippools/p1", "b\n", 0).value());
  revs.push_back(store().create("nodes/n1", "c\n").value());
  revs.push_back(store().remove("ippools/p3", 0).value());
  revs.push_back(store().update("nodes/n1", "d\n", 0).value());
  for (int64_t r : revs) {
    EXPECT_GT(r, last);
    last = r;
  }
  EXPECT_EQ(store().revision().value(), last);
  auto l = store().list("");
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(l->revision, last);
  // Failed writes do not consume revisions.
  EXPECT_FALSE(store().create("nodes/n1", "e\n").ok());
  EXPECT_FALSE(store().update("nodes/n1", "e\n", revs[0]).ok());
  EXPECT_EQ(store().revision().value(), last);
}

TEST_P(StoreConformance, ListByPrefixSortedAcrossKinds) {
  const std::vector<std::string> all = {"blockaffinities/node-1-10-0-0-0-26",
                                        "globalnetworkpolicies/deny",
                                        "ipamblocks/10-0-0-0-26",
                                        "ipamblocks/fd00-10---122",
                                        "ipamconfigs/default",
                                        "ipamhandles/k8s-pod-network.abc",
                                        "ippools/alpha",
                                        "ippools/zeta",
                                        "kubernetesnetworkpolicies/yaobank/np",
                                        "namespaces/yaobank",
                                        "networkpolicies/default/a",
                                        "networkpolicies/yaobank/customer",
                                        "networkpolicies/yaobank/db",
                                        "nodes/node-1",
                                        "pods/yaobank/db-0"};
  // Created in an order unlike either sort order.
  for (auto it = all.rbegin(); it != all.rend(); ++it) {
    auto c = store().create(*it, *it + "\n");
    ASSERT_TRUE(c.ok()) << *it << ": " << c.error().message;
  }
  auto keys = [&](const std::string& prefix) {
    std::vector<std::string> out;
    auto l = store().list(prefix);
    EXPECT_TRUE(l.ok());
    if (!l.ok()) return out;
    for (auto& e : l->entries) {
      EXPECT_EQ(e.value, e.key + "\n");
      out.push_back(e.key);
    }
    return out;
  };
  EXPECT_EQ(keys(""), all);
  EXPECT_EQ(keys("ippools/"), (std::vector<std::string>{"ippools/alpha", "ippools/zeta"}));
  EXPECT_EQ(
      keys("networkpolicies/yaobank/"),
      (std::vector<std::string>{"networkpolicies/yaobank/customer", "networkpolicies/yaobank/db"}));
  EXPECT_EQ(keys("n"), (std::vector<std::string>{"namespaces/yaobank", "networkpolicies/default/a",
                                                 "networkpolicies/yaobank/customer",
                                                 "networkpolicies/yaobank/db", "nodes/node-1"}));
  EXPECT_EQ(keys("ippools/a"), (std::vector<std::string>{"ippools/alpha"}));
  EXPECT_EQ(keys("ipamblocks/"),
            (std::vector<std::string>{"ipamblocks/10-0-0-0-26", "ipamblocks/fd00-10---122"}));
  EXPECT_EQ(keys("ipamblocks/fd"), (std::vector<std::string>{"ipamblocks/fd00-10---122"}));
  EXPECT_EQ(keys("blockaffinities/"),
            (std::vector<std::string>{"blockaffinities/node-1-10-0-0-0-26"}));
  EXPECT_EQ(keys("pods/"), (std::vector<std::string>{"pods/yaobank/db-0"}));
  EXPECT_TRUE(keys("bgppeers/").empty());
  for (const auto& k : all) {
    auto g = store().get(k);
    ASSERT_TRUE(g.ok()) << k;
    EXPECT_EQ(g->key, k);
    EXPECT_EQ(g->value, k + "\n");
  }
}

TEST_P(StoreConformance, InvalidKeysRejected) {
  int64_t before = store().revision().value();
  std::vector<std::string> bad = {"",
                                  "ippools",
                                  "ippools/",
                                  "/ippools/a",
                                  "ippools//a",
                                  "a/b/c/d",
                                  "ippools/..",
                                  "ippools/.",
                                  "../etc/passwd",
                                  "ippools/.hidden",
                                  "ippools/a b",
                                  "ippools/a*b",
                                  "ippools/ü",
                                  ".podnet/revision",
                                  "ippools/" + std::string(254, 'a'),
                                  "ippools/" + std::string(251, 'a')};  // + ".yaml" > NAME_MAX
  for (const auto& k : bad) {
    auto c = store().create(k, "x\n");
    ASSERT_FALSE(c.ok()) << k;
    EXPECT_EQ(c.error().code, Errc::invalid) << k;
    EXPECT_EQ(store().get(k).error().code, Errc::invalid) << k;
    EXPECT_EQ(store().update(k, "x\n", 0).error().code, Errc::invalid) << k;
    EXPECT_EQ(store().remove(k, 0).error().code, Errc::invalid) << k;
  }
  EXPECT_EQ(store().revision().value(), before);
  EXPECT_TRUE(store().create("ippools/A-z_0.9:x", "x\n").ok());
  EXPECT_TRUE(store().create("ippools/" + std::string(250, 'a'), "x\n").ok());
  EXPECT_TRUE(store().create(std::string(253, 'k') + "/ns/n", "x\n").ok());
}

TEST_P(StoreConformance, SecondInstanceSharesState) {
  auto other = backend->open_another();
  ASSERT_TRUE(other);
  auto c = store().create("nodes/n1", "a\n");
  ASSERT_TRUE(c.ok());
  auto g = other->get("nodes/n1");
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->mod_revision, c.value());
  auto u = other->update("nodes/n1", "b\n", c.value());
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(store().update("nodes/n1", "c\n", c.value()).error().code, Errc::conflict);
  EXPECT_EQ(store().revision().value(), u.value());
}

// Collects watch deliveries into the model a consumer builds.
struct WatchLog {
  std::vector<std::pair<std::vector<WatchEvent>, bool>> batches;
  std::map<std::string, std::string> model;
  std::vector<int64_t> change_revisions;
  Datastore::WatchCallback callback() {
    return [this](const std::vector<WatchEvent>& evs, bool initial) {
      batches.emplace_back(evs, initial);
      for (const auto& ev : evs) {
        if (!initial) change_revisions.push_back(ev.entry.mod_revision);
        if (ev.type == WatchEvent::Type::put) {
          model[ev.entry.key] = ev.entry.value;
        } else {
          model.erase(ev.entry.key);
        }
      }
    };
  }
};

TEST_P(StoreConformance, WatchSnapshotThenChangesInRevisionOrder) {
  auto a = store().create("ippools/a", "a: 1\n");
  auto b = store().create("networkpolicies/ns/b", "b: 1\n");
  ASSERT_TRUE(a.ok() && b.ok());
  boost::asio::io_context io;
  WatchLog log;
  auto w = store().watch(io, "", log.callback());
  ASSERT_TRUE(w.ok()) << w.error().message;
  EXPECT_TRUE(log.batches.empty());  // the snapshot is never delivered from inside watch()
  ASSERT_TRUE(run_until(io, [&] { return !log.batches.empty(); }));
  ASSERT_TRUE(log.batches[0].second);
  ASSERT_EQ(log.batches[0].first.size(), 2u);
  EXPECT_EQ(log.batches[0].first[0].entry.key, "ippools/a");
  EXPECT_EQ(log.batches[0].first[0].entry.mod_revision, a.value());
  EXPECT_EQ(log.batches[0].first[1].entry.key, "networkpolicies/ns/b");

  auto c = store().create("ipamblocks/10-1-0-0-26", "c: 1\n");
  auto u = store().update("ippools/a", "a: 2\n", a.value());
  auto r = store().remove("networkpolicies/ns/b", 0);
  ASSERT_TRUE(c.ok() && u.ok() && r.ok());
  ASSERT_TRUE(run_until(io, [&] { return !log.model.count("networkpolicies/ns/b"); }));
  EXPECT_EQ(log.model, (std::map<std::string, std::string>{{"ippools/a", "a: 2\n"},
                                                           {"ipamblocks/10-1-0-0-26", "c: 1\n"}}));
  EXPECT_EQ(log.change_revisions, (std::vector<int64_t>{c.value(), u.value(), r.value()}));
  for (size_t i = 1; i < log.batches.size(); ++i) EXPECT_FALSE(log.batches[i].second);
}

TEST_P(StoreConformance, WatchPrefixAndTeardownInsideCallback) {
  boost::asio::io_context io;
  WatchLog log;
  std::unique_ptr<Datastore::Watch> watch;
  int after_reset = 0;
  auto inner = log.callback();
  auto w = store().watch(io, "ippools/", [&](const std::vector<WatchEvent>& evs, bool initial) {
    if (!watch) {
      ++after_reset;
      return;
    }
    inner(evs, initial);
    if (log.model.count("ippools/stop")) watch.reset();  // destroy from inside the callback
  });
  ASSERT_TRUE(w.ok());
  watch = std::move(w.value());
  ASSERT_TRUE(run_until(io, [&] { return !log.batches.empty(); }));
  ASSERT_TRUE(store().create("nodes/n1", "n\n").ok());
  ASSERT_TRUE(store().create("ippools/p", "p\n").ok());
  ASSERT_TRUE(run_until(io, [&] { return log.model.count("ippools/p") > 0; }));
  EXPECT_EQ(log.model.count("nodes/n1"), 0u);
  ASSERT_TRUE(store().create("ippools/stop", "s\n").ok());
  ASSERT_TRUE(run_until(io, [&] { return !watch; }));
  ASSERT_TRUE(store().create("ippools/after", "x\n").ok());
  io.restart();
  io.run_for(std::chrono::milliseconds(300));
  EXPECT_EQ(after_reset, 0);
  EXPECT_EQ(log.model.count("ippools/after"), 0u);
}

}  // namespace
}  // namespace podnet::store::testing
