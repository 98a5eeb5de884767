// DirectoryStore::watch against real inotify: the snapshot, then changes made by this
// instance, a second instance, a separate process, a person; directories created later; a
// burst of 1000 writes from another thread arriving complete.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <map>
#include <random>
#include <thread>

#include "ipam-sync/directory_store.hpp"
#include "ipam-sync/tests/test_support.hpp"

namespace podnet::store {
namespace {

using testing::exited_ok;
using testing::run_until;
using testing::spawn_tool;
using testing::TempDir;
using testing::wait_child;
using testing::write_text;

// Records deliveries and maintains the model a consumer would build from them.
struct Recorder {
  std::vector<std::pair<std::vector<WatchEvent>, bool>> batches;
  std::map<std::string, Entry> model;
  std::map<std::string, int64_t> last_rev;  // per key, for monotonicity
  bool order_ok = true;

  Datastore::WatchCallback callback() {
    return [this](const std::vector<WatchEvent>& evs, bool initial) {
      batches.emplace_back(evs, initial);
      int64_t prev = 0;
      for (const auto& ev : evs) {
        if (!initial) {
          if (ev.entry.mod_revision < prev) order_ok = false;
          prev = ev.entry.mod_revision;
        }
        // Per key, revisions only grow. A delete made by hand (rm) consumes no revision, so it
        // may carry the same revision as the key's last put; anything else is strictly newer.
        if (last_rev.count(ev.entry.key)) {
          int64_t last = last_rev[ev.entry.key];
          bool is_del = ev.type == WatchEvent::Type::del;
          if (is_del ? ev.entry.mod_revision < last : ev.entry.mod_revision <= last) {
            order_ok = false;
          }
        }
        last_rev[ev.entry.key] = ev.entry.mod_revision;
        if (ev.type == WatchEvent::Type::put) {
          model[ev.entry.key] = ev.entry;
        } else {
          model.erase(ev.entry.key);
        }
      }
    };
  }
  // Events after the snapshot, flattened.
  std::vector<WatchEvent> changes() const {
    std::vector<WatchEvent> out;
    for (size_t i = 1; i < batches.size(); ++i) {
      out.insert(out.end(), batches[i].first.begin(), batches[i].first.end());
    }
    return out;
  }
  bool has_value(const std::string& key, const std::string& value) const {
    auto it = model.find(key);
    return it != model.end() && it->second.value == value;
  }
};

class DirectoryWatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = DirectoryStore::open(tmp.root());
    ASSERT_TRUE(s.ok()) << s.error().message;
    store = std::move(s.value());
  }
  void start(const std::string& prefix = "") {
    auto w = store->watch(io, prefix, rec.callback());
    ASSERT_TRUE(w.ok()) << w.error().message;
    watch = std::move(w.value());
    ASSERT_TRUE(run_until(io, [&] { return !rec.batches.empty(); }));
  }
  void TearDown() override { watch.reset(); }

  TempDir tmp;
  std::unique_ptr<DirectoryStore> store;
  boost::asio::io_context io;
  Recorder rec;
  std::unique_ptr<Datastore::Watch> watch;
};

