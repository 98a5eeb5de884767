// Topology: throw-away network namespaces ("hosts") joined by veth links or a shared LAN
// (a bridge in its own namespace), for tests that run real BGP daemons side by side. Links
// can be cut *silently* (nftables drops every frame at both ends' ingress, so TCP sees no
// RST and no FIN: only the hold timer can notice) and restored. Everything is torn down in
// the destructor, processes inside the namespaces included.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "conf/result.hpp"
#include "interop-tests/harness/harness.hpp"

namespace podnet::interop {

// One end of a link: host, interface name inside that host, addresses with prefix length
// ("10.0.0.1/24", "fd00::1/64"; IPv6 addresses are added with nodad).
struct Endpoint {
  std::string host;
  std::string ifname;
  std::vector<std::string> addresses;
};

class Topology {
 public:
  // `tag` becomes part of every namespace name, so leftovers are recognisable.
  explicit Topology(std::string tag = "pn");
  ~Topology();
  Topology(const Topology&) = delete;
  Topology& operator=(const Topology&) = delete;

  // A new namespace with lo up, IPv6 DAD off and IPv6 forwarding/accept_ra off.
  Status add_host(const std::string& host);
  // A veth pair between two hosts; its id is "<hostA>:<ifA>" (used by cut/restore).
  Result<std::string> add_link(const Endpoint& a, const Endpoint& b);
  // A shared segment: a bridge in a namespace of its own, one veth per member.
  Status add_lan(const std::string& lan, const std::vector<Endpoint>& members);

  // Brings every interface up and waits until no address is tentative (DAD done).
  Status up();

  // Drops every frame arriving on either end of the link (nftables netdev ingress hook),
  // so nothing is sent back: no RST, no FIN, no ICMP. For a LAN member, link_id is
  // "<host>:<ifname>" and its port on the bridge is cut too.
  Status cut(const std::string& link_id);
  Status restore(const std::string& link_id);

  // Namespace name of a host ("" if unknown), and running a command in it.
  std::string ns(const std::string& host) const;
  harness::CommandResult exec(const std::string& host, const std::vector<std::string>& argv) const;
  std::vector<std::string> hosts() const;

 private:
  struct Veth {
    std::string ns_a, if_a, ns_b, if_b;
  };
  Status add_veth(const std::string& ns_a, const std::string& if_a, const std::string& ns_b,
                  const std::string& if_b);
  Status add_addresses(const std::string& ns, const std::string& ifname,
                       const std::vector<std::string>& addresses);
  Status set_cut(const std::string& link_id, bool cut);

  std::string tag_;
  std::map<std::string, std::unique_ptr<harness::Netns>> hosts_;
  std::map<std::string, std::unique_ptr<harness::Netns>> switches_;  // LAN name -> bridge ns
  std::map<std::string, Veth> links_;                                // id -> both ends
  int veth_counter_ = 0;
};

}  // namespace podnet::interop
