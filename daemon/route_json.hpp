// `show routes` and `show peers` as JSON: what the control socket answers and podnetctl prints.
// Prefixes and addresses are strings in CIDR / textual form.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "rib/path_attributes.hpp"
#include "rib/route.hpp"

namespace podnet::daemon {

nlohmann::ordered_json attributes_json(const rib::PathAttributes& a);
// "65000 65001 {65002 65003} (65010)": sequences plain, sets in braces, confederation in parens.
std::string as_path_text(const rib::AsPath& p);
std::string kind_name(rib::PeerKind k);

}  // namespace podnet::daemon
