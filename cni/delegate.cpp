#include "cni/delegate.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include <fmt/format.h>

extern char** environ;

namespace podnet::cni {

namespace {

std::string find_in_path(const std::string& type, const std::string& cni_path) {
  std::size_t pos = 0;
  while (pos <= cni_path.size()) {
    std::size_t end = cni_path.find(':', pos);
    if (end == std::string::npos) end = cni_path.size();
    std::string dir = cni_path.substr(pos, end - pos);
    pos = end + 1;
    if (dir.empty()) continue;
    std::string candidate = dir + "/" + type;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

void write_all(int fd, const std::string& s) {
  std::size_t off = 0;
  while (off < s.size()) {
    ssize_t n = ::write(fd, s.data() + off, s.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // the child stopped reading; its exit status tells the rest
    off += static_cast<std::size_t>(n);
  }
}

}  // namespace

Outcome<std::string> exec_plugin(const std::string& type, const std::string& cni_path,
                                 const std::string& command, const std::string& stdin_text) {
  if (type.empty() || type.find('/') != std::string::npos)
    return cni_error(kInvalidConfig, fmt::format("invalid plugin type '{}'", type));
  const std::string path = find_in_path(type, cni_path);
  if (path.empty())
    return cni_error(kInvalidConfig,
                     fmt::format("failed to find plugin \"{}\" in path [{}]", type, cni_path));

  // The environment as is, with CNI_COMMAND replaced (a rollback delegates DEL during ADD).
  std::vector<std::string> env_store;
  for (char** e = environ; *e; ++e)
    if (std::strncmp(*e, "CNI_COMMAND=", 12) != 0) env_store.emplace_back(*e);
  env_store.push_back("CNI_COMMAND=" + command);
  std::vector<char*> envp;
  for (auto& s : env_store) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::string arg0 = path;
  char* argv[] = {arg0.data(), nullptr};

  int in[2], out[2];
  if (::pipe2(in, O_CLOEXEC) != 0) return cni_error(kIoFailure, "pipe", std::strerror(errno));
  if (::pipe2(out, O_CLOEXEC) != 0) {
    ::close(in[0]);
    ::close(in[1]);
    return cni_error(kIoFailure, "pipe", std::strerror(errno));
  }
  pid_t pid = ::fork();
  if (pid < 0) {
    for (int fd : {in[0], in[1], out[0], out[1]}) ::close(fd);
    return cni_error(kIoFailure, "fork", std::strerror(errno));
  }
  if (pid == 0) {
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    ::execve(path.c_str(), argv, envp.data());
    ::_exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  write_all(in[1], stdin_text);
  ::close(in[1]);
  std::string output;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(out[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    output.append(buf, static_cast<std::size_t>(n));
  }
  ::close(out[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return output;

  auto j = nlohmann::json::parse(output, nullptr, false);
  if (j.is_object() && j.contains("code") && j["code"].is_number_integer())
    return cni_error(j["code"].get<int>(), j.value("msg", ""), j.value("details", ""));
  return cni_error(kIpamFailure, fmt::format("plugin {} failed (status {})", path, status), output);
}

Outcome<AddResult> delegate_add(const NetConf& c, const Env& env, const std::string& stdin_text) {
  auto out = exec_plugin(c.ipam.type, env.path, "ADD", stdin_text);
  if (!out) return out.error();
  auto j = nlohmann::json::parse(*out, nullptr, false);
  if (j.is_discarded())
    return cni_error(kDecodeFailure, fmt::format("IPAM plugin {} printed no JSON", c.ipam.type),
                     *out);
  return parse_result(j);
}

Done delegate_del(const NetConf& c, const Env& env, const std::string& stdin_text) {
  auto out = exec_plugin(c.ipam.type, env.path, "DEL", stdin_text);
  if (!out) return out.error();
  return Ok{};
}

Done delegate_check(const NetConf& c, const Env& env, const std::string& stdin_text) {
  auto out = exec_plugin(c.ipam.type, env.path, "CHECK", stdin_text);
  if (!out) return out.error();
  return Ok{};
}

}  // namespace podnet::cni
