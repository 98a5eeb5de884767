// IPPool nodeSelector without the selector engine (a build without the policy module): all()
// is the only selector that can be answered.
#include <fmt/format.h>

#include "ipam-sync/allocator.hpp"

namespace podnet::ipam {

Result<bool> match_node_selector(const std::string& selector, const Labels&) {
  if (selector.empty() || selector == "all()") return true;
  return make_error(Errc::invalid,
                    fmt::format("nodeSelector '{}' needs the selector engine (policy module), "
                                "which this build does not have; only all() is supported",
                                selector));
}

}  // namespace podnet::ipam
