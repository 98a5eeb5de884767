// One function per podnetctl verb. cli.cpp parses the command line into these argument
// structs; each verb returns podnetctl's exit code (cli.hpp) and prints to io.
#pragma once

#include <string>
#include <vector>

#include "cli/cli.hpp"
#include "conf/result.hpp"

namespace podnet::cli {

struct FileArgs {
  std::string file;  // -f FILE, "-" for stdin
};
enum class Verb { apply, create, replace };
int cmd_write(const Globals& g, Verb verb, const FileArgs& a, Io io);

struct DeleteArgs {
  std::string file;  // delete -f FILE
  std::string kind, name, ns;
  bool ignore_not_found = false;
};
int cmd_delete(const Globals& g, const DeleteArgs& a, Io io);

struct GetArgs {
  std::string kind, name, ns, output;
  bool all_namespaces = false;
};
int cmd_get(const Globals& g, const GetArgs& a, Io io);

struct PatchArgs {
  std::string kind, name, ns, patch, type = "merge";
};
int cmd_patch(const Globals& g, const PatchArgs& a, Io io);

struct LabelArgs {
  std::string kind, name, ns;
  std::vector<std::string> changes;  // key=value or key-
  bool overwrite = false;
};
int cmd_label(const Globals& g, const LabelArgs& a, Io io);

struct ShowArgs {
  std::string what;  // "status", "peers", "routes"
  bool json = false;
  std::string name;    // show peers NAME: one peer in detail
  std::string prefix;  // show routes PREFIX|ADDRESS
  std::string peer;    // show routes --peer NAME|ADDRESS
};
int cmd_show(const Globals& g, const ShowArgs& a, Io io);

int cmd_version(const Globals& g, Io io);

// ipam: assign / release / show / check against the datastore (cmd_ipam.cpp).
struct IpamArgs {
  std::string what;  // "assign", "release", "show", "check"
  std::string node, pool, handle, ns, pod, ip, block, type;
  bool ipv6 = false;         // assign: an IPv6 address (without --pool or --ip)
  bool show_blocks = false;  // show --show-blocks
};
int cmd_ipam(const Globals& g, const IpamArgs& a, Io io);

struct SelectorMatchArgs {
  std::string selector;       // Calico selector syntax
  std::string labels = "{}";  // --labels, a JSON object of strings
};
// Prints true or false (exit 0), or the parse error with its column (exit 2).
int cmd_selector_match(const SelectorMatchArgs& a, Io io);

// show policy / show endpoints / policy test: computed from the datastore's resources by the
// policy model (cmd_policy.cpp), not asked of podnetd.
struct ShowPolicyArgs {
  std::string endpoint;  // --endpoint NS/POD (or a host endpoint's name): only what applies to it
};
int cmd_show_policy(const Globals& g, const ShowPolicyArgs& a, Io io);
int cmd_show_endpoints(const Globals& g, Io io);
struct PolicyTestArgs {
  std::string from, to;  // NS/POD or an IP
  std::string protocol = "TCP";
  int port = 0;
  // Forwarded traffic entering through a host endpoint (--via NAME), e.g. to a NodePort:
  // preDNAT policy sees --original-to / --original-port, the destination before DNAT.
  std::string via, original_to;
  int original_port = 0;
};
// Prints allowed or denied and what decided (exit 0 either way); bad arguments exit 2.
int cmd_policy_test(const Globals& g, const PolicyTestArgs& a, Io io);

// Exit code for an error from the store or conf.
int exit_code_for(const Error& e);

}  // namespace podnet::cli
