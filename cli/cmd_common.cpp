#include "cli/cmd_common.hpp"

#include <cctype>
#include <fstream>
#include <iostream>
#include <sstream>

#include <fmt/format.h>

#include "cli/commands.hpp"

namespace podnet::cli {

Result<std::unique_ptr<store::Datastore>> open_store(const Globals& g) {
  return store::open_datastore(g.datastore);
}

Result<std::string> read_input(const std::string& file, std::istream& in) {
  std::ostringstream text;
  if (file == "-") {
    text << in.rdbuf();
    return text.str();
  }
  std::ifstream f(file, std::ios::binary);
  if (!f) return make_error(Errc::invalid, fmt::format("cannot read {}", file));
  text << f.rdbuf();
  return text.str();
}

std::string source_name(const std::string& file) {
  return file == "-" ? "<stdin>" : file;
}

namespace {
std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}
std::string api_group(const conf::KindInfo& k) {
  auto slash = k.api_version.find('/');
  return slash == std::string::npos ? "" : k.api_version.substr(0, slash);
}
}  // namespace

std::string display_kind(const conf::KindInfo& kind) {
  std::string group = api_group(kind);
  if (group.empty() || group == "projectcalico.org") return kind.kind;
  return kind.kind + "." + group;
}

Result<const conf::KindInfo*> resolve_kind(const std::string& name) {
  if (const auto* k = conf::find_kind(name)) return k;
  for (const auto& k : conf::all_kinds()) {
    std::string group = api_group(k);
    if (!group.empty() && lower(name) == lower(k.kind + "." + group)) return &k;
  }
  return make_error(Errc::invalid, fmt::format("unknown resource kind '{}'", name));
}

std::string effective_namespace(const conf::KindInfo& kind, const std::string& ns) {
  if (!kind.namespaced) return "";
  return ns.empty() ? "default" : ns;
}

int exit_code_for(const Error& e) {
  switch (e.code) {
    case Errc::invalid:
      return kBadInput;
    default:
      return kNotFound;
  }
}

}  // namespace podnet::cli
