// Entering a named network namespace (ip netns) for the lifetime of an object, so a netlink
// socket opened meanwhile belongs to it; the destructor returns to the original namespace.
#pragma once

#include <string>

namespace podnet::policy::testing {

class ScopedNetns {
 public:
  explicit ScopedNetns(const std::string& name);  // /run/netns/<name>
  ~ScopedNetns();
  ScopedNetns(const ScopedNetns&) = delete;
  ScopedNetns& operator=(const ScopedNetns&) = delete;
  bool ok() const { return ok_; }

 private:
  int original_ = -1;
  bool ok_ = false;
};

}  // namespace podnet::policy::testing
