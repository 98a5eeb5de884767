// Reading canonical documents into the typed structs: field(j, "blockSize", out) assigns when the
// key is present and not null, so a struct's own initialisers are the defaults for absent fields.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace podnet::conf::types {

using Json = nlohmann::ordered_json;

// A Kubernetes IntOrString / Calico NumOrString value.
struct IntOrString {
  bool is_int = false;
  int64_t num = 0;
  std::string str;
  std::string text() const { return is_int ? std::to_string(num) : str; }
  bool operator==(const IntOrString&) const = default;
};
void from_json(const Json& j, IntOrString& v);

template <class T>
void read(const Json& j, T& out);
template <class T>
void read(const Json& j, std::optional<T>& out);
template <class T>
void read(const Json& j, std::vector<T>& out);
template <class T>
void read(const Json& j, std::map<std::string, T>& out);

template <class T>
void read(const Json& j, T& out) {
  j.get_to(out);
}
template <class T>
void read(const Json& j, std::optional<T>& out) {
  if (j.is_null()) {
    out.reset();
    return;
  }
  T v{};
  read(j, v);
  out = std::move(v);
}
template <class T>
void read(const Json& j, std::vector<T>& out) {
  out.clear();
  for (const auto& e : j) {
    T v{};
    read(e, v);
    out.push_back(std::move(v));
  }
}
template <class T>
void read(const Json& j, std::map<std::string, T>& out) {
  out.clear();
  for (const auto& [k, e] : j.items()) read(e, out[k]);
}

template <class T>
void field(const Json& j, const char* key, T& out) {
  if (!j.is_object()) return;
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return;
  read(*it, out);
}

// ObjectMeta: the fields podnet uses.
struct ObjectMeta {
  std::string name;
  std::string namespace_;  // "" for cluster-scoped kinds
  std::string uid;
  std::string resource_version;
  std::string creation_timestamp;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
};
void from_json(const Json& j, ObjectMeta& m);

// A Kubernetes secret reference (BGP passwords).
struct SecretKeyRef {
  std::string name;
  std::string key;
  bool optional = false;
};
void from_json(const Json& j, SecretKeyRef& r);
// {secretKeyRef: {...}}
struct SecretSource {
  std::optional<SecretKeyRef> secret_key_ref;
};
void from_json(const Json& j, SecretSource& s);

}  // namespace podnet::conf::types
