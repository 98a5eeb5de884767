// A real etcd for tests: starts Debian's etcd-server (/usr/bin/etcd, 3.4) on free loopback
// ports in a temp directory, waits until every member is healthy, and stops and removes
// everything on destruction. One member by default, or a cluster of several on loopback.
// Header-only, no dependency beyond the C++ and POSIX libraries, so any test can include it.
//
// Usage:
//   #include "ipam-sync/tests/etcd_server.hpp"
//   podnet::store::testing::EtcdServer etcd;               // one member
//   ASSERT_TRUE(etcd.ok()) << etcd.error();
//   auto ds = podnet::store::open_datastore(etcd.spec());  // "etcd:http://127.0.0.1:PORT"
//
//   podnet::store::testing::EtcdServer cluster(3);   // three members (or EtcdOptions)
//   cluster.spec();              // "etcd:http://127.0.0.1:P1,http://127.0.0.1:P2,..."
//   cluster.stop_member(*cluster.leader());  // kill the leader; the others elect a new one
//   cluster.etcdctl({"get", "--prefix", "/calico"});  // runs etcdctl against all members
//
// Data lives under /dev/shm when it exists (etcd fsyncs every write; tmpfs makes that free),
// else /tmp. Each member is started with PR_SET_PDEATHSIG so a crashed test leaves no etcd.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace podnet::store::testing {

struct EtcdOptions {
  int members = 1;
  // Server TLS on the client URLs (https). Peers talk plain http on loopback.
  std::string cert_file;
  std::string key_file;
  // The CA that signed cert_file (etcdctl verifies the server with it).
  std::string ca_file;
  // Require client certificates signed by ca_file (--client-cert-auth). etcd 3.4's gateway
  // presents cert_file to its own gRPC server, so that certificate needs extendedKeyUsage
  // clientAuth as well as serverAuth; etcdctl uses it too unless set_etcdctl_client_cert().
  bool client_cert_auth = false;
  // Extra flags passed to every member (e.g. "--auto-compaction-retention=1").
  std::vector<std::string> extra_args;
};

struct EtcdCommandResult {
  int exit_code = -1;  // 128+N when killed by signal N
  std::string output;  // stdout and stderr interleaved
};

namespace etcd_detail {

// A free TCP port on 127.0.0.1 (bound then released; etcd binds it right after).
inline int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  int port = -1;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
    port = ntohs(a.sin_port);
  ::close(fd);
  return port;
}

inline std::vector<char*> c_argv(std::vector<std::string>& args) {
  std::vector<char*> v;
  for (auto& a : args) v.push_back(a.data());
  v.push_back(nullptr);
  return v;
}

// fork + exec with output to log_path (appended); dies with the test process.
inline pid_t spawn(std::vector<std::string> args, const std::string& log_path) {
  auto argv = c_argv(args);
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid != 0) return pid;
  // Child: async-signal-safe calls only.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(127);
  int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (fd >= 0) {
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    ::close(fd);
  }
  ::execv(argv[0], argv.data());
  ::_exit(127);
}

inline int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// Runs argv to completion, capturing stdout+stderr; kills it after timeout.
inline EtcdCommandResult run(std::vector<std::string> args, std::chrono::milliseconds timeout) {
  EtcdCommandResult r;
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) != 0) return r;
  auto argv = c_argv(args);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(pipefd[1], 1);
    ::dup2(pipefd[1], 2);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(pipefd[1]);
  if (pid < 0) {
    ::close(pipefd[0]);
    return r;
  }
  ::fcntl(pipefd[0], F_SETFL, O_NONBLOCK);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[4096];
  int status = 0;
  bool done = false;
  while (!done) {
    ssize_t n;
    while ((n = ::read(pipefd[0], buf, sizeof buf)) > 0) r.output.append(buf, size_t(n));
    pid_t w = ::waitpid(pid, &status, WNOHANG);
    if (w == pid) {
      done = true;
    } else if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      done = true;
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  ssize_t n;
  while ((n = ::read(pipefd[0], buf, sizeof buf)) > 0) r.output.append(buf, size_t(n));
  ::close(pipefd[0]);
  r.exit_code = decode_status(status);
  return r;
}

}  // namespace etcd_detail

class EtcdServer {
 public:
  // A cluster of `members` plain-http members.
  explicit EtcdServer(int members) : EtcdServer(with_members(members)) {}
  explicit EtcdServer(EtcdOptions opts = {}) : opts_(std::move(opts)) {
    std::string base = std::filesystem::exists("/dev/shm") ? "/dev/shm" : "/tmp";
    std::string tmpl = base + "/podnet-etcd-XXXXXX";
    if (char* p = ::mkdtemp(tmpl.data())) dir_ = p;
    if (dir_.empty()) {
      error_ = "mkdtemp failed";
      return;
    }
    // A port taken between free_port() and etcd's bind makes a member exit at once: retry
    // the whole cluster on fresh ports a few times.
    for (int attempt = 0; attempt < 3 && !ok_; ++attempt) {
      if (attempt > 0) {
        stop_all();
        members_.clear();
        std::error_code ec;
        for (auto& e : std::filesystem::directory_iterator(dir_, ec))
          std::filesystem::remove_all(e.path(), ec);
      }
      ok_ = start_cluster();
    }
  }

