// Pod-to-pod iperf3 throughput with 0 and with 1,000 policies, in one run (issue 7): a node
// namespace with two pods behind cali veths (named as Calico's CNI names them), programmed by the
// PolicyEngine. "1,000 policies": 1,000 Calico NetworkPolicies all selecting the server pod, the
// first 999 allowing only other sources/ports and the last (highest order) allowing the client,
// so a new flow walks 999 policy chains before it is allowed. iperf3 (TCP, one stream) runs
// client -> server alternately with no policy and with the 1,000 (rounds of both); prints the mean
// Gbit/s of each and their ratio. Not a test: numbers go to bench/README.md.
//
//   sudo ./build/bench/policy_throughput [seconds per run, default 5] [rounds, default 2]
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "bench/policy_bench_util.hpp"
#include "conf/resource.hpp"
#include "interop-tests/harness/harness.hpp"
#include "interop-tests/topology/pod.hpp"
#include "interop-tests/topology/topology.hpp"
#include "policy/endpoints.hpp"
#include "policy/policy_engine.hpp"

using namespace podnet;
using bench::enter;
using bench::parse;

namespace {

constexpr const char* kClientIp = "10.244.0.10";
constexpr const char* kServerIp = "10.244.0.11";

std::string base() {
  std::string y = "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: bench\n";
  for (auto [name, ip] : {std::pair{"client", kClientIp}, std::pair{"server", kServerIp}})
    y += fmt::format(
        "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: {}\n  namespace: bench\n  labels: "
        "{{app: {}}}\nspec:\n  nodeName: node1\nstatus:\n  podIPs:\n  - ip: {}\n",
        name, name, ip);
  return y;
}

std::string policies(int n) {
  std::string y;
  for (int i = 0; i < n; ++i) {
    const bool last = i == n - 1;
    y += fmt::format(
        "---\napiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata:\n  name: p-{:04}\n"
        "  namespace: bench\nspec:\n  order: {}\n  selector: app == 'server'\n  types: "
        "[Ingress]\n  ingress:\n  - action: Allow\n    protocol: TCP\n    source:\n      selector: "
        "app == '{}'\n    destination:\n      ports: [{}]\n",
        i, i, last ? "client" : fmt::format("other-{}", i % 50), last ? 5201 : 6000 + i % 500);
  }
  return y;
}

double iperf(interop::Topology& topo, int seconds) {
  harness::Process server({"iperf3", "-s", "-1", "-p", "5201"}, topo.ns("server"));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto r = topo.exec(
      "client", {"iperf3", "-c", kServerIp, "-p", "5201", "-t", std::to_string(seconds), "-J"});
  server.stop();
  if (r.exit_code != 0) {
    fmt::print(stderr, "iperf3 failed: {}{}\n", r.out.substr(0, 400), r.err);
    return -1;
  }
  try {
    auto j = nlohmann::json::parse(r.out);
    return j["end"]["sum_received"]["bits_per_second"].get<double>() / 1e9;
  } catch (const std::exception& e) {
    fmt::print(stderr, "iperf3 output: {}\n", e.what());
    return -1;
  }
}

}  // namespace

int main(int argc, char** argv) {
  const int seconds = argc > 1 ? std::atoi(argv[1]) : 5;
  const int rounds = argc > 2 ? std::max(1, std::atoi(argv[2])) : 2;
  interop::Topology topo("pt");
  if (!topo.add_host("node").ok() || !topo.add_host("ext").ok() ||
      !topo.add_link({"node", "eth0", {"172.31.0.1/24"}}, {"ext", "eth0", {"172.31.0.2/24"}})
           .ok() ||
      !topo.up().ok()) {
    fmt::print(stderr, "topology failed\n");
    return 1;
  }
  for (auto [name, ip] : {std::pair{"client", kClientIp}, std::pair{"server", kServerIp}}) {
    auto pod = interop::add_pod(topo, "node", "eth0", name, ip, "bench");
    if (!pod) {
      fmt::print(stderr, "pod: {}\n", pod.error().message);
      return 1;
    }
    // The compiler's maps key on Calico's CNI device name; renamed if the topology chose another.
    const std::string want = policy::workload_interface_name("bench", name);
    if (pod->host_if == want) continue;
    for (const auto& a : std::vector<std::vector<std::string>>{
             {"ip", "link", "set", pod->host_if, "down"},
             {"ip", "link", "set", pod->host_if, "name", want},
             {"ip", "link", "set", want, "up"},
             {"ip", "route", "replace", std::string(ip) + "/32", "dev", want, "scope", "link"}})
      if (topo.exec("node", a).exit_code != 0) return 1;
  }
  int self = ::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  if (!enter(topo.ns("node"))) return 1;
  policy::PolicyEngine engine;
  const auto none = parse(base());
  const auto many = parse(base() + policies(1000));
  ::setns(self, CLONE_NEWNET);

  std::vector<double> with0, with1000;
  std::size_t programmed = 0;
  for (int round = 0; round < rounds; ++round)
    for (int n : {0, 1000}) {
      enter(topo.ns("node"));
      auto st = engine.update(n ? many : none, "node1");
      ::setns(self, CLONE_NEWNET);
      if (!st || !engine.status().errors.empty()) {
        fmt::print(stderr, "policy update failed\n");
        return 1;
      }
      if (n) programmed = engine.status().policies;
      double g = iperf(topo, seconds);
      if (g < 0) return 1;
      (n ? with1000 : with0).push_back(g);
      fmt::print(stderr, "round {} policies {}: {:.2f} Gbit/s\n", round, n, g);
    }
  auto mean = [](const std::vector<double>& v) {
    double s = 0;
    for (double x : v) s += x;
    return s / static_cast<double>(v.size());
  };
  auto runs = [](const std::vector<double>& v) {
    std::string out;
    for (double x : v) out += fmt::format("{}{:.2f}", out.empty() ? "" : ", ", x);
    return out;
  };
  fmt::print(
      "| policies | policy chains programmed | Gbit/s (mean of {} x {} s) | runs | vs 0 |\n"
      "|---|---|---|---|---|\n",
      rounds, seconds);
  fmt::print("| 0 | 0 | {:.2f} | {} | 1.00 |\n", mean(with0), runs(with0));
  fmt::print("| 1000 | {} | {:.2f} | {} | {:.2f} |\n", programmed, mean(with1000), runs(with1000),
             mean(with1000) / mean(with0));
  enter(topo.ns("node"));
  (void)engine.remove();
  ::setns(self, CLONE_NEWNET);
  ::close(self);
  return 0;
}
