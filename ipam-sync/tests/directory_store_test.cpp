// DirectoryStore against real files in a temp directory: CRUD, compare-and-swap, revisions,
// listing, key validation, hand-written and temp files.
#include "ipam-sync/directory_store.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "ipam-sync/entry_file.hpp"
#include "ipam-sync/tests/test_support.hpp"

namespace podnet::store {
namespace {

using testing::read_text;
using testing::TempDir;
using testing::write_text;

class DirectoryStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = DirectoryStore::open(tmp.root());
    ASSERT_TRUE(s.ok()) << s.error().message;
    store = std::move(s.value());
  }
  TempDir tmp;
  std::unique_ptr<DirectoryStore> store;
};

TEST_F(DirectoryStoreTest, CreatesRootWithMode0700) {
  struct stat st {};
  ASSERT_EQ(::stat(tmp.root().c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  EXPECT_EQ(store->describe(), "dir:" + tmp.root());
}

TEST_F(DirectoryStoreTest, CrudRoundTrip) {
  auto c = store->create("ippools/default-ipv4-ippool", "spec:\n  cidr: 10.0.0.0/16\n");
  ASSERT_TRUE(c.ok()) << c.error().message;
  auto g = store->get("ippools/default-ipv4-ippool");
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->key, "ippools/default-ipv4-ippool");
  EXPECT_EQ(g->value, "spec:\n  cidr: 10.0.0.0/16\n");
  EXPECT_EQ(g->mod_revision, c.value());
  EXPECT_EQ(g->create_revision, c.value());

  auto u = store->update("ippools/default-ipv4-ippool", "spec:\n  cidr: 10.1.0.0/16\n", c.value());
  ASSERT_TRUE(u.ok()) << u.error().message;
  EXPECT_GT(u.value(), c.value());
  g = store->get("ippools/default-ipv4-ippool");
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->value, "spec:\n  cidr: 10.1.0.0/16\n");
  EXPECT_EQ(g->mod_revision, u.value());
  EXPECT_EQ(g->create_revision, c.value());

  auto r = store->remove("ippools/default-ipv4-ippool", u.value());
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_GT(r.value(), u.value());
  g = store->get("ippools/default-ipv4-ippool");
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.error().code, Errc::not_found);
}

TEST_F(DirectoryStoreTest, FileLayoutAndHeader) {
  ASSERT_TRUE(store->create("networkpolicies/yaobank/db", "kind: NetworkPolicy\n").ok());
  std::string path = tmp.root() + "/networkpolicies/yaobank/db.yaml";
  ASSERT_TRUE(std::filesystem::exists(path));
  std::string text = read_text(path);
  EXPECT_TRUE(text.starts_with("# podnet: mod=1 create=1 sum=")) << text;
  EXPECT_TRUE(text.ends_with("\nkind: NetworkPolicy\n")) << text;
  EXPECT_EQ(read_text(tmp.root() + "/.podnet/revision"), "1\n");
}

TEST_F(DirectoryStoreTest, CreateOnExistingFails) {
  ASSERT_TRUE(store->create("ippools/a", "x: 1\n").ok());
  auto c = store->create("ippools/a", "x: 2\n");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, Errc::already_exists);
  EXPECT_EQ(store->get("ippools/a")->value, "x: 1\n");
}

TEST_F(DirectoryStoreTest, StaleRevisionConflictsAndZeroIsUnconditional) {
  auto c = store->create("ippools/a", "v: 1\n");
  ASSERT_TRUE(c.ok());
  auto u1 = store->update("ippools/a", "v: 2\n", c.value());
  ASSERT_TRUE(u1.ok());

  auto stale = store->update("ippools/a", "v: stale\n", c.value());
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error().code, Errc::conflict);
  auto stale_rm = store->remove("ippools/a", c.value());
  ASSERT_FALSE(stale_rm.ok());
  EXPECT_EQ(stale_rm.error().code, Errc::conflict);
  EXPECT_EQ(store->get("ippools/a")->value, "v: 2\n");

  auto u2 = store->update("ippools/a", "v: 3\n", 0);
  ASSERT_TRUE(u2.ok());
  EXPECT_EQ(store->get("ippools/a")->value, "v: 3\n");
  ASSERT_TRUE(store->remove("ippools/a", 0).ok());

  auto missing = store->update("ippools/a", "v: 4\n", 0);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, Errc::not_found);
  auto missing_rm = store->remove("ippools/a", 0);
  ASSERT_FALSE(missing_rm.ok());
  EXPECT_EQ(missing_rm.error().code, Errc::not_found);
}

