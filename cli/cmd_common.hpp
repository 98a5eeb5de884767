// Small pieces every verb shares: opening the datastore, reading -f input, resolving a kind
// name the way calicoctl and kubectl do, and the namespace rule.
#pragma once

#include <memory>
#include <string>

#include "cli/cli.hpp"
#include "conf/kinds.hpp"
#include "conf/result.hpp"
#include "ipam-sync/datastore.hpp"

namespace podnet::cli {

Result<std::unique_ptr<store::Datastore>> open_store(const Globals& g);
// Reads FILE, or standard input for "-". The source name is what error messages cite.
Result<std::string> read_input(const std::string& file, std::istream& in);
std::string source_name(const std::string& file);
// Accepts every alias conf knows, and "Kind.group" ("NetworkPolicy.networking.k8s.io").
Result<const conf::KindInfo*> resolve_kind(const std::string& name);
// How output names a kind: "IPPool", or "NetworkPolicy.networking.k8s.io" outside Calico's and
// the core API group, so the two NetworkPolicy kinds never look alike. resolve_kind reads it back.
std::string display_kind(const conf::KindInfo& kind);
// Namespaced kinds default to "default", as calicoctl and kubectl do; others have none.
std::string effective_namespace(const conf::KindInfo& kind, const std::string& ns);

}  // namespace podnet::cli
