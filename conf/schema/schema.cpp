#include "conf/schema/schema.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>

namespace podnet::conf::schema {

S::S(Type t) {
  auto p = std::make_shared<Spec>();
  p->type = t;
  p_ = p;
}

std::shared_ptr<Spec> S::clone() const {
  return std::make_shared<Spec>(*p_);
}

S S::req() const {
  auto c = clone();
  c->required = true;
  return S(SpecPtr(c));
}
S S::def(Json v) const {
  auto c = clone();
  c->default_value = std::move(v);
  return S(SpecPtr(c));
}
S S::range(int64_t lo, int64_t hi) const {
  auto c = clone();
  c->range = {lo, hi};
  return S(SpecPtr(c));
}
S S::oneof(std::vector<std::string> values) const {
  auto c = clone();
  c->one_of = std::move(values);
  return S(SpecPtr(c));
}
S S::check(Check chk) const {
  auto c = clone();
  c->checks.push_back(std::move(chk));
  return S(SpecPtr(c));
}
S S::always() const {
  auto c = clone();
  c->always = true;
  return S(SpecPtr(c));
}
S S::open() const {
  auto c = clone();
  c->open = true;
  return S(SpecPtr(c));
}
S S::nullable() const {
  auto c = clone();
  c->nullable = true;
  return S(SpecPtr(c));
}

S S::normalize(std::function<Json(const Json&)> f) const {
  auto c = clone();
  c->normalize = std::move(f);
  return S(SpecPtr(c));
}

S any() {
  return S(Type::any);
}
S str() {
  return S(Type::string);
}
S integer() {
  return S(Type::integer);
}
S number() {
  return S(Type::number);
}
S boolean() {
  return S(Type::boolean);
}
S int_or_str() {
  return S(Type::int_or_string);
}
S list(S elem) {
  auto p = std::make_shared<Spec>();
  p->type = Type::list;
  p->elem = elem;
  return S(SpecPtr(p));
}
S map(S value, Check key_check) {
  auto p = std::make_shared<Spec>();
  p->type = Type::map;
  p->elem = value;
  p->key_check = std::move(key_check);
  return S(SpecPtr(p));
}
S obj(std::vector<std::pair<std::string, S>> fields) {
  auto p = std::make_shared<Spec>();
  p->type = Type::object;
  for (auto& [name, s] : fields) p->fields.push_back(Field{name, s});
  return S(SpecPtr(p));
}

std::string join(const std::string& path, const std::string& field) {
  return path.empty() ? field : path + "." + field;
}
std::string index(const std::string& path, size_t i) {
  return fmt::format("{}[{}]", path, i);
}

namespace {

const Json kBad = Json(Json::value_t::discarded);

const char* kind_name(const Input& in) {
  switch (in.kind) {
    case Input::Kind::null:
      return "null";
    case Input::Kind::scalar:
      return scalar_type_name(resolve(in));
    case Input::Kind::seq:
      return "a list";
    case Input::Kind::map:
      return "a map";
  }
  return "?";
}

const char* type_name(Type t) {
  switch (t) {
    case Type::any:
      return "a value";
    case Type::string:
      return "a string";
    case Type::integer:
      return "an integer";
    case Type::number:
      return "a number";
    case Type::boolean:
      return "a boolean";
    case Type::int_or_string:
      return "an integer or a string";
    case Type::list:
      return "a list";
    case Type::map:
      return "a map";
    case Type::object:
      return "a map";
  }
  return "?";
}

std::string show(const Json& v) {
  return v.is_string() ? v.get<std::string>() : v.dump();
}

}  // namespace

void Walk::error_at(const Input& where, const std::string& path, std::string message) {
  problems_.push_back(Problem{where.line, where.column, path, std::move(message)});
}

std::pair<int, int> Walk::position(const std::string& path) const {
  auto it = positions_.find(path);
  return it == positions_.end() ? std::pair{0, 0} : std::pair{it->second.line, it->second.column};
}

void Walk::error(const std::string& path, std::string message) {
  // The closest recorded ancestor gives the position (a missing field points at its parent).
  std::string p = path;
  while (true) {
    auto it = positions_.find(p);
    if (it != positions_.end()) {
      problems_.push_back(Problem{it->second.line, it->second.column, path, std::move(message)});
      return;
    }
    auto cut = p.find_last_of(".[");
    if (cut == std::string::npos) break;
    p = p.substr(0, cut);
  }
  problems_.push_back(Problem{0, 0, path, std::move(message)});
}

Json Walk::scalar(const Input& in, const Spec& spec, const std::string& path) {
  if (in.kind != Input::Kind::scalar) {
    error_at(in, path, fmt::format("expected {}, got {}", type_name(spec.type), kind_name(in)));
    return kBad;
  }
  Scalar s = resolve(in);
  bool fits = false;
  switch (spec.type) {
    case Type::string:
      fits = s == Scalar::string;
      break;
    case Type::integer:
      fits = s == Scalar::integer;
      break;
    case Type::number:
      fits = s == Scalar::integer || s == Scalar::floating;
      break;
    case Type::boolean:
      fits = s == Scalar::boolean;
      break;
    case Type::int_or_string:
      fits = s == Scalar::integer || s == Scalar::string;
      break;
    default:
      fits = true;
  }
  if (!fits) {
    error_at(in, path,
             fmt::format("expected {}, got {} {}", type_name(spec.type), scalar_type_name(s),
                         in.text.empty() ? "\"\"" : in.text));
    return kBad;
  }
  Json v = to_json(in);
  if (spec.type == Type::integer && !v.is_number_integer()) {
    error_at(in, path, fmt::format("{} does not fit in a 64-bit integer", in.text));
    return kBad;
  }
  return v;
}

Json Walk::run(const Input& in, const Spec& spec, const std::string& path) {
  positions_[path] = Pos{in.line, in.column};
  Json out;
  switch (spec.type) {
    case Type::any:
      out = to_json(in);
      break;
    case Type::string:
    case Type::integer:
    case Type::number:
    case Type::boolean:
    case Type::int_or_string:
      out = scalar(in, spec, path);
      if (out.is_discarded()) return out;
      break;
    case Type::list: {
      if (in.kind != Input::Kind::seq) {
        error_at(in, path, fmt::format("expected a list, got {}", kind_name(in)));
        return kBad;
      }
      out = Json::array();
      bool bad = false;
      for (size_t i = 0; i < in.items.size(); ++i) {
        const Input& item = in.items[i];
        if (resolve(item) == Scalar::null) {
          if (spec.elem->nullable) {
            out.push_back(nullptr);
          } else {
            error_at(item, index(path, i), "null is not allowed here");
            bad = true;
          }
          continue;
        }
        Json v = run(item, *spec.elem, index(path, i));
        if (v.is_discarded()) {
          bad = true;
          continue;
        }
        out.push_back(std::move(v));
      }
      if (bad) return kBad;
      break;
    }
    case Type::map: {
      if (in.kind != Input::Kind::map) {
        error_at(in, path, fmt::format("expected a map, got {}", kind_name(in)));
        return kBad;
      }
      out = Json::object();
      bool bad = false;
      for (const auto& [k, v] : in.entries) {
        std::string kp = join(path, k.text);
        if (k.kind != Input::Kind::scalar) {
          error_at(k, path, "map keys must be strings");
          bad = true;
          continue;
        }
        if (out.contains(k.text)) {
          error_at(k, kp, "duplicate key");
          bad = true;
          continue;
        }
        if (spec.key_check) {
          if (auto e = spec.key_check(Json(k.text)); !e.empty()) {
            error_at(k, kp, fmt::format("invalid key \"{}\": {}", k.text, e));
            bad = true;
            continue;
          }
        }
        if (resolve(v) == Scalar::null && spec.elem->type == Type::string) {
          out[k.text] = "";  // `key:` with no value: an empty string, as Kubernetes reads it
          continue;
        }
        Json val = run(v, *spec.elem, kp);
        if (val.is_discarded()) {
          bad = true;
          continue;
        }
        out[k.text] = std::move(val);
      }
      if (bad) return kBad;
      break;
    }
    case Type::object: {
      if (in.kind != Input::Kind::map) {
        error_at(in, path, fmt::format("expected a map, got {}", kind_name(in)));
        return kBad;
      }
      bool bad = false;
      std::map<std::string, Json> given;
      Json extras = Json::object();
      std::set<std::string> seen, broken;
      for (const auto& [k, v] : in.entries) {
        std::string kp = join(path, k.text);
        if (k.kind != Input::Kind::scalar) {
          error_at(k, path, "field names must be strings");
          bad = true;
          continue;
        }
        if (!seen.insert(k.text).second) {
          error_at(k, kp, "duplicate field");
          bad = true;
          continue;
        }
        auto f = std::find_if(spec.fields.begin(), spec.fields.end(),
                              [&](const Field& fd) { return fd.name == k.text; });
        if (f == spec.fields.end()) {
          if (spec.open) {
            extras[k.text] = to_json(v);
          } else {
            error_at(k, kp, "unknown field");
            bad = true;
          }
          continue;
        }
        if (resolve(v) == Scalar::null) continue;  // `field:` or `field: null` means absent
        Json val = run(v, *f->spec, kp);
        if (val.is_discarded()) {
          bad = true;
          broken.insert(k.text);
          continue;
        }
        given.emplace(k.text, std::move(val));
      }
      out = Json::object();
      for (const auto& f : spec.fields) {
        auto it = given.find(f.name);
        if (it != given.end()) {
          out[f.name] = std::move(it->second);
        } else if (broken.count(f.name)) {
          // already reported
        } else if (f.spec->default_value) {
          out[f.name] = *f.spec->default_value;
        } else if (f.spec->required) {
          error_at(in, join(path, f.name), "required field is missing");
          bad = true;
        } else if (f.spec->always) {
          Input empty;
          empty.kind = Input::Kind::map;
          empty.line = in.line;
          empty.column = in.column;
          Json val = run(empty, *f.spec, join(path, f.name));
          if (val.is_discarded())
            bad = true;
          else
            out[f.name] = std::move(val);
        }
      }
      for (auto& [k, v] : extras.items()) out[k] = std::move(v);
      if (bad) return kBad;
      break;
    }
  }
  if (spec.range && out.is_number()) {
    double d = out.get<double>();
    if (d < static_cast<double>(spec.range->first) || d > static_cast<double>(spec.range->second)) {
      error_at(in, path,
               fmt::format("{} is out of range {}-{}", show(out), spec.range->first,
                           spec.range->second));
      return kBad;
    }
  }
  if (!spec.one_of.empty() && out.is_string()) {
    auto s = out.get<std::string>();
    if (std::find(spec.one_of.begin(), spec.one_of.end(), s) == spec.one_of.end()) {
      error_at(in, path, fmt::format("\"{}\" is not one of {}", s, fmt::join(spec.one_of, ", ")));
      return kBad;
    }
  }
  for (const auto& c : spec.checks) {
    if (auto e = c(out); !e.empty()) {
      error_at(in, path, e);
      return kBad;
    }
  }
  if (spec.normalize) out = spec.normalize(out);
  return out;
}

}  // namespace podnet::conf::schema
