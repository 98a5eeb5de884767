// Selector: construction, canonical text and equality (parse, match and print live in
// selector_parser.cpp, selector_eval.cpp and selector_printer.cpp).
#include "policy/selector.hpp"

#include <utility>

#include "policy/selector_ast.hpp"

namespace podnet::policy {

namespace {
constexpr const char* kAll = "all()";
}

Selector::Selector(std::shared_ptr<const selector_ast::Node> root)
    : root_(std::move(root)), canonical_(root_ ? selector_ast::print(*root_) : kAll) {}

Selector Selector::all() {
  return Selector();
}

std::string Selector::str() const {
  return canonical_.empty() ? kAll : canonical_;  // a default-constructed Selector is all()
}

bool Selector::is_all() const {
  return str() == kAll;
}

bool operator==(const Selector& a, const Selector& b) {
  return a.str() == b.str();
}

}  // namespace podnet::policy
