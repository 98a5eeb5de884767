// Test harness for tests that cross process and namespace boundaries: run a command and get
// its exit code and output, start a long-running process (optionally inside a network
// namespace) and stop it, make throw-away namespaces and directories that clean up after
// themselves. Real processes only: nothing here fakes a daemon or a peer.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace podnet::harness {

struct CommandResult {
  int exit_code = -1;  // 128+N when killed by signal N
  std::string out;
  std::string err;
};

// Runs argv to completion (stdin from `input`), capturing stdout and stderr.
CommandResult run(const std::vector<std::string>& argv, const std::string& input = "",
                  std::chrono::seconds timeout = std::chrono::seconds(60));
// Convenience: runs `/bin/sh -c script`.
CommandResult sh(const std::string& script,
                 std::chrono::seconds timeout = std::chrono::seconds(60));

// A background process. Output goes to files under a temp dir (read with out()/err()).
class Process {
 public:
  Process() = default;
  explicit Process(const std::vector<std::string>& argv, const std::string& netns = "");
  Process(Process&&) noexcept;
  Process& operator=(Process&&) noexcept;
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  ~Process();  // SIGKILLs the process if still running

  pid_t pid() const { return pid_; }
  bool running();
  // Sends sig and waits up to timeout; returns the exit code (128+N if killed by N), or -1.
  int stop(int sig = 15, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  void kill9();
  int wait(std::chrono::milliseconds timeout);
  std::string out() const;
  std::string err() const;

 private:
  pid_t pid_ = -1;
  int status_ = -1;
  std::string dir_;
};

// Polls cond every 20 ms until it is true or timeout passes. For readiness, never for timing.
bool wait_until(const std::function<bool()>& cond,
                std::chrono::milliseconds timeout = std::chrono::seconds(20));

// A network namespace for the life of the object (name gets a unique suffix).
class Netns {
 public:
  explicit Netns(const std::string& base);
  ~Netns();
  Netns(const Netns&) = delete;
  Netns& operator=(const Netns&) = delete;
  const std::string& name() const { return name_; }
  // Runs a command inside the namespace.
  CommandResult exec(const std::vector<std::string>& argv, const std::string& input = "") const;

 private:
  std::string name_;
};

// A temporary directory removed (recursively) on destruction.
class TempDir {
 public:
  explicit TempDir(const std::string& base = "podnet-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

void write_file(const std::string& path, const std::string& content);
std::string read_file(const std::string& path);

// Paths of things the build produced / the source tree holds (from ctest's environment).
std::string binary_dir();
std::string source_dir();
std::string podnetd_path();
std::string podnetctl_path();

bool is_root();

}  // namespace podnet::harness
