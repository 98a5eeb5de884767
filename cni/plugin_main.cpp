// The executable's frame shared by both plugins: environment, stdin, dispatch, stdout, exit code.
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <iterator>

#include "cni/cni.hpp"

namespace podnet::cni {

namespace {

int print(const nlohmann::ordered_json& j, int code) {
  std::cout << j.dump() << std::endl;
  return code;
}

}  // namespace

int plugin_main(const Handlers& h) {
  auto env = parse_env([](const char* n) { return std::getenv(n); });
  if (!env) return print(error_json(env.error(), kPrimaryVersion), 1);

  std::string input((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  if (std::cin.bad())
    return print(error_json(cni_error(kIoFailure, "error reading stdin"), kPrimaryVersion), 1);

  if (env->command == Command::version) {
    // VERSION answers in the config's version when one is given (and supported).
    std::string v = kPrimaryVersion;
    auto j = nlohmann::json::parse(input, nullptr, false);
    if (j.is_object() && j.contains("cniVersion") && j["cniVersion"].is_string() &&
        is_supported_version(j["cniVersion"].get<std::string>()))
      v = j["cniVersion"].get<std::string>();
    return print(version_json(v), 0);
  }

  auto conf = parse_net_conf(input);
  if (!conf) return print(error_json(conf.error(), kPrimaryVersion), 1);
  const std::string& v = conf->cni_version;
  try {
    switch (env->command) {
      case Command::add: {
        auto r = h.add(*env, *conf, input);
        if (!r) return print(error_json(r.error(), v), 1);
        return print(result_json(*r, v), 0);
      }
      case Command::del: {
        auto r = h.del(*env, *conf, input);
        if (!r) return print(error_json(r.error(), v), 1);
        return 0;  // DEL prints nothing on success
      }
      case Command::check: {
        if (!version_has_check(v))
          return print(
              error_json(cni_error(kIncompatibleVersion, "config version does not allow CHECK"), v),
              1);
        auto r = h.check(*env, *conf, input);
        if (!r) return print(error_json(r.error(), v), 1);
        return 0;
      }
      case Command::version:
        break;
    }
  } catch (const std::exception& e) {
    // Nothing should throw; if something does, the runtime still gets a CNI error document.
    return print(error_json(cni_error(kIpamFailure, "internal error", e.what()), v), 1);
  }
  return 0;
}

}  // namespace podnet::cni
