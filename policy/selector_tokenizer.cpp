// Selector tokenizer: see selector_tokenizer.hpp for the rules it follows.
#include "policy/selector_tokenizer.hpp"

#include <fmt/format.h>

namespace podnet::policy::selector_tok {
namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t';
}

bool is_label_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '/' || c == '-';
}

// The longest run of label characters at `pos`.
std::string_view label_run(std::string_view text, std::size_t pos) {
  std::size_t end = pos;
  while (end < text.size() && is_label_char(text[end])) ++end;
  return text.substr(pos, end - pos);
}

std::string quote_for_message(std::string_view s) {
  constexpr std::size_t kShown = 40;  // a 513-character label would drown the message
  std::string shown(s.substr(0, kShown));
  if (s.size() > kShown) shown += "...";
  return shown;
}

class Lexer {
 public:
  explicit Lexer(std::string_view text) : text_(text) {}

  std::vector<Token> run() {
    for (;;) {
      while (pos_ < text_.size() && is_space(text_[pos_])) ++pos_;
      if (pos_ >= text_.size()) {
        push(Tok::eof, pos_);
        return std::move(out_);
      }
      if (!next()) {
        push(Tok::eof, text_.size());
        return std::move(out_);
      }
    }
  }

 private:
  void push(Tok kind, std::size_t at, std::string text = {}) {
    out_.push_back(Token{kind, std::move(text), at + 1, {}});
  }
  // Records a bad token and stops lexing (returns false for the caller to pass up).
  bool bad(std::size_t at, std::string expected = {}) {
    out_.push_back(Token{Tok::bad, describe_at(text_, at), at + 1, std::move(expected)});
    return false;
  }
  bool bad_found(std::size_t at, std::string expected, std::string found) {
    out_.push_back(Token{Tok::bad, std::move(found), at + 1, std::move(expected)});
    return false;
  }
  bool single(Tok kind) {
    push(kind, pos_);
    ++pos_;
    return true;
  }
  bool pair(char second, Tok kind) {
    if (pos_ + 1 < text_.size() && text_[pos_ + 1] == second) {
      push(kind, pos_);
      pos_ += 2;
      return true;
    }
    return bad(pos_);  // a lone '&', '|' or '=': the parser's context says what was expected
  }
  void skip_space() {
    while (pos_ < text_.size() && is_space(text_[pos_])) ++pos_;
  }
  bool starts(std::string_view prefix) const { return text_.substr(pos_).starts_with(prefix); }

  // A label at pos_, or a bad token when there is none or it is too long.
  bool read_label(std::string& label, std::string_view expected) {
    std::string_view run = label_run(text_, pos_);
    if (run.empty()) return bad(pos_, std::string(expected));
    if (run.size() > kMaxLabelLength) {
      return bad_found(pos_, fmt::format("a label of at most {} characters", kMaxLabelLength),
                       fmt::format("a label of {} characters", run.size()));
    }
    label = std::string(run);
    pos_ += run.size();
    return true;
  }

  bool string_literal() {
    const char quote = text_[pos_];
    const std::size_t close = text_.find(quote, pos_ + 1);
    if (close == std::string_view::npos) {
      return bad_found(text_.size(),
                       fmt::format("a closing {} for the string at column {}", quote, pos_ + 1),
                       "end of input");
    }
    push(Tok::string, pos_, std::string(text_.substr(pos_ + 1, close - pos_ - 1)));
    pos_ = close + 1;
    return true;
  }

  // A keyword operator right after a label: contains, starts with, ends with, in, not in (also
  // Calico's spellings startswith / endswith / notin).
  bool operator_keyword() {
    const std::size_t at = pos_;
    const std::string_view word = label_run(text_, pos_);
    auto two_words = [&](std::string_view second, Tok kind) {
      pos_ += word.size();
      skip_space();
      if (label_run(text_, pos_) != second) {
        return bad(pos_, fmt::format("'{}' after '{}'", second, word));
      }
      pos_ += second.size();
      push(kind, at);
      return true;
    };
    auto one_word = [&](Tok kind) {
      pos_ += word.size();
      push(kind, at);
      return true;
    };
    if (word == "contains") return one_word(Tok::contains);
    if (word == "in") return one_word(Tok::in);
    if (word == "startswith") return one_word(Tok::starts_with);
    if (word == "endswith") return one_word(Tok::ends_with);
    if (word == "notin") return one_word(Tok::not_in);
    if (word == "starts") return two_words("with", Tok::starts_with);
    if (word == "ends") return two_words("with", Tok::ends_with);
    if (word == "not") return two_words("in", Tok::not_in);
    return bad(at);  // the parser says an operator was expected after the label
  }

