// The canonical YAML writer: block style, kubectl's layout (list items at their key's
// indentation), keys in document order, strings quoted only when a YAML reader would otherwise
// take them for something else. Our own writer rather than YAML::Emitter so the output is fixed
// by this file, not by the yaml-cpp version installed.
#include <algorithm>
#include <cctype>
#include <string>

#include "conf/resource.hpp"
#include "conf/schema/input.hpp"

namespace podnet::conf {
namespace {

using Json = nlohmann::ordered_json;

bool needs_quotes(const std::string& s) {
  if (s.empty()) return true;
  schema::Input probe;
  probe.kind = schema::Input::Kind::scalar;
  probe.text = s;
  if (schema::resolve(probe) != schema::Scalar::string) return true;
  // YAML 1.1 readers (go-yaml v2, PyYAML) also take these for booleans.
  static const char* yaml11[] = {"y",  "Y",  "yes", "Yes", "YES", "n",   "N",   "no", "No",
                                 "NO", "on", "On",  "ON",  "off", "Off", "OFF", "=",  "<<"};
  for (const char* w : yaml11)
    if (s == w) return true;
  // YAML 1.1 sexagesimal integers ("30000:32767") and timestamps ("2020-10-20T23:33:09Z").
  if (std::isdigit(static_cast<unsigned char>(s.front())) &&
      s.find_first_not_of("0123456789:_") == std::string::npos)
    return true;
  if (s.size() >= 8 && std::isdigit(static_cast<unsigned char>(s[0])) && s[4] == '-' &&
      s.find_first_not_of("0123456789-:TtZz.+ ") == std::string::npos)
    return true;
  const std::string indicators = "-?:,[]{}#&*!|>'\"%@`";
  if (indicators.find(s.front()) != std::string::npos || s.front() == ' ' || s.back() == ' ' ||
      s.back() == ':')
    return true;
  if (s.find(": ") != std::string::npos || s.find(" #") != std::string::npos) return true;
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f) return true;
  return false;
}

std::string scalar(const Json& v) {
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    if (!needs_quotes(s)) return s;
    // JSON inside annotations reads better single-quoted, as kubectl writes it.
    bool plain_chars =
        std::all_of(s.begin(), s.end(), [](unsigned char c) { return c >= 0x20 && c != 0x7f; });
    if (plain_chars && s.find('"') != std::string::npos && s.find('\'') == std::string::npos)
      return "'" + s + "'";
    return v.dump();  // a JSON string is a valid double-quoted YAML scalar
  }
  if (v.is_null()) return "null";
  return v.dump();
}

bool inline_value(const Json& v) {
  return !(v.is_object() || v.is_array()) || v.empty();
}

std::string inline_text(const Json& v) {
  if (v.is_object()) return "{}";
  if (v.is_array()) return "[]";
  return scalar(v);
}

void write(const Json& v, int indent, bool first_inline, std::string& out);

void write_object(const Json& o, int indent, bool first_inline, std::string& out) {
  bool first = true;
  for (const auto& [k, v] : o.items()) {
    if (!(first && first_inline)) out.append(indent, ' ');
    first = false;
    out += needs_quotes(k) ? Json(k).dump() : k;
    out += ":";
    if (inline_value(v)) {
      out += " " + inline_text(v) + "\n";
    } else {
      out += "\n";
      write(v, v.is_array() ? indent : indent + 2, false, out);
    }
  }
}

void write_array(const Json& a, int indent, bool first_inline, std::string& out) {
  bool first = true;
  for (const auto& item : a) {
    if (!(first && first_inline)) out.append(indent, ' ');
    first = false;
    out += "-";
    if (inline_value(item)) {
      out += " " + inline_text(item) + "\n";
    } else {
      out += " ";
      write(item, indent + 2, true, out);
    }
  }
}

void write(const Json& v, int indent, bool first_inline, std::string& out) {
  if (v.is_object())
    write_object(v, indent, first_inline, out);
  else if (v.is_array())
    write_array(v, indent, first_inline, out);
  else
    out += scalar(v) + "\n";
}

}  // namespace

std::string to_yaml(const nlohmann::ordered_json& value) {
  std::string out;
  if (inline_value(value))
    out = inline_text(value) + "\n";
  else
    write(value, 0, false, out);
  return out;
}

std::string to_yaml(const Resource& r) {
  return to_yaml(r.doc);
}

}  // namespace podnet::conf