TEST_F(DirectoryWatchTest, SnapshotThenPutUpdateDelete) {
  auto a = store->create("ippools/a", "a: 1\n");
  auto b = store->create("networkpolicies/ns/b", "b: 1\n");
  ASSERT_TRUE(a.ok() && b.ok());
  start();
  ASSERT_EQ(rec.batches.size(), 1u);
  EXPECT_TRUE(rec.batches[0].second);
  ASSERT_EQ(rec.batches[0].first.size(), 2u);
  EXPECT_EQ(rec.batches[0].first[0].entry.key, "ippools/a");
  EXPECT_EQ(rec.batches[0].first[0].entry.mod_revision, a.value());
  EXPECT_EQ(rec.batches[0].first[1].entry.key, "networkpolicies/ns/b");
  EXPECT_EQ(rec.batches[0].first[1].entry.value, "b: 1\n");

  auto c = store->create("ippools/c", "c: 1\n");
  ASSERT_TRUE(run_until(io, [&] { return rec.has_value("ippools/c", "c: 1\n"); }));
  auto u = store->update("ippools/a", "a: 2\n", a.value());
  ASSERT_TRUE(run_until(io, [&] { return rec.has_value("ippools/a", "a: 2\n"); }));
  auto r = store->remove("networkpolicies/ns/b", 0);
  ASSERT_TRUE(run_until(io, [&] { return !rec.model.count("networkpolicies/ns/b"); }));

  auto ch = rec.changes();
  ASSERT_EQ(ch.size(), 3u);
  EXPECT_EQ(ch[0].type, WatchEvent::Type::put);
  EXPECT_EQ(ch[0].entry.mod_revision, c.value());
  EXPECT_EQ(ch[0].entry.create_revision, c.value());
  EXPECT_EQ(ch[1].type, WatchEvent::Type::put);
  EXPECT_EQ(ch[1].entry.mod_revision, u.value());
  EXPECT_EQ(ch[1].entry.create_revision, a.value());
  EXPECT_EQ(ch[2].type, WatchEvent::Type::del);
  EXPECT_EQ(ch[2].entry.key, "networkpolicies/ns/b");
  EXPECT_EQ(ch[2].entry.mod_revision, r.value());
  EXPECT_TRUE(ch[2].entry.value.empty());
  for (size_t i = 1; i < rec.batches.size(); ++i) EXPECT_FALSE(rec.batches[i].second);
  EXPECT_TRUE(rec.order_ok);
}

TEST_F(DirectoryWatchTest, EmptyStoreStillGetsSnapshot) {
  start();
  ASSERT_EQ(rec.batches.size(), 1u);
  EXPECT_TRUE(rec.batches[0].second);
  EXPECT_TRUE(rec.batches[0].first.empty());
}

TEST_F(DirectoryWatchTest, WritesBySecondInstanceAndSeparateProcess) {
  start();
  auto other = DirectoryStore::open(tmp.root());
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE(other.value()->create("nodes/n1", "from: instance\n").ok());
  ASSERT_TRUE(run_until(io, [&] { return rec.has_value("nodes/n1", "from: instance\n"); }));

  EXPECT_TRUE(
      exited_ok(wait_child(spawn_tool({"put", tmp.root(), "nodes/n2", "from: process\n"}))));
  ASSERT_TRUE(run_until(io, [&] { return rec.has_value("nodes/n2", "from: process\n"); }));
  EXPECT_TRUE(exited_ok(wait_child(spawn_tool({"put", tmp.root(), "nodes/n1", "v: 2\n"}))));
  ASSERT_TRUE(run_until(io, [&] { return rec.has_value("nodes/n1", "v: 2\n"); }));
  EXPECT_TRUE(exited_ok(wait_child(spawn_tool({"rm", tmp.root(), "nodes/n2"}))));
  ASSERT_TRUE(run_until(io, [&] { return !rec.model.count("nodes/n2"); }));
  EXPECT_EQ(rec.model.at("nodes/n1").mod_revision, store->get("nodes/n1")->mod_revision);
  EXPECT_TRUE(rec.order_ok);
}

TEST_F(DirectoryWatchTest, HandDroppedEditedAndDeletedFiles) {
  start();
  write_text(tmp.root() + "/ippools/by-hand.yaml", "v: 1\n");
  ASSERT_TRUE(run_until(io, [&] { return rec.has_value("ippools/by-hand", "v: 1\n"); }));
  int64_t r1 = rec.model.at("ippools/by-hand").mod_revision;
  EXPECT_GT(r1, 0);
  write_text(tmp.root() + "/ippools/by-hand.yaml", "v: 2\n");
  ASSERT_TRUE(run_until(io, [&] { return rec.has_value("ippools/by-hand", "v: 2\n"); }));
  EXPECT_GT(rec.model.at("ippools/by-hand").mod_revision, r1);
  std::filesystem::remove(tmp.root() + "/ippools/by-hand.yaml");
  ASSERT_TRUE(run_until(io, [&] { return !rec.model.count("ippools/by-hand"); }));
  EXPECT_TRUE(rec.order_ok);
}

