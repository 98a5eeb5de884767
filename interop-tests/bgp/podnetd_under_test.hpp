// PodnetdUnderTest: one podnetd in a namespace with its own directory datastore and control
// socket, and the podnetctl queries the BGP interop tests assert on (paths per prefix and
// peer, peers' state and last error, routes under podnetd's protocol in the kernel).
#pragma once

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "interop-tests/harness/harness.hpp"

namespace podnet::interop {

class PodnetdUnderTest {
 public:
  // Applies `resources` (Calico YAML) to the datastore and starts podnetd in `netns` as node
  // `node` with BGP hold time 9 s. False if the resources were refused.
  bool start(const std::string& netns, const std::string& node, const std::string& resources) {
    netns_ = netns;
    harness::write_file(dir_.file("podnetd.yaml"),
                        fmt::format("nodeName: {}\ndatastore:\n  path: {}\ncontrolSocket: {}\n"
                                    "healthListen: 127.0.0.1:9099\nlogLevel: debug\n"
                                    "bgp:\n  holdTime: 9\n",
                                    node, dir_.file("store"), dir_.file("podnetd.sock")));
    if (ctl({"apply", "-f", "-"}, resources).exit_code != 0) return false;
    proc_ =
        harness::Process({harness::podnetd_path(), "--config", dir_.file("podnetd.yaml")}, netns_);
    return true;
  }
  harness::CommandResult ctl(std::vector<std::string> args, const std::string& input = "") const {
    args.insert(args.begin(), harness::podnetctl_path());
    args.push_back("--datastore=dir:" + dir_.file("store"));
    args.push_back("--socket=" + dir_.file("podnetd.sock"));
    return harness::run(args, input);
  }
  // `podnetctl show <what> --json`, null when it fails.
  nlohmann::json show(const std::vector<std::string>& what) const {
    std::vector<std::string> args = {"show"};
    args.insert(args.end(), what.begin(), what.end());
    args.push_back("--json");
    auto r = ctl(args);
    if (r.exit_code != 0) return nullptr;
    return nlohmann::json::parse(r.out, nullptr, false);
  }
  // Every path podnetd holds for prefix learned from peer address `from` (empty: none).
  std::vector<nlohmann::json> paths_from(const std::string& prefix, const std::string& from) const {
    std::vector<nlohmann::json> out;
    auto j = show({"routes", prefix});
    if (j.is_null() || !j.contains("routes")) return out;
    for (const auto& r : j["routes"])
      for (const auto& p : r["paths"])
        if (p.value("peerAddress", "") == from) out.push_back(p);
    return out;
  }
  // The (first) such path, or null.
  nlohmann::json path(const std::string& prefix, const std::string& from) const {
    auto all = paths_from(prefix, from);
    return all.empty() ? nlohmann::json() : all.front();
  }
  // The peer's entry in `show peers` by its BIRD-style name (Global_10_0_0_2), or null.
  nlohmann::json peer(const std::string& name) const {
    auto j = show({"peers"});
    if (j.is_null()) return nullptr;
    for (const auto& p : j["peers"])
      if (p.value("name", "") == name) return p;
    return nullptr;
  }
  bool established(const std::string& name) const {
    auto p = peer(name);
    return !p.is_null() && p.value("state", "") == "Established";
  }
  std::string last_error(const std::string& name) const {
    auto p = peer(name);
    return p.is_null() ? "" : p.value("lastError", "");
  }
  // `ip route show <prefix> proto 12` in podnetd's namespace ("" when there is none).
  std::string kernel_route(const std::string& prefix) const {
    auto r = harness::run({"ip", "-n", netns_, "-4", "route", "show", prefix, "proto", "12"});
    return r.exit_code == 0 ? r.out : "";
  }
  bool in_kernel(const std::string& prefix) const { return !kernel_route(prefix).empty(); }
  std::string log() const { return proc_.err(); }

 private:
  std::string netns_;
  harness::TempDir dir_{"podnetd-under-test"};
  harness::Process proc_;
};

struct GlobalPeer {
  std::string name;
  std::string ip;
  uint32_t as = 0;
};

// Node n1 at 10.0.0.1/24 in AS 64512 without the node-to-node mesh, and these global BGPPeers.
inline std::string single_node_resources(const std::vector<GlobalPeer>& peers) {
  std::string y =
      "apiVersion: projectcalico.org/v3\nkind: Node\nmetadata:\n  name: n1\nspec:\n  bgp:\n"
      "    ipv4Address: 10.0.0.1/24\n---\napiVersion: projectcalico.org/v3\n"
      "kind: BGPConfiguration\nmetadata:\n  name: default\nspec:\n  asNumber: 64512\n"
      "  nodeToNodeMeshEnabled: false\n";
  for (const auto& p : peers) {
    y += fmt::format(
        "---\napiVersion: projectcalico.org/v3\nkind: BGPPeer\nmetadata:\n  name: {}\nspec:\n"
        "  peerIP: {}\n  asNumber: {}\n",
        p.name, p.ip, p.as);
  }
  return y;
}

// Calico's name for a global BGPPeer's session: Global_10_0_0_2.
inline std::string global_peer_name(std::string address) {
  for (auto& c : address)
    if (c == '.' || c == ':') c = '_';
  return "Global_" + address;
}

}  // namespace podnet::interop
