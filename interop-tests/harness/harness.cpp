#include "interop-tests/harness/harness.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace podnet::harness {

namespace fs = std::filesystem;

namespace {

std::string make_temp_dir(const std::string& base) {
  std::string tmpl = (fs::temp_directory_path() / (base + "-XXXXXX")).string();
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  return tmpl;
}

int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// Spawns argv with stdin/stdout/stderr redirected to the given files.
pid_t spawn(const std::vector<std::string>& argv, const std::string& in_path,
            const std::string& out_path, const std::string& err_path) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, in_path.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&fa, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // Own process group, so a test's SIGINT does not reach it and stop() can signal it alone.
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attr, 0);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, args[0], &fa, &attr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) throw std::runtime_error("spawn " + argv[0] + " failed: " + std::to_string(rc));
  return pid;
}

std::atomic<int> counter{0};

}  // namespace

void write_file(const std::string& path, const std::string& content) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << content;
  if (!f) throw std::runtime_error("cannot write " + path);
}

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

CommandResult run(const std::vector<std::string>& argv, const std::string& input,
                  std::chrono::seconds timeout) {
  TempDir dir("podnet-run");
  write_file(dir.file("in"), input);
  pid_t pid = spawn(argv, dir.file("in"), dir.file("out"), dir.file("err"));
  CommandResult r;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  while (true) {
    pid_t w = ::waitpid(pid, &status, WNOHANG);
    if (w == pid) {
      r.exit_code = decode_status(status);
      break;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      r.exit_code = -1;
      r.err = "harness: timed out\n";
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  r.out = read_file(dir.file("out"));
  r.err += read_file(dir.file("err"));
  return r;
}

CommandResult sh(const std::string& script, std::chrono::seconds timeout) {
  return run({"/bin/sh", "-c", script}, "", timeout);
}

Process::Process(const std::vector<std::string>& argv, const std::string& netns) {
  dir_ = make_temp_dir("podnet-proc");
  write_file(dir_ + "/in", "");
  std::vector<std::string> full;
  if (!netns.empty()) full = {"ip", "netns", "exec", netns};
  full.insert(full.end(), argv.begin(), argv.end());
  pid_ = spawn(full, dir_ + "/in", dir_ + "/out", dir_ + "/err");
}

Process::Process(Process&& o) noexcept {
  *this = std::move(o);
}

Process& Process::operator=(Process&& o) noexcept {
  std::swap(pid_, o.pid_);
  std::swap(status_, o.status_);
  std::swap(dir_, o.dir_);
  return *this;
}

Process::~Process() {
  if (pid_ > 0 && running()) {
    ::kill(pid_, SIGKILL);
    int st;
    ::waitpid(pid_, &st, 0);
  }
  if (!dir_.empty()) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
}

bool Process::running() {
  if (pid_ <= 0 || status_ >= 0) return false;
  int st = 0;
  pid_t w = ::waitpid(pid_, &st, WNOHANG);
  if (w == pid_) {
    status_ = decode_status(st);
    return false;
  }
  return true;
}

int Process::wait(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (running()) {
    if (std::chrono::steady_clock::now() > deadline) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return status_;
}

int Process::stop(int sig, std::chrono::milliseconds timeout) {
  if (running()) ::kill(pid_, sig);
  return wait(timeout);
}

void Process::kill9() {
  if (running()) ::kill(pid_, SIGKILL);
  wait(std::chrono::seconds(10));
}

std::string Process::out() const {
  return read_file(dir_ + "/out");
}
std::string Process::err() const {
  return read_file(dir_ + "/err");
}

bool wait_until(const std::function<bool()>& cond, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!cond()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

Netns::Netns(const std::string& base) {
  name_ = base + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
  auto r = run({"ip", "netns", "add", name_});
  if (r.exit_code != 0) throw std::runtime_error("ip netns add " + name_ + ": " + r.err);
  run({"ip", "-n", name_, "link", "set", "lo", "up"});
}

Netns::~Netns() {
  // Kill whatever the test left inside, then remove the namespace.
  run({"ip", "netns", "pids", name_});
  sh("for p in $(ip netns pids " + name_ + " 2>/dev/null); do kill -9 $p; done");
  run({"ip", "netns", "del", name_});
}

CommandResult Netns::exec(const std::vector<std::string>& argv, const std::string& input) const {
  std::vector<std::string> full = {"ip", "netns", "exec", name_};
  full.insert(full.end(), argv.begin(), argv.end());
  return run(full, input);
}

TempDir::TempDir(const std::string& base) : path_(make_temp_dir(base)) {}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

std::string binary_dir() {
  const char* d = std::getenv("PODNET_BINARY_DIR");
  return d ? d : PODNET_BUILD_DIR;
}
std::string source_dir() {
  const char* d = std::getenv("PODNET_SOURCE_DIR");
  return d ? d : ".";
}
std::string podnetd_path() {
  return binary_dir() + "/daemon/podnetd";
}
std::string podnetctl_path() {
  return binary_dir() + "/cli/podnetctl";
}

bool is_root() {
  return ::geteuid() == 0;
}

}  // namespace podnet::harness
