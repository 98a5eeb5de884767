// Policy programming cost on a real kernel: N policies (100 / 1,000 / 10,000) over 1,000
// workload endpoints, all on this node (the worst case: every endpoint gets its two chains),
// programmed from cold into a fresh network namespace; then one pod's label change. Prints the
// time of each phase (model, compile, apply), the nft rules and set elements generated, and
// what the label change sent. Not a test: numbers go to bench/README.md.
//
// Shape: 10 namespaces, 100 apps; pod j is in ns-(j%10) with app=app-(j%100); policy i (a
// Calico NetworkPolicy in ns-(i%10)) selects app-(i%100) and allows TCP 8000+(i%50) from
// app-((i+1)%100) in any namespace, so each policy applies to 10 pods and each pod has N/100
// policies.
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "bench/policy_bench_util.hpp"
#include "conf/resource.hpp"
#include "interop-tests/harness/harness.hpp"
#include "policy/compiler.hpp"
#include "policy/endpoints.hpp"
#include "policy/model.hpp"
#include "policy/nft/nft_programmer.hpp"
#include "policy/policy_engine.hpp"

using namespace podnet;
using bench::enter;
using bench::parse;
using Clock = std::chrono::steady_clock;

namespace {

// CPU time of this thread, user and system (the kernel commits the batch inside sendmsg): less
// sensitive than wall time to other processes on a loaded machine.
double thread_cpu_ms() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

std::string pod(int j, const std::string& extra_label) {
  return fmt::format(
      "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: pod-{}\n  namespace: ns-{}\n  labels: "
      "{{app: app-{}{}}}\nspec:\n  nodeName: node1\nstatus:\n  podIPs:\n  - ip: 10.{}.{}.{}\n",
      j, j % 10, j % 100, extra_label, 20 + j / 65536, (j / 256) % 256, j % 256);
}

std::string policy(int i, int port_shift = 0) {
  return fmt::format(
      "---\napiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata:\n  name: p-{}\n"
      "  namespace: ns-{}\nspec:\n  order: {}\n  selector: app == 'app-{}'\n  ingress:\n"
      "  - action: Allow\n    protocol: TCP\n    source:\n      selector: app == 'app-{}' || "
      "extra == '{}'\n      namespaceSelector: all()\n    destination:\n      ports: [{}]\n",
      i, i % 10, i % 7, i % 100, (i + 1) % 100, i % 3 == 0 ? "x" : "y", 8000 + i % 50 + port_shift);
}

std::string world(int policies, bool changed) {
  std::string y;
  for (int n = 0; n < 10; ++n)
    y += fmt::format("---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: ns-{}\n", n);
  for (int j = 0; j < 1000; ++j) y += pod(j, changed && j == 7 ? ", extra: x" : "");
  for (int i = 0; i < policies; ++i) y += policy(i);
  return y;
}

std::map<std::string, conf::Resource> by_key(const std::vector<conf::Resource>& list) {
  std::map<std::string, conf::Resource> out;
  for (const auto& r : list) out.emplace(r.key(), r);
  return out;
}

// The daemon's path: PolicyEngine::update over its resource cache (key -> resource), from cold,
// then single changes, each timed end to end (diff of the cache, endpoints, compile, batch).
void engine_cases(int n, const std::vector<conf::Resource>& resources) {
  auto cache = by_key(resources);
  policy::PolicyEngine engine;
  auto run = [&](const char* what) {
    auto t = Clock::now();
    const double cpu0 = thread_cpu_ms();
    auto st = engine.update(cache, "node1");
    const double cpu = thread_cpu_ms() - cpu0;
    double ms = ms_since(t);
    const auto& s = engine.status();
    if (!st || !s.errors.empty()) {
      fmt::print(stderr, "{}: {}\n", what, st ? s.errors.at(0) : st.error().message);
      std::exit(1);
    }
    const auto& a = *s.last_apply;
    fmt::print("| {} | {} | {} | {:.1f} | {:.1f} | {:.1f} | {} | +{}/-{} | {}/{}/{} |\n", n, what,
               s.last_update_incremental ? "incremental" : "full", ms, s.last_apply_ms, cpu,
               a.messages, a.elements_added, a.elements_removed, a.chains_added, a.chains_rewritten,
               a.chains_removed);
    std::fflush(stdout);
  };
  auto replace = [&](const std::string& yaml) {
    for (auto& r : parse(yaml)) cache.insert_or_assign(r.key(), r);
  };
  run("cold");
  replace(pod(7, ", extra: x"));
  run("label change (pod-7 gains extra=x)");
  replace(pod(7, ""));
  run("label change back");
  replace(pod(1000, ""));
  run("pod added (pod-1000)");
  cache.erase("pods/ns-0/pod-1000");
  run("pod deleted (pod-1000)");
  replace(pod(11, ", extra: y"));
  replace(pod(12, ", extra: x"));
  run("two pods relabelled in one update");
  replace(policy(5, 1));
  run("one policy changed (port)");
  (void)engine.remove();
}

}  // namespace

