// Shared by the policy benchmarks (policy_bench, policy_throughput): resources from YAML and
// entering a named network namespace with the calling thread.
#pragma once

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "conf/resource.hpp"

namespace podnet::bench {

inline std::vector<conf::Resource> parse(const std::string& yaml) {
  std::vector<conf::Resource> out;
  for (auto& d : conf::parse_documents(yaml, "bench")) {
    for (const auto& e : d.errors) fmt::print(stderr, "{}\n", e.str());
    out.insert(out.end(), d.resources.begin(), d.resources.end());
  }
  return out;
}

inline bool enter(const std::string& ns) {
  int fd = ::open(("/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = ::setns(fd, CLONE_NEWNET) == 0;
  ::close(fd);
  return ok;
}

}  // namespace podnet::bench
