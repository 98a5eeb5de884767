// Network namespaces for the nftables tests: a fresh one for the calling thread (unshare), or
// entering a named one (ip netns) for the lifetime of an object; both return to where they were.
#pragma once

#include <string>

namespace podnet::policy::testing {

class ScopedNetns {
 public:
  // Empty name: a new anonymous namespace (lo up). Otherwise /run/netns/<name>.
  explicit ScopedNetns(const std::string& name = "");
  ~ScopedNetns();
  ScopedNetns(const ScopedNetns&) = delete;
  ScopedNetns& operator=(const ScopedNetns&) = delete;
  bool ok() const { return ok_; }

 private:
  int original_ = -1;
  bool ok_ = false;
};

// Runs a shell command in the calling thread's namespace: exit code / stdout.
int run(const std::string& cmd);
std::string output(const std::string& cmd);

}  // namespace podnet::policy::testing
