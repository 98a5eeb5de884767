// Delegation to the IPAM plugin as the CNI spec describes it: the plugin named by ipam.type is
// looked up in CNI_PATH and executed with this process's environment (CNI_COMMAND set to the
// delegated command) and the same network configuration on stdin.
#pragma once

#include <string>

#include "cni/cni.hpp"

namespace podnet::cni {

// The plugin's stdout when it exits 0; its error document (code, msg, details) otherwise.
Outcome<std::string> exec_plugin(const std::string& type, const std::string& cni_path,
                                 const std::string& command, const std::string& stdin_text);

Outcome<AddResult> delegate_add(const NetConf& c, const Env& env, const std::string& stdin_text);
Done delegate_del(const NetConf& c, const Env& env, const std::string& stdin_text);
Done delegate_check(const NetConf& c, const Env& env, const std::string& stdin_text);

}  // namespace podnet::cni
