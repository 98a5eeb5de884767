// Test helpers: a fresh network namespace per test (unshare(CLONE_NEWNET) on the test thread,
// so `ip` commands started from it run there too), and shell commands with their output.
#pragma once

#include <string>

namespace podnet::dataplane::testing {

class FreshNetns {
 public:
  FreshNetns();   // enters a new, empty namespace (loopback up)
  ~FreshNetns();  // returns to the original one; the new one dies with its last reference
  FreshNetns(const FreshNetns&) = delete;
  FreshNetns& operator=(const FreshNetns&) = delete;
  bool ok() const { return ok_; }

 private:
  int original_ = -1;
  bool ok_ = false;
};

// Runs `cmd` with /bin/sh; returns its exit status (0 = success).
int run(const std::string& cmd);
// Runs `cmd`; returns its standard output.
std::string output(const std::string& cmd);

}  // namespace podnet::dataplane::testing
