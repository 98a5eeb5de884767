// Helpers for desired_peers tests: resources written as users write them (YAML), decoded by
// conf, and lookups in the result.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "bgp/desired_peers.hpp"
#include "conf/decode.hpp"
#include "conf/resource.hpp"

namespace podnet::bgp::test {

inline BgpInputs inputs(const std::string& node, const std::string& yaml) {
  BgpInputs in;
  in.node_name = node;
  for (const auto& doc : conf::parse_documents(yaml, "test.yaml")) {
    EXPECT_TRUE(doc.errors.empty()) << doc.errors.front().str();
    for (const auto& r : doc.resources) {
      const std::string k = r.kind->kind;
      if (k == "Node") in.nodes.push_back(*conf::decode<conf::types::Node>(r));
      if (k == "BGPConfiguration")
        in.configs.push_back(*conf::decode<conf::types::BGPConfiguration>(r));
      if (k == "BGPPeer") in.peers.push_back(*conf::decode<conf::types::BGPPeer>(r));
      if (k == "Secret") in.secrets.push_back(*conf::decode<conf::types::Secret>(r));
    }
  }
  return in;
}

// A Node with a BGP IPv4 address; `extra` continues spec.bgp (indent 4).
inline std::string node(const std::string& name, const std::string& v4,
                        const std::string& extra = "") {
  return "---\napiVersion: projectcalico.org/v3\nkind: Node\nmetadata:\n  name: " + name +
         "\nspec:\n  bgp:\n    ipv4Address: " + v4 + "\n" + extra;
}

// Calico's documented reflector setup: every node peers with the nodes labelled as reflectors.
inline constexpr const char* kPeerWithReflectors = R"(---
apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata:
  name: peer-with-route-reflectors
spec:
  nodeSelector: all()
  peerSelector: route-reflector == 'true'
)";

inline const PeerConfig* find(const DesiredBgp& d, const std::string& name) {
  for (const auto& p : d.peers)
    if (p.name == name) return &p;
  return nullptr;
}

}  // namespace podnet::bgp::test
