// podnetctl selector match: evaluates a Calico selector against a label set, offline, so a
// user can check what a policy's or a BGPPeer's selector will select before applying it.
#include <nlohmann/json.hpp>
#include <ostream>

#include "cli/commands.hpp"
#include "policy/selector.hpp"

namespace podnet::cli {
namespace {

// The --labels JSON object; every value must be a string, as Kubernetes labels are.
Result<policy::Labels> parse_labels(const std::string& text) {
  const auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return make_error(Errc::invalid, "--labels: expected a JSON object such as {\"k\":\"v\"}");
  }
  policy::Labels labels;
  for (const auto& [key, value] : j.items()) {
    if (!value.is_string()) {
      return make_error(Errc::invalid, "--labels: the value of \"" + key + "\" is not a string");
    }
    labels.emplace(key, value.get<std::string>());
  }
  return labels;
}

// "column N: ..." -> N, to put a caret under the selector; 0 when the message has none.
std::size_t error_column(const std::string& message) {
  std::size_t n = 0;
  if (message.rfind("column ", 0) != 0) return 0;
  for (std::size_t i = 7; i < message.size() && message[i] >= '0' && message[i] <= '9'; ++i) {
    n = n * 10 + static_cast<std::size_t>(message[i] - '0');
  }
  return n;
}

}  // namespace

int cmd_selector_match(const SelectorMatchArgs& a, Io io) {
  auto sel = policy::Selector::parse(a.selector);
  if (!sel) {
    io.err << "podnetctl: invalid selector: " << sel.error().message << "\n";
    const std::size_t column = error_column(sel.error().message);
    if (column > 0 && a.selector.find_first_of("\t\n") == std::string::npos) {
      io.err << "  " << a.selector << "\n  " << std::string(column - 1, ' ') << "^\n";
    }
    return kBadInput;
  }
  auto labels = parse_labels(a.labels);
  if (!labels) {
    io.err << "podnetctl: " << labels.error().message << "\n";
    return kBadInput;
  }
  io.out << (sel->matches(*labels) ? "true" : "false") << "\n";
  return kOk;
}

}  // namespace podnet::cli
