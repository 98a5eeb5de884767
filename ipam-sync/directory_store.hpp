// The directory datastore: one YAML file per resource under a root directory, shareable by
// any number of processes (podnetd watching, podnetctl writing, a person with an editor).
//
//   key "ippools/default-ipv4-ippool"  -> <root>/ippools/default-ipv4-ippool.yaml
//   key "networkpolicies/yaobank/db"   -> <root>/networkpolicies/yaobank/db.yaml
//
// Guarantees:
// - Writes are atomic and durable: temp file + fsync + rename + directory fsync, so a writer
//   killed at any instant leaves the old or the new file, never a partial one.
// - Writers serialise on an flock of <root>/.podnet/lock (released by the kernel if the
//   process dies), so compare-and-swap on mod_revision never loses an update, across
//   processes too. Reads take the lock shared and see a consistent snapshot.
// - Revisions are etcd-like: one store-wide counter (<root>/.podnet/revision) incremented by
//   every create/update/remove; each file's first line records its mod and create revision.
// - Hand-written files are entries too; see store_tree.hpp for how they get revisions.
//
// Thread-safe: an instance holds no mutable state, all coordination is on disk. Calls block
// for file I/O plus fsync (a few ms) and, for writes, while another writer holds the lock.
#pragma once

#include <memory>
#include <string>

#include "ipam-sync/datastore.hpp"
#include "ipam-sync/store_tree.hpp"

namespace podnet::store {

class DirectoryStore : public Datastore {
 public:
  // Opens (creating, mode 0700, if missing) the store rooted at dir.
  static Result<std::unique_ptr<DirectoryStore>> open(const std::string& dir);

  std::string describe() const override;
  Result<Entry> get(const std::string& key) override;
  Result<ListResult> list(const std::string& prefix) override;
  Result<int64_t> create(const std::string& key, const std::string& value) override;
  Result<int64_t> update(const std::string& key, const std::string& value,
                         int64_t expected_revision) override;
  Result<int64_t> remove(const std::string& key, int64_t expected_revision) override;
  Result<int64_t> revision() override;
  Result<std::unique_ptr<Watch>> watch(boost::asio::io_context& io, const std::string& prefix,
                                       WatchCallback cb) override;

  const std::string& root() const { return tree_.root(); }

 private:
  explicit DirectoryStore(StoreTree tree) : tree_(std::move(tree)) {}
  StoreTree tree_;
};

}  // namespace podnet::store
