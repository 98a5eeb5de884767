#include "cli/cli.hpp"

#include <CLI/CLI.hpp>
#include <ostream>

#include "cli/commands.hpp"

namespace podnet::cli {

int run(int argc, char** argv, Io io) {
  CLI::App app{"podnetctl: manage podnet resources and inspect podnetd"};
  app.name("podnetctl");
  app.require_subcommand(1);
  // Global flags may stand before or after the verb, as with kubectl.
  app.fallthrough();
  Globals g;
  app.add_option("--datastore", g.datastore, "dir:PATH or etcd:URL")
      ->envname("PODNET_DATASTORE")
      ->capture_default_str();
  app.add_option("--socket", g.socket, "podnetd control socket")
      ->envname("PODNET_SOCKET")
      ->capture_default_str();

  int rc = kOk;

  FileArgs write_args;
  for (auto [name, verb, help] :
       {std::tuple{"apply", Verb::apply, "create or replace resources from a file"},
        std::tuple{"create", Verb::create, "create resources (fails if one exists)"},
        std::tuple{"replace", Verb::replace, "replace existing resources"}}) {
    auto* sub = app.add_subcommand(name, help);
    sub->add_option("-f,--filename", write_args.file, "file with resources, - for stdin")
        ->required();
    sub->callback([&, verb = verb] { rc = cmd_write(g, verb, write_args, io); });
  }

  DeleteArgs del;
  auto* del_cmd = app.add_subcommand("delete", "delete resources by kind and name, or from a file");
  del_cmd->add_option("kind", del.kind, "resource kind");
  del_cmd->add_option("name", del.name, "resource name");
  del_cmd->add_option("-f,--filename", del.file, "file naming the resources to delete");
  del_cmd->add_option("-n,--namespace", del.ns, "namespace (default: default)");
  del_cmd->add_flag("--ignore-not-found", del.ignore_not_found, "no error if absent");
  del_cmd->callback([&] { rc = cmd_delete(g, del, io); });

  GetArgs get;
  auto* get_cmd = app.add_subcommand("get", "list or show resources");
  get_cmd->add_option("kind", get.kind, "resource kind")->required();
  get_cmd->add_option("name", get.name, "resource name");
  get_cmd->add_option("-n,--namespace", get.ns, "namespace (default: default)");
  get_cmd->add_flag("-A,--all-namespaces", get.all_namespaces, "every namespace");
  get_cmd->add_option("-o,--output", get.output, "yaml, json or wide");
  get_cmd->callback([&] { rc = cmd_get(g, get, io); });

  PatchArgs patch;
  auto* patch_cmd = app.add_subcommand("patch", "change fields of one resource");
  patch_cmd->add_option("kind", patch.kind, "resource kind")->required();
  patch_cmd->add_option("name", patch.name, "resource name")->required();
  patch_cmd->add_option("-n,--namespace", patch.ns, "namespace (default: default)");
  patch_cmd->add_option("-p,--patch", patch.patch, "the patch, JSON")->required();
  patch_cmd->add_option("--type", patch.type, "merge (RFC 7386), json (RFC 6902) or strategic")
      ->capture_default_str();
  patch_cmd->callback([&] { rc = cmd_patch(g, patch, io); });

  LabelArgs label;
  auto* label_cmd = app.add_subcommand("label", "add, change or remove labels");
  label_cmd->add_option("kind", label.kind, "resource kind")->required();
  label_cmd->add_option("name", label.name, "resource name")->required();
  label_cmd->add_option("changes", label.changes, "key=value to set, key- to remove")->required();
  label_cmd->add_option("-n,--namespace", label.ns, "namespace (default: default)");
  label_cmd->add_flag("--overwrite", label.overwrite, "replace a label that has another value");
  label_cmd->callback([&] { rc = cmd_label(g, label, io); });

  ShowArgs show;
  auto* show_cmd = app.add_subcommand(
      "show", "ask the running podnetd (policy and endpoints: computed from the datastore)");
  show_cmd->require_subcommand(1);
  auto* status_cmd = show_cmd->add_subcommand("status", "daemon, datastore and resource summary");
  status_cmd->add_flag("--json", show.json, "print the raw JSON");
  status_cmd->callback([&] {
    show.what = "status";
    rc = cmd_show(g, show, io);
  });

  auto* peers_cmd = show_cmd->add_subcommand("peers", "BGP sessions (birdc show protocols)");
  peers_cmd->add_option("name", show.name, "one peer, in detail");
  peers_cmd->add_flag("--json", show.json, "print the raw JSON");
  peers_cmd->callback([&] {
    show.what = "peers";
    rc = cmd_show(g, show, io);
  });
  auto* routes_cmd = show_cmd->add_subcommand("routes", "the RIB: best and other paths");
  routes_cmd->add_option("prefix", show.prefix, "a prefix (exact) or an address (covering)");
  routes_cmd->add_option("--peer", show.peer, "only paths from this peer (name or address)");
  routes_cmd->add_flag("--json", show.json, "print the raw JSON");
  routes_cmd->callback([&] {
    show.what = "routes";
    rc = cmd_show(g, show, io);
  });

  auto* services_cmd = show_cmd->add_subcommand(
      "services", "Kubernetes services podnetd programs, with their endpoints");
  services_cmd->add_flag("--json", show.json, "print the raw JSON");
  services_cmd->callback([&] {
    show.what = "services";
    rc = cmd_show(g, show, io);
  });

  // Policy views are computed here from the datastore by the policy model, not asked of podnetd.
  ShowPolicyArgs show_policy;
  auto* show_policy_cmd = show_cmd->add_subcommand(
      "policy", "policies in evaluation order (computed from the datastore, no daemon needed)");
  show_policy_cmd->add_option("--endpoint", show_policy.endpoint,
                              "only those applying to NS/POD (or a host endpoint)");
  show_policy_cmd->callback([&] { rc = cmd_show_policy(g, show_policy, io); });
  show_cmd
      ->add_subcommand(
          "endpoints",
          "workload and host endpoints (computed from the datastore, no daemon needed)")
      ->callback([&] { rc = cmd_show_endpoints(g, io); });
  PolicyTestArgs policy_test;
  auto* policy_cmd = app.add_subcommand("policy", "evaluate policy offline, from the datastore");
  policy_cmd->require_subcommand(1);
  auto* test_cmd = policy_cmd->add_subcommand("test", "is a flow allowed, and by which rule?");
  test_cmd->add_option("--from", policy_test.from, "NS/POD or IP")->required();
  test_cmd->add_option("--to", policy_test.to, "NS/POD or IP")->required();
  test_cmd->add_option("--port", policy_test.port, "destination port");
  test_cmd->add_option("--protocol", policy_test.protocol, "TCP, UDP, SCTP, ICMP or 1-255")
      ->capture_default_str();
  test_cmd->add_option("--via", policy_test.via, "host endpoint a forwarded flow enters by");
  test_cmd->add_option("--original-to", policy_test.original_to, "destination IP before DNAT");
  test_cmd->add_option("--original-port", policy_test.original_port,
                       "destination port before DNAT");
  test_cmd->callback([&] { rc = cmd_policy_test(g, policy_test, io); });

  SelectorMatchArgs sel_match;
  auto* selector_cmd = app.add_subcommand("selector", "work with Calico selectors offline");
  selector_cmd->require_subcommand(1);
  auto* match_cmd = selector_cmd->add_subcommand("match", "does SELECTOR match --labels?");
  match_cmd->add_option("selector", sel_match.selector, "Calico selector, e.g. \"a == 'b'\"")
      ->required();
  match_cmd->add_option("--labels", sel_match.labels, "labels as a JSON object")
      ->capture_default_str();
  match_cmd->callback([&] { rc = cmd_selector_match(sel_match, io); });

  IpamArgs ipam;
  auto* ipam_cmd = app.add_subcommand("ipam", "IP address management (calicoctl ipam)");
  ipam_cmd->require_subcommand(1);
  auto* ipam_assign = ipam_cmd->add_subcommand("assign", "assign an address; prints it");
  ipam_assign->add_option("--node", ipam.node, "the node the address is for")->required();
  ipam_assign->add_option("--pool", ipam.pool, "an IPPool name or CIDR");
  ipam_assign->add_option("--handle", ipam.handle, "record the address under this handle");
  ipam_assign->add_option("--namespace", ipam.ns, "the workload's namespace");
  ipam_assign->add_option("--pod", ipam.pod, "the workload's pod");
  ipam_assign->add_option("--ip", ipam.ip, "this address rather than the next free one");
  ipam_assign->add_option("--type", ipam.type, "a tunnel address type (vxlanTunnelAddress...)");
  ipam_assign->add_flag("--ipv6", ipam.ipv6, "an IPv6 address");
  ipam_assign->callback([&] {
    ipam.what = "assign";
    rc = cmd_ipam(g, ipam, io);
  });
  auto* ipam_release = ipam_cmd->add_subcommand("release", "release addresses or a block");
  ipam_release->add_option("--ip", ipam.ip, "one address");
  ipam_release->add_option("--handle", ipam.handle, "every address of a handle");
  ipam_release->add_option("--block", ipam.block, "an empty block and its affinity");
  ipam_release->add_option("--node", ipam.node, "everything of a deleted node");
  ipam_release->callback([&] {
    ipam.what = "release";
    rc = cmd_ipam(g, ipam, io);
  });
  auto* ipam_show = ipam_cmd->add_subcommand("show", "utilisation per pool (and block)");
  ipam_show->add_flag("--show-blocks", ipam.show_blocks, "every block too");
  ipam_show->add_option("--ip", ipam.ip, "who holds this address");
  ipam_show->callback([&] {
    ipam.what = "show";
    rc = cmd_ipam(g, ipam, io);
  });
  ipam_cmd->add_subcommand("check", "leaked or double-allocated addresses, mismatches")
      ->callback([&] {
        ipam.what = "check";
        rc = cmd_ipam(g, ipam, io);
      });

  app.add_subcommand("version", "print versions")->callback([&] { rc = cmd_version(g, io); });

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // Help requests exit 0 with the help of the (sub)command asked about; errors exit 2.
    return app.exit(e, io.out, io.err) == 0 ? kOk : kBadInput;
  }
  return rc;
}

}  // namespace podnet::cli
