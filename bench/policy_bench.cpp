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

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "conf/resource.hpp"
#include "interop-tests/harness/harness.hpp"
#include "policy/compiler.hpp"
#include "policy/endpoints.hpp"
#include "policy/model.hpp"
#include "policy/nft/nft_programmer.hpp"

using namespace podnet;
using Clock = std::chrono::steady_clock;

namespace {

double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

std::vector<conf::Resource> parse(const std::string& yaml) {
  std::vector<conf::Resource> out;
  for (auto& d : conf::parse_documents(yaml, "bench")) {
    for (const auto& e : d.errors) fmt::print(stderr, "{}\n", e.str());
    out.insert(out.end(), d.resources.begin(), d.resources.end());
  }
  return out;
}

std::string pod(int j, const std::string& extra_label) {
  return fmt::format(
      "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: pod-{}\n  namespace: ns-{}\n  labels: "
      "{{app: app-{}{}}}\nspec:\n  nodeName: node1\nstatus:\n  podIPs:\n  - ip: 10.{}.{}.{}\n",
      j, j % 10, j % 100, extra_label, 20 + j / 65536, (j / 256) % 256, j % 256);
}

std::string world(int policies, bool changed) {
  std::string y;
  for (int n = 0; n < 10; ++n)
    y += fmt::format("---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: ns-{}\n", n);
  for (int j = 0; j < 1000; ++j) y += pod(j, changed && j == 7 ? ", extra: x" : "");
  for (int i = 0; i < policies; ++i)
    y += fmt::format(
        "---\napiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata:\n  name: p-{}\n"
        "  namespace: ns-{}\nspec:\n  order: {}\n  selector: app == 'app-{}'\n  ingress:\n"
        "  - action: Allow\n    protocol: TCP\n    source:\n      selector: app == 'app-{}' || "
        "extra == '{}'\n      namespaceSelector: all()\n    destination:\n      ports: [{}]\n",
        i, i % 10, i % 7, i % 100, (i + 1) % 100, i % 3 == 0 ? "x" : "y", 8000 + i % 50);
  return y;
}

bool enter(const std::string& ns) {
  int fd = ::open(("/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = ::setns(fd, CLONE_NEWNET) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

int main() {
  int self = ::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  fmt::print(
      "| policies | endpoints | model ms | compile ms | apply ms (cold) | chains | rules | "
      "set elements | label change: model+compile+apply ms | apply ms | elements +/- | "
      "chains rewritten |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  for (int n : {100, 1000, 10000}) {
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
    auto built2 = policy::build_model(changed);
    auto eps2 = policy::build_endpoints(changed);
    auto c2 = policy::compile(built2.model, eps2, opts);
    auto t4 = Clock::now();
    auto st2 = (*prog)->apply(c2.table);
    double change_apply_ms = ms_since(t4);
    double change_ms = ms_since(t3);
    if (!st2) {
      fmt::print(stderr, "label change failed: {}\n", st2.error().message);
      return 1;
    }
    fmt::print(
        "| {} | {} | {:.0f} | {:.0f} | {:.0f} | {} | {} | {} | {:.1f} | {:.1f} | +{}/-{} | {} |\n",
        n, eps.endpoints.size(), model_ms, compile_ms, apply_ms, c.table.chains.size(), c.rules,
        c.elements, change_ms, change_apply_ms, st2->elements_added, st2->elements_removed,
        st2->chains_rewritten);
    std::fflush(stdout);
    (void)(*prog)->remove();
    prog->reset();
    ::setns(self, CLONE_NEWNET);
  }
  ::close(self);
  return 0;
}
