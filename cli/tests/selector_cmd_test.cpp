// podnetctl selector match: true/false with exit 0, parse errors with their column and exit 2,
// bad --labels with exit 2; in-process through cli::run, and once through the real binary.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli/cli.hpp"

namespace podnet::cli {
namespace {

struct Out {
  int rc;
  std::string out, err;
};

Out ctl(std::vector<std::string> args) {
  args.insert(args.begin(), "podnetctl");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  std::istringstream in;
  std::ostringstream out, err;
  const int rc = run(static_cast<int>(argv.size()), argv.data(), Io{in, out, err});
  return {rc, out.str(), err.str()};
}

TEST(SelectorMatchCmd, PrintsTrueOrFalse) {
  auto r = ctl({"selector", "match", "role == 'db' && !has(legacy)", "--labels",
                R"({"role":"db","zone":"a"})"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, "true\n");
  r = ctl({"selector", "match", "role == 'db' && !has(legacy)", "--labels",
           R"({"role":"db","legacy":""})"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, "false\n");
  // Missing label semantics reach the command: != is true without the label.
  r = ctl({"selector", "match", "zone != 'a'", "--labels", "{}"});
  EXPECT_EQ(r.out, "true\n");
  // --labels defaults to no labels; the empty selector is all().
  r = ctl({"selector", "match", "has(x)"});
  EXPECT_EQ(r.rc, 0);
  EXPECT_EQ(r.out, "false\n");
  r = ctl({"selector", "match", ""});
  EXPECT_EQ(r.out, "true\n");
}

TEST(SelectorMatchCmd, ParseErrorExits2WithColumnAndCaret) {
  auto r = ctl({"selector", "match", "a == 'b' && c = 'd'", "--labels", R"({"a":"b"})"});
  EXPECT_EQ(r.rc, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("column 15: expected an operator"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("found '='"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("  a == 'b' && c = 'd'\n                ^\n"), std::string::npos) << r.err;
}

TEST(SelectorMatchCmd, BadLabelsExit2) {
  auto r = ctl({"selector", "match", "has(a)", "--labels", "{not json"});
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("--labels"), std::string::npos) << r.err;
  r = ctl({"selector", "match", "has(a)", "--labels", R"({"a":1})"});
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("\"a\" is not a string"), std::string::npos) << r.err;
  r = ctl({"selector", "match", "has(a)", "--labels", R"(["a"])"});
  EXPECT_EQ(r.rc, 2);
}

TEST(SelectorMatchCmd, MissingSelectorIsAUsageError) {
  EXPECT_EQ(ctl({"selector", "match"}).rc, 2);
  EXPECT_EQ(ctl({"selector"}).rc, 2);
}

// The installed binary behaves the same: exit status and stdout of a real process.
TEST(SelectorMatchCmd, RealBinary) {
  const char* env = std::getenv("PODNET_BINARY_DIR");
  const char* bin_dir = env ? env : PODNET_BUILD_DIR;
  const std::string bin = std::string(bin_dir) + "/cli/podnetctl";
  ASSERT_TRUE(std::filesystem::exists(bin)) << bin;
  const std::string out_file =
      std::filesystem::temp_directory_path() / ("podnetctl-selector-" + std::to_string(::getpid()));
  auto shell = [&](const std::string& args) {
    const int st = std::system(("'" + bin + "' " + args + " >" + out_file + " 2>&1").c_str());
    std::ifstream f(out_file);
    std::stringstream s;
    s << f.rdbuf();
    return std::pair{WIFEXITED(st) ? WEXITSTATUS(st) : -1, s.str()};
  };
  auto [rc, out] = shell(R"(selector match "tier in {'web', 'api'}" --labels '{"tier":"api"}')");
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(out, "true\n");
  std::tie(rc, out) = shell(R"(selector match "tier in {'web'" --labels '{}')");
  EXPECT_EQ(rc, 2);
  EXPECT_NE(out.find("column 15: expected ',' or '}', found end of input"), std::string::npos)
      << out;
  std::filesystem::remove(out_file);
}

}  // namespace
}  // namespace podnet::cli
