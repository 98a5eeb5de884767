// Separate processes on one store: no lost update under compare-and-swap contention, and no
// torn file or stuck lock when a writer is SIGKILLed mid-write.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <chrono>
#include <filesystem>
#include <future>
#include <random>
#include <thread>

#include "ipam-sync/directory_store.hpp"
#include "ipam-sync/entry_file.hpp"
#include "ipam-sync/tests/blob_value.hpp"
#include "ipam-sync/tests/test_support.hpp"

namespace podnet::store {
namespace {

using testing::check_blob_value;
using testing::exited_ok;
using testing::read_text;
using testing::spawn_tool;
using testing::TempDir;
using testing::wait_child;

TEST(MultiProcess, FourIncrementersNeverLoseAnUpdate) {
  TempDir tmp;
  auto store = DirectoryStore::open(tmp.root());
  ASSERT_TRUE(store.ok());
  auto c = store.value()->create("counters/shared", "count: 0\n");
  ASSERT_TRUE(c.ok());

  std::vector<pid_t> pids;
  for (int i = 0; i < 4; ++i) {
    pid_t pid = spawn_tool({"incr", tmp.root(), "counters/shared", "200"});
    ASSERT_GT(pid, 0);
    pids.push_back(pid);
  }
  for (pid_t pid : pids) EXPECT_TRUE(exited_ok(wait_child(pid)));

  auto g = store.value()->get("counters/shared");
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->value, "count: 800\n");
  // Exactly one successful write per increment: lost conflicts consumed no revision.
  EXPECT_EQ(g->mod_revision, c.value() + 800);
  EXPECT_EQ(g->create_revision, c.value());
  EXPECT_EQ(store.value()->revision().value(), c.value() + 800);
}

// Every entry file in dir is complete: a valid podnet header whose sum matches, a value that
// parses as YAML and whose payload matches its own checksum. Returns the number of files.
int check_all_files(const std::string& dir, int* temp_files) {
  int files = 0;
  for (const auto& de : std::filesystem::directory_iterator(dir)) {
    std::string name = de.path().filename().string();
    if (name.starts_with(".")) {
      ++*temp_files;
      continue;
    }
    ++files;
    DecodedEntryFile d = decode_entry_file(read_text(de.path().string()));
    EXPECT_TRUE(d.header_valid) << name;
    auto seq = check_blob_value(d.value);
    EXPECT_TRUE(seq.has_value()) << name;
    try {
      YAML::Node n = YAML::Load(d.value);
      EXPECT_EQ(n["seq"].as<uint64_t>(), seq.value_or(0)) << name;
      EXPECT_EQ(content_hash(n["payload"].as<std::string>()),
                std::stoull(n["sum"].as<std::string>(), nullptr, 16))
          << name;
    } catch (const std::exception& e) {
      ADD_FAILURE() << name << ": " << e.what();
    }
  }
  return files;
}

void check_listing(Datastore& store) {
  auto l = store.list("blobs/");
  ASSERT_TRUE(l.ok()) << l.error().message;
  for (const auto& e : l->entries) {
    EXPECT_TRUE(check_blob_value(e.value).has_value()) << e.key << " listed torn";
    EXPECT_GT(e.mod_revision, 0);
    EXPECT_LE(e.mod_revision, l->revision);
  }
}

TEST(MultiProcess, SigkilledWriterLeavesNoPartialFileAndNoStuckLock) {
  TempDir tmp;
  auto store = DirectoryStore::open(tmp.root());
  ASSERT_TRUE(store.ok());
  std::random_device rd;
  unsigned seed = rd();
  std::mt19937 rng(seed);
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::string dir = tmp.root() + "/blobs";
  int temp_files_seen = 0;

  for (int round = 0; round < 20; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    int64_t rev0 = store.value()->revision().value();
    pid_t pid = spawn_tool({"churn", tmp.root(), "blobs", "3", "1048576"});
    ASSERT_GT(pid, 0);
    // Wait until it is writing (process start-up is slow under ASan), so every kill lands
    // in the write loop, not before it.
    auto started = std::chrono::steady_clock::now();
    while (store.value()->revision().value() == rev0) {
      ASSERT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(20));
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    // Then let it write for a random while (one 1 MiB fsynced write takes ~10 ms), reading
    // concurrently: a reader never sees a torn value either.
    auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(rng() % 80);
    while (std::chrono::steady_clock::now() < until) {
      check_listing(*store.value());
      std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 10));
    }
    ::kill(pid, SIGKILL);
    int status = wait_child(pid);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "churn exited on its own, status " << status;

    EXPECT_GE(check_all_files(dir, &temp_files_seen), 1);
    check_listing(*store.value());
    // The lock died with the writer: the next write completes promptly.
    auto next = std::async(std::launch::async, [&] {
      auto s = DirectoryStore::open(tmp.root());
      if (!s.ok()) return false;
      return s.value()
                 ->update("blobs/blob-0", testing::make_blob_value(1000000 + round, 1024), 0)
                 .ok() ||
             s.value()
                 ->create("blobs/blob-0", testing::make_blob_value(1000000 + round, 1024))
                 .ok();
    });
    ASSERT_EQ(next.wait_for(std::chrono::seconds(10)), std::future_status::ready)
        << "store lock stuck after SIGKILL";
    EXPECT_TRUE(next.get());
    // ... and that writer swept the killed writer's temp file.
    int temps = 0;
    for (const auto& de : std::filesystem::directory_iterator(dir)) {
      temps += de.path().filename().string().starts_with(".") ? 1 : 0;
    }
    EXPECT_EQ(temps, 0);
  }
  std::printf("SIGKILL test: %d kills left a temp file behind (seed %u)\n", temp_files_seen, seed);
  auto l = store.value()->list("blobs/");
  ASSERT_TRUE(l.ok());
  EXPECT_GE(l->entries.size(), 1u);
}

}  // namespace
}  // namespace podnet::store
