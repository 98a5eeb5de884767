// Selector engine: canonical printing (Calico's parser_test.go canonicalisation pairs), error
// positions and messages, precedence, label keys, copies, and random input never crashing.
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "policy/selector.hpp"

namespace podnet::policy {
namespace {

std::string canonical(std::string_view text) {
  auto sel = Selector::parse(text);
  if (!sel) return "ERROR " + sel.error().message;
  return sel->str();
}

std::string error_of(std::string_view text) {
  auto sel = Selector::parse(text);
  return sel ? "accepted as " + sel->str() : sel.error().message;
}

TEST(SelectorPrint, CalicoCanonicalForms) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "all()"},
      {" \t ", "all()"},
      {" all() ", "all()"},
      {" (all() )", "all()"},
      {"! (has( b)||! has(a ))", "!(has(b) || !has(a))"},
      {"! (a == \"b\"&&! c != \"d\")", "!(a == \"b\" && !c != \"d\")"},
      {"a == \"'\"", "a == \"'\""},
      {"a == '\"'", "a == '\"'"},
      {"a contains '\"'", "a contains '\"'"},
      {"a startswith '\"'", "a starts with '\"'"},
      {"a endswith \"'\"", "a ends with \"'\""},
      {"a!='\"'", "a != '\"'"},
      {"a in {\"d\", \"a\", \"b\"}", "a in {\"a\", \"b\", \"d\"}"},
      {"a in {\"z\", \"z\", \"x\", \"y\", \"x\", \"a\"}", "a in {\"a\", \"x\", \"y\", \"z\"}"},
      {"a in {'\"', \"'\"}", "a in {'\"', \"'\"}"},
      {"a notin {'x',}", "a not in {\"x\"}"},
      {"a in {}", "a in {}"},
      {"k == 'v' && x == 'y' && z == 'w'", "(k == \"v\" && x == \"y\" && z == \"w\")"},
      {"a == 'b' || c == 'd' && e == 'f'", "(a == \"b\" || (c == \"d\" && e == \"f\"))"},
      {"!a == 'b' && c == 'd'", "(!a == \"b\" && c == \"d\")"},
      {"!!has(a)", "has(a)"},
      {"!!!has(a)", "!has(a)"},
      {"!(!has(a))", "has(a)"},
      {"((a == 'b'))", "a == \"b\""},
      {"(a == 'b' && c == 'd') && e == 'f'", "((a == \"b\" && c == \"d\") && e == \"f\")"},
      {"global() && has(x)", "(global() && has(x))"},
      {"contains contains \"contains\"", "contains contains \"contains\""},
      {"has == 'x'", "has == \"x\""},
      {"a not   in {'b'}", "a not in {\"b\"}"},
      {"a starts\twith 'b'", "a starts with \"b\""},
  };
  for (const auto& [in, want] : cases) {
    EXPECT_EQ(canonical(in), want) << "input: '" << in << "'";
    // Round trip: the canonical text parses back to itself.
    EXPECT_EQ(canonical(want), want);
  }
}

TEST(SelectorPrint, DefaultAndAllAreTheSame) {
  EXPECT_EQ(Selector().str(), "all()");
  EXPECT_TRUE(Selector::all().is_all());
  EXPECT_TRUE(Selector::parse("  ")->is_all());
  EXPECT_TRUE(Selector::parse("(all())")->is_all());
  EXPECT_FALSE(Selector::parse("global()")->is_all());
  EXPECT_FALSE(Selector::parse("!all()")->is_all());
  EXPECT_TRUE(Selector::all() == *Selector::parse(""));
  EXPECT_FALSE(Selector::all() == *Selector::parse("has(a)"));
  EXPECT_TRUE(*Selector::parse("a in {'y','x'}") == *Selector::parse("a in {\"x\", \"y\", \"x\"}"));
}

TEST(SelectorErrors, PositionAndWhatWasExpected) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"b == b", "column 6: expected a quoted string after '==', found label \"b\""},
      {"a ",
       "column 3: expected an operator (==, !=, in, not in, contains, starts with, ends "
       "with) after label \"a\", found end of input"},
      {"a b",
       "column 3: expected an operator (==, !=, in, not in, contains, starts with, ends "
       "with) after label \"a\", found 'b'"},
      {"'b1' == b",
       "column 1: expected a label, has(), all(), global(), '!' or '(', found string \"b1\""},
      {"!", "column 2: expected a label, has(), all(), global(), '!' or '(', found end of input"},
      {"foo == \"bar\" &", "column 14: expected '&&', '||' or end of input, found '&'"},
      {"label = \"value\"",
       "column 7: expected an operator (==, !=, in, not in, contains, "
       "starts with, ends with) after label \"label\", found '='"},
      {"label == \"value",
       "column 16: expected a closing \" for the string at column 10, found end of input"},
      {"(a == \"foo\"", "column 12: expected '&&', '||' or ')', found end of input"},
      {")", "column 1: expected a label, has(), all(), global(), '!' or '(', found ')'"},
      {"a == 'b' )", "column 10: expected '&&', '||' or end of input (unbalanced ')'), found ')'"},
      {"a == \"b\" && %",
       "column 13: expected a label, has(), all(), global(), '!' or '(', found '%'"},
      {"has()", "column 5: expected a label inside has(, found ')'"},
      {"has( foo ", "column 10: expected ')' to close has(, found end of input"},
      {"all(", "column 5: expected ')' to close all(, found end of input"},
      {"label starts foo \"value\"", "column 14: expected 'with' after 'starts', found 'foo'"},
      {"foo in \"\"", "column 8: expected '{' after 'in', found string \"\""},
      {"foo in {\"\", ||", "column 13: expected a quoted string or '}', found '||'"},
      {"foo in {\"a\" \"b\"}", "column 13: expected ',' or '}', found string \"b\""},
      {"a == 'b'\n", "column 9: expected '&&', '||' or end of input, found a newline"},
      {std::string(513, 'a') + " == 'v'",
       "column 1: expected a label of at most 512 characters, found a label of 513 characters"},
  };
  for (const auto& [in, want] : cases) EXPECT_EQ(error_of(in), want) << "input: '" << in << "'";
}

