#include "cni/tests/runtime.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <vector>

#include <gtest/gtest.h>

#include "conf/resource.hpp"
#include "ipam-sync/resource_ops.hpp"

namespace podnet::cni::testing {

nlohmann::json Invocation::json() const {
  auto j = nlohmann::json::parse(out, nullptr, false);
  return j.is_discarded() ? nlohmann::json() : j;
}

Invocation invoke(const std::string& binary, const std::map<std::string, std::string>& env,
                  const std::string& stdin_text, const std::string& netns) {
  // Everything the child needs is prepared before fork (the test process has threads).
  std::vector<std::string> env_store;
  env_store.push_back("PATH=/usr/sbin:/usr/bin:/sbin:/bin");
  for (const auto& [k, v] : env) env_store.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& s : env_store) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::string arg0 = binary;
  char* argv[] = {arg0.data(), nullptr};
  int ns_fd = -1;
  if (!netns.empty()) {
    ns_fd = ::open(("/var/run/netns/" + netns).c_str(), O_RDONLY | O_CLOEXEC);
    if (ns_fd < 0) return {};
  }
  int in[2], out[2];
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0) return {};
  pid_t pid = ::fork();
  if (pid == 0) {
    if (ns_fd >= 0 && ::setns(ns_fd, CLONE_NEWNET) != 0) ::_exit(126);
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    ::execve(binary.c_str(), argv, envp.data());
    ::_exit(127);
  }
  if (ns_fd >= 0) ::close(ns_fd);
  ::close(in[0]);
  ::close(out[1]);
  std::size_t off = 0;
  while (off < stdin_text.size()) {
    ssize_t n = ::write(in[1], stdin_text.data() + off, stdin_text.size() - off);
    if (n <= 0) break;
    off += static_cast<std::size_t>(n);
  }
  ::close(in[1]);
  Invocation r;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(out[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    r.out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(out[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

std::string plugin_path() {
  return PODNET_CNI_PLUGIN;
}
std::string ipam_path() {
  return PODNET_CNI_IPAM;
}
std::string plugin_dir() {
  return std::filesystem::path(plugin_path()).parent_path().string();
}

std::map<std::string, std::string> cni_env(const std::string& command,
                                           const std::string& container_id,
                                           const std::string& netns_path, const std::string& ns,
                                           const std::string& pod) {
  std::map<std::string, std::string> e{{"CNI_COMMAND", command},
                                       {"CNI_CONTAINERID", container_id},
                                       {"CNI_IFNAME", "eth0"},
                                       {"CNI_PATH", "/nonexistent:" + plugin_dir()}};
  if (!netns_path.empty()) e["CNI_NETNS"] = netns_path;
  if (!pod.empty())
    e["CNI_ARGS"] = "IgnoreUnknown=1;K8S_POD_NAMESPACE=" + ns + ";K8S_POD_NAME=" + pod +
                    ";K8S_POD_INFRA_CONTAINER_ID=" + container_id;
  return e;
}

nlohmann::json net_conf(const std::string& datastore_dir, const std::string& version) {
  return {{"cniVersion", version},
          {"name", "k8s-pod-network"},
          {"type", "podnet"},
          {"nodename", "node1"},
          {"datastore", "dir:" + datastore_dir},
          {"mtu_file", datastore_dir + "/no-such-mtu-file"},
          {"ipam", {{"type", "podnet-ipam"}, {"assign_ipv4", "true"}, {"assign_ipv6", "false"}}}};
}

TestStore::TestStore() {
  char tmpl[] = "/tmp/podnet-cni-test-XXXXXX";
  const char* d = ::mkdtemp(tmpl);
  EXPECT_NE(d, nullptr);
  dir_ = d ? d : "/tmp/podnet-cni-test-failed";
  auto ds = store::open_datastore("dir:" + dir_ + "/store");
  EXPECT_TRUE(ds.ok()) << (ds.ok() ? "" : ds.error().message);
  if (ds) ds_ = std::move(*ds);
  dir_ += "/store";
}

TestStore::~TestStore() {
  ds_.reset();
  std::error_code ec;
  std::filesystem::remove_all(std::filesystem::path(dir_).parent_path(), ec);
}

void TestStore::apply(const std::string& yaml) {
  for (auto& d : conf::parse_documents(yaml, "<test>")) {
    ASSERT_TRUE(d.errors.empty()) << d.errors.front().str();
    for (auto& r : d.resources) {
      auto w = store::write(*ds_, r, store::WriteMode::apply);
      ASSERT_TRUE(w.ok()) << w.error().message;
    }
  }
}

std::string pool_yaml(const std::string& name, const std::string& cidr, int block_size) {
  return "apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: " + name +
         "\nspec:\n  cidr: " + cidr + "\n  blockSize: " + std::to_string(block_size) +
         "\n  ipipMode: Never\n  vxlanMode: Never\n  nodeSelector: all()\n";
}

}  // namespace podnet::cni::testing
