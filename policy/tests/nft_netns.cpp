#include "policy/tests/nft_netns.hpp"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

namespace podnet::policy::testing {

ScopedNetns::ScopedNetns(const std::string& name) {
  original_ = ::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  if (original_ < 0) return;
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

}  // namespace podnet::policy::testing
