#include "conf/resource.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <ctime>
#include <random>

#include "conf/schema/common.hpp"
#include "conf/schema/input.hpp"

namespace podnet::conf {

using schema::Input;
using schema::Json;

std::string Resource::name() const {
  const Json* n = schema::at(doc, {"metadata", "name"});
  return n && n->is_string() ? n->get<std::string>() : "";
}

std::string Resource::ns() const {
  if (!kind || !kind->namespaced) return "";
  const Json* n = schema::at(doc, {"metadata", "namespace"});
  return n && n->is_string() ? n->get<std::string>() : "default";
}

std::string Resource::key() const {
  if (!kind) return name();
  return kind->namespaced ? fmt::format("{}/{}/{}", kind->plural, ns(), name())
                          : fmt::format("{}/{}", kind->plural, name());
}

std::string Diagnostic::str() const {
  return fmt::format("{}:{}:{}: {}", source, line, column, message);
}

namespace {

struct Chunk {
  int first_line = 0;  // 0-based line of the chunk's first line in the stream
  std::string text;
};

bool is_content_line(std::string_view l) {
  auto p = l.find_first_not_of(" \t\r");
  return p != std::string_view::npos && l[p] != '#';
}

// Splits a stream at "---" / "..." lines so each document parses (and fails) on its own.
std::vector<Chunk> split_documents(std::string_view text) {
  std::vector<Chunk> chunks(1);
  int line_no = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    std::string_view line =
        text.substr(pos, eol == std::string_view::npos ? text.size() - pos : eol - pos);
    bool sep = line.substr(0, 3) == "---" &&
               (line.size() == 3 || line[3] == ' ' || line[3] == '\t' || line[3] == '\r');
    bool end =
        line.substr(0, 3) == "..." && (line.size() == 3 || line[3] == ' ' || line[3] == '\r');
    if (sep || end) {
      chunks.push_back(Chunk{line_no, ""});
      if (sep) {
        // Content after the marker ("--- {a: 1}") belongs to the new document; keep its columns.
        std::string rest(line);
        rest.replace(0, 3, "   ");
        chunks.back().text += rest;
      }
      chunks.back().text += "\n";
    } else {
      chunks.back().text.append(line);
      chunks.back().text += "\n";
    }
    if (eol == std::string_view::npos) break;
    pos = eol + 1;
    ++line_no;
  }
  std::vector<Chunk> out;
  for (auto& c : chunks) {
    std::string_view t = c.text;
    bool content = false;
    size_t p = 0;
    while (p < t.size()) {
      size_t e = t.find('\n', p);
      if (is_content_line(
              t.substr(p, e == std::string_view::npos ? std::string_view::npos : e - p)))
        content = true;
      if (e == std::string_view::npos) break;
      p = e + 1;
    }
    if (content) out.push_back(std::move(c));
  }
  return out;
}

int first_content_line(const Chunk& c) {
  std::string_view t = c.text;
  int n = c.first_line;
  size_t p = 0;
  while (p < t.size()) {
    size_t e = t.find('\n', p);
    if (is_content_line(t.substr(p, e == std::string_view::npos ? std::string_view::npos : e - p)))
      return n + 1;
    if (e == std::string_view::npos) break;
    p = e + 1;
    ++n;
  }
  return c.first_line + 1;
}

std::string scalar_at(const Input& in, std::initializer_list<const char*> path) {
  const Input* cur = &in;
  for (const char* p : path) {
    if (cur->kind != Input::Kind::map) return "";
    cur = cur->find(p);
    if (!cur) return "";
  }
  return cur->kind == Input::Kind::scalar ? cur->text : "";
}

void set_position(Input& in, int line, int column) {
  in.line = line;
  in.column = column;
  for (auto& i : in.items) set_position(i, line, column);
  for (auto& [k, v] : in.entries) {
    set_position(k, line, column);
    set_position(v, line, column);
  }
}

// Validates one resource; appends to `out` or to `errors`.
void validate_one(const Input& in, std::string_view source, const std::string& fallback_label,
                  std::vector<Resource>& out, std::vector<Diagnostic>& errors) {
  auto fail = [&](const Input& where, const std::string& msg) {
    errors.push_back(Diagnostic{std::string(source), where.line, where.column, msg});
  };
  if (in.kind != Input::Kind::map) {
    fail(in, fallback_label + ": expected a map with apiVersion, kind and metadata");
    return;
  }
  const Input* api = in.find("apiVersion");
  const Input* kind = in.find("kind");
  if (!api || api->kind != Input::Kind::scalar) {
    fail(api ? *api : in, fallback_label + ": apiVersion: " +
                              (api ? "expected a string" : "required field is missing"));
    return;
  }
  if (!kind || kind->kind != Input::Kind::scalar) {
    fail(kind ? *kind : in,
         fallback_label + ": kind: " + (kind ? "expected a string" : "required field is missing"));
    return;
  }
  const KindInfo* k = find_kind(api->text, kind->text);
  if (!k) {
    const KindInfo* other = nullptr;
    for (const auto& cand : all_kinds())
      if (cand.kind == kind->text) other = &cand;
    if (other)
      fail(*api, fmt::format("{}: apiVersion: {} is {}, not {}", fallback_label, kind->text,
                             other->api_version, api->text));
    else
      fail(*kind, fmt::format("{}: kind: unknown kind \"{}\" ({})", fallback_label, kind->text,
                              api->text));
    return;
  }
  std::string name = scalar_at(in, {"metadata", "name"});
  std::string label = name.empty() ? k->kind + " (unnamed)" : fmt::format("{} '{}'", k->kind, name);

  const schema::KindSchema& ks = schema::kind_schema(*k);
  schema::Walk w;
  Json doc = w.run(in, *ks.document, "");
  if (w.ok()) {
    doc["apiVersion"] = k->api_version;
    doc["kind"] = k->kind;
    if (ks.finish) ks.finish(doc, w);
  }
  if (!w.ok()) {
    for (const auto& p : w.problems())
      errors.push_back(Diagnostic{std::string(source), p.line, p.column,
                                  p.path.empty()
                                      ? fmt::format("{}: {}", label, p.message)
                                      : fmt::format("{}: {}: {}", label, p.path, p.message)});
    return;
  }
  schema::order_like(doc, *ks.document);
  for (const auto& f : ks.document->fields)
    if (f.name == "metadata") schema::order_like(doc["metadata"], *f.spec);
  out.push_back(Resource{k, std::move(doc)});

  if (k->plural == "installations") {
    const Json installation = out.back().doc;
    auto pools = schema::installation_ippools(installation);
    for (size_t i = 0; i < pools.size(); ++i) {
      Input pin = schema::from_json(pools[i]);
      auto [line, col] = w.position(schema::index("spec.calicoNetwork.ipPools", i));
      set_position(pin, line, col);
      validate_one(pin, source, label + fmt::format(" ipPools[{}]", i), out, errors);
    }
  }
}

std::string describe(const std::vector<Resource>& rs) {
  if (rs.empty()) return "";
  const Resource& r = rs.front();
  std::string d = r.kind->namespaced ? fmt::format("{} {}/{}", r.kind->kind, r.ns(), r.name())
                                     : fmt::format("{} {}", r.kind->kind, r.name());
  return d;
}

DocumentResult process(const Input& in, std::string_view source, int index, int line) {
  DocumentResult res;
  res.index = index;
  res.line = line;
  std::string fallback = fmt::format("document {}", index + 1);
  std::string kind = in.kind == Input::Kind::map ? scalar_at(in, {"kind"}) : "";
  const Input* items = in.kind == Input::Kind::map ? in.find("items") : nullptr;
  bool is_list = kind.size() >= 4 && kind.compare(kind.size() - 4, 4, "List") == 0 &&
                 (kind == "List" || !find_kind(scalar_at(in, {"apiVersion"}), kind));
  if (is_list) {
    if (!items || (items->kind != Input::Kind::seq && items->kind != Input::Kind::null)) {
      res.errors.push_back(Diagnostic{std::string(source), in.line, in.column,
                                      fallback + ": " + kind + ": items: expected a list"});
    } else {
      std::string item_kind = kind == "List" ? "" : kind.substr(0, kind.size() - 4);
      std::string api = scalar_at(in, {"apiVersion"});
      for (size_t i = 0; i < items->items.size(); ++i) {
        Input item = items->items[i];
        // A typed list (IPPoolList) lets its items leave out apiVersion and kind.
        if (!item_kind.empty() && item.kind == Input::Kind::map) {
          for (auto [field, value] : {std::pair{"apiVersion", api}, std::pair{"kind", item_kind}}) {
            if (item.find(field)) continue;
            Input key, val;
            key.kind = val.kind = Input::Kind::scalar;
            key.text = field;
            val.text = value;
            key.line = val.line = item.line;
            key.column = val.column = item.column;
            item.entries.insert(item.entries.begin(), {key, val});
          }
        }
        validate_one(item, source, fmt::format("{} items[{}]", fallback, i), res.resources,
                     res.errors);
      }
      res.description = fmt::format("{} of {} resources", kind, items->items.size());
    }
  } else {
    validate_one(in, source, fallback, res.resources, res.errors);
    res.description = describe(res.resources);
    if (res.description.empty()) {
      std::string name = in.kind == Input::Kind::map ? scalar_at(in, {"metadata", "name"}) : "";
      res.description = !kind.empty() && !name.empty() ? kind + " " + name : fallback;
    }
  }
  if (!res.errors.empty()) res.resources.clear();
  return res;
}

}  // namespace

