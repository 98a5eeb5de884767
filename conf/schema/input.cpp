#include "conf/schema/input.hpp"

#include <cstdlib>
#include <regex>

namespace podnet::conf::schema {

const Input* Input::find(std::string_view key) const {
  for (const auto& [k, v] : entries)
    if (k.text == key) return &v;
  return nullptr;
}

Input from_yaml(const YAML::Node& n, int line_offset) {
  Input in;
  auto m = n.Mark();
  if (m.line >= 0) {
    in.line = m.line + 1 + line_offset;
    in.column = m.column + 1;
  }
  switch (n.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      in.kind = Input::Kind::null;
      break;
    case YAML::NodeType::Scalar: {
      in.kind = Input::Kind::scalar;
      in.text = n.Scalar();
      const std::string& tag = n.Tag();
      in.quoted = tag == "!" || tag == "tag:yaml.org,2002:str";
      break;
    }
    case YAML::NodeType::Sequence:
      in.kind = Input::Kind::seq;
      for (const auto& item : n) in.items.push_back(from_yaml(item, line_offset));
      break;
    case YAML::NodeType::Map:
      in.kind = Input::Kind::map;
      for (const auto& kv : n)
        in.entries.emplace_back(from_yaml(kv.first, line_offset),
                                from_yaml(kv.second, line_offset));
      break;
  }
  return in;
}

Input from_json(const nlohmann::json& j) {
  Input in;
  switch (j.type()) {
    case nlohmann::json::value_t::null:
    case nlohmann::json::value_t::discarded:
      in.kind = Input::Kind::null;
      break;
    case nlohmann::json::value_t::string:
      in.kind = Input::Kind::scalar;
      in.text = j.get<std::string>();
      in.quoted = true;
      break;
    case nlohmann::json::value_t::array:
      in.kind = Input::Kind::seq;
      for (const auto& item : j) in.items.push_back(from_json(item));
      break;
    case nlohmann::json::value_t::object:
      in.kind = Input::Kind::map;
      for (const auto& [k, v] : j.items()) {
        Input key;
        key.kind = Input::Kind::scalar;
        key.text = k;
        key.quoted = true;
        in.entries.emplace_back(std::move(key), from_json(v));
      }
      break;
    default:  // numbers, booleans: their JSON text resolves the same way as plain YAML
      in.kind = Input::Kind::scalar;
      in.text = j.dump();
      break;
  }
  return in;
}

Scalar resolve(const Input& in) {
  if (in.kind == Input::Kind::null) return Scalar::null;
  if (in.kind != Input::Kind::scalar) return Scalar::string;  // containers are never null
  if (in.quoted) return Scalar::string;
  const std::string& t = in.text;
  if (t.empty() || t == "~" || t == "null" || t == "Null" || t == "NULL") return Scalar::null;
  if (t == "true" || t == "True" || t == "TRUE" || t == "false" || t == "False" || t == "FALSE")
    return Scalar::boolean;
  static const std::regex int_re("[-+]?[0-9]+|0x[0-9a-fA-F]+|0o[0-7]+");
  static const std::regex float_re(
      "[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?|[-+]?\\.(inf|Inf|INF)|\\.(nan|NaN|"
      "NAN)");
  if (std::regex_match(t, int_re)) return Scalar::integer;
  if (std::regex_match(t, float_re)) return Scalar::floating;
  return Scalar::string;
}

const char* scalar_type_name(Scalar s) {
  switch (s) {
    case Scalar::null:
      return "null";
    case Scalar::boolean:
      return "boolean";
    case Scalar::integer:
      return "integer";
    case Scalar::floating:
      return "number";
    case Scalar::string:
      return "string";
  }
  return "?";
}

nlohmann::ordered_json to_json(const Input& in) {
  using nlohmann::ordered_json;
  switch (in.kind) {
    case Input::Kind::null:
      return nullptr;
    case Input::Kind::seq: {
      ordered_json a = ordered_json::array();
      for (const auto& i : in.items) a.push_back(to_json(i));
      return a;
    }
    case Input::Kind::map: {
      ordered_json o = ordered_json::object();
      for (const auto& [k, v] : in.entries) o[k.text] = to_json(v);
      return o;
    }
    case Input::Kind::scalar:
      break;
  }
  switch (resolve(in)) {
    case Scalar::null:
      return nullptr;
    case Scalar::boolean:
      return in.text[0] == 't' || in.text[0] == 'T';
    case Scalar::integer: {
      const std::string& t = in.text;
      int base = 10;
      std::string digits = t;
      if (t.rfind("0x", 0) == 0) base = 16, digits = t.substr(2);
      if (t.rfind("0o", 0) == 0) base = 8, digits = t.substr(2);
      errno = 0;
      long long v = std::strtoll(digits.c_str(), nullptr, base);
      if (errno == ERANGE) return std::strtod(t.c_str(), nullptr);
      return v;
    }
    case Scalar::floating: {
      const std::string& t = in.text;
      if (t.find("inf") != std::string::npos || t.find("Inf") != std::string::npos ||
          t.find("INF") != std::string::npos)
        return t[0] == '-' ? -HUGE_VAL : HUGE_VAL;
      if (t.find("nan") != std::string::npos || t.find("NaN") != std::string::npos ||
          t.find("NAN") != std::string::npos)
        return std::nan("");
      return std::strtod(t.c_str(), nullptr);
    }
    case Scalar::string:
      return in.text;
  }
  return nullptr;
}

}  // namespace podnet::conf::schema
