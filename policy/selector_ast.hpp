// The selector's syntax tree (internal to podnet_selector). One node type with a kind tag keeps
// the printer, evaluator and key collector as plain switches, mirroring Calico's node set
// (libcalico-go/lib/selector/parser/ast.go) so evaluation and printing match it one to one.
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace podnet::policy::selector_ast {

enum class Kind {
  all,          // all(): always true
  global,       // global(): always true; its scope (non-namespaced) is the converters' business
  has,          // has(label)
  eq,           // label == "v"
  ne,           // label != "v"   (true when the label is missing)
  contains,     // label contains "v"
  starts_with,  // label starts with "v"
  ends_with,    // label ends with "v"
  in,           // label in {"a", "b"}
  not_in,       // label not in {...}   (true when the label is missing)
  not_,         // !operand
  and_,         // operands[0] && operands[1] && ...
  or_,          // operands[0] || operands[1] || ...
};

struct Node;
using NodePtr = std::shared_ptr<const Node>;

struct Node {
  Kind kind = Kind::all;
  std::string label;                // label-reading kinds
  std::string value;                // eq / ne / contains / starts_with / ends_with
  std::vector<std::string> values;  // in / not_in: sorted, unique
  std::vector<NodePtr> operands;    // not_ (one), and_ / or_ (two or more)
};

// Canonical text of a tree (selector_printer.cpp).
std::string print(const Node& node);

}  // namespace podnet::policy::selector_ast
