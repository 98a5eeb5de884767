// The directory store's data: entry files under a root, the store-wide revision counter and
// the lock that serialises writers, shared by DirectoryStore (reads and writes) and its
// watches (which rescan). Stateless beyond the root path, so a watch can outlive the store
// that created it, and any number of instances in any number of processes can share a root:
// all coordination is on disk.
//
// On-disk layout:
//   <root>/<plural>/<name>.yaml               entry (entry_file.hpp format)
//   <root>/<plural>/<namespace>/<name>.yaml   namespaced entry
//   <root>/.podnet/lock                       flock: shared for reads, exclusive for writes
//   <root>/.podnet/revision                   the last revision handed out (decimal)
//   <root>/.podnet/foreign/<key>.rev          revisions given to a hand-written file
//
// Hand-written files. A file without a valid header (dropped in by hand, or a podnet file
// a person edited so that the header's sum no longer matches) is a valid entry. The first
// reader that sees it (get, list, a watch rescan, or a writer) takes the exclusive lock,
// allocates a new revision and records it in a sidecar under .podnet/foreign together with
// the file's content hash, inode and mtime. The file itself is never rewritten (a person's
// editor may still have it open). As long as the file stays identical the sidecar's
// revisions are reported; any change to it (content, or a new inode/mtime) earns a fresh
// mod_revision, which is what lets watches see hand edits. create_revision is the header's
// if the file had one, else the previous sidecar's, else the new revision. The first podnet
// write of the key replaces the file with a headered one and drops the sidecar.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "conf/result.hpp"
#include "ipam-sync/datastore.hpp"

namespace podnet::store {

class StoreTree {
 public:
  // Creates root (0700) and root/.podnet if missing.
  static Result<StoreTree> open(const std::string& root);

  const std::string& root() const { return root_; }

  Result<int64_t> revision() const;
  // Entries whose key starts with prefix, sorted by key; revision is the counter at the time
  // of the listing, which is >= every listed mod_revision.
  Result<ListResult> list(const std::string& prefix) const;
  // nullopt if the key has no file.
  Result<std::optional<Entry>> get(const std::string& key) const;

  // Writes. expected_revision as in Datastore::update; 0 = unconditional.
  Result<int64_t> create(const std::string& key, const std::string& value) const;
  Result<int64_t> update(const std::string& key, const std::string& value,
                         int64_t expected_revision) const;
  Result<int64_t> remove(const std::string& key, int64_t expected_revision) const;

 private:
  explicit StoreTree(std::string root);

  std::string meta_dir() const { return root_ + "/.podnet"; }
  std::string lock_path() const { return root_ + "/.podnet/lock"; }

  // Reads under a shared lock; if a file needs a revision allocated (or the counter needs
  // repair), retries under the exclusive lock, where it may write.
  Result<ListResult> read_locked(const std::string& prefix, const std::string* single_key) const;
  // The body of a read: lock is held by the caller; may_write says whether it is exclusive.
  // Returns nullopt if it needs may_write and does not have it.
  Result<std::optional<ListResult>> read_under_lock(const std::string& prefix,
                                                    const std::string* single_key,
                                                    bool may_write) const;
  Result<int64_t> read_counter() const;
  Status write_counter(int64_t value) const;
  // Current entry of key under the exclusive lock (adopting a hand-written file).
  Result<std::optional<Entry>> current_exclusive(const std::string& key) const;
  Result<int64_t> write_entry(const std::string& key, const std::string& value,
                              std::optional<Entry> current) const;

  std::string root_;
};

}  // namespace podnet::store
