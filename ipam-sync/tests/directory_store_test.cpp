// DirectoryStore against real files in a temp directory: what is particular to files (layout,
// headers, hand-written and temp files, mode, revision counter); plus the shared Datastore
// suite (store_conformance.cpp: CRUD, compare-and-swap, revisions, listing, watch).
#include "ipam-sync/directory_store.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "ipam-sync/entry_file.hpp"
#include "ipam-sync/tests/store_conformance.hpp"
#include "ipam-sync/tests/test_support.hpp"

namespace podnet::store {
namespace {

using testing::read_text;
using testing::StoreConformance;
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

class DirectoryInstance : public testing::BackendInstance {
 public:
  DirectoryInstance() {
    auto s = DirectoryStore::open(tmp_.root());
    EXPECT_TRUE(s.ok()) << s.error().message;
    if (s.ok()) store_ = std::move(s.value());
  }
  Datastore& store() override { return *store_; }
  std::unique_ptr<Datastore> open_another() override {
    auto s = DirectoryStore::open(tmp_.root());
    return s.ok() ? std::move(s.value()) : nullptr;
  }

 private:
  TempDir tmp_;
  std::unique_ptr<DirectoryStore> store_;
};

INSTANTIATE_TEST_SUITE_P(
    Directory, StoreConformance,
    ::testing::Values(testing::Backend{
        "directory",
        [] { return std::unique_ptr<testing::BackendInstance>(new DirectoryInstance()); }}),
    testing::backend_name);

TEST_F(DirectoryStoreTest, CreatesRootWithMode0700) {
  struct stat st {};
  ASSERT_EQ(::stat(tmp.root().c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  EXPECT_EQ(store->describe(), "dir:" + tmp.root());
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

// A new directory store starts at revision 0 (etcd starts at 1); the counter is a file.
TEST_F(DirectoryStoreTest, RevisionCounterStartsAtZero) {
  EXPECT_EQ(store->revision().value(), 0);
  ASSERT_EQ(store->create("ippools/a", "a\n").value(), 1);
  EXPECT_EQ(read_text(tmp.root() + "/.podnet/revision"), "1\n");
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

TEST(OpenDatastore, Specs) {
  TempDir tmp;
  auto a = open_datastore("dir:" + tmp.path() + "/a");
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ(a.value()->describe(), "dir:" + tmp.path() + "/a");
  auto b = open_datastore(tmp.path() + "/b/");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b.value()->describe(), "dir:" + tmp.path() + "/b");
  EXPECT_TRUE(std::filesystem::is_directory(tmp.path() + "/b/.podnet"));
  // etcd specs open without contacting etcd; a malformed one is invalid.
  auto e = open_datastore("etcd:http://127.0.0.1:2379,https://[::1]:2379?timeout=2");
  ASSERT_TRUE(e.ok()) << e.error().message;
  EXPECT_EQ(e.value()->describe(), "etcd:http://127.0.0.1:2379,https://[::1]:2379");
  EXPECT_EQ(open_datastore("etcd:ftp://h").error().code, Errc::invalid);
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
