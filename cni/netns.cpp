#include "cni/netns.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <sched.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#ifndef NSFS_MAGIC
#define NSFS_MAGIC 0x6e736673
#endif

namespace podnet::cni {

Result<NetnsFd> NetnsFd::open(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int e = errno;
    return make_error(e == ENOENT ? Errc::not_found : Errc::io,
                      fmt::format("cannot open network namespace {}: {}", path, std::strerror(e)));
  }
  struct statfs st {};
  if (::fstatfs(fd, &st) != 0 || (static_cast<unsigned long>(st.f_type) != NSFS_MAGIC &&
                                  static_cast<unsigned long>(st.f_type) != PROC_SUPER_MAGIC)) {
    ::close(fd);
    return make_error(Errc::invalid, fmt::format("{} is not a network namespace", path));
  }
  return NetnsFd(fd);
}

NetnsFd::~NetnsFd() {
  if (fd_ >= 0) ::close(fd_);
}

Status in_netns(const NetnsFd& ns, const std::function<Status()>& fn) {
  Status result = ok_status();
  std::thread t([&] {
    if (::setns(ns.fd(), CLONE_NEWNET) != 0) {
      result = make_error(Errc::io, fmt::format("setns: {}", std::strerror(errno)));
      return;
    }
    result = fn();
  });
  t.join();
  return result;
}

Status write_sysctl(const std::string& path, const std::string& value) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return make_error(Errc::io, fmt::format("open {}: {}", path, std::strerror(errno)));
  ssize_t n = ::write(fd, value.data(), value.size());
  const int e = errno;
  ::close(fd);
  if (n != static_cast<ssize_t>(value.size()))
    return make_error(Errc::io, fmt::format("write {} to {}: {}", value, path, std::strerror(e)));
  return ok_status();
}

Result<std::string> read_sysctl(const std::string& path) {
  std::ifstream in(path);
  if (!in) return make_error(Errc::io, fmt::format("cannot read {}", path));
  std::string s;
  std::getline(in, s);
  return s;
}

}  // namespace podnet::cni