TEST_F(DirectoryStoreTest, RevisionsStrictlyIncreaseStoreWide) {
  int64_t last = store->revision().value();
  EXPECT_EQ(last, 0);
  std::vector<int64_t> revs;
  for (int i = 0; i < 5; ++i)
    revs.push_back(store->create("ippools/p" + std::to_string(i), "a\n").value());
  revs.push_back(store->update("ippools/p1", "b\n", 0).value());
  revs.push_back(store->create("nodes/n1", "c\n").value());
  revs.push_back(store->remove("ippools/p3", 0).value());
  revs.push_back(store->update("nodes/n1", "d\n", 0).value());
  for (int64_t r : revs) {
    EXPECT_GT(r, last);
    last = r;
  }
  EXPECT_EQ(store->revision().value(), last);
  auto l = store->list("");
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(l->revision, last);
  // Failed writes do not consume revisions.
  EXPECT_FALSE(store->create("nodes/n1", "e\n").ok());
  EXPECT_EQ(store->revision().value(), last);
}

TEST_F(DirectoryStoreTest, ListByPrefixSorted) {
  for (const char* k :
       {"networkpolicies/yaobank/db", "ippools/zeta", "networkpolicies/default/a", "ippools/alpha",
        "networkpolicies/yaobank/customer", "nodes/node-1", "globalnetworkpolicies/deny"}) {
    ASSERT_TRUE(store->create(k, std::string(k) + "\n").ok()) << k;
  }
  auto keys = [&](const std::string& prefix) {
    std::vector<std::string> out;
    auto l = store->list(prefix);
    EXPECT_TRUE(l.ok());
    for (auto& e : l->entries) {
      EXPECT_EQ(e.value, e.key + "\n");
      out.push_back(e.key);
    }
    return out;
  };
  EXPECT_EQ(keys(""), (std::vector<std::string>{"globalnetworkpolicies/deny", "ippools/alpha",
                                                "ippools/zeta", "networkpolicies/default/a",
                                                "networkpolicies/yaobank/customer",
                                                "networkpolicies/yaobank/db", "nodes/node-1"}));
  EXPECT_EQ(keys("ippools/"), (std::vector<std::string>{"ippools/alpha", "ippools/zeta"}));
  EXPECT_EQ(
      keys("networkpolicies/yaobank/"),
      (std::vector<std::string>{"networkpolicies/yaobank/customer", "networkpolicies/yaobank/db"}));
  EXPECT_EQ(keys("n"), (std::vector<std::string>{"networkpolicies/default/a",
                                                 "networkpolicies/yaobank/customer",
                                                 "networkpolicies/yaobank/db", "nodes/node-1"}));
  EXPECT_EQ(keys("ippools/a"), (std::vector<std::string>{"ippools/alpha"}));
  EXPECT_TRUE(keys("bgppeers/").empty());
}

