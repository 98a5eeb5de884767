// The few POSIX file operations the directory store is built from, each with the durability
// step that makes it crash-safe spelled out, returning Status instead of throwing.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "conf/result.hpp"

namespace podnet::store {

// Temp files start with this; list/get/watch skip every dot-file, and a writer holding the
// store lock deletes the ones it finds (they can only be left over from a killed writer).
inline constexpr std::string_view kTempPrefix = ".tmp-";

struct FileContent {
  std::string data;
  uint64_t inode = 0;
  int64_t mtime_ns = 0;
};

// nullopt if the file does not exist.
Result<std::optional<FileContent>> read_file(const std::string& path);

// Writes dir/name so that a crash at any moment leaves either the old file or the complete
// new one: temp file in the same directory, fsync, rename over name, fsync the directory.
// durable=false skips both fsyncs: still atomic against a killed process (the rename is),
// only a power loss may bring back the old file. For data that can be re-derived.
Status write_file_atomic(const std::string& dir, const std::string& name,
                         const std::string& content, bool durable = true);

// Unlinks dir/name and fsyncs dir. Ok if it did not exist.
Status remove_file_durable(const std::string& dir, const std::string& name);

// mkdir -p of root/rel with mode 0700, fsyncing each parent that gained a directory.
Status make_dirs(const std::string& root, const std::string& rel);

// Deletes temp files (kTempPrefix) directly in dir. Call only while holding the store lock.
void sweep_temp_files(const std::string& dir);

struct DirEntryName {
  std::string name;
  bool is_dir = false;
};
// Entries of dir except "." and "..". nullopt if dir does not exist.
Result<std::optional<std::vector<DirEntryName>>> list_dir(const std::string& dir);

// An flock on a lock file, released on destruction or by the kernel when the process dies,
// so a SIGKILLed writer never leaves the store locked.
class FileLock {
 public:
  enum class Mode { shared, exclusive };
  static Result<FileLock> acquire(const std::string& path, Mode mode);
  FileLock(FileLock&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  FileLock& operator=(FileLock&&) = delete;
  FileLock(const FileLock&) = delete;
  ~FileLock();

 private:
  explicit FileLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace podnet::store
