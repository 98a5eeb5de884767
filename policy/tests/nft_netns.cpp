#include "policy/tests/nft_netns.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>

namespace podnet::policy::testing {

ScopedNetns::ScopedNetns(const std::string& name) {
  original_ = ::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  if (original_ < 0) return;
  if (name.empty()) {
    if (::unshare(CLONE_NEWNET) != 0) return;
    ok_ = run("ip link set lo up") == 0;
    return;
  }
  int fd = ::open(("/run/netns/" + name).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  ok_ = ::setns(fd, CLONE_NEWNET) == 0;
  ::close(fd);
}

ScopedNetns::~ScopedNetns() {
  if (original_ >= 0) {
    (void)::setns(original_, CLONE_NEWNET);
    ::close(original_);
  }
}

int run(const std::string& cmd) {
  int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

std::string output(const std::string& cmd) {
  std::string out;
  FILE* f = ::popen(cmd.c_str(), "r");
  if (!f) return out;
  std::array<char, 4096> buf;
  std::size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), f)) > 0) out.append(buf.data(), n);
  ::pclose(f);
  return out;
}

}  // namespace podnet::policy::testing