  // has(label), all(), global(): one token each; inner spaces allowed, as in Calico.
  bool function_call(std::string_view name, Tok kind) {
    const std::size_t at = pos_;
    pos_ += name.size() + 1;
    skip_space();
    std::string label;
    if (kind == Tok::has) {
      if (!read_label(label, "a label inside has(")) return false;
      skip_space();
    }
    if (pos_ >= text_.size() || text_[pos_] != ')') {
      return bad(pos_, fmt::format("')' to close {}(", name));
    }
    ++pos_;
    push(kind, at, std::move(label));
    return true;
  }

  bool next() {
    const char c = text_[pos_];
    switch (c) {
      case '(':
        return single(Tok::lparen);
      case ')':
        return single(Tok::rparen);
      case '{':
        return single(Tok::lbrace);
      case '}':
        return single(Tok::rbrace);
      case ',':
        return single(Tok::comma);
      case '"':
      case '\'':
        return string_literal();
      case '=':
        return pair('=', Tok::eq);
      case '&':
        return pair('&', Tok::and_);
      case '|':
        return pair('|', Tok::or_);
      case '!':
        if (pos_ + 1 < text_.size() && text_[pos_ + 1] == '=') return pair('=', Tok::ne);
        return single(Tok::not_);
      default:
        break;
    }
    if (!out_.empty() && out_.back().kind == Tok::label) return operator_keyword();
    if (starts("has(")) return function_call("has", Tok::has);
    if (starts("all(")) return function_call("all", Tok::all);
    if (starts("global(")) return function_call("global", Tok::global);
    const std::size_t at = pos_;
    std::string label;
    if (!read_label(label, {})) return false;
    push(Tok::label, at, std::move(label));
    return true;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  std::vector<Token> out_;
};

}  // namespace

std::vector<Token> tokenize(std::string_view text) {
  return Lexer(text).run();
}

std::string describe_at(std::string_view text, std::size_t pos) {
  if (pos >= text.size()) return "end of input";
  const std::string_view word = label_run(text, pos);
  if (!word.empty()) return fmt::format("'{}'", quote_for_message(word));
  const auto c = static_cast<unsigned char>(text[pos]);
  if (c == '\n') return "a newline";
  if (c < 0x20 || c >= 0x7f) return fmt::format("byte 0x{:02x}", c);
  return fmt::format("'{}'", static_cast<char>(c));
}

std::string describe(const Token& token) {
  switch (token.kind) {
    case Tok::label:
      return fmt::format("label \"{}\"", quote_for_message(token.text));
    case Tok::string: {
      const char q = token.text.find('"') == std::string::npos ? '"' : '\'';
      return fmt::format("string {}{}{}", q, quote_for_message(token.text), q);
    }
    case Tok::lbrace:
      return "'{'";
    case Tok::rbrace:
      return "'}'";
    case Tok::comma:
      return "','";
    case Tok::eq:
      return "'=='";
    case Tok::ne:
      return "'!='";
    case Tok::in:
      return "'in'";
    case Tok::not_in:
      return "'not in'";
    case Tok::contains:
      return "'contains'";
    case Tok::starts_with:
      return "'starts with'";
    case Tok::ends_with:
      return "'ends with'";
    case Tok::not_:
      return "'!'";
    case Tok::all:
      return "'all()'";
    case Tok::global:
      return "'global()'";
    case Tok::has:
      return fmt::format("'has({})'", quote_for_message(token.text));
    case Tok::lparen:
      return "'('";
    case Tok::rparen:
      return "')'";
    case Tok::and_:
      return "'&&'";
    case Tok::or_:
      return "'||'";
    case Tok::bad:
      return token.text;
    case Tok::eof:
      return "end of input";
  }
  return "?";
}

Error syntax_error(std::size_t column, std::string_view expected, std::string_view found) {
  return make_error(Errc::invalid,
                    fmt::format("column {}: expected {}, found {}", column, expected, found));
}

}  // namespace podnet::policy::selector_tok
