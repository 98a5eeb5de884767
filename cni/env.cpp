// CNI_* environment: which variables each command needs (as the reference skel package checks
// them), CNI_ARGS, and the spec's validity rules for container ids and interface names.
#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "cni/cni.hpp"

namespace podnet::cni {

std::string Env::pod_namespace() const {
  auto it = args.find("K8S_POD_NAMESPACE");
  return it == args.end() ? "" : it->second;
}

std::string Env::pod_name() const {
  auto it = args.find("K8S_POD_NAME");
  return it == args.end() ? "" : it->second;
}

namespace {

std::optional<Command> command_of(std::string_view s) {
  if (s == "ADD") return Command::add;
  if (s == "DEL") return Command::del;
  if (s == "CHECK") return Command::check;
  if (s == "VERSION") return Command::version;
  return std::nullopt;
}

// The spec: a container id is non-empty, starts alphanumeric and holds only [A-Za-z0-9_.-].
bool valid_container_id(std::string_view id) {
  if (id.empty() || !std::isalnum(static_cast<unsigned char>(id[0]))) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
  });
}

// The kernel's rule (dev_valid_name): 1..15 bytes, not "." or "..", no '/', ':' or whitespace.
bool valid_ifname(std::string_view n) {
  if (n.empty() || n.size() > 15 || n == "." || n == "..") return false;
  return std::none_of(n.begin(), n.end(), [](char c) {
    return c == '/' || c == ':' || std::isspace(static_cast<unsigned char>(c));
  });
}

}  // namespace

Outcome<Env> parse_env(const Getenv& getenv) {
  auto var = [&](const char* name) -> std::string {
    const char* v = getenv(name);
    return v ? v : "";
  };
  Env env;
  const std::string cmd = var("CNI_COMMAND");
  if (cmd.empty()) return cni_error(kInvalidEnv, "required env variables [CNI_COMMAND] missing");
  auto c = command_of(cmd);
  if (!c) return cni_error(kInvalidEnv, fmt::format("unknown CNI_COMMAND: {}", cmd));
  env.command = *c;
  if (env.command == Command::version) return env;

  env.container_id = var("CNI_CONTAINERID");
  env.netns = var("CNI_NETNS");
  env.ifname = var("CNI_IFNAME");
  env.path = var("CNI_PATH");
  std::vector<std::string> missing;
  if (env.container_id.empty()) missing.push_back("CNI_CONTAINERID");
  if (env.netns.empty() && env.command != Command::del) missing.push_back("CNI_NETNS");
  if (env.ifname.empty()) missing.push_back("CNI_IFNAME");
  if (env.path.empty()) missing.push_back("CNI_PATH");
  if (!missing.empty())
    return cni_error(kInvalidEnv,
                     fmt::format("required env variables [{}] missing", fmt::join(missing, ",")));
  if (!valid_container_id(env.container_id))
    return cni_error(kInvalidEnv, fmt::format("invalid CNI_CONTAINERID '{}'", env.container_id),
                     "a container id starts with a letter or digit and holds only letters, "
                     "digits, '_', '.' and '-'");
  if (!valid_ifname(env.ifname))
    return cni_error(kInvalidEnv, fmt::format("invalid CNI_IFNAME '{}'", env.ifname),
                     "an interface name is 1-15 bytes without '/', ':' or spaces");

  const std::string args = var("CNI_ARGS");
  std::size_t pos = 0;
  while (pos < args.size()) {
    std::size_t end = args.find(';', pos);
    if (end == std::string::npos) end = args.size();
    std::string_view pair(args.data() + pos, end - pos);
    pos = end + 1;
    if (pair.empty()) continue;
    auto eq = pair.find('=');
    if (eq == std::string_view::npos || eq == 0)
      return cni_error(kInvalidEnv, fmt::format("CNI_ARGS: invalid pair '{}'", pair));
    env.args[std::string(pair.substr(0, eq))] = std::string(pair.substr(eq + 1));
  }
  return env;
}

}  // namespace podnet::cni