std::vector<DocumentResult> parse_documents(std::string_view text, std::string_view source) {
  std::vector<DocumentResult> out;
  int index = 0;
  for (const Chunk& c : split_documents(text)) {
    int line = first_content_line(c);
    try {
      YAML::Node n = YAML::Load(c.text);
      out.push_back(process(schema::from_yaml(n, c.first_line), source, index, line));
    } catch (const YAML::Exception& e) {
      DocumentResult r;
      r.index = index;
      r.line = line;
      r.description = fmt::format("document {}", index + 1);
      r.errors.push_back(
          Diagnostic{std::string(source), c.first_line + e.mark.line + 1, e.mark.column + 1,
                     fmt::format("document {}: YAML syntax error: {}", index + 1, e.msg)});
      out.push_back(std::move(r));
    } catch (const std::exception& e) {
      DocumentResult r;
      r.index = index;
      r.line = line;
      r.description = fmt::format("document {}", index + 1);
      r.errors.push_back(Diagnostic{std::string(source), line, 1,
                                    fmt::format("document {}: {}", index + 1, e.what())});
      out.push_back(std::move(r));
    }
    ++index;
  }
  return out;
}

namespace {
Result<Resource> single(DocumentResult d) {
  if (!d.errors.empty()) {
    std::string msg;
    for (const auto& e : d.errors) msg += (msg.empty() ? "" : "\n") + e.str();
    return make_error(Errc::invalid, msg);
  }
  if (d.resources.empty()) return make_error(Errc::invalid, "no resource in document");
  return std::move(d.resources.front());
}
}  // namespace

