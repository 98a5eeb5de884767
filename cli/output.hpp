// How `podnetctl get` prints resources: a table (calicoctl's columns, more with -o wide), YAML
// or JSON. One named resource prints as itself; several print as a <Kind>List with items.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "conf/resource.hpp"
#include "conf/result.hpp"

namespace podnet::cli {

enum class Format { table, wide, yaml, json };
Result<Format> parse_format(const std::string& s);

void print_resources(std::ostream& out, const conf::KindInfo& kind,
                     const std::vector<conf::Resource>& items, Format format, bool single,
                     bool show_namespace, int64_t list_revision);

}  // namespace podnet::cli
