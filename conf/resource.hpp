// Resources as users write them: parsing YAML (and JSON) documents into validated, defaulted,
// canonical documents; the canonical YAML the datastore stores and `podnetctl get -o yaml`
// prints; decoding stored values back.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "conf/kinds.hpp"
#include "conf/result.hpp"

namespace podnet::conf {

struct Resource {
  const KindInfo* kind = nullptr;
  nlohmann::ordered_json
      doc;  // whole canonical document: apiVersion, kind, metadata, spec[, status]
  std::string name() const;
  std::string ns() const;   // "" for cluster-scoped kinds
  std::string key() const;  // datastore key: "<plural>/<name>" or "<plural>/<ns>/<name>"
};

struct Diagnostic {          // a precise error
  std::string source;        // file name or "<stdin>"
  int line = 0, column = 0;  // 1-based; 0 if unknown
  std::string message;       // names the document (kind/name when known) and the field path, e.g.
                             // "IPPool 'pool-a': spec.blockSize: 40 is out of range 20-32"
  std::string str() const;   // "source:line:col: message"
};

struct DocumentResult {
  int index = 0;            // 0-based position in the stream
  int line = 0;             // 1-based line where the document starts
  std::string description;  // "IPPool default-ipv4-ippool", or "document 3" if unknown
  std::vector<Resource>
      resources;                   // validated + defaulted; Installation gives itself + its IPPools
  std::vector<Diagnostic> errors;  // non-empty => the whole document is rejected, resources empty
};

// Multi-document YAML ("---"), also `kind: List` / `*List` with `items`. Never throws. Each
// document is parsed on its own, so a syntax error in one does not hide the others.
std::vector<DocumentResult> parse_documents(std::string_view text, std::string_view source);

// Validate + default one JSON document (used after a JSON merge patch). Errors as Diagnostic text
// (one per line).
Result<Resource> parse_resource(const nlohmann::json& doc, std::string_view source);

// Canonical YAML as stored in the datastore and printed by `get -o yaml`. Block style, keys in
// the order users write them (apiVersion, kind, metadata, spec, status).
std::string to_yaml(const Resource& r);
// The same writer for any JSON value (podnetctl's `-o yaml` of lists, for instance).
std::string to_yaml(const nlohmann::ordered_json& value);

// Decode a stored value; sets metadata.resourceVersion to the decimal mod_revision.
Result<Resource> decode_stored(std::string_view yaml, int64_t mod_revision);

// For creates: set metadata.uid (random UUID v4) and creationTimestamp (RFC 3339, UTC) if absent,
// and drop metadata.resourceVersion (the store owns it).
void stamp_new(Resource& r);

}  // namespace podnet::conf