TEST_F(DirectoryWatchTest, DirectoriesCreatedAfterTheWatchStarts) {
  start();
  ASSERT_TRUE(store->create("bgppeers/tor-1", "peer: 1\n").ok());
  ASSERT_TRUE(store->create("networkpolicies/newns/p", "p: 1\n").ok());
  ASSERT_TRUE(run_until(io, [&] {
    return rec.has_value("bgppeers/tor-1", "peer: 1\n") &&
           rec.has_value("networkpolicies/newns/p", "p: 1\n");
  }));
  // Files written into a new namespace directory right after it appears (before the watch
  // on it can exist) and afterwards are both seen.
  std::filesystem::create_directories(tmp.root() + "/networkpolicies/other");
  write_text(tmp.root() + "/networkpolicies/other/early.yaml", "e: 1\n");
  ASSERT_TRUE(
      run_until(io, [&] { return rec.has_value("networkpolicies/other/early", "e: 1\n"); }));
  ASSERT_TRUE(store->update("networkpolicies/other/early", "e: 2\n", 0).ok());
  ASSERT_TRUE(store->create("networkpolicies/other/late", "l: 1\n").ok());
  ASSERT_TRUE(run_until(io, [&] {
    return rec.has_value("networkpolicies/other/early", "e: 2\n") &&
           rec.has_value("networkpolicies/other/late", "l: 1\n");
  }));
  // A whole kind directory removed by hand: every key in it is deleted.
  std::filesystem::remove_all(tmp.root() + "/networkpolicies");
  ASSERT_TRUE(run_until(io, [&] {
    return !rec.model.count("networkpolicies/newns/p") &&
           !rec.model.count("networkpolicies/other/late");
  }));
  EXPECT_TRUE(rec.has_value("bgppeers/tor-1", "peer: 1\n"));
}

TEST_F(DirectoryWatchTest, PrefixLimitsEvents) {
  ASSERT_TRUE(store->create("networkpolicies/yaobank/db", "x\n").ok());
  ASSERT_TRUE(store->create("networkpolicies/other/db", "x\n").ok());
  start("networkpolicies/yaobank/");
  ASSERT_EQ(rec.batches[0].first.size(), 1u);
  ASSERT_TRUE(store->create("networkpolicies/other/x", "x\n").ok());
  ASSERT_TRUE(store->create("ippools/x", "x\n").ok());
  ASSERT_TRUE(store->create("networkpolicies/yaobank/y", "y\n").ok());
  ASSERT_TRUE(run_until(io, [&] { return rec.has_value("networkpolicies/yaobank/y", "y\n"); }));
  io.restart();
  io.run_for(std::chrono::milliseconds(100));
  for (const auto& ev : rec.changes()) {
    EXPECT_TRUE(ev.entry.key.starts_with("networkpolicies/yaobank/")) << ev.entry.key;
  }
  EXPECT_EQ(rec.model.size(), 2u);
}

TEST_F(DirectoryWatchTest, DestroyingTheWatchStopsCallbacksEvenFromInsideOne) {
  start();
  size_t seen = rec.batches.size();
  // Destroy it from inside its own callback.
  std::unique_ptr<Datastore::Watch> w2;
  int calls = 0;
  auto r = store->watch(io, "", [&](const std::vector<WatchEvent>&, bool) {
    ++calls;
    w2.reset();
  });
  ASSERT_TRUE(r.ok());
  w2 = std::move(r.value());
  ASSERT_TRUE(run_until(io, [&] { return calls == 1; }));
  watch.reset();
  ASSERT_TRUE(store->create("ippools/after", "x\n").ok());
  io.restart();
  io.run_for(std::chrono::milliseconds(150));
  EXPECT_EQ(rec.batches.size(), seen);
  EXPECT_EQ(calls, 1);
}

