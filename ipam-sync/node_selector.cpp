// IPPool nodeSelector with Calico's selector engine (built when the policy module is).
#include <fmt/format.h>

#include "ipam-sync/allocator.hpp"
#include "policy/selector.hpp"

namespace podnet::ipam {

Result<bool> match_node_selector(const std::string& selector, const Labels& node_labels) {
  auto s = policy::Selector::parse(selector);
  if (!s)
    return make_error(Errc::invalid,
                      fmt::format("nodeSelector '{}': {}", selector, s.error().message));
  return s->matches(node_labels);
}

}  // namespace podnet::ipam
