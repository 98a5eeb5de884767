// Calico's label selector language (libcalico-go/lib/selector): parse, match, canonical print.
// Used by policies (namespaceSelector, selector, serviceAccountSelector), IPPool nodeSelector
// and BGPPeer nodeSelector/peerSelector. A Selector is an immutable AST shared between copies,
// so it is cheap to copy and safe to read from several places.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "conf/result.hpp"

namespace podnet::policy {

using Labels = std::map<std::string, std::string>;

namespace selector_ast {
struct Node;  // defined in policy/selector_ast.hpp (internal)
}

class Selector {
 public:
  // Errc::invalid with message "column N: expected X, found Y" (N is 1-based, in bytes).
  static Result<Selector> parse(std::string_view text);
  // The selector that matches everything ("all()", or an empty string).
  static Selector all();

  bool matches(const Labels& labels) const;
  // Canonical form, as Calico prints it (so equal selectors print the same); "all()" for empty.
  std::string str() const;
  bool is_all() const;
  // The label keys the selector reads, sorted and unique (for indexing).
  std::vector<std::string> label_keys() const;
  // Equality on the canonical form.
  friend bool operator==(const Selector& a, const Selector& b);

  Selector() = default;  // same as all()

 private:
  explicit Selector(std::shared_ptr<const selector_ast::Node> root);
  std::shared_ptr<const selector_ast::Node> root_;  // null means all()
  std::string canonical_;                           // computed once at construction
};

}  // namespace podnet::policy
