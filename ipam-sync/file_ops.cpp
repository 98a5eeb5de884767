#include "ipam-sync/file_ops.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

namespace podnet::store {
namespace {

Error sys_error(const std::string& what, const std::string& path, int err) {
  return make_error(Errc::io, fmt::format("{} {}: {}", what, path, std::strerror(err)));
}

// Closes an fd on scope exit.
struct FdGuard {
  int fd;
  ~FdGuard() {
    if (fd >= 0) ::close(fd);
  }
};

Status write_all(int fd, const std::string& data, const std::string& path) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return sys_error("write", path, errno);
    }
    off += static_cast<size_t>(n);
  }
  return ok_status();
}

Status fsync_dir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return sys_error("open", dir, errno);
  FdGuard g{fd};
  if (::fsync(fd) != 0) return sys_error("fsync", dir, errno);
  return ok_status();
}

std::string temp_name() {
  // pid + a per-process sequence: unique among live writers (only one holds the lock anyway)
  // and short, whatever the length of the final name.
  static std::atomic<uint64_t> seq{0};
  return fmt::format("{}{}-{}", kTempPrefix, ::getpid(), seq.fetch_add(1));
}

}  // namespace

Result<std::optional<FileContent>> read_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::optional<FileContent>{};
    return sys_error("open", path, errno);
  }
  FdGuard g{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) return sys_error("stat", path, errno);
  if (!S_ISREG(st.st_mode)) return make_error(Errc::io, fmt::format("{}: not a file", path));
  FileContent fc;
  fc.inode = st.st_ino;
  fc.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  fc.data.reserve(static_cast<size_t>(st.st_size));
  char buf[65536];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return sys_error("read", path, errno);
    }
    if (n == 0) break;
    fc.data.append(buf, static_cast<size_t>(n));
  }
  return std::optional<FileContent>(std::move(fc));
}

Status write_file_atomic(const std::string& dir, const std::string& name,
                         const std::string& content, bool durable) {
  std::string tmp = dir + "/" + temp_name();
  std::string dst = dir + "/" + name;
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return sys_error("create", tmp, errno);
  Status st = write_all(fd, content, tmp);
  if (st.ok() && durable && ::fsync(fd) != 0) st = sys_error("fsync", tmp, errno);
  if (::close(fd) != 0 && st.ok()) st = sys_error("close", tmp, errno);
  if (st.ok() && ::rename(tmp.c_str(), dst.c_str()) != 0) st = sys_error("rename", dst, errno);
  if (!st.ok()) {
    ::unlink(tmp.c_str());
    return st;
  }
  // Without this the rename itself may not survive a power loss.
  return durable ? fsync_dir(dir) : ok_status();
}

Status remove_file_durable(const std::string& dir, const std::string& name) {
  std::string path = dir + "/" + name;
  if (::unlink(path.c_str()) != 0) {
    if (errno == ENOENT) return ok_status();
    return sys_error("unlink", path, errno);
  }
  return fsync_dir(dir);
}

Status make_dirs(const std::string& root, const std::string& rel) {
  std::string parent = root;
  size_t start = 0;
  while (start <= rel.size()) {
    size_t slash = rel.find('/', start);
    std::string part =
        rel.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (!part.empty()) {
      std::string path = parent + "/" + part;
      if (::mkdir(path.c_str(), 0700) == 0) {
        if (auto st = fsync_dir(parent.empty() ? "/" : parent); !st.ok()) return st;
      } else if (errno != EEXIST) {
        return sys_error("mkdir", path, errno);
      }
      parent = path;
    }
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return ok_status();
}

void sweep_temp_files(const std::string& dir) {
  auto entries = list_dir(dir);
  if (!entries.ok() || !entries.value()) return;
  for (const auto& e : *entries.value()) {
    if (!e.is_dir && e.name.starts_with(kTempPrefix)) ::unlink((dir + "/" + e.name).c_str());
  }
}

Result<std::optional<std::vector<DirEntryName>>> list_dir(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    if (errno == ENOENT || errno == ENOTDIR) return std::optional<std::vector<DirEntryName>>{};
    return sys_error("opendir", dir, errno);
  }
  std::vector<DirEntryName> out;
  while (true) {
    errno = 0;
    dirent* e = ::readdir(d);
    if (e == nullptr) break;
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    bool is_dir = e->d_type == DT_DIR;
    if (e->d_type == DT_UNKNOWN || e->d_type == DT_LNK) {
      struct stat st {};
      is_dir = ::stat((dir + "/" + name).c_str(), &st) == 0 && S_ISDIR(st.st_mode);
    }
    out.push_back({std::move(name), is_dir});
  }
  int err = errno;
  ::closedir(d);
  if (err != 0) return sys_error("readdir", dir, err);
  return std::optional<std::vector<DirEntryName>>(std::move(out));
}

Result<FileLock> FileLock::acquire(const std::string& path, Mode mode) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return sys_error("open lock", path, errno);
  int op = mode == Mode::exclusive ? LOCK_EX : LOCK_SH;
  while (::flock(fd, op) != 0) {
    if (errno == EINTR) continue;
    int err = errno;
    ::close(fd);
    return sys_error("flock", path, err);
  }
  return FileLock(fd);
}

FileLock::~FileLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace podnet::store