TEST_F(DirectoryWatchTest, QueueOverflowLeadsToRescanNotMissedChanges) {
  ASSERT_TRUE(store->create("ippools/doomed", "x\n").ok());
  start();
  // With the loop not running, queue more inotify events than the kernel keeps (16384 by
  // default): IN_ATTRIB from touching two files alternately, so the kernel cannot merge
  // consecutive duplicates. touch is cheap; rewriting the files 20000 times is not.
  std::string noisy[2] = {tmp.root() + "/ippools/noisy-0.yaml",
                          tmp.root() + "/ippools/noisy-1.yaml"};
  write_text(noisy[0], "n: 0\n");
  write_text(noisy[1], "n: 1\n");
  for (int i = 0; i < 20000; ++i)
    ASSERT_EQ(::utimensat(AT_FDCWD, noisy[i % 2].c_str(), nullptr, 0), 0);
  write_text(noisy[0], "n: 19998\n");
  write_text(noisy[1], "n: 19999\n");
  ASSERT_TRUE(store->remove("ippools/doomed", 0).ok());
  ASSERT_TRUE(store->create("nodes/late", "y\n").ok());
  ASSERT_TRUE(run_until(io, [&] {
    return rec.has_value("ippools/noisy-0", "n: 19998\n") &&
           rec.has_value("ippools/noisy-1", "n: 19999\n") && !rec.model.count("ippools/doomed") &&
           rec.has_value("nodes/late", "y\n");
  }));
  // The watch still works after the overflow.
  ASSERT_TRUE(store->create("nodes/after", "z\n").ok());
  ASSERT_TRUE(run_until(io, [&] { return rec.has_value("nodes/after", "z\n"); }));
  EXPECT_TRUE(rec.order_ok);
}

TEST_F(DirectoryWatchTest, BurstOfThousandWritesArrivesComplete) {
  start();
  // Another thread (own instance) writes while this thread runs the watch: creates, updates,
  // deletes, recreations over 60 keys in 3 kinds/namespaces.
  std::map<std::string, std::optional<std::string>> expected;
  std::atomic<bool> writer_done{false};
  std::thread writer([&] {
    auto w = DirectoryStore::open(tmp.root());
    if (!w.ok()) {
      writer_done = true;
      return;
    }
    std::mt19937 rng(12345);
    const char* dirs[] = {"ippools/", "workloadendpoints/ns-a/", "workloadendpoints/ns-b/"};
    for (int i = 0; i < 1000; ++i) {
      std::string key = std::string(dirs[rng() % 3]) + "k" + std::to_string(rng() % 20);
      std::string value = "write: " + std::to_string(i) + "\n";
      auto& slot = expected[key];
      if (slot && rng() % 5 == 0) {
        if (w.value()->remove(key, 0).ok()) slot.reset();
      } else if (slot) {
        if (w.value()->update(key, value, 0).ok()) slot = value;
      } else {
        if (w.value()->create(key, value).ok()) slot = value;
      }
    }
    writer_done = true;
  });
  auto t0 = std::chrono::steady_clock::now();
  while (!writer_done.load() && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(120)) {
    io.restart();
    io.run_for(std::chrono::milliseconds(20));
  }
  writer.join();
  size_t live = 0;
  for (auto& [k, v] : expected) live += v ? 1 : 0;
  auto complete = [&] {
    if (rec.model.size() != live) return false;
    for (auto& [k, v] : expected) {
      if (v ? !rec.has_value(k, *v) : rec.model.count(k) != 0) return false;
    }
    return true;
  };
  ASSERT_TRUE(run_until(io, complete, std::chrono::seconds(20)))
      << "watch model has " << rec.model.size() << " keys, expected " << live;
  EXPECT_TRUE(rec.order_ok);
  // Coalescing: far fewer deliveries than writes.
  EXPECT_LT(rec.batches.size(), 1000u);
  // Every model entry carries the store's current revision for it.
  auto l = store->list("");
  ASSERT_TRUE(l.ok());
  ASSERT_EQ(l->entries.size(), rec.model.size());
  for (auto& e : l->entries) EXPECT_EQ(rec.model.at(e.key).mod_revision, e.mod_revision);
}

}  // namespace
}  // namespace podnet::store
