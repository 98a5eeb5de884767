#include "ipam-sync/store_tree.hpp"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <filesystem>

#include "ipam-sync/entry_file.hpp"
#include "ipam-sync/file_ops.hpp"
#include "ipam-sync/store_key.hpp"

namespace podnet::store {
namespace {

// What .podnet/foreign/<key>.rev remembers about a hand-written file.
struct Sidecar {
  int64_t mod = 0;
  int64_t create = 0;
  uint64_t sum = 0;
  uint64_t inode = 0;
  int64_t mtime_ns = 0;
};

std::string encode_sidecar(const Sidecar& s) {
  return fmt::format("{} {} {:x} {} {}\n", s.mod, s.create, s.sum, s.inode, s.mtime_ns);
}

std::optional<Sidecar> decode_sidecar(const std::string& text) {
  Sidecar s;
  unsigned long long sum = 0, ino = 0;
  long long mod = 0, create = 0, mtime = 0;
  if (std::sscanf(text.c_str(), "%lld %lld %llx %llu %lld", &mod, &create, &sum, &ino, &mtime) !=
      5) {
    return std::nullopt;
  }
  s.mod = mod;
  s.create = create;
  s.sum = sum;
  s.inode = ino;
  s.mtime_ns = mtime;
  return s;
}

// A file read during a scan whose revisions are not known yet.
struct Pending {
  size_t index;  // into the output entries
  uint64_t sum;
  uint64_t inode;
  int64_t mtime_ns;
  int64_t header_create;  // 0 if the file has no header
  std::optional<Sidecar> previous;
};

Error conflict(const std::string& key, int64_t expected, int64_t actual) {
  return make_error(Errc::conflict, fmt::format("{}: resourceVersion {} is stale (current {})", key,
                                                expected, actual));
}

}  // namespace

StoreTree::StoreTree(std::string root) : root_(std::move(root)) {}

Result<StoreTree> StoreTree::open(const std::string& root_in) {
  if (root_in.empty()) return make_error(Errc::invalid, "datastore directory: empty path");
  std::error_code ec;
  std::filesystem::path p = std::filesystem::absolute(root_in, ec);
  if (ec) return make_error(Errc::invalid, fmt::format("datastore {}: {}", root_in, ec.message()));
  std::string root = p.lexically_normal().string();
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  if (auto st = make_dirs("", root.substr(1)); !st.ok()) return st.error();
  StoreTree tree(root);
  if (auto st = make_dirs(root, ".podnet"); !st.ok()) return st.error();
  // Creating the lock file now makes a permission problem show up at open, not at first write.
  auto lock = FileLock::acquire(tree.lock_path(), FileLock::Mode::shared);
  if (!lock.ok()) return lock.error();
  return tree;
}

Result<int64_t> StoreTree::read_counter() const {
  auto f = read_file(meta_dir() + "/revision");
  if (!f.ok()) return f.error();
  if (!f.value()) return int64_t{0};
  const std::string& s = f.value()->data;
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || v < 0 || (ptr != s.data() + s.size() && *ptr != '\n')) {
    return make_error(Errc::io, fmt::format("{}/revision: not a revision number", meta_dir()));
  }
  return v;
}

Status StoreTree::write_counter(int64_t value) const {
  return write_file_atomic(meta_dir(), "revision", fmt::format("{}\n", value));
}

Result<int64_t> StoreTree::revision() const {
  auto lock = FileLock::acquire(lock_path(), FileLock::Mode::shared);
  if (!lock.ok()) return lock.error();
  return read_counter();
}

