// Entering a pod's network namespace: a network namespace is a property of a thread, so the
// work runs on a short-lived thread that joins the namespace and ends with it, leaving the
// plugin's own thread (and the netlink socket it holds) in the host namespace.
#pragma once

#include <functional>
#include <string>

#include "conf/result.hpp"

namespace podnet::cni {

// A file descriptor of the network namespace at path (/var/run/netns/<name>, /proc/<pid>/ns/net).
// Errc::not_found if the path does not exist, Errc::invalid if it is not a namespace.
class NetnsFd {
 public:
  static Result<NetnsFd> open(const std::string& path);
  NetnsFd(NetnsFd&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  NetnsFd& operator=(NetnsFd&&) = delete;
  NetnsFd(const NetnsFd&) = delete;
  ~NetnsFd();
  int fd() const { return fd_; }

 private:
  explicit NetnsFd(int fd) : fd_(fd) {}
  int fd_ = -1;
};

// Runs fn on a thread inside the namespace and returns what it returned.
Status in_netns(const NetnsFd& ns, const std::function<Status()>& fn);

// Writes a /proc/sys value (in the calling thread's network namespace for net.*).
Status write_sysctl(const std::string& path, const std::string& value);
Result<std::string> read_sysctl(const std::string& path);

}  // namespace podnet::cni
