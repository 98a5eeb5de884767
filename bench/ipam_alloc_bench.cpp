// IPAM allocation rate: one allocator, then two allocator processes racing on the same node and
// pool, each allocation under its own handle (as the CNI plugin does: handle + block, two
// compare-and-swap writes). Prints allocations per second and checks the result is consistent.
//
//   ipam_alloc_bench [--datastore SPEC] [--count N]
//
// SPEC defaults to a fresh directory store under /dev/shm (dir:PATH for any other directory;
// etcd:URL for etcd -- the store must be empty of IPAM data). N (default 2000) allocations for
// the single run, and N per process for the racing run.
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "conf/resource.hpp"
#include "ipam-sync/allocator.hpp"
#include "ipam-sync/ipam_report.hpp"
#include "ipam-sync/resource_ops.hpp"

extern char** environ;

namespace {

using Clock = std::chrono::steady_clock;

// CPU seconds (user + system) of this process or of its waited-for children.
double cpu_seconds(int who) {
  rusage ru{};
  getrusage(who, &ru);
  auto s = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return s(ru.ru_utime) + s(ru.ru_stime);
}

int allocate(const std::string& spec, const std::string& node, long count,
             const std::string& prefix) {
  auto ds = podnet::store::open_datastore(spec);
  if (!ds.ok()) {
    std::fprintf(stderr, "open %s: %s\n", spec.c_str(), ds.error().message.c_str());
    return 1;
  }
  podnet::ipam::Allocator alloc(*ds.value());
  for (long i = 0; i < count; ++i) {
    podnet::ipam::AssignRequest req;
    req.node = node;
    req.handle = prefix + "-" + std::to_string(i);
    auto a = alloc.auto_assign(req);
    if (!a.ok()) {
      std::fprintf(stderr, "assign %ld: %s\n", i, a.error().message.c_str());
      return 1;
    }
  }
  return 0;
}

pid_t spawn_child(const std::string& spec, const std::string& node, long count,
                  const std::string& prefix) {
  std::vector<std::string> args{"/proc/self/exe",      "--child", spec, node,
                                std::to_string(count), prefix};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  return posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ) == 0 ? pid : -1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 6 && std::string(argv[1]) == "--child")
    return allocate(argv[2], argv[3], std::strtol(argv[4], nullptr, 10), argv[5]);
  std::string spec;
  long count = 2000;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--datastore")
      spec = argv[i + 1];
    else if (a == "--count")
      count = std::strtol(argv[i + 1], nullptr, 10);
  }
  std::string tmp;
  if (spec.empty()) {
    char tmpl[] = "/dev/shm/ipam-bench-XXXXXX";
    if (!::mkdtemp(tmpl)) return 1;
    tmp = tmpl;
    spec = "dir:" + tmp + "/store";
  }
  auto ds = podnet::store::open_datastore(spec);
  if (!ds.ok()) {
    std::fprintf(stderr, "open %s: %s\n", spec.c_str(), ds.error().message.c_str());
    return 1;
  }
  auto docs = podnet::conf::parse_documents(
      "apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: bench\nspec:\n"
      "  cidr: 10.128.0.0/12\n",
      "<bench>");
  if (!podnet::store::write(*ds.value(), docs.at(0).resources.at(0),
                            podnet::store::WriteMode::apply)
           .ok())
    return 1;

  const double cpu0 = cpu_seconds(RUSAGE_SELF);
  auto t0 = Clock::now();
  if (allocate(spec, "bench-single", count, "single") != 0) return 1;
  double single = std::chrono::duration<double>(Clock::now() - t0).count();
  const double single_cpu = cpu_seconds(RUSAGE_SELF) - cpu0;

  t0 = Clock::now();
  pid_t a = spawn_child(spec, "bench-race", count, "racer-a");
  pid_t b = spawn_child(spec, "bench-race", count, "racer-b");
  int sa = 0, sb = 0;
  if (a < 0 || b < 0 || waitpid(a, &sa, 0) != a || waitpid(b, &sb, 0) != b || sa != 0 || sb != 0) {
    std::fprintf(stderr, "a racing allocator failed\n");
    return 1;
  }
  double race = std::chrono::duration<double>(Clock::now() - t0).count();
  const double race_cpu = cpu_seconds(RUSAGE_CHILDREN);

  auto problems = podnet::ipam::ipam_check(*ds.value());
  std::printf("datastore: %s\n", ds.value()->describe().c_str());
  std::printf(
      "single allocator: %ld allocations in %.2f s = %.0f allocations/s (%.2f ms CPU "
      "each)\n",
      count, single, static_cast<double>(count) / single, 1000 * single_cpu / count);
  std::printf(
      "two racing processes: %ld allocations in %.2f s = %.0f allocations/s total (%.2f "
      "ms CPU each)\n",
      2 * count, race, static_cast<double>(2 * count) / race, 1000 * race_cpu / (2 * count));
  std::printf("ipam check: %s\n", !problems.ok()      ? problems.error().message.c_str()
                                  : problems->empty() ? "clean"
                                                      : problems->front().c_str());
  if (!tmp.empty()) std::filesystem::remove_all(tmp);
  return problems.ok() && problems->empty() ? 0 : 1;
}