TEST_F(DirectoryStoreTest, InvalidKeysRejected) {
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
                                  ".podnet/revision",
                                  "ippools/a b",
                                  "ippools/a*b",
                                  "ippools/ü",
                                  "ippools/" + std::string(254, 'a'),
                                  "ippools/" + std::string(251, 'a')};
  for (const auto& k : bad) {
    auto c = store->create(k, "x\n");
    ASSERT_FALSE(c.ok()) << k;
    EXPECT_EQ(c.error().code, Errc::invalid) << k;
    EXPECT_EQ(store->get(k).error().code, Errc::invalid) << k;
    EXPECT_EQ(store->update(k, "x\n", 0).error().code, Errc::invalid) << k;
    EXPECT_EQ(store->remove(k, 0).error().code, Errc::invalid) << k;
  }
  EXPECT_EQ(store->revision().value(), 0);
  // The allowed alphabet and lengths do work.
  EXPECT_TRUE(store->create("ippools/A-z_0.9:x", "x\n").ok());
  EXPECT_TRUE(store->create("ippools/" + std::string(250, 'a'), "x\n").ok());
  EXPECT_TRUE(store->create(std::string(253, 'k') + "/ns/n", "x\n").ok());
}

TEST_F(DirectoryStoreTest, HandDroppedFileIsAnEntryWithStableRevisions) {
  ASSERT_TRUE(store->create("ippools/podnet-made", "a: 1\n").ok());  // revision 1
  write_text(tmp.root() + "/ippools/by-hand.yaml", "apiVersion: projectcalico.org/v3\n");
  write_text(tmp.root() + "/networkpolicies/ns1/by-hand.yaml", "kind: NetworkPolicy\n");

  auto l = store->list("");
  ASSERT_TRUE(l.ok()) << l.error().message;
  ASSERT_EQ(l->entries.size(), 3u);
  EXPECT_EQ(l->entries[0].key, "ippools/by-hand");
  EXPECT_EQ(l->entries[0].value, "apiVersion: projectcalico.org/v3\n");
  EXPECT_GT(l->entries[0].mod_revision, 1);
  EXPECT_EQ(l->entries[0].create_revision, l->entries[0].mod_revision);
  EXPECT_EQ(l->entries[2].key, "networkpolicies/ns1/by-hand");
  EXPECT_GT(l->entries[2].mod_revision, 1);
  EXPECT_NE(l->entries[0].mod_revision, l->entries[2].mod_revision);
  EXPECT_EQ(l->revision, 3);
  // The file itself is untouched.
  EXPECT_EQ(read_text(tmp.root() + "/ippools/by-hand.yaml"), "apiVersion: projectcalico.org/v3\n");

  // Stable while unchanged, also for another instance.
  auto other = DirectoryStore::open(tmp.root());
  ASSERT_TRUE(other.ok());
  auto g = other.value()->get("ippools/by-hand");
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->mod_revision, l->entries[0].mod_revision);
  EXPECT_EQ(store->revision().value(), 3);

  // A hand edit earns a new mod revision and keeps the create revision.
  write_text(tmp.root() + "/ippools/by-hand.yaml", "apiVersion: projectcalico.org/v3\nkind: X\n");
  auto g2 = store->get("ippools/by-hand");
  ASSERT_TRUE(g2.ok());
  EXPECT_EQ(g2->value, "apiVersion: projectcalico.org/v3\nkind: X\n");
  EXPECT_GT(g2->mod_revision, g->mod_revision);
  EXPECT_EQ(g2->create_revision, g->create_revision);

  // CAS works against the discovered revision; afterwards the file carries a header.
  EXPECT_EQ(store->update("ippools/by-hand", "y\n", g->mod_revision).error().code, Errc::conflict);
  auto u = store->update("ippools/by-hand", "y\n", g2->mod_revision);
  ASSERT_TRUE(u.ok());
  EXPECT_TRUE(read_text(tmp.root() + "/ippools/by-hand.yaml").starts_with("# podnet: mod="));
  EXPECT_EQ(store->get("ippools/by-hand")->create_revision, g->create_revision);
}

