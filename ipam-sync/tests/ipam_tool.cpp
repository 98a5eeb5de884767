// ipam_tool: a separate allocator process, for the racing tests and the benchmark.
//
//   ipam_tool assign DATASTORE NODE COUNT HANDLE   COUNT auto-assignments for NODE under HANDLE,
//                                                  each address printed on its own line
//
// Exit 0 on success; 1 with a message on stderr otherwise.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "ipam-sync/allocator.hpp"

int main(int argc, char** argv) {
  if (argc != 6 || std::string(argv[1]) != "assign") {
    std::fprintf(stderr, "usage: ipam_tool assign DATASTORE NODE COUNT HANDLE\n");
    return 2;
  }
  auto ds = podnet::store::open_datastore(argv[2]);
  if (!ds.ok()) {
    std::fprintf(stderr, "ipam_tool: open: %s\n", ds.error().message.c_str());
    return 1;
  }
  podnet::ipam::Allocator alloc(*ds.value());
  podnet::ipam::AssignRequest req;
  req.node = argv[3];
  req.handle = argv[5];
  const long count = std::strtol(argv[4], nullptr, 10);
  for (long i = 0; i < count; ++i) {
    auto a = alloc.auto_assign(req);
    if (!a.ok()) {
      std::fprintf(stderr, "ipam_tool: assign %ld: %s\n", i, a.error().message.c_str());
      return 1;
    }
    std::printf("%s\n", a->address.c_str());
  }
  return std::fflush(stdout) == 0 ? 0 : 1;
}
