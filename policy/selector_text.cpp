#include "policy/selector_text.hpp"

#include <fmt/format.h>

#include "policy/selector.hpp"
#include "policy/selector_tokenizer.hpp"

namespace podnet::policy {

std::string k8s_selector_to_calico(const conf::types::LabelSelector* sel, K8sSelectorKind kind) {
  std::vector<std::string> parts;
  if (kind == K8sSelectorKind::pod) parts.push_back(fmt::format("{} == 'k8s'", kLabelOrchestrator));
  if (sel) {
    if (kind == K8sSelectorKind::ns && sel->match_labels.empty() && sel->match_expressions.empty())
      return "all()";
    for (const auto& [k, v] : sel->match_labels)  // std::map: keys sorted, as Calico sorts them
      parts.push_back(fmt::format("{} == '{}'", k, v));
    for (const auto& e : sel->match_expressions) {
      std::string values = fmt::format("'{}'", fmt::join(e.values, "', '"));
      if (e.op == "In")
        parts.push_back(fmt::format("{} in {{ {} }}", e.key, values));
      else if (e.op == "NotIn")
        parts.push_back(fmt::format("{} not in {{ {} }}", e.key, values));
      else if (e.op == "Exists")
        parts.push_back(fmt::format("has({})", e.key));
      else if (e.op == "DoesNotExist")
        parts.push_back(fmt::format("! has({})", e.key));
    }
  }
  return fmt::format("{}", fmt::join(parts, " && "));
}

namespace {

std::string quote(const std::string& s) {
  return s.find('"') == std::string::npos ? "\"" + s + "\"" : "'" + s + "'";
}

}  // namespace

Result<std::string> canonical_selector(std::string_view text) {
  auto sel = Selector::parse(text);
  if (!sel) return sel.error();
  return sel->str();
}

Result<std::string> prefix_selector_labels(std::string_view text, std::string_view prefix) {
  // Validate first, so errors are the parser's (with position) rather than the lexer's.
  auto valid = Selector::parse(text);
  if (!valid) return valid.error();
  using selector_tok::Tok;
  std::string out;
  for (const auto& t : selector_tok::tokenize(text)) {
    switch (t.kind) {
      case Tok::label:
        out += fmt::format(" {}{} ", prefix, t.text);
        break;
      case Tok::has:
        out += fmt::format(" has({}{}) ", prefix, t.text);
        break;
      case Tok::string:
        out += quote(t.text);
        break;
      case Tok::lbrace:
        out += "{";
        break;
      case Tok::rbrace:
        out += "}";
        break;
      case Tok::comma:
        out += ",";
        break;
      case Tok::eq:
        out += "==";
        break;
      case Tok::ne:
        out += "!=";
        break;
      case Tok::in:
        out += " in ";
        break;
      case Tok::not_in:
        out += " not in ";
        break;
      case Tok::contains:
        out += " contains ";
        break;
      case Tok::starts_with:
        out += " starts with ";
        break;
      case Tok::ends_with:
        out += " ends with ";
        break;
      case Tok::not_:
        out += "!";
        break;
      case Tok::all:
        out += " all() ";
        break;
      case Tok::global:
        out += " global() ";
        break;
      case Tok::lparen:
        out += "(";
        break;
      case Tok::rparen:
        out += ")";
        break;
      case Tok::and_:
        out += "&&";
        break;
      case Tok::or_:
        out += "||";
        break;
      case Tok::bad:
        return make_error(Errc::invalid, fmt::format("cannot prefix selector '{}'", text));
      case Tok::eof:
        break;
    }
  }
  return canonical_selector(out);
}

}  // namespace podnet::policy
