// Selector parser: recursive descent over the tokens, with Calico's precedence
// (libcalico-go/lib/selector/parser/parser.go): a run of '!' collapses by parity and binds to
// one operation or one parenthesised group; '&&' binds tighter than '||'.
#include <algorithm>
#include <optional>
#include <utility>

#include <fmt/format.h>

#include "policy/selector.hpp"
#include "policy/selector_ast.hpp"
#include "policy/selector_tokenizer.hpp"

namespace podnet::policy {
namespace {

using selector_ast::Kind;
using selector_ast::Node;
using selector_ast::NodePtr;
using selector_tok::Tok;
using selector_tok::Token;

// Parentheses nest the recursion; a bound keeps hostile input from exhausting the stack.
constexpr int kMaxDepth = 200;

constexpr std::string_view kTerm = "a label, has(), all(), global(), '!' or '('";

class Parser {
 public:
  explicit Parser(const std::vector<Token>& tokens) : t_(tokens) {}

  Result<NodePtr> root() {
    if (peek().kind == Tok::eof) return NodePtr{};  // "" and blanks mean all()
    NodePtr node = parse_or();
    if (!node) return std::move(*error_);
    if (peek().kind != Tok::eof) {
      return fail_error(peek(), peek().kind == Tok::rparen ? "'&&', '||' or end of input "
                                                             "(unbalanced ')')"
                                                           : "'&&', '||' or end of input");
    }
    return node;
  }

 private:
  const Token& peek() const { return t_[i_]; }
  const Token& take() { return t_[i_++]; }

  Error fail_error(const Token& at, std::string_view expected) const {
    // The lexer knows better what it needed for some bad input (a closing quote...).
    if (at.kind == Tok::bad && !at.expected.empty()) {
      return selector_tok::syntax_error(at.column, at.expected, at.text);
    }
    return selector_tok::syntax_error(at.column, expected, selector_tok::describe(at));
  }
  NodePtr fail(const Token& at, std::string_view expected) {
    if (!error_) error_ = fail_error(at, expected);
    return nullptr;
  }

  static NodePtr make_list(Kind kind, std::vector<NodePtr> operands) {
    if (operands.size() == 1) return std::move(operands.front());
    auto node = std::make_shared<Node>();
    node->kind = kind;
    node->operands = std::move(operands);
    return node;
  }

  NodePtr parse_or() {
    std::vector<NodePtr> operands;
    do {
      NodePtr node = parse_and();
      if (!node) return nullptr;
      operands.push_back(std::move(node));
    } while (peek().kind == Tok::or_ && (take(), true));
    return make_list(Kind::or_, std::move(operands));
  }

  NodePtr parse_and() {
    std::vector<NodePtr> operands;
    do {
      NodePtr node = parse_operation();
      if (!node) return nullptr;
      operands.push_back(std::move(node));
    } while (peek().kind == Tok::and_ && (take(), true));
    return make_list(Kind::and_, std::move(operands));
  }

  NodePtr parse_operation() {
    bool negated = false;
    while (peek().kind == Tok::not_) {
      negated = !negated;
      take();
    }
    NodePtr node = parse_term();
    if (!node || !negated) return node;
    // !(!x) is x: the same parity rule Calico applies to "!!x", carried through parentheses so
    // that parse(str()) always gives back the same canonical text.
    if (node->kind == Kind::not_) return node->operands.front();
    auto neg = std::make_shared<Node>();
    neg->kind = Kind::not_;
    neg->operands.push_back(std::move(node));
    return neg;
  }

  NodePtr parse_term() {
    const Token& tok = peek();
    switch (tok.kind) {
      case Tok::has:
      case Tok::all:
      case Tok::global: {
        auto node = std::make_shared<Node>();
        node->kind = tok.kind == Tok::has   ? Kind::has
                     : tok.kind == Tok::all ? Kind::all
                                            : Kind::global;
        node->label = tok.text;
        take();
        return node;
      }
      case Tok::lparen: {
        if (++depth_ > kMaxDepth) {
          return fail(tok, fmt::format("at most {} nested parentheses", kMaxDepth));
        }
        take();
        NodePtr inner = parse_or();
        if (!inner) return nullptr;
        if (peek().kind != Tok::rparen) return fail(peek(), "'&&', '||' or ')'");
        take();
        --depth_;
        return inner;
      }
      case Tok::label:
        return parse_comparison();
      default:
        return fail(tok, kTerm);
    }
  }

  // label OP "value" | label (in|not in) {"a", ...}
  NodePtr parse_comparison() {
    const Token& label = take();
    const Token& op = take();
    auto node = std::make_shared<Node>();
    node->label = label.text;
    switch (op.kind) {
      case Tok::eq:
        node->kind = Kind::eq;
        break;
      case Tok::ne:
        node->kind = Kind::ne;
        break;
      case Tok::contains:
        node->kind = Kind::contains;
        break;
      case Tok::starts_with:
        node->kind = Kind::starts_with;
        break;
      case Tok::ends_with:
        node->kind = Kind::ends_with;
        break;
      case Tok::in:
      case Tok::not_in:
        node->kind = op.kind == Tok::in ? Kind::in : Kind::not_in;
        if (!parse_set(op, node->values)) return nullptr;
        return node;
      default:
        return fail(op, fmt::format("an operator (==, !=, in, not in, contains, starts with, ends "
                                    "with) after label \"{}\"",
                                    label.text.substr(0, 40)));
    }
    if (peek().kind != Tok::string) {
      return fail(peek(), fmt::format("a quoted string after {}", selector_tok::describe(op)));
    }
    node->value = take().text;
    return node;
  }

  // {"a", "b"} with an optional trailing comma; {} is allowed. Values end sorted and unique.
  bool parse_set(const Token& op, std::vector<std::string>& values) {
    if (peek().kind != Tok::lbrace) {
      fail(peek(), fmt::format("'{{' after {}", selector_tok::describe(op)));
      return false;
    }
    take();
    bool after_value = false;
    for (;;) {
      if (peek().kind == Tok::rbrace) break;
      if (!after_value && peek().kind == Tok::string) {
        values.push_back(take().text);
        after_value = true;
        continue;
      }
      if (after_value && peek().kind == Tok::comma) {
        take();
        after_value = false;
        continue;
      }
      fail(peek(), after_value ? "',' or '}'" : "a quoted string or '}'");
      return false;
    }
    take();
    std::sort(values.begin(), values.end());
    values.erase(std::unique(values.begin(), values.end()), values.end());
    return true;
  }

  const std::vector<Token>& t_;
  std::size_t i_ = 0;
  int depth_ = 0;
  std::optional<Error> error_;
};

}  // namespace

Result<Selector> Selector::parse(std::string_view text) {
  const std::vector<Token> tokens = selector_tok::tokenize(text);
  Result<NodePtr> root = Parser(tokens).root();
  if (!root) return root.error();
  return Selector(std::move(root.value()));
}

}  // namespace podnet::policy
