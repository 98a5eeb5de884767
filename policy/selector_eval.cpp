// Selector evaluation and the label keys it reads. Missing-label semantics follow Calico's
// ast.go: a missing label makes != and "not in" true and every other test false.
#include <algorithm>
#include <string_view>

#include "policy/selector.hpp"
#include "policy/selector_ast.hpp"

namespace podnet::policy {
namespace {

using selector_ast::Kind;
using selector_ast::Node;

bool eval(const Node& node, const Labels& labels) {
  switch (node.kind) {
    case Kind::all:
    case Kind::global:
      return true;
    case Kind::not_:
      return !eval(*node.operands.front(), labels);
    case Kind::and_:
      return std::all_of(node.operands.begin(), node.operands.end(),
                         [&](const auto& op) { return eval(*op, labels); });
    case Kind::or_:
      return std::any_of(node.operands.begin(), node.operands.end(),
                         [&](const auto& op) { return eval(*op, labels); });
    default:
      break;
  }
  const auto it = labels.find(node.label);
  if (it == labels.end()) return node.kind == Kind::ne || node.kind == Kind::not_in;
  const std::string_view v = it->second;
  switch (node.kind) {
    case Kind::has:
      return true;
    case Kind::eq:
      return v == node.value;
    case Kind::ne:
      return v != node.value;
    case Kind::contains:
      return v.find(node.value) != std::string_view::npos;
    case Kind::starts_with:
      return v.starts_with(node.value);
    case Kind::ends_with:
      return v.ends_with(node.value);
    case Kind::in:
      return std::binary_search(node.values.begin(), node.values.end(), v);
    case Kind::not_in:
      return !std::binary_search(node.values.begin(), node.values.end(), v);
    default:
      return false;  // unreachable: the structural kinds returned above
  }
}

void collect_keys(const Node& node, std::vector<std::string>& keys) {
  if (!node.label.empty()) keys.push_back(node.label);
  for (const auto& op : node.operands) collect_keys(*op, keys);
}

}  // namespace

bool Selector::matches(const Labels& labels) const {
  return !root_ || eval(*root_, labels);
}

std::vector<std::string> Selector::label_keys() const {
  std::vector<std::string> keys;
  if (root_) collect_keys(*root_, keys);
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  return keys;
}

}  // namespace podnet::policy