TEST(SelectorErrors, LabelOfExactly512IsAccepted) {
  EXPECT_TRUE(Selector::parse(std::string(512, 'a') + " == 'v'").ok());
  EXPECT_TRUE(Selector::parse("has(" + std::string(512, 'a') + ")").ok());
  EXPECT_FALSE(Selector::parse("has(" + std::string(513, 'a') + ")").ok());
}

TEST(SelectorErrors, DeepNestingIsAnErrorNotACrash) {
  EXPECT_TRUE(Selector::parse(std::string(150, '(') + "has(a)" + std::string(150, ')')).ok());
  const std::string deep = std::string(100000, '(') + "has(a)" + std::string(100000, ')');
  auto sel = Selector::parse(deep);
  ASSERT_FALSE(sel.ok());
  EXPECT_NE(sel.error().message.find("nested parentheses"), std::string::npos);
  // A long run of '!' collapses by parity without recursion.
  EXPECT_EQ(canonical(std::string(100001, '!') + "has(a)"), "!has(a)");
}

TEST(SelectorMatch, PrecedenceAndMissingLabels) {
  const Labels l = {{"a", "x"}, {"b", "prod-eu"}};
  auto m = [&](std::string_view text) {
    auto sel = Selector::parse(text);
    EXPECT_TRUE(sel.ok()) << text;
    return sel && sel->matches(l);
  };
  EXPECT_TRUE(m("a == 'y' || a == 'x' && has(b)"));  // && binds tighter
  EXPECT_FALSE(m("(a == 'y' || a == 'x') && has(c)"));
  EXPECT_FALSE(m("!a == 'x' || has(c)"));  // ! binds to one comparison
  EXPECT_TRUE(m("!(a == 'x' && has(c))"));
  EXPECT_TRUE(m("c != 'x'"));        // missing label: != true
  EXPECT_TRUE(m("c not in {'x'}"));  // missing label: not in true
  EXPECT_FALSE(m("c in {}"));
  EXPECT_TRUE(m("a not in {}"));
  EXPECT_FALSE(m("c contains ''"));  // missing label: false even for ""
  EXPECT_TRUE(m("b contains ''"));
  EXPECT_TRUE(m("b starts with 'prod' && b ends with '-eu' && b contains 'd-e'"));
  EXPECT_FALSE(m("b starts with 'eu'"));
  EXPECT_TRUE(m("global()"));
  EXPECT_FALSE(m("!global()"));
}

TEST(SelectorKeys, LabelKeysAreSortedAndUnique) {
  auto sel = Selector::parse("zone == 'a' || !has(rack) && zone in {'b'} && (team != 'x')");
  ASSERT_TRUE(sel.ok());
  EXPECT_EQ(sel->label_keys(), (std::vector<std::string>{"rack", "team", "zone"}));
  EXPECT_TRUE(Selector::all().label_keys().empty());
  EXPECT_TRUE(Selector::parse("global() || all()")->label_keys().empty());
}

TEST(SelectorValue, CopiesShareAndOutliveTheOriginal) {
  Selector copy;
  {
    auto sel = Selector::parse("a == 'b'");
    ASSERT_TRUE(sel.ok());
    copy = *sel;
  }
  EXPECT_TRUE(copy.matches({{"a", "b"}}));
  EXPECT_EQ(copy.str(), "a == \"b\"");
}

// Random bytes, and random strings over the selector alphabet (which reach deeper into the
// parser), never crash and either parse to a selector whose canonical form is a fixed point or
// give a "column N" error. Fixed seed: failures reproduce.
TEST(SelectorRobustness, RandomInputNeverCrashes) {
  std::mt19937 rng(20261127);
  const std::string alphabet = "ab!=&|(){},'\" \tinotcsrwhalgb.-/_%\n";
  const std::vector<std::string> words = {
      "a", " == ", "'v'",    "\"w\"",      " && ",          " || ", "!",
      "(", ")",    "has(a)", "all()",      "global()",      " in ", " not in ",
      "{", "}",    ",",      " contains ", " starts with ", "b"};
  int parsed = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string s;
    const int len = static_cast<int>(rng() % 24);
    for (int j = 0; j < len; ++j) {
      switch (i % 3) {
        case 0:
          s += static_cast<char>(rng() % 256);
          break;
        case 1:
          s += alphabet[rng() % alphabet.size()];
          break;
        default:
          s += words[rng() % words.size()];
      }
    }
    auto sel = Selector::parse(s);
    if (sel) {
      ++parsed;
      auto again = Selector::parse(sel->str());
      ASSERT_TRUE(again.ok()) << "'" << s << "' -> '" << sel->str() << "'";
      ASSERT_EQ(again->str(), sel->str()) << "'" << s << "'";
      const Labels labels = {{"a", "v"}, {"b", "w"}};
      ASSERT_EQ(again->matches(labels), sel->matches(labels)) << "'" << s << "'";
    } else {
      ASSERT_EQ(sel.error().message.rfind("column ", 0), 0u) << sel.error().message;
    }
  }
  EXPECT_GT(parsed, 100);  // the word-based strings do reach valid selectors
}

}  // namespace
}  // namespace podnet::policy