Result<std::optional<ListResult>> StoreTree::read_under_lock(const std::string& prefix,
                                                             const std::string* single_key,
                                                             bool may_write) const {
  auto counter_r = read_counter();
  if (!counter_r.ok()) return counter_r.error();
  int64_t counter = counter_r.value();

  // Which keys to read.
  std::vector<std::string> keys;
  if (single_key != nullptr) {
    keys.push_back(*single_key);
  } else {
    std::vector<std::string> kinds;
    size_t slash = prefix.find('/');
    if (slash != std::string::npos) {
      if (valid_segment(prefix.substr(0, slash))) kinds.push_back(prefix.substr(0, slash));
    } else {
      auto top = list_dir(root_);
      if (!top.ok()) return top.error();
      if (top.value()) {
        for (auto& e : *top.value()) {
          if (e.is_dir && valid_segment(e.name) && e.name.starts_with(prefix)) {
            kinds.push_back(e.name);
          }
        }
      }
    }
    for (const auto& kind : kinds) {
      auto in_kind = list_dir(root_ + "/" + kind);
      if (!in_kind.ok()) return in_kind.error();
      if (!in_kind.value()) continue;
      for (auto& e : *in_kind.value()) {
        if (!e.is_dir) {
          if (auto k = entry_key_from_file(kind, e.name); k && k->starts_with(prefix)) {
            keys.push_back(*k);
          }
          continue;
        }
        if (!valid_segment(e.name)) continue;
        std::string ns_key = kind + "/" + e.name;
        // Skip namespaces the prefix excludes without reading them.
        if (!(ns_key + "/").starts_with(prefix) && !prefix.starts_with(ns_key + "/")) continue;
        auto in_ns = list_dir(root_ + "/" + ns_key);
        if (!in_ns.ok()) return in_ns.error();
        if (!in_ns.value()) continue;
        for (auto& f : *in_ns.value()) {
          if (f.is_dir) continue;
          if (auto k = entry_key_from_file(ns_key, f.name); k && k->starts_with(prefix)) {
            keys.push_back(*k);
          }
        }
      }
    }
    std::sort(keys.begin(), keys.end());
  }

  // Read them; revisions come from the header, or a matching sidecar, or are pending.
  ListResult out;
  std::vector<Pending> pending;
  int64_t max_mod = 0;
  for (const auto& key : keys) {
    auto f = read_file(root_ + "/" + key_to_relpath(key));
    if (!f.ok()) return f.error();
    if (!f.value()) continue;  // removed by hand since the directory listing
    FileContent& fc = *f.value();
    DecodedEntryFile d = decode_entry_file(std::move(fc.data));
    Entry e{key, std::move(d.value), 0, 0};
    if (d.header_valid) {
      e.mod_revision = d.mod_revision;
      e.create_revision = d.create_revision;
    } else {
      uint64_t sum = content_hash(e.value);
      std::optional<Sidecar> side;
      auto sf = read_file(meta_dir() + "/foreign/" + key + ".rev");
      if (!sf.ok()) return sf.error();
      if (sf.value()) side = decode_sidecar(sf.value()->data);
      if (side && side->sum == sum && side->inode == fc.inode && side->mtime_ns == fc.mtime_ns &&
          side->mod > 0) {
        e.mod_revision = side->mod;
        e.create_revision = side->create;
      } else {
        pending.push_back({out.entries.size(), sum, fc.inode, fc.mtime_ns,
                           d.has_header ? d.create_revision : 0, side});
      }
    }
    max_mod = std::max(max_mod, e.mod_revision);
    out.entries.push_back(std::move(e));
  }

  // A file copied in from elsewhere may carry revisions above our counter; the counter must
  // never hand out a revision someone already reports.
  bool repair = max_mod > counter;
  if ((repair || !pending.empty()) && !may_write) return std::optional<ListResult>{};
  if (repair || !pending.empty()) {
    int64_t base = std::max(counter, max_mod);
    counter = base + static_cast<int64_t>(pending.size());
    // Counter first: a crash after it only skips revisions, never reuses one.
    if (auto st = write_counter(counter); !st.ok()) return st.error();
    int64_t rev = base;
    for (auto& p : pending) {
      ++rev;
      Entry& e = out.entries[p.index];
      int64_t create = p.header_create > 0                    ? p.header_create
                       : p.previous && p.previous->create > 0 ? p.previous->create
                                                              : rev;
      Sidecar s{rev, create, p.sum, p.inode, p.mtime_ns};
      std::string dir = meta_dir() + "/foreign/" + key_dir(e.key);
      if (auto st = make_dirs(meta_dir(), "foreign/" + key_dir(e.key)); !st.ok()) {
        return st.error();
      }
      sweep_temp_files(dir);
      auto name = e.key.substr(e.key.rfind('/') + 1) + ".rev";
      // Not fsynced: losing a sidecar in a power cut only earns the file a fresh (higher)
      // revision on the next read, and adopting a thousand hand-written files stays fast.
      if (auto st = write_file_atomic(dir, name, encode_sidecar(s), false); !st.ok()) {
        return st.error();
      }
      e.mod_revision = rev;
      e.create_revision = create;
    }
  }
  out.revision = counter;
  return std::optional<ListResult>(std::move(out));
}

Result<ListResult> StoreTree::read_locked(const std::string& prefix,
                                          const std::string* single_key) const {
  {
    auto lock = FileLock::acquire(lock_path(), FileLock::Mode::shared);
    if (!lock.ok()) return lock.error();
    auto r = read_under_lock(prefix, single_key, false);
    if (!r.ok()) return r.error();
    if (r.value()) return std::move(*r.value());
  }
  auto lock = FileLock::acquire(lock_path(), FileLock::Mode::exclusive);
  if (!lock.ok()) return lock.error();
  auto r = read_under_lock(prefix, single_key, true);
  if (!r.ok()) return r.error();
  if (!r.value()) return make_error(Errc::internal, "exclusive read did not resolve revisions");
  return std::move(*r.value());
}

