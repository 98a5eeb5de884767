// patch and label: read-modify-write of one resource through resource_ops' CAS loop, so two
// podnetctl processes patching the same resource at once both land.
#include <cctype>
#include <optional>
#include <ostream>

#include <fmt/format.h>

#include "cli/cmd_common.hpp"
#include "cli/commands.hpp"
#include "ipam-sync/resource_ops.hpp"

namespace podnet::cli {

namespace {

int report(const Result<conf::Resource>& res, const std::string& key, Io io) {
  if (res) return kOk;
  if (res.error().code == Errc::not_found) {
    io.err << "resource does not exist: " << key << "\n";
    return kNotFound;
  }
  io.err << "podnetctl: " << res.error().message << "\n";
  return exit_code_for(res.error());
}

}  // namespace

int cmd_patch(const Globals& g, const PatchArgs& a, Io io) {
  auto kind = resolve_kind(a.kind);
  if (!kind) {
    io.err << "podnetctl: " << kind.error().message << "\n";
    return kBadInput;
  }
  if (a.type != "merge" && a.type != "strategic" && a.type != "json") {
    io.err << "podnetctl: --type must be merge, strategic or json, not '" << a.type << "'\n";
    return kBadInput;
  }
  nlohmann::json patch = nlohmann::json::parse(a.patch, nullptr, false);
  if (patch.is_discarded()) {
    io.err << "podnetctl: the patch is not valid JSON: " << a.patch << "\n";
    return kBadInput;
  }
  if (a.type == "json" && !patch.is_array()) {
    io.err << "podnetctl: a JSON patch (--type=json) is an array of operations\n";
    return kBadInput;
  }
  auto ds = open_store(g);
  if (!ds) {
    io.err << "podnetctl: datastore " << g.datastore << ": " << ds.error().message << "\n";
    return kNotFound;
  }
  const std::string key = store::make_key(**kind, effective_namespace(**kind, a.ns), a.name);
  auto res = store::modify(**ds, key, [&](nlohmann::json& doc) -> Status {
    if (a.type == "json") {
      try {
        doc = doc.patch(patch);
      } catch (const nlohmann::json::exception& e) {
        return make_error(Errc::invalid, fmt::format("JSON patch does not apply: {}", e.what()));
      }
    } else {
      // Strategic merge is Kubernetes-only machinery; for these resources a JSON merge patch
      // (RFC 7386) gives the same result for maps, and replaces lists, as calicoctl does.
      doc.merge_patch(patch);
    }
    return ok_status();
  });
  if (int rc = report(res, key, io); rc != kOk) return rc;
  io.out << fmt::format("Successfully patched 1 '{}' resource\n", (*kind)->kind);
  return kOk;
}

int cmd_label(const Globals& g, const LabelArgs& a, Io io) {
  auto kind = resolve_kind(a.kind);
  if (!kind) {
    io.err << "podnetctl: " << kind.error().message << "\n";
    return kBadInput;
  }
  struct Change {
    std::string key;
    std::optional<std::string> value;  // nullopt: remove
  };
  std::vector<Change> changes;
  for (const auto& c : a.changes) {
    if (auto eq = c.find('='); eq != std::string::npos && eq > 0) {
      changes.push_back({c.substr(0, eq), c.substr(eq + 1)});
    } else if (c.size() > 1 && c.back() == '-') {
      changes.push_back({c.substr(0, c.size() - 1), std::nullopt});
    } else {
      io.err << "podnetctl: '" << c << "': expected key=value or key-\n";
      return kBadInput;
    }
  }
  auto ds = open_store(g);
  if (!ds) {
    io.err << "podnetctl: datastore " << g.datastore << ": " << ds.error().message << "\n";
    return kNotFound;
  }
  const std::string key = store::make_key(**kind, effective_namespace(**kind, a.ns), a.name);
  auto res = store::modify(**ds, key, [&](nlohmann::json& doc) -> Status {
    auto& labels = doc["metadata"]["labels"];
    if (labels.is_null()) labels = nlohmann::json::object();
    for (const auto& ch : changes) {
      if (!ch.value) {
        labels.erase(ch.key);
        continue;
      }
      if (labels.contains(ch.key) && labels[ch.key] != *ch.value && !a.overwrite)
        return make_error(Errc::conflict,
                          fmt::format("'{}' already has a value ({}), and --overwrite is false",
                                      ch.key, labels[ch.key].get<std::string>()));
      labels[ch.key] = *ch.value;
    }
    if (labels.empty()) doc["metadata"].erase("labels");
    return ok_status();
  });
  if (int rc = report(res, key, io); rc != kOk) return rc;
  std::string kind_name = (*kind)->kind;
  for (auto& c : kind_name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  io.out << fmt::format("{}/{} labeled\n", kind_name, a.name);
  return kOk;
}

}  // namespace podnet::cli