// Arguments: the policy counts to run (default 100 1000 10000).
int main(int argc, char** argv) {
  std::vector<int> counts;
  for (int i = 1; i < argc; ++i) counts.push_back(std::atoi(argv[i]));
  if (counts.empty()) counts = {100, 1000, 10000};
  int self = ::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  fmt::print(
      "| policies | endpoints | model ms | compile ms | apply ms (cold) | chains | rules | "
      "set elements | label change, full path: model+compile+apply ms | apply ms | thread CPU ms "
      "| elements +/- | chains rewritten "
      "|\n|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  for (int n : counts) {
    auto resources = parse(world(n, false));
    auto changed = parse(world(n, true));
    harness::Netns ns("pnbench");
    if (!enter(ns.name())) {
      fmt::print(stderr, "cannot enter {}\n", ns.name());
      return 1;
    }
    auto prog = policy::nft::Programmer::create();
    if (!prog) {
      fmt::print(stderr, "{}\n", prog.error().message);
      return 1;
    }
    policy::CompileOptions opts;
    opts.node = "node1";

    auto t0 = Clock::now();
    auto built = policy::build_model(resources);
    auto eps = policy::build_endpoints(resources);
    double model_ms = ms_since(t0);
    auto t1 = Clock::now();
    auto c = policy::compile(built.model, eps, opts);
    double compile_ms = ms_since(t1);
    auto t2 = Clock::now();
    auto st = (*prog)->apply(c.table);
    double apply_ms = ms_since(t2);
    if (!st || !built.errors.empty() || !c.errors.empty()) {
      fmt::print(stderr, "apply failed: {}\n", st ? "model/compile errors" : st.error().message);
      return 1;
    }

    // One label change: pod-7 gains extra=x, which a third of the policies' sources select.
    auto t3 = Clock::now();
    const double cpu3 = thread_cpu_ms();
    auto built2 = policy::build_model(changed);
    auto eps2 = policy::build_endpoints(changed);
    auto c2 = policy::compile(built2.model, eps2, opts);
    auto t4 = Clock::now();
    auto st2 = (*prog)->apply(c2.table);
    double change_apply_ms = ms_since(t4);
    double change_ms = ms_since(t3);
    const double change_cpu = thread_cpu_ms() - cpu3;
    if (!st2) {
      fmt::print(stderr, "label change failed: {}\n", st2.error().message);
      return 1;
    }
    fmt::print(
        "| {} | {} | {:.0f} | {:.0f} | {:.0f} | {} | {} | {} | {:.1f} | {:.1f} | {:.1f} | +{}/-{} "
        "| "
        "{} |\n",
        n, eps.endpoints.size(), model_ms, compile_ms, apply_ms, c.table.chains.size(), c.rules,
        c.elements, change_ms, change_apply_ms, change_cpu, st2->elements_added,
        st2->elements_removed, st2->chains_rewritten);
    std::fflush(stdout);
    (void)(*prog)->remove();
    prog->reset();
    ::setns(self, CLONE_NEWNET);
  }
  fmt::print(
      "\nPolicyEngine::update over the daemon's cache (end to end per update):\n\n"
      "| policies | update | path | wall ms | of which netlink batch ms | thread CPU ms (user+sys) "
      "| "
      "netlink messages | elements +/- | chains added/rewritten/removed |\n"
      "|---|---|---|---|---|---|---|---|---|\n");
  for (int n : counts) {
    if (n > 1000) continue;  // the engine cases at 10,000 add minutes and nothing new
    harness::Netns ns("pnbench");
    if (!enter(ns.name())) return 1;
    engine_cases(n, parse(world(n, false)));
    ::setns(self, CLONE_NEWNET);
  }
  ::close(self);
  return 0;
}
