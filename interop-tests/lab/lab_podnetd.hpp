// podnetd on a lab node: its config (node name, the lab's shared directory datastore, a control
// socket) written into the lab's temp dir, the process started in the node's namespace. Shared by
// the lab tests so that every lab runs podnetd the same way.
#pragma once

#include <string>

#include <fmt/format.h>

#include "interop-tests/harness/harness.hpp"
#include "interop-tests/topology/topology.hpp"

namespace podnet::interop {

// Config <dir>/<node>.yaml, datastore <dir>/store, control socket <dir>/<node>.sock.
inline harness::Process start_lab_podnetd(const Topology& topo, const harness::TempDir& dir,
                                          const std::string& node) {
  harness::write_file(dir.file(node + ".yaml"),
                      fmt::format("nodeName: {}\ndatastore:\n  path: {}\ncontrolSocket: {}\n", node,
                                  dir.file("store"), dir.file(node + ".sock")));
  return harness::Process({harness::podnetd_path(), "--config", dir.file(node + ".yaml")},
                          topo.ns(node));
}

}  // namespace podnet::interop
