// Runs every recorded event sequence in bgp/tests/fsm_replays/ through step().
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "bgp/fsm_text.hpp"
#include "bgp/tests/fsm_replay.hpp"

namespace podnet::bgp::fsm {
namespace {

std::filesystem::path replay_dir() {
  const char* src = std::getenv("PODNET_SOURCE_DIR");
  return std::filesystem::path(src ? src : ".") / "bgp" / "tests" / "fsm_replays";
}

std::vector<std::string> replay_files() {
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(replay_dir(), ec)) {
    if (entry.path().extension() == ".replay") files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

TEST(FsmReplay, EveryRecordedSequenceReplays) {
  const auto files = replay_files();
  ASSERT_GE(files.size(), 10u) << "replays missing under " << replay_dir();
  for (const auto& path : files) {
    SCOPED_TRACE(path);
    auto r = replay::load(path);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_FALSE(r->steps.empty());
    for (const auto& problem : replay::run(*r)) ADD_FAILURE() << problem;
  }
}

}  // namespace
}  // namespace podnet::bgp::fsm
