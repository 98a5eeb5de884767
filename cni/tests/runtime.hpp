// Invoking a CNI plugin exactly as a container runtime does: fork, (join the node's network
// namespace), exec the binary with CNI_* variables in a clean environment and the network
// configuration on stdin; collect stdout and the exit code. Plus a temp-directory datastore.
#pragma once

#include <map>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "ipam-sync/datastore.hpp"

namespace podnet::cni::testing {

struct Invocation {
  int exit_code = -1;
  std::string out;
  nlohmann::json json() const;  // stdout parsed (null when empty or not JSON)
};

// netns: the name of a namespace under /var/run/netns for the plugin to run in, or "".
Invocation invoke(const std::string& binary, const std::map<std::string, std::string>& env,
                  const std::string& stdin_text, const std::string& netns = "");

std::string plugin_path();  // build/cni/podnet
std::string ipam_path();    // build/cni/podnet-ipam
std::string plugin_dir();   // their directory, for CNI_PATH

// The environment of one command for one pod.
std::map<std::string, std::string> cni_env(const std::string& command,
                                           const std::string& container_id,
                                           const std::string& netns_path, const std::string& ns,
                                           const std::string& pod);

// The network configuration the lab uses, for a datastore directory.
nlohmann::json net_conf(const std::string& datastore_dir, const std::string& version = "1.0.0");

// A directory datastore that applies YAML documents (failing the test on an invalid one).
class TestStore {
 public:
  TestStore();
  ~TestStore();
  const std::string& dir() const { return dir_; }
  store::Datastore& ds() { return *ds_; }
  void apply(const std::string& yaml);

 private:
  std::string dir_;
  std::unique_ptr<store::Datastore> ds_;
};

std::string pool_yaml(const std::string& name, const std::string& cidr, int block_size = 26);

}  // namespace podnet::cni::testing
