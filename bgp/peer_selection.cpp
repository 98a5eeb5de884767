#include "bgp/peer_selection.hpp"

#include <algorithm>
#include <optional>

#include <fmt/format.h>

#include "bgp/desired_peers.hpp"
#include "policy/selector.hpp"

namespace podnet::bgp {
namespace {

using conf::types::BGPPeer;
using conf::types::Node;
using policy::Selector;

// A BGPPeer's selectors, parsed once; an error leaves that BGPPeer out everywhere.
struct ParsedPeer {
  const BGPPeer* resource = nullptr;
  std::optional<Selector> node_selector;  // unset: `node` or global
  std::optional<Selector> peer_selector;  // unset: peerIP
};

std::vector<const Node*> matching(const std::vector<const Node*>& nodes, const Selector& sel) {
  std::vector<const Node*> out;
  for (const Node* n : nodes)
    if (sel.matches(n->metadata.labels)) out.push_back(n);
  return out;
}

bool is_global(const BGPPeer& bp) {
  return bp.spec.node.empty() && bp.spec.node_selector.empty();
}

// The nodes a BGPPeer applies to (its "local" side): nodeSelector, else node, else all.
std::vector<const Node*> local_side(const ParsedPeer& p, const std::vector<const Node*>& nodes) {
  if (p.node_selector) return matching(nodes, *p.node_selector);
  if (!p.resource->spec.node.empty()) {
    for (const Node* n : nodes)
      if (n->metadata.name == p.resource->spec.node) return {n};
    return {};
  }
  return nodes;
}

// Calico nodes that peerIP names: same address, same AS (asNumber, else the global AS), and the
// same port when peerIP gives one (confd's nodesWithIPPortAndAS).
std::vector<const Node*> nodes_at_peer_ip(const BGPPeer& bp, const std::vector<const Node*>& nodes,
                                          const NodeFacts& facts) {
  auto ip = parse_peer_ip(bp.spec.peer_ip, 0);
  if (!ip) return {};
  const auto& [addr, port] = *ip;
  const uint32_t want_as =
      bp.spec.as_number ? static_cast<uint32_t>(*bp.spec.as_number) : facts.global_as;
  std::vector<const Node*> out;
  for (const Node* n : nodes) {
    if (!facts.has_address(*n, addr) || facts.as_of(*n) != want_as) continue;
    if (port != 0 && facts.port_of(*n) != port) continue;
    out.push_back(n);
  }
  return out;
}

}  // namespace

PeerSelection select_peerings(const std::string& self_name, const std::vector<Node>& all_nodes,
                              const std::vector<BGPPeer>& peers, const NodeFacts& facts) {
  PeerSelection out;
  std::vector<const Node*> nodes;
  const Node* self = nullptr;
  for (const auto& n : all_nodes) {
    nodes.push_back(&n);
    if (n.metadata.name == self_name) self = &n;
  }
  std::sort(nodes.begin(), nodes.end(),
            [](const Node* a, const Node* b) { return a->metadata.name < b->metadata.name; });
  if (!self) return out;

  std::vector<ParsedPeer> parsed;
  for (const auto& bp : peers) {
    ParsedPeer p{&bp, {}, {}};
    bool ok = true;
    for (auto [text, field, slot] :
         {std::tuple{&bp.spec.node_selector, "nodeSelector", &p.node_selector},
          std::tuple{&bp.spec.peer_selector, "peerSelector", &p.peer_selector}}) {
      if (text->empty()) continue;
      auto sel = Selector::parse(*text);
      if (!sel) {
        out.warnings.push_back(fmt::format("BGPPeer {}: {} '{}': {}; peer not configured",
                                           bp.metadata.name, field, *text, sel.error().message));
        ok = false;
        break;
      }
      *slot = std::move(*sel);
    }
    if (ok) parsed.push_back(std::move(p));
  }
  std::sort(parsed.begin(), parsed.end(), [](const ParsedPeer& a, const ParsedPeer& b) {
    return a.resource->metadata.name < b.resource->metadata.name;
  });

  // Forward peerings: global BGPPeers first, then those that apply to this node.
  for (const bool global_pass : {true, false}) {
    for (const auto& p : parsed) {
      if (is_global(*p.resource) != global_pass) continue;
      const auto local = local_side(p, nodes);
      if (std::find(local.begin(), local.end(), self) == local.end()) continue;
      if (p.peer_selector) {
        for (const Node* n : matching(nodes, *p.peer_selector))
          out.targets.push_back(PeeringTarget{p.resource, global_pass, false, n, true, true});
      } else {
        out.targets.push_back(PeeringTarget{p.resource, global_pass, false, nullptr, true, true});
      }
    }
  }

  // Reverse peerings: this node is on the far side of a BGPPeer, so it peers back with every
  // node the BGPPeer applies to (over both families for a selector, peerIP's family otherwise).
  for (const auto& p : parsed) {
    const auto& spec = p.resource->spec;
    if (spec.reverse_peering == "Manual" || !spec.local_workload_selector.empty()) continue;
    bool v4 = true, v6 = true;
    std::vector<const Node*> far_side;
    if (p.peer_selector) {
      far_side = matching(nodes, *p.peer_selector);
    } else {
      far_side = nodes_at_peer_ip(*p.resource, nodes, facts);
      auto ip = parse_peer_ip(spec.peer_ip, 0);
      if (ip) {
        v4 = ip->first.family() == rib::Family::v4;
        v6 = !v4;
      }
    }
    if (std::find(far_side.begin(), far_side.end(), self) == far_side.end()) continue;
    for (const Node* n : local_side(p, nodes))
      out.targets.push_back(PeeringTarget{p.resource, false, true, n, v4, v6});
  }
  return out;
}

}  // namespace podnet::bgp
