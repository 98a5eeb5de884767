// Two "nodes" (network namespaces) on one L2 segment (a veth pair), each with a Calico-style pod
// behind a cali veth (/32 on the pod's eth0, 169.254.1.1 as its gateway by proxy ARP), and an
// nftables counter on each node of what leaves its NIC: VXLAN (UDP 4789), IPIP (protocol 4) and
// plain pod-to-pod packets. Programmers are started inside a node with enter(). Everything is
// deleted in the destructor.
#pragma once

#include <cstdint>
#include <string>

namespace podnet::dataplane::testing {

class TwoNodeLab {
 public:
  // Node A 192.168.50.1/24, pod 10.244.1.5; node B 192.168.50.2/24, pod 10.244.2.5.
  TwoNodeLab();
  ~TwoNodeLab();
  TwoNodeLab(const TwoNodeLab&) = delete;
  TwoNodeLab& operator=(const TwoNodeLab&) = delete;
  bool ok() const { return ok_; }
  const std::string& error() const { return error_; }

  std::string node(char which) const { return prefix_ + (which == 'a' ? "-a" : "-b"); }
  std::string pod(char which) const { return prefix_ + (which == 'a' ? "-pa" : "-pb"); }
  // Runs `cmd` inside namespace `ns` (`ip netns exec`); exit status.
  int exec(const std::string& ns, const std::string& cmd) const;
  std::string out(const std::string& ns, const std::string& cmd) const;
  // Packets counted leaving node `which`'s eth0: "vxlan", "ipip" or "plain".
  uint64_t counter(char which, const std::string& name) const;
  // The pod on node `from` pings the other pod (3 packets); true when all are answered.
  bool ping(char from) const;

  // Moves the calling thread into a namespace for its lifetime (sockets opened meanwhile stay
  // there), and back.
  class Enter {
   public:
    explicit Enter(const std::string& ns);
    ~Enter();
    Enter(const Enter&) = delete;
    Enter& operator=(const Enter&) = delete;
    bool ok() const { return ok_; }

   private:
    int original_ = -1;
    bool ok_ = false;
  };

 private:
  bool step(const std::string& cmd);
  std::string prefix_;
  bool ok_ = false;
  std::string error_;
};

}  // namespace podnet::dataplane::testing
