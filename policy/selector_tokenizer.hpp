// Selector tokenizer (internal). Follows Calico's tokenizer: only space and tab are whitespace,
// operator keywords are recognised only right after a label, has(/all(/global( are single
// tokens, strings have no escapes. Errors carry the 1-based column of the offending byte.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "conf/result.hpp"

namespace podnet::policy::selector_tok {

enum class Tok {
  label,
  string,
  lbrace,
  rbrace,
  comma,
  eq,
  ne,
  in,
  not_in,
  contains,
  starts_with,
  ends_with,
  not_,
  all,
  global,
  has,
  lparen,
  rparen,
  and_,
  or_,
  bad,  // input that cannot be lexed; the parser reports it where it stands
  eof,
};

struct Token {
  Tok kind = Tok::eof;
  std::string text;        // label name, string value, has()'s label; for bad: what was found
  std::size_t column = 1;  // 1-based byte column where the token starts
  std::string expected;    // bad only: what the lexer needed here, when it knows better than the
                           // parser (a closing quote, 'with' after 'starts'); empty otherwise
};

// Calico's label length limit (MaxLabelLength / LabelKeyMatcher).
inline constexpr std::size_t kMaxLabelLength = 512;

// The tokens of `text`, always ending with Tok::eof. Lexing stops at the first Tok::bad, so the
// parser reports whichever error comes first in the text.
std::vector<Token> tokenize(std::string_view text);

// How a token reads in an error message ("label \"a\"", "'&&'", "end of input").
std::string describe(const Token& token);

// How the input at byte offset `pos` reads in an error message ("'%'", "end of input").
std::string describe_at(std::string_view text, std::size_t pos);

// "column N: expected X, found Y"
Error syntax_error(std::size_t column, std::string_view expected, std::string_view found);

}  // namespace podnet::policy::selector_tok
