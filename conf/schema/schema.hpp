// A small schema language for the resources: each kind is described as a tree of typed fields
// (with defaults, ranges, enumerations and custom checks) and one generic walker turns the input
// tree into canonical JSON, reporting unknown fields, wrong types and failed checks at the line
// and column where they were written. Describing 20-odd kinds as tables is far less code (and
// far more uniform error reporting) than a hand-written parser per kind.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "conf/schema/input.hpp"

namespace podnet::conf::schema {

using Json = nlohmann::ordered_json;

enum class Type {
  any,      // anything; converted as written
  string,   // a string (a plain 12 or true is a type error, as in Kubernetes' strict decoding)
  integer,  // an integer
  number,   // an integer or a decimal number
  boolean,
  int_or_string,  // Kubernetes IntOrString: a plain integer stays a number, anything else a string
  list,
  map,     // string keys, values of one type
  object,  // named fields
};

// A custom check: "" when fine, otherwise the reason.
using Check = std::function<std::string(const Json&)>;

struct Spec;
using SpecPtr = std::shared_ptr<const Spec>;

struct Field {
  std::string name;
  SpecPtr spec;
};

struct Spec {
  Type type = Type::any;
  std::vector<Field> fields;  // object
  bool open = false;          // object: unknown fields are kept rather than rejected
  SpecPtr elem;               // list element / map value
  Check key_check;            // map keys
  std::vector<Check> checks;
  std::optional<Json> default_value;
  bool required = false;
  bool always = false;    // object: created (so its defaults apply) when absent
  bool nullable = false;  // list element: null is kept as null (IPAMBlock allocations)
  std::optional<std::pair<int64_t, int64_t>> range;
  std::vector<std::string> one_of;
  std::function<Json(const Json&)> normalize;  // canonical form, after the checks passed
};

// Fluent construction; every modifier returns a copy, so shared sub-schemas stay intact.
class S {
 public:
  explicit S(Type t);
  S(SpecPtr p) : p_(std::move(p)) {}  // NOLINT: implicit by design
  S req() const;
  S def(Json v) const;
  S range(int64_t lo, int64_t hi) const;
  S oneof(std::vector<std::string> values) const;
  S check(Check c) const;
  S always() const;
  S open() const;
  S nullable() const;
  S normalize(std::function<Json(const Json&)> f) const;
  operator SpecPtr() const { return p_; }  // NOLINT
  const Spec& operator*() const { return *p_; }

 private:
  std::shared_ptr<Spec> clone() const;
  SpecPtr p_;
};

S any();
S str();
S integer();
S number();
S boolean();
S int_or_str();
S list(S elem);
S map(S value, Check key_check = nullptr);
S obj(std::vector<std::pair<std::string, S>> fields);

// One error: where, which field, what.
struct Problem {
  int line = 0, column = 0;
  std::string path;  // "spec.ingress[0].action"
  std::string message;
};

// The state of one walk: problems found and where each path was written (so checks that run
// after the walk, such as cross-field rules, can still point at the right line).
class Walk {
 public:
  Json run(const Input& in, const Spec& spec, const std::string& path);

  void error(const std::string& path, std::string message);  // at path's recorded position
  void error_at(const Input& where, const std::string& path, std::string message);
  const std::vector<Problem>& problems() const { return problems_; }
  // Where path was written ({0, 0} when unknown).
  std::pair<int, int> position(const std::string& path) const;
  bool ok() const { return problems_.empty(); }

 private:
  struct Pos {
    int line, column;
  };
  Json scalar(const Input& in, const Spec& spec, const std::string& path);
  std::vector<Problem> problems_;
  std::map<std::string, Pos> positions_;
};

// "a.b" + "c" = "a.b.c"; index paths "a[0]".
std::string join(const std::string& path, const std::string& field);
std::string index(const std::string& path, size_t i);

}  // namespace podnet::conf::schema
