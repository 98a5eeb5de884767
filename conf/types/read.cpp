#include "conf/types/read.hpp"

namespace podnet::conf::types {

void from_json(const Json& j, IntOrString& v) {
  if (j.is_number_integer()) {
    v.is_int = true;
    v.num = j.get<int64_t>();
    v.str.clear();
  } else {
    v.is_int = false;
    v.str = j.is_string() ? j.get<std::string>() : j.dump();
  }
}

void from_json(const Json& j, ObjectMeta& m) {
  field(j, "name", m.name);
  field(j, "namespace", m.namespace_);
  field(j, "uid", m.uid);
  field(j, "resourceVersion", m.resource_version);
  field(j, "creationTimestamp", m.creation_timestamp);
  field(j, "labels", m.labels);
  field(j, "annotations", m.annotations);
}

void from_json(const Json& j, SecretKeyRef& r) {
  field(j, "name", r.name);
  field(j, "key", r.key);
  field(j, "optional", r.optional);
}

void from_json(const Json& j, SecretSource& s) {
  field(j, "secretKeyRef", s.secret_key_ref);
}

}  // namespace podnet::conf::types
