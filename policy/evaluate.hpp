// The evaluator: what felix's rules would do with one flow, computed from the model (no
// packets). It walks the same pipeline felix renders: failsafes, doNotTrack and preDNAT policy on
// the host endpoint a forwarded flow enters by, the sender's egress, host endpoint or
// applyOnForward policy, and the receiver's ingress; per endpoint and direction, tiers by order,
// policies by order, first Allow/Deny/Pass wins, end-of-tier drop, then profiles.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "policy/endpoints.hpp"
#include "policy/model.hpp"

namespace podnet::policy {

struct FlowEnd {
  IpAddr ip;
  const Endpoint* endpoint = nullptr;  // the workload or host endpoint that owns ip, if any
};

struct Flow {
  FlowEnd src, dst;
  int protocol = 6;  // IP protocol number
  int dst_port = 0, src_port = 0;
  std::optional<int> icmp_type, icmp_code;
  // Forwarded traffic entering the host through this host endpoint (a NodePort connection, or
  // routed traffic to a pod): its doNotTrack, preDNAT and applyOnForward policies see the flow.
  // pre_dnat_* are the destination before kube-proxy's DNAT (default: dst as given).
  const Endpoint* ingress_host_endpoint = nullptr;
  std::optional<IpAddr> pre_dnat_ip;
  std::optional<int> pre_dnat_port;
};

// Where a step's verdict came from.
enum class Source { rule, end_of_tier, profile, no_profile, failsafe, not_policed };

struct Step {
  std::string stage;     // "egress", "ingress", "host-ingress", "host-egress", "forward",
                         // "preDNAT", "untracked"
  std::string endpoint;  // whose policy decided
  bool allowed = false;
  bool decided = true;  // false: the stage had no verdict and the flow went on (preDNAT etc.)
  Source source = Source::rule;
  std::string tier, policy;  // policy: Policy::id(); empty unless source is rule / end_of_tier
  int rule = -1;             // rule index in the policy's rules of that direction
  std::string detail;        // the rule, the profile's name, the failsafe port
  std::string str() const;   // one line for podnetctl
};

struct Decision {
  bool allowed = false;
  std::vector<Step> steps;  // in pipeline order, never empty
  // The last step that decided: the denial, or the last allow.
  const Step& deciding() const {
    for (auto it = steps.rbegin(); it != steps.rend(); ++it)
      if (it->decided) return *it;
    return steps.back();
  }
};

class Evaluator {
 public:
  Evaluator(const Model& model, const Endpoints& endpoints,
            Failsafes failsafes = default_failsafes());

  Decision evaluate(const Flow& flow) const;

  // Policies of one class applying to an endpoint in one direction, in evaluation order.
  enum class Class { normal, forward, pre_dnat, untracked };
  std::vector<const Policy*> applicable(const Endpoint& ep, Direction d,
                                        Class c = Class::normal) const;

  // Does traffic from/to `ip` fall in `sel`'s set (endpoints' IPs and network sets' nets)?
  bool ip_matches(const IpAddr& ip, const Selector& sel) const;

 private:
  struct Packet {  // the flow as one stage sees it
    IpAddr src, dst;
    int protocol, src_port, dst_port;
    std::optional<int> icmp_type, icmp_code;
  };
  bool rule_matches(const Rule& r, const Packet& p) const;
  bool entity_matches(const EntityMatch& e, const IpAddr& ip, int port, const Packet& p) const;
  bool named_port_matches(const std::string& name, const std::optional<SelectorMatch>& sel,
                          const IpAddr& ip, int protocol, int port) const;
  Step run(const Endpoint& ep, Direction d, Class c, const Packet& p, std::string stage) const;
  std::optional<Step> failsafe(const std::vector<FailsafePort>& list, const Packet& p, bool inbound,
                               const Endpoint& ep, std::string stage) const;

  const Model& model_;
  const Endpoints& endpoints_;
  Failsafes failsafes_;
};

}  // namespace podnet::policy
