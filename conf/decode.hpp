// Typed views of resources: decode<IPPool>(r) and friends, for the modules that act on them.
#pragma once

#include <fmt/format.h>

#include <string>

#include "conf/resource.hpp"
#include "conf/result.hpp"
#include "conf/types/ipam.hpp"
#include "conf/types/k8s.hpp"
#include "conf/types/policy.hpp"
#include "conf/types/routing.hpp"

namespace podnet::conf {

// T is one of the structs in conf/types (each names its kind by T::kPlural). Fails if the
// resource is of another kind or its document does not have T's shape (it always has after
// parse_documents / parse_resource / decode_stored).
template <class T>
Result<T> decode(const Resource& r) {
  if (!r.kind || r.kind->plural != T::kPlural)
    return make_error(Errc::invalid, fmt::format("{} is not a {}", r.key(), T::kPlural));
  try {
    T out{};
    from_json(r.doc, out);
    return out;
  } catch (const std::exception& e) {
    return make_error(Errc::invalid, fmt::format("{}: {}", r.key(), e.what()));
  }
}

}  // namespace podnet::conf