Result<Resource> parse_resource(const nlohmann::json& doc, std::string_view source) {
  try {
    return single(process(schema::from_json(doc), source, 0, 1));
  } catch (const std::exception& e) {
    return make_error(Errc::invalid, fmt::format("{}: {}", source, e.what()));
  }
}

Result<Resource> decode_stored(std::string_view yaml, int64_t mod_revision) {
  auto docs = parse_documents(yaml, "<datastore>");
  if (docs.size() != 1)
    return make_error(Errc::invalid, fmt::format("stored value holds {} documents", docs.size()));
  auto r = single(std::move(docs.front()));
  if (!r) return r;
  r->doc["metadata"]["resourceVersion"] = std::to_string(mod_revision);
  const auto& ks = schema::kind_schema(*r->kind);
  for (const auto& f : ks.document->fields)
    if (f.name == "metadata") schema::order_like(r->doc["metadata"], *f.spec);
  return r;
}

void stamp_new(Resource& r) {
  Json& meta = r.doc["metadata"];
  if (!meta.contains("uid")) {
    static thread_local std::mt19937_64 rng{std::random_device{}()};
    uint64_t hi = rng(), lo = rng();
    hi = (hi & ~0xf000ULL) | 0x4000ULL;              // version 4
    lo = (lo & ~(0xc0ULL << 56)) | (0x80ULL << 56);  // variant 10
    meta["uid"] = fmt::format("{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", hi >> 32, (hi >> 16) & 0xffff,
                              hi & 0xffff, lo >> 48, lo & 0xffffffffffffULL);
  }
  if (!meta.contains("creationTimestamp")) {
    std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    meta["creationTimestamp"] = buf;
  }
  meta.erase("resourceVersion");
  if (r.kind) {
    const auto& ks = schema::kind_schema(*r.kind);
    for (const auto& f : ks.document->fields)
      if (f.name == "metadata") schema::order_like(meta, *f.spec);
  }
}

}  // namespace podnet::conf