TEST_F(DirectoryStoreTest, HandEditOfPodnetFileIsNoticed) {
  auto c = store->create("ippools/a", "cidr: 10.0.0.0/16\n");
  ASSERT_TRUE(c.ok());
  std::string path = tmp.root() + "/ippools/a.yaml";
  std::string text = read_text(path);
  text.replace(text.find("10.0.0.0"), 8, "10.9.0.0");  // header kept, content changed
  write_text(path, text);
  auto g = store->get("ippools/a");
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->value, "cidr: 10.9.0.0/16\n");
  EXPECT_GT(g->mod_revision, c.value());
  EXPECT_EQ(g->create_revision, c.value());
}

TEST_F(DirectoryStoreTest, CopiedInFileRaisesTheCounter) {
  write_text(tmp.root() + "/ippools/restored.yaml", encode_entry_file("x: 1\n", 500, 400));
  auto g = store->get("ippools/restored");
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->mod_revision, 500);
  EXPECT_EQ(g->create_revision, 400);
  auto c = store->create("ippools/new", "y\n");
  ASSERT_TRUE(c.ok());
  EXPECT_GT(c.value(), 500);
}

TEST_F(DirectoryStoreTest, TempAndForeignFilesIgnoredAndSwept) {
  ASSERT_TRUE(store->create("ippools/a", "a\n").ok());
  std::string dir = tmp.root() + "/ippools";
  write_text(dir + "/.tmp-99999-0", "# podnet: half a fi");
  write_text(dir + "/.hidden.yaml", "x\n");
  write_text(dir + "/notes.txt", "x\n");
  write_text(dir + "/bad name.yaml", "x\n");
  write_text(tmp.root() + "/toplevel.yaml", "x\n");
  std::filesystem::create_directories(dir + "/ns/deeper");
  write_text(dir + "/ns/deeper/too-deep.yaml", "x\n");
  auto l = store->list("");
  ASSERT_TRUE(l.ok());
  ASSERT_EQ(l->entries.size(), 1u);
  EXPECT_EQ(l->entries[0].key, "ippools/a");
  EXPECT_EQ(store->get("ippools/.tmp-99999-0").error().code, Errc::invalid);

  // The next writer into the directory removes the stray temp file (and only that).
  ASSERT_TRUE(store->update("ippools/a", "b\n", 0).ok());
  EXPECT_FALSE(std::filesystem::exists(dir + "/.tmp-99999-0"));
  EXPECT_TRUE(std::filesystem::exists(dir + "/.hidden.yaml"));
  EXPECT_TRUE(std::filesystem::exists(dir + "/notes.txt"));
}

TEST_F(DirectoryStoreTest, SecondInstanceSharesState) {
  auto other = DirectoryStore::open(tmp.root());
  ASSERT_TRUE(other.ok());
  auto c = store->create("nodes/n1", "a\n");
  ASSERT_TRUE(c.ok());
  auto g = other.value()->get("nodes/n1");
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->mod_revision, c.value());
  auto u = other.value()->update("nodes/n1", "b\n", c.value());
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(store->update("nodes/n1", "c\n", c.value()).error().code, Errc::conflict);
  EXPECT_EQ(store->revision().value(), u.value());
}

TEST(OpenDatastore, Specs) {
  TempDir tmp;
  auto a = open_datastore("dir:" + tmp.path() + "/a");
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ(a.value()->describe(), "dir:" + tmp.path() + "/a");
  auto b = open_datastore(tmp.path() + "/b/");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b.value()->describe(), "dir:" + tmp.path() + "/b");
  EXPECT_TRUE(std::filesystem::is_directory(tmp.path() + "/b/.podnet"));
  auto e = open_datastore("etcd:http://127.0.0.1:2379");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().code, Errc::unavailable);
  EXPECT_EQ(e.error().message, "etcd v3 backend not built in this version");
  EXPECT_EQ(open_datastore("dir:").error().code, Errc::invalid);
  EXPECT_EQ(open_datastore("").error().code, Errc::invalid);
  // A path under a regular file cannot be a store.
  write_text(tmp.path() + "/file", "x");
  auto f = open_datastore(tmp.path() + "/file/store");
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.error().code, Errc::io);
}

}  // namespace
}  // namespace podnet::store