Result<ListResult> StoreTree::list(const std::string& prefix) const {
  return read_locked(prefix, nullptr);
}

Result<std::optional<Entry>> StoreTree::get(const std::string& key) const {
  if (auto st = validate_key(key); !st.ok()) return st.error();
  auto r = read_locked("", &key);
  if (!r.ok()) return r.error();
  if (r->entries.empty()) return std::optional<Entry>{};
  return std::optional<Entry>(std::move(r->entries.front()));
}

Result<std::optional<Entry>> StoreTree::current_exclusive(const std::string& key) const {
  auto r = read_under_lock("", &key, true);
  if (!r.ok()) return r.error();
  if (!r.value() || r.value()->entries.empty()) return std::optional<Entry>{};
  return std::optional<Entry>(std::move(r.value()->entries.front()));
}

Result<int64_t> StoreTree::write_entry(const std::string& key, const std::string& value,
                                       std::optional<Entry> current) const {
  std::string dir = root_ + "/" + key_dir(key);
  if (auto st = make_dirs(root_, key_dir(key)); !st.ok()) return st.error();
  // We hold the exclusive lock, so any temp file here belongs to a writer that died.
  sweep_temp_files(dir);
  sweep_temp_files(meta_dir());
  auto counter = read_counter();
  if (!counter.ok()) return counter.error();
  int64_t rev = counter.value() + 1;
  if (auto st = write_counter(rev); !st.ok()) return st.error();
  int64_t create = current ? current->create_revision : rev;
  if (auto st = write_file_atomic(dir, key_file_name(key), encode_entry_file(value, rev, create));
      !st.ok()) {
    return st.error();
  }
  ::unlink((meta_dir() + "/foreign/" + key + ".rev").c_str());
  return rev;
}

Result<int64_t> StoreTree::create(const std::string& key, const std::string& value) const {
  if (auto st = validate_key(key); !st.ok()) return st.error();
  auto lock = FileLock::acquire(lock_path(), FileLock::Mode::exclusive);
  if (!lock.ok()) return lock.error();
  auto cur = current_exclusive(key);
  if (!cur.ok()) return cur.error();
  if (cur.value()) {
    return make_error(Errc::already_exists, fmt::format("{} already exists (resourceVersion {})",
                                                        key, cur.value()->mod_revision));
  }
  return write_entry(key, value, std::nullopt);
}

Result<int64_t> StoreTree::update(const std::string& key, const std::string& value,
                                  int64_t expected_revision) const {
  if (auto st = validate_key(key); !st.ok()) return st.error();
  if (expected_revision < 0) {
    return make_error(Errc::invalid, fmt::format("{}: negative resourceVersion", key));
  }
  auto lock = FileLock::acquire(lock_path(), FileLock::Mode::exclusive);
  if (!lock.ok()) return lock.error();
  auto cur = current_exclusive(key);
  if (!cur.ok()) return cur.error();
  if (!cur.value()) return make_error(Errc::not_found, fmt::format("{} not found", key));
  if (expected_revision != 0 && expected_revision != cur.value()->mod_revision) {
    return conflict(key, expected_revision, cur.value()->mod_revision);
  }
  return write_entry(key, value, std::move(cur.value()));
}

Result<int64_t> StoreTree::remove(const std::string& key, int64_t expected_revision) const {
  if (auto st = validate_key(key); !st.ok()) return st.error();
  if (expected_revision < 0) {
    return make_error(Errc::invalid, fmt::format("{}: negative resourceVersion", key));
  }
  auto lock = FileLock::acquire(lock_path(), FileLock::Mode::exclusive);
  if (!lock.ok()) return lock.error();
  auto cur = current_exclusive(key);
  if (!cur.ok()) return cur.error();
  if (!cur.value()) return make_error(Errc::not_found, fmt::format("{} not found", key));
  if (expected_revision != 0 && expected_revision != cur.value()->mod_revision) {
    return conflict(key, expected_revision, cur.value()->mod_revision);
  }
  std::string dir = root_ + "/" + key_dir(key);
  sweep_temp_files(dir);
  sweep_temp_files(meta_dir());
  auto counter = read_counter();
  if (!counter.ok()) return counter.error();
  int64_t rev = counter.value() + 1;
  if (auto st = write_counter(rev); !st.ok()) return st.error();
  if (auto st = remove_file_durable(dir, key_file_name(key)); !st.ok()) return st.error();
  ::unlink((meta_dir() + "/foreign/" + key + ".rev").c_str());
  return rev;
}

}  // namespace podnet::store
