// Canonical printing, as Calico's collectFragments (ast.go) does it, so that equal selectors
// print the same and our text matches what calicoctl shows: values quoted with " unless they
// contain one, && / || groups parenthesised, sets sorted and de-duplicated.
#include <string>

#include "policy/selector_ast.hpp"

namespace podnet::policy::selector_ast {
namespace {

void append_quoted(std::string& out, const std::string& value) {
  const char quote = value.find('"') == std::string::npos ? '"' : '\'';
  out += quote;
  out += value;
  out += quote;
}

const char* infix(Kind kind) {
  switch (kind) {
    case Kind::eq:
      return " == ";
    case Kind::ne:
      return " != ";
    case Kind::contains:
      return " contains ";
    case Kind::starts_with:
      return " starts with ";
    case Kind::ends_with:
      return " ends with ";
    case Kind::in:
      return " in ";
    case Kind::not_in:
      return " not in ";
    case Kind::and_:
      return " && ";
    case Kind::or_:
      return " || ";
    default:
      return "";
  }
}

void print_to(std::string& out, const Node& node) {
  switch (node.kind) {
    case Kind::all:
      out += "all()";
      return;
    case Kind::global:
      out += "global()";
      return;
    case Kind::has:
      out += "has(" + node.label + ")";
      return;
    case Kind::not_:
      out += '!';
      print_to(out, *node.operands.front());
      return;
    case Kind::and_:
    case Kind::or_:
      out += '(';
      for (std::size_t i = 0; i < node.operands.size(); ++i) {
        if (i > 0) out += infix(node.kind);
        print_to(out, *node.operands[i]);
      }
      out += ')';
      return;
    case Kind::in:
    case Kind::not_in:
      out += node.label;
      out += infix(node.kind);
      out += '{';
      for (std::size_t i = 0; i < node.values.size(); ++i) {
        if (i > 0) out += ", ";
        append_quoted(out, node.values[i]);
      }
      out += '}';
      return;
    case Kind::eq:
    case Kind::ne:
    case Kind::contains:
    case Kind::starts_with:
    case Kind::ends_with:
      out += node.label;
      out += infix(node.kind);
      append_quoted(out, node.value);
      return;
  }
}

}  // namespace

std::string print(const Node& node) {
  std::string out;
  print_to(out, node);
  return out;
}

}  // namespace podnet::policy::selector_ast
