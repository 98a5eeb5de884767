// The input tree the schema walker reads: a YAML node or a JSON value reduced to what
// validation needs (kind, scalar text, whether the scalar was quoted, and where it was written),
// so one walker serves `apply -f file.yaml` and JSON merge patches alike.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>
#include <nlohmann/json.hpp>

namespace podnet::conf::schema {

struct Input {
  enum class Kind { null, scalar, seq, map };
  Kind kind = Kind::null;
  std::string text;          // scalar text
  bool quoted = false;       // quoted / explicitly tagged !!str: always a string
  int line = 0, column = 0;  // 1-based; 0 when unknown (JSON input)
  std::vector<Input> items;  // seq
  std::vector<std::pair<Input, Input>> entries;  // map: key, value

  const Input* find(std::string_view key) const;
};

// line_offset is added to yaml-cpp's 0-based line (a document's position in a stream).
Input from_yaml(const YAML::Node& n, int line_offset);
Input from_json(const nlohmann::json& j);

// How an unquoted YAML scalar resolves (YAML 1.2 core schema).
enum class Scalar { null, boolean, integer, floating, string };
Scalar resolve(const Input& in);
const char* scalar_type_name(Scalar s);

// Plain conversion without a schema (for pass-through fields).
nlohmann::ordered_json to_json(const Input& in);

}  // namespace podnet::conf::schema