  ~EtcdServer() {
    stop_all();
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }
  EtcdServer(const EtcdServer&) = delete;
  EtcdServer& operator=(const EtcdServer&) = delete;

  bool ok() const { return ok_; }
  const std::string& error() const { return error_; }
  const std::string& dir() const { return dir_; }
  size_t size() const { return members_.size(); }
  bool tls() const { return !opts_.cert_file.empty(); }

  // "http://127.0.0.1:PORT" (https with TLS) of member i.
  std::string client_url(size_t i = 0) const { return url(members_.at(i).client_port); }
  std::vector<std::string> client_urls() const {
    std::vector<std::string> v;
    for (size_t i = 0; i < members_.size(); ++i) v.push_back(client_url(i));
    return v;
  }
  // Comma-separated client URLs of every member.
  std::string endpoints() const {
    std::string s;
    for (auto& u : client_urls()) s += (s.empty() ? "" : ",") + u;
    return s;
  }
  // The datastore spec: "etcd:http://127.0.0.1:P1[,http://127.0.0.1:P2...]".
  std::string spec() const { return "etcd:" + endpoints(); }

  bool running(size_t i) const { return members_.at(i).pid > 0; }
  pid_t pid(size_t i) const { return members_.at(i).pid; }

  // Stops member i (SIGTERM, then SIGKILL after 5 s). Its data stays for start_member.
  void stop_member(size_t i, int sig = SIGTERM) {
    auto& m = members_.at(i);
    if (m.pid <= 0) return;
    ::kill(m.pid, sig);
    int status = 0;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (::waitpid(m.pid, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        ::kill(m.pid, SIGKILL);
        ::waitpid(m.pid, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    m.pid = -1;
  }
  void kill_member(size_t i) { stop_member(i, SIGKILL); }

  // Restarts a stopped member on the same ports and data; waits until it is healthy.
  bool start_member(size_t i, std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    auto& m = members_.at(i);
    if (m.pid > 0) return true;
    m.pid = etcd_detail::spawn(member_args(i, /*existing=*/true), m.log);
    return wait_healthy({i}, timeout);
  }

  // Index of the current leader among running members (asks `etcdctl endpoint status`).
  std::optional<size_t> leader() const {
    for (size_t i = 0; i < members_.size(); ++i) {
      if (members_[i].pid <= 0) continue;
      auto r = etcdctl_at(i, {"endpoint", "status", "--write-out=fields"});
      if (r.exit_code != 0) continue;
      // Fields output has "MemberID" : N and "Leader" : N lines.
      auto field = [&](const std::string& name) -> std::string {
        auto p = r.output.find("\"" + name + "\" : ");
        if (p == std::string::npos) return "";
        p += name.size() + 5;
        return r.output.substr(p, r.output.find('\n', p) - p);
      };
      auto id = field("MemberID");
      if (!id.empty() && id == field("Leader")) return i;
    }
    return std::nullopt;
  }

  // Runs etcdctl (API v3) with --endpoints of every running member (and the TLS files).
  EtcdCommandResult etcdctl(const std::vector<std::string>& args,
                            std::chrono::milliseconds timeout = std::chrono::seconds(15)) const {
    std::string eps;
    for (size_t i = 0; i < members_.size(); ++i)
      if (members_[i].pid > 0) eps += (eps.empty() ? "" : ",") + client_url(i);
    return run_etcdctl(eps, args, timeout);
  }
  // Runs etcdctl against member i only.
  EtcdCommandResult etcdctl_at(size_t i, const std::vector<std::string>& args,
                               std::chrono::milliseconds timeout = std::chrono::seconds(15)) const {
    return run_etcdctl(client_url(i), args, timeout);
  }

  // The member's log (etcd's stdout+stderr), for failure messages.
  std::string log(size_t i = 0) const {
    std::string s;
    if (FILE* f = std::fopen(members_.at(i).log.c_str(), "r")) {
      char buf[4096];
      size_t n;
      while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) s.append(buf, n);
      std::fclose(f);
    }
    return s;
  }

  // Client TLS files etcdctl should use (set when the server requires client certificates).
  void set_etcdctl_client_cert(std::string cert, std::string key) {
    ctl_cert_ = std::move(cert);
    ctl_key_ = std::move(key);
  }
  // Credentials etcdctl should use once auth is enabled.
  void set_etcdctl_user(std::string user_password) { ctl_user_ = std::move(user_password); }

 private:
  struct Member {
    std::string name;
    int client_port = -1;
    int peer_port = -1;
    std::string data;
    std::string log;
    pid_t pid = -1;
  };

  static EtcdOptions with_members(int n) {
    EtcdOptions o;
    o.members = n;
    return o;
  }

  std::string url(int port) const {
    return std::string(tls() ? "https" : "http") + "://127.0.0.1:" + std::to_string(port);
  }
  static std::string peer_url(int port) { return "http://127.0.0.1:" + std::to_string(port); }

  std::vector<std::string> member_args(size_t i, bool existing) const {
    const Member& m = members_[i];
    std::string initial_cluster;
    for (auto& o : members_)
      initial_cluster +=
          (initial_cluster.empty() ? "" : ",") + o.name + "=" + peer_url(o.peer_port);
    std::vector<std::string> a{
        "/usr/bin/etcd", "--name=" + m.name, "--data-dir=" + m.data,
        "--listen-client-urls=" + url(m.client_port),
        "--advertise-client-urls=" + url(m.client_port),
        "--listen-peer-urls=" + peer_url(m.peer_port),
        "--initial-advertise-peer-urls=" + peer_url(m.peer_port),
        "--initial-cluster=" + initial_cluster,
        "--initial-cluster-state=" + std::string(existing ? "existing" : "new"),
        "--initial-cluster-token=" + std::filesystem::path(dir_).filename().string(),
        "--logger=zap", "--log-level=warn",
        // Short heartbeats make leader elections after a kill quick.
        "--heartbeat-interval=50", "--election-timeout=500"};
    if (tls()) {
      a.push_back("--cert-file=" + opts_.cert_file);
      a.push_back("--key-file=" + opts_.key_file);
    }
    if (opts_.client_cert_auth) {
      a.push_back("--client-cert-auth");
      a.push_back("--trusted-ca-file=" + opts_.ca_file);
    }
    for (auto& e : opts_.extra_args) a.push_back(e);
    return a;
  }

  bool start_cluster() {
    int n = opts_.members < 1 ? 1 : opts_.members;
    for (int i = 0; i < n; ++i) {
      Member m;
      m.name = "m" + std::to_string(i);
      m.client_port = etcd_detail::free_port();
      m.peer_port = etcd_detail::free_port();
      m.data = dir_ + "/" + m.name + ".etcd";
      m.log = dir_ + "/" + m.name + ".log";
      if (m.client_port <= 0 || m.peer_port <= 0 || m.client_port == m.peer_port) {
        error_ = "no free port";
        return false;
      }
      members_.push_back(m);
    }
    for (size_t i = 0; i < members_.size(); ++i)
      members_[i].pid = etcd_detail::spawn(member_args(i, false), members_[i].log);
    std::vector<size_t> all;
    for (size_t i = 0; i < members_.size(); ++i) all.push_back(i);
    return wait_healthy(all, std::chrono::seconds(20));
  }

  // Polls `etcdctl endpoint health` until every listed member answers, or one died.
  bool wait_healthy(const std::vector<size_t>& which, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    std::vector<bool> healthy(which.size(), false);
    while (std::chrono::steady_clock::now() < deadline) {
      bool all = true;
      for (size_t k = 0; k < which.size(); ++k) {
        Member& m = members_[which[k]];
        int status = 0;
        if (m.pid > 0 && ::waitpid(m.pid, &status, WNOHANG) == m.pid) {
          m.pid = -1;
          error_ = "etcd member " + m.name + " exited: " + log(which[k]);
          return false;
        }
        if (!healthy[k]) {
          auto r = etcdctl_at(which[k], {"endpoint", "health", "--command-timeout=1s"},
                              std::chrono::seconds(3));
          healthy[k] = r.exit_code == 0;
          if (!healthy[k]) error_ = r.output;
        }
        all = all && healthy[k];
      }
      if (all) {
        error_.clear();
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    error_ = "etcd not healthy in time: " + error_;
    return false;
  }

  EtcdCommandResult run_etcdctl(const std::string& endpoints, const std::vector<std::string>& args,
                                std::chrono::milliseconds timeout) const {
    std::vector<std::string> a{"/usr/bin/env", "ETCDCTL_API=3", "/usr/bin/etcdctl",
                               "--endpoints=" + endpoints, "--dial-timeout=2s"};
    if (tls()) a.push_back("--cacert=" + opts_.ca_file);
    if (!ctl_cert_.empty()) {
      a.push_back("--cert=" + ctl_cert_);
      a.push_back("--key=" + ctl_key_);
    } else if (opts_.client_cert_auth) {
      // The server's own certificate (etcd 3.4's gateway needs it to allow clientAuth too).
      a.push_back("--cert=" + opts_.cert_file);
      a.push_back("--key=" + opts_.key_file);
    }
    if (!ctl_user_.empty()) a.push_back("--user=" + ctl_user_);
    a.insert(a.end(), args.begin(), args.end());
    return etcd_detail::run(std::move(a), timeout);
  }

  // Teardown: the data goes with the directory, so SIGKILL (a member that lost quorum can
  // take seconds to stop on SIGTERM).
  void stop_all() {
    for (size_t i = 0; i < members_.size(); ++i) kill_member(i);
  }

  EtcdOptions opts_;
  std::string dir_;
  std::vector<Member> members_;
  bool ok_ = false;
  std::string error_;
  std::string ctl_cert_, ctl_key_, ctl_user_;
};

}  // namespace podnet::store::testing
