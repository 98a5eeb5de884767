// Where our datastore keys live in etcd: Calico's own etcd layout, so a cluster's etcd can be
// read by Calico tools and by podnet alike.
//
//   ippools/default-ipv4-ippool /calico/resources/v3/projectcalico.org/ippools/default-ipv4-ippool
//   networkpolicies/ns/name /calico/resources/v3/projectcalico.org/networkpolicies/ns/name
//   ipamblocks/10-244-1-0-26           /calico/ipam/v2/assignment/ipv4/block/10.244.1.0-26
//   ipamblocks/fd00-10--0-122          /calico/ipam/v2/assignment/ipv6/block/fd00:10::0-122
//   blockaffinities/node1-10-244-1-0-26  /calico/ipam/v2/host/node1/ipv4/block/10.244.1.0-26
//   ipamhandles/<id>                   /calico/ipam/v2/handle/<id>
//   ipamconfigs/default                /calico/ipam/v2/config
//   pods/ns/name (Kubernetes kinds)    /calico/resources/v3/k8s/pods/ns/name   (ours: Calico
//                                      keeps those in the Kubernetes API, not in etcd)
//
// Values are our canonical YAML text, exactly what the directory backend stores; Calico itself
// stores JSON at these paths, so the layout matches but a Calico reader would not parse them.
//
// Block names are the CIDR with '.', ':' and '/' turned into '-' (Calico's Kubernetes naming);
// the etcd path uses the CIDR with only '/' turned into '-'. A name is read as IPv4 when its
// last five '-'-separated parts are four octets and a prefix length <= 32, else as IPv6.
// An affinity name is "<node>-<block name>". For IPv4 the block part is the last five parts,
// which is unambiguous. For IPv6 it is not ("a-fd00--0-122" could be node "a" or node "a-fd00"
// with another address), so affinity_candidates() lists every reading and the store resolves:
// writes take spec.node and spec.cidr from the value, reads and deletes try each candidate.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "conf/result.hpp"

namespace podnet::store::etcd {

inline constexpr const char* kRoot = "/calico/";

// One etcd key for a valid datastore key, or Errc::invalid when the key cannot be placed
// (an ipamblocks name that is no CIDR, an ipamconfigs name other than "default", an IPv6
// affinity, which has more than one reading: see affinity_candidates).
Result<std::string> to_etcd_key(const std::string& key);

// Every etcd key an affinity key can mean (one for IPv4; one per reading for IPv6). Empty if
// the name has no CIDR-shaped tail.
std::vector<std::string> affinity_candidates(const std::string& key);

// The affinity's etcd key from the resource's own node and CIDR ("10.244.1.0/26").
Result<std::string> affinity_etcd_key(const std::string& node, const std::string& cidr);

// Our key for an etcd key, nullopt for keys we do not map (foreign data under /calico).
std::optional<std::string> from_etcd_key(const std::string& etcd_key);

// The etcd key prefix under which every key starting with our prefix lies ("" -> "/calico/").
// Keys found there must still be filtered by our prefix after from_etcd_key.
std::string etcd_prefix_for(const std::string& prefix);

// Block name <-> CIDR: "10-244-1-0-26" <-> "10.244.1.0/26"; nullopt if not a CIDR.
std::optional<std::string> block_name_to_cidr(const std::string& name);
std::string cidr_to_block_name(const std::string& cidr);

}  // namespace podnet::store::etcd
