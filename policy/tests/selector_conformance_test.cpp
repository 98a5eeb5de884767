// Calico's own selector test data (shared/conformance/calico-selectors, taken from
// libcalico-go/lib/selector/parser/parser_test.go): every vector matches as stated, every
// invalid selector is rejected, every valid one parses, and every canonical form Calico's test
// expects prints back unchanged.
#include <cstdlib>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "policy/selector.hpp"

namespace podnet::policy {
namespace {

nlohmann::json load(const std::string& name) {
  const char* src = std::getenv("PODNET_SOURCE_DIR");
  const std::string path =
      std::string(src ? src : ".") + "/../shared/conformance/calico-selectors/" + name;
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  if (!in.good()) return nlohmann::json::array();
  return nlohmann::json::parse(in);
}

TEST(SelectorConformance, EveryVectorMatchesAsCalicoSays) {
  const nlohmann::json vectors = load("selector_vectors.json");
  ASSERT_EQ(vectors.size(), 98u);  // the README's count: a short read would pass silently
  for (const auto& v : vectors) {
    const std::string text = v.at("selector").get<std::string>();
    const Labels labels = v.at("labels").get<Labels>();
    const bool expected = v.at("expected").get<bool>();
    auto sel = Selector::parse(text);
    ASSERT_TRUE(sel.ok()) << "'" << text << "': " << sel.error().message;
    EXPECT_EQ(sel->matches(labels), expected) << "'" << text << "' on " << v.at("labels").dump();
    // The canonical form is the same selector: it matches the same labels.
    auto again = Selector::parse(sel->str());
    ASSERT_TRUE(again.ok()) << sel->str() << ": " << again.error().message;
    EXPECT_EQ(again->matches(labels), expected) << "canonical '" << sel->str() << "'";
  }
}

TEST(SelectorConformance, EveryInvalidSelectorIsRejectedWithAColumn) {
  const nlohmann::json invalid = load("selector_invalid.json");
  ASSERT_EQ(invalid.size(), 44u);
  for (const auto& v : invalid) {
    const std::string text = v.at("selector").get<std::string>();
    auto sel = Selector::parse(text);
    ASSERT_FALSE(sel.ok()) << "accepted '" << text << "' as " << sel->str();
    EXPECT_EQ(sel.error().code, Errc::invalid);
    EXPECT_EQ(sel.error().message.rfind("column ", 0), 0u) << sel.error().message;
    EXPECT_NE(sel.error().message.find(": expected "), std::string::npos) << sel.error().message;
    EXPECT_NE(sel.error().message.find(", found "), std::string::npos) << sel.error().message;
  }
}

TEST(SelectorConformance, EveryValidSelectorParsesAndItsCanonicalFormIsAFixedPoint) {
  const nlohmann::json valid = load("selector_valid.json");
  ASSERT_EQ(valid.size(), 76u);
  int canonical_checked = 0;
  for (const auto& v : valid) {
    const std::string text = v.at("selector").get<std::string>();
    auto sel = Selector::parse(text);
    ASSERT_TRUE(sel.ok()) << "'" << text << "': " << sel.error().message;
    auto again = Selector::parse(sel->str());
    ASSERT_TRUE(again.ok()) << sel->str() << ": " << again.error().message;
    EXPECT_EQ(again->str(), sel->str());
    EXPECT_TRUE(*again == *sel);
    if (v.at("source").get<std::string>().find("expected canonical") != std::string::npos) {
      EXPECT_EQ(sel->str(), text) << "Calico prints this selector exactly so";
      ++canonical_checked;
    }
  }
  EXPECT_GE(canonical_checked, 5);
}

}  // namespace
}  // namespace podnet::policy
