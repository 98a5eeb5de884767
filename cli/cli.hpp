// podnetctl: calicoctl's resource verbs (apply, create, replace, delete, get, patch, label)
// against the datastore directly, and birdc's show verbs against a running podnetd over its
// control socket. Exit codes: 0 ok, 1 not found / conflict / unreachable, 2 bad input.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace podnet::cli {

enum Exit : int { kOk = 0, kNotFound = 1, kBadInput = 2 };

struct Globals {
  std::string datastore = "dir:/var/lib/podnet/datastore";  // --datastore / PODNET_DATASTORE
  std::string socket = "/run/podnet/podnetd.sock";          // --socket / PODNET_SOCKET
};

struct Io {
  std::istream& in;
  std::ostream& out;
  std::ostream& err;
};

// Runs podnetctl with argv; returns the exit code. Separated from main() for tests.
int run(int argc, char** argv, Io io);

}  // namespace podnet::cli
