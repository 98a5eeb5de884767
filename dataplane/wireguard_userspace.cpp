// The userspace backend: wireguard-go processes and their UAPI sockets.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <vector>

#include "dataplane/wireguard_backend.hpp"

extern char** environ;

namespace podnet::dataplane::wg {

namespace {

Error sys_error(const std::string& what, int err) {
  return make_error(Errc::io, what + ": " + std::strerror(err));
}

// A connected UAPI socket, closed on scope exit.
class UapiSocket {
 public:
  ~UapiSocket() {
    if (fd_ >= 0) ::close(fd_);
  }
  Status connect(const std::string& path, int timeout_ms) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return sys_error("uapi socket", errno);
    timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    (void)::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    (void)::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    if (path.size() >= sizeof sa.sun_path) return make_error(Errc::invalid, "uapi path too long");
    std::memcpy(sa.sun_path, path.c_str(), path.size() + 1);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0) {
      return sys_error("uapi connect " + path, errno);
    }
    return ok_status();
  }
  int fd() const { return fd_; }

  // Writes `request` and reads the reply up to its terminating blank line.
  Result<std::string> exchange(const std::string& request) {
    std::size_t off = 0;
    while (off < request.size()) {
      ssize_t n = ::send(fd_, request.data() + off, request.size() - off, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return sys_error("uapi send", errno);
      off += static_cast<std::size_t>(n);
    }
    std::string reply;
    char buf[4096];
    for (;;) {
      if (reply == "\n" || (reply.size() >= 2 && reply.compare(reply.size() - 2, 2, "\n\n") == 0)) {
        return reply;
      }
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return sys_error("uapi recv", errno);
      if (n == 0) return make_error(Errc::io, "uapi: connection closed mid-reply");
      reply.append(buf, static_cast<std::size_t>(n));
    }
  }

 private:
  int fd_ = -1;
};

class Userspace final : public Backend {
 public:
  explicit Userspace(UserspaceOptions opt) : opt_(std::move(opt)) {}
  const char* name() const override { return "userspace (wireguard-go)"; }

  Status create(const std::string& ifname) override {
    // wireguard-go daemonises: the process we start opens the TUN device and the UAPI socket,
    // hands both to a detached child and exits 0. So when it has exited, the device is there,
    // and the child outlives podnetd (a restart adopts it).
    // Its output goes to an unlinked temporary file rather than a pipe: the detached child
    // keeps the descriptor for its whole life, and must neither block on a full pipe nor die
    // of SIGPIPE once we stop reading.
    int outfd = ::open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (outfd < 0) return sys_error("temporary file", errno);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, outfd, 1);
    posix_spawn_file_actions_adddup2(&fa, outfd, 2);
    std::string prog = opt_.program;
    std::string name = ifname;
    char* argv[] = {prog.data(), name.data(), nullptr};
    pid_t pid = 0;
    int rc = ::posix_spawnp(&pid, prog.c_str(), &fa, nullptr, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
      ::close(outfd);
      return sys_error("starting " + prog, rc);
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    std::string out(2048, '\0');
    ssize_t n = ::pread(outfd, out.data(), out.size(), 0);
    out.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
    ::close(outfd);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      return make_error(Errc::io, prog + " " + ifname + " failed: " + out);
    }
    return ok_status();
  }

  bool manages(const std::string& ifname) override {
    UapiSocket s;
    return s.connect(socket_path(ifname), opt_.timeout_ms).ok();
  }

  Result<DeviceState> get(const std::string& ifname) override {
    UapiSocket s;
    if (auto st = s.connect(socket_path(ifname), opt_.timeout_ms); !st) return st.error();
    auto reply = s.exchange("get=1\n\n");
    if (!reply) return reply.error();
    return parse_get_reply(*reply);
  }

  Status set(const std::string& ifname, const DeviceState& current,
             const DeviceState& desired) override {
    std::string req = set_request(current, desired);
    if (req.empty()) return ok_status();
    UapiSocket s;
    if (auto st = s.connect(socket_path(ifname), opt_.timeout_ms); !st) return st.error();
    auto reply = s.exchange(req);
    if (!reply) return reply.error();
    auto e = parse_errno(*reply);
    if (!e) return e.error();
    if (*e != 0)
      return make_error(Errc::io, "uapi set on " + ifname + ": errno=" + std::to_string(*e));
    return ok_status();
  }

 private:
  std::string socket_path(const std::string& ifname) const {
    return opt_.socket_dir + "/" + ifname + ".sock";
  }
  UserspaceOptions opt_;
};

}  // namespace

bool kernel_module_available() {
  struct stat st {};
  return ::stat("/sys/module/wireguard", &st) == 0;
}

std::unique_ptr<Backend> make_userspace_backend(UserspaceOptions opt) {
  return std::make_unique<Userspace>(std::move(opt));
}

std::unique_ptr<Backend> make_backend() {
  if (kernel_module_available()) {
    if (auto k = make_kernel_backend()) return std::move(*k);
  }
  return make_userspace_backend();
}

Result<int> userspace_device_pid(const std::string& ifname, const std::string& program) {
  // Not SO_PEERCRED: the UAPI socket was created by the launcher, which has exited. The
  // detached child runs with the same command line, `<program> <ifname>`.
  std::string prog_base = program.substr(program.rfind('/') + 1);
  DIR* d = ::opendir("/proc");
  if (!d) return sys_error("/proc", errno);
  int found = 0;
  while (dirent* e = ::readdir(d)) {
    int pid = std::atoi(e->d_name);
    if (pid <= 0) continue;
    std::ifstream f(std::string("/proc/") + e->d_name + "/cmdline", std::ios::binary);
    std::string cmd((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    std::vector<std::string> argv;
    for (std::size_t pos = 0; pos < cmd.size();) {
      auto end = cmd.find('\0', pos);
      if (end == std::string::npos) end = cmd.size();
      argv.push_back(cmd.substr(pos, end - pos));
      pos = end + 1;
    }
    if (argv.size() < 2 || argv.back() != ifname) continue;
    if (argv[0].substr(argv[0].rfind('/') + 1) != prog_base) continue;
    found = pid;
    break;
  }
  ::closedir(d);
  if (!found) return make_error(Errc::not_found, "no " + prog_base + " process serves " + ifname);
  return found;
}

}  // namespace podnet::dataplane::wg
