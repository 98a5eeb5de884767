// get: one resource or every resource of a kind, as a table, YAML or JSON.
#include <ostream>

#include <fmt/format.h>

#include "cli/cmd_common.hpp"
#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "ipam-sync/resource_ops.hpp"

namespace podnet::cli {

int cmd_get(const Globals& g, const GetArgs& a, Io io) {
  auto kind = resolve_kind(a.kind);
  if (!kind) {
    io.err << "podnetctl: " << kind.error().message << "\n";
    return kBadInput;
  }
  auto format = parse_format(a.output);
  if (!format) {
    io.err << "podnetctl: " << format.error().message << "\n";
    return kBadInput;
  }
  if (a.all_namespaces && !a.name.empty()) {
    io.err << "podnetctl: a resource cannot be named across all namespaces (-A)\n";
    return kBadInput;
  }
  auto ds = open_store(g);
  if (!ds) {
    io.err << "podnetctl: datastore " << g.datastore << ": " << ds.error().message << "\n";
    return kNotFound;
  }
  const auto& k = **kind;
  const std::string ns = a.all_namespaces ? "" : effective_namespace(k, a.ns);
  std::vector<conf::Resource> items;
  if (!a.name.empty()) {
    auto r = store::load(**ds, store::make_key(k, ns, a.name));
    if (!r) {
      if (r.error().code == Errc::not_found) {
        io.err << fmt::format("resource does not exist: {}({}{})\n", k.kind,
                              ns.empty() ? "" : ns + "/", a.name);
        return kNotFound;
      }
      io.err << "podnetctl: " << r.error().message << "\n";
      return exit_code_for(r.error());
    }
    items.push_back(std::move(r.value()));
  } else {
    auto all = store::load_all(**ds, k, ns);
    if (!all) {
      io.err << "podnetctl: " << all.error().message << "\n";
      return exit_code_for(all.error());
    }
    items = std::move(all.value());
  }
  auto rev = (*ds)->revision();
  print_resources(io.out, k, items, *format, !a.name.empty(), k.namespaced && a.all_namespaces,
                  rev ? *rev : 0);
  return kOk;
}

}  // namespace podnet::cli
