// The fixture podnetctl's in-process tests share: a temp dir with a directory datastore in it,
// and ctl() running a verb against it through cli::run, as the binary would.
#pragma once

#include <gtest/gtest.h>

#include <stdlib.h>

#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "cli/cli.hpp"

namespace podnet::cli::testing {

struct Out {
  int rc;
  std::string out, err;
};

class CliFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "podnetctl-test-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    ds_ = "dir:" + dir_ + "/store";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  Out ctl(std::vector<std::string> args, const std::string& input = "") {
    args.insert(args.begin(), "podnetctl");
    args.push_back("--datastore");
    args.push_back(ds_);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    std::istringstream in(input);
    std::ostringstream out, err;
    int rc = run(static_cast<int>(argv.size()), argv.data(), Io{in, out, err});
    return {rc, out.str(), err.str()};
  }

  std::string dir_, ds_;
};

}  // namespace podnet::cli::testing
