// apply / create / replace / delete: documents in, datastore writes out. A bad document is
// rejected alone; every other document of the file is still written, and the output says which.
#include <map>
#include <ostream>

#include <fmt/format.h>

#include "cli/cmd_common.hpp"
#include "cli/commands.hpp"
#include "conf/resource.hpp"
#include "ipam-sync/resource_ops.hpp"

namespace podnet::cli {

namespace {

const char* past_tense(Verb v) {
  switch (v) {
    case Verb::apply:
      return "applied";
    case Verb::create:
      return "created";
    case Verb::replace:
      return "replaced";
  }
  return "written";
}

std::string describe(const conf::Resource& r) {
  return r.ns().empty() ? fmt::format("{} {}", display_kind(*r.kind), r.name())
                        : fmt::format("{} {}/{}", display_kind(*r.kind), r.ns(), r.name());
}

}  // namespace

int cmd_write(const Globals& g, Verb verb, const FileArgs& a, Io io) {
  auto text = read_input(a.file, io.in);
  if (!text) {
    io.err << "podnetctl: " << text.error().message << "\n";
    return kBadInput;
  }
  auto docs = conf::parse_documents(*text, source_name(a.file));
  if (docs.empty()) {
    io.err << "podnetctl: no resources found in " << source_name(a.file) << "\n";
    return kBadInput;
  }
  auto ds = open_store(g);
  if (!ds) {
    io.err << "podnetctl: datastore " << g.datastore << ": " << ds.error().message << "\n";
    return kNotFound;
  }
  const store::WriteMode mode = verb == Verb::apply    ? store::WriteMode::apply
                                : verb == Verb::create ? store::WriteMode::create
                                                       : store::WriteMode::replace;
  int rc = kOk;
  std::size_t written = 0, rejected = 0, failed = 0;
  for (const auto& doc : docs) {
    if (!doc.errors.empty()) {
      ++rejected;
      rc = kBadInput;
      io.err << fmt::format("rejected: document {} ({}), nothing written for it:\n", doc.index + 1,
                            doc.description);
      for (const auto& e : doc.errors) io.err << "  " << e.str() << "\n";
      continue;
    }
    for (const auto& r : doc.resources) {
      auto res = store::write(**ds, r, mode);
      if (!res) {
        ++failed;
        if (rc == kOk) rc = exit_code_for(res.error());
        io.err << fmt::format("failed: document {} ({}): {}\n", doc.index + 1, describe(r),
                              res.error().message);
        continue;
      }
      ++written;
      io.out << fmt::format("{}: {} (resourceVersion {})\n", past_tense(verb), describe(*res),
                            res->doc["metadata"].value("resourceVersion", std::string()));
    }
  }
  std::string summary = fmt::format("Successfully {} {} resource(s)", past_tense(verb), written);
  if (rejected) summary += fmt::format("; {} document(s) rejected", rejected);
  if (failed) summary += fmt::format("; {} resource(s) failed", failed);
  (rc == kOk ? io.out : io.err) << summary << "\n";
  return rc;
}

int cmd_delete(const Globals& g, const DeleteArgs& a, Io io) {
  std::vector<std::pair<std::string, std::string>> targets;  // key, description
  if (!a.file.empty()) {
    if (!a.kind.empty()) {
      io.err << "podnetctl: delete takes either -f FILE or KIND NAME, not both\n";
      return kBadInput;
    }
    auto text = read_input(a.file, io.in);
    if (!text) {
      io.err << "podnetctl: " << text.error().message << "\n";
      return kBadInput;
    }
    for (const auto& doc : conf::parse_documents(*text, source_name(a.file))) {
      if (!doc.errors.empty()) {
        io.err << fmt::format("rejected: document {} ({}):\n", doc.index + 1, doc.description);
        for (const auto& e : doc.errors) io.err << "  " << e.str() << "\n";
        return kBadInput;  // delete nothing when the file names things we cannot read
      }
      for (const auto& r : doc.resources)
        targets.emplace_back(r.key(), fmt::format("{} {}", display_kind(*r.kind), r.name()));
    }
  } else {
    if (a.kind.empty() || a.name.empty()) {
      io.err << "podnetctl: delete needs KIND NAME or -f FILE\n";
      return kBadInput;
    }
    auto kind = resolve_kind(a.kind);
    if (!kind) {
      io.err << "podnetctl: " << kind.error().message << "\n";
      return kBadInput;
    }
    std::string ns = effective_namespace(**kind, a.ns);
    targets.emplace_back(store::make_key(**kind, ns, a.name),
                         fmt::format("{} {}", display_kind(**kind), a.name));
  }
  auto ds = open_store(g);
  if (!ds) {
    io.err << "podnetctl: datastore " << g.datastore << ": " << ds.error().message << "\n";
    return kNotFound;
  }
  int rc = kOk;
  std::size_t deleted = 0;
  for (const auto& [key, what] : targets) {
    auto res = (*ds)->remove(key, 0);
    if (res) {
      ++deleted;
      io.out << "deleted: " << what << "\n";
    } else if (res.error().code == Errc::not_found && a.ignore_not_found) {
      continue;
    } else {
      if (rc == kOk) rc = exit_code_for(res.error());
      io.err << fmt::format(
          "failed: {}: {}\n", what,
          res.error().code == Errc::not_found ? "resource does not exist" : res.error().message);
    }
  }
  (rc == kOk ? io.out : io.err) << fmt::format("Successfully deleted {} resource(s)\n", deleted);
  return rc;
}

}  // namespace podnet::cli
