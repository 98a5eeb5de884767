#include "cni/network_plugin.hpp"

#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <algorithm>

#include <fmt/format.h>

#include "cni/delegate.hpp"
#include "cni/ipam_plugin.hpp"
#include "cni/links.hpp"
#include "cni/netns.hpp"
#include "cni/pod_record.hpp"
#include "ipam-sync/ipam_net.hpp"
#include "policy/endpoints.hpp"

namespace podnet::cni {

std::string host_veth_name(const Env& env) {
  const std::string ns = env.pod_namespace(), pod = env.pod_name();
  if (!ns.empty() && !pod.empty()) return policy::workload_interface_name(ns, pod);
  return "cali" + env.container_id.substr(0, 11);
}

namespace {

bool is_k8s(const Env& env) {
  return !env.pod_namespace().empty() && !env.pod_name().empty();
}

// "10.244.1.5/26" or "10.244.1.5" -> "10.244.1.5/32" (canonical text): a pod owns one address.
std::string host_cidr(const std::string& address) {
  const std::string bare = address.substr(0, address.find('/'));
  auto a = ipam::parse_addr(bare);
  const std::string canon = a ? a->str() : bare;
  return canon + (canon.find(':') == std::string::npos ? "/32" : "/128");
}

CniError kernel_error(const Error& e, const std::string& what) {
  return cni_error(kKernelFailure, what, e.message);
}

Done require_ipam(const NetConf& c) {
  if (c.ipam.type.empty())
    return cni_error(kInvalidConfig, "network configuration has no ipam.type");
  return Ok{};
}

// Host-side sysctls Calico sets on a workload interface.
Status host_sysctls(const std::string& host, bool v4, bool v6) {
  if (v4) {
    for (auto [path, value] : {std::pair{"/proc/sys/net/ipv4/conf/" + host + "/proxy_arp", "1"},
                               std::pair{"/proc/sys/net/ipv4/neigh/" + host + "/proxy_delay", "0"},
                               std::pair{"/proc/sys/net/ipv4/conf/" + host + "/forwarding", "1"}})
      if (auto s = write_sysctl(path, value); !s) return s;
  }
  if (v6) {
    for (auto [path, value] : {std::pair{"/proc/sys/net/ipv6/conf/" + host + "/accept_ra", "0"},
                               std::pair{"/proc/sys/net/ipv6/conf/" + host + "/proxy_ndp", "1"},
                               std::pair{"/proc/sys/net/ipv6/conf/" + host + "/forwarding", "1"}})
      if (auto s = write_sysctl(path, value); !s) return s;
  }
  return ok_status();
}

// The pod's side, run inside its namespace: eth0 up, addresses, the link route to the gateway
// and the default routes. Returns eth0's MAC through *mac.
Status configure_pod_side(const std::string& ifname, const std::vector<std::string>& cidrs,
                          std::string* mac) {
  Rtnl nl;
  if (auto s = nl.open(); !s) return s;
  if (auto s = nl.set_up(ifname); !s) return s;
  auto l = nl.link(ifname);
  if (!l) return l.error();
  if (!*l) return make_error(Errc::not_found, fmt::format("{} vanished in the pod", ifname));
  *mac = (*l)->mac;
  const int idx = (*l)->ifindex;
  bool v4 = false, v6 = false;
  for (const auto& c : cidrs) {
    if (auto s = nl.add_address(idx, c); !s) return s;
    (c.find(':') == std::string::npos ? v4 : v6) = true;
  }
  if (v4) {
    if (auto s = nl.add_route(idx, std::string(kGatewayV4) + "/32", "", true); !s) return s;
    if (auto s = nl.add_route(idx, "0.0.0.0/0", kGatewayV4, false); !s) return s;
  }
  if (v6)
    if (auto s = nl.add_route(idx, "::/0", kGatewayV6, false); !s) return s;
  return ok_status();
}

// What ADD has done so far, undone in reverse when a later step fails.
struct Rollback {
  Rollback(const Env& e, const NetConf& nc, const std::string& in)
      : env(e), c(nc), stdin_text(in) {}
  const Env& env;
  const NetConf& c;
  const std::string& stdin_text;
  Rtnl* host = nullptr;
  std::string veth;
  store::Datastore* ds = nullptr;  // set once the Pod record was written
  bool armed = true;
  ~Rollback() {
    if (!armed) return;
    if (ds) (void)clear_pod_ips(*ds, env.pod_namespace(), env.pod_name(), env.container_id);
    if (host && !veth.empty()) (void)host->delete_link(veth);  // takes the routes and the peer
    (void)delegate_del(c, env, stdin_text);
  }
};

}  // namespace

Outcome<AddResult> network_add(const Env& env, const NetConf& c, const std::string& stdin_text) {
  if (auto r = require_ipam(c); !r) return r.error();
  auto ds = open_store(c);
  if (!ds) return ds.error();
  // The namespace is checked before anything is allocated: a missing sandbox costs nothing.
  auto netns = NetnsFd::open(env.netns);
  if (!netns)
    return cni_error(netns.error().code == Errc::not_found ? kUnknownContainer : kInvalidEnv,
                     fmt::format("bad CNI_NETNS {}", env.netns), netns.error().message);
  Rtnl host;
  if (auto s = host.open(); !s) return kernel_error(s.error(), "cannot open netlink");

  auto ipam = delegate_add(c, env, stdin_text);
  if (!ipam) return ipam.error();
  Rollback undo{env, c, stdin_text};
  if (ipam->ips.empty()) return cni_error(kIpamFailure, "the IPAM plugin returned no address");

  std::vector<std::string> cidrs;
  bool v4 = false, v6 = false;
  for (const auto& ip : ipam->ips) {
    cidrs.push_back(host_cidr(ip.address));
    (ip.family() == 4 ? v4 : v6) = true;
  }
  const std::string veth = host_veth_name(env);
  const uint32_t mtu = resolve_mtu(c);

  // A veth left by an earlier sandbox of the same pod is replaced, as Calico does; any other
  // device of that name is a clash we must not touch.
  auto existing = host.link(veth);
  if (!existing) return kernel_error(existing.error(), "cannot read host links");
  if (*existing) {
    if ((*existing)->kind != "veth")
      return cni_error(kKernelFailure,
                       fmt::format("host interface {} exists and is not a veth ({})", veth,
                                   (*existing)->kind.empty() ? "no kind" : (*existing)->kind));
    if (auto s = host.delete_link(veth); !s)
      return kernel_error(s.error(), "cannot remove a stale veth");
  }
  if (auto s = host.create_veth(veth, kHostMac, env.ifname, netns->fd(), mtu); !s)
    return kernel_error(s.error(), fmt::format("cannot create veth {} / {}", veth, env.ifname));
  undo.host = &host;
  undo.veth = veth;
  if (auto s = host_sysctls(veth, v4, v6); !s)
    return kernel_error(s.error(), "cannot configure the host side");
  if (auto s = host.set_up(veth); !s) return kernel_error(s.error(), "cannot set the host side up");

  std::string pod_mac;
  if (auto s = in_netns(*netns, [&] { return configure_pod_side(env.ifname, cidrs, &pod_mac); });
      !s)
    return kernel_error(s.error(), fmt::format("cannot configure {} in the pod", env.ifname));

  auto hl = host.link(veth);
  if (!hl || !*hl) return cni_error(kKernelFailure, fmt::format("{} vanished", veth));
  for (const auto& cidr : cidrs)
    if (auto s = host.add_route((*hl)->ifindex, cidr, "", true); !s)
      return kernel_error(s.error(), fmt::format("cannot route {} to {}", cidr, veth));

  if (is_k8s(env)) {
    if (auto s = record_pod_ips(**ds, env.pod_namespace(), env.pod_name(), resolve_nodename(c),
                                env.container_id, cidrs);
        !s)
      return from_error(s.error(), kDatastoreFailure, "cannot record the Pod's IPs");
    undo.ds = ds->get();
  }

  AddResult r;
  r.interfaces.push_back({veth, kHostMac, ""});
  r.interfaces.push_back({env.ifname, pod_mac, env.netns});
  for (const auto& cidr : cidrs) r.ips.push_back({cidr, "", 1});
  if (v4) r.routes.push_back({"0.0.0.0/0", kGatewayV4});
  if (v6) r.routes.push_back({"::/0", kGatewayV6});
  undo.armed = false;
  return r;
}

Done network_del(const Env& env, const NetConf& c, const std::string& stdin_text) {
  if (auto r = require_ipam(c); !r) return r.error();
  // The pod side goes with its namespace; a namespace already gone took the veth with it.
  if (!env.netns.empty()) {
    auto netns = NetnsFd::open(env.netns);
    if (netns) {
      auto s = in_netns(*netns, [&]() -> Status {
        Rtnl nl;
        if (auto o = nl.open(); !o) return o;
        auto d = nl.delete_link(env.ifname);
        if (!d && d.error().code != Errc::not_found) return d;
        return ok_status();
      });
      if (!s) return kernel_error(s.error(), fmt::format("cannot delete {}", env.ifname));
    }
  }
  if (is_k8s(env)) {
    auto ds = open_store(c);
    if (!ds) return ds.error();
    if (auto s = clear_pod_ips(**ds, env.pod_namespace(), env.pod_name(), env.container_id); !s)
      return from_error(s.error(), kDatastoreFailure, "cannot clear the Pod's IPs");
  }
  return delegate_del(c, env, stdin_text);
}

namespace {

CniError check_failed(std::string msg, std::string details = "") {
  return cni_error(kCheckFailed, std::move(msg), std::move(details));
}

bool has_route(const std::vector<RouteState>& routes, const std::string& dst, const std::string& gw,
               int oif) {
  return std::any_of(routes.begin(), routes.end(), [&](const RouteState& r) {
    return r.dst == dst && r.gw == gw && r.oif == oif;
  });
}

// CHECK inside the pod: eth0 up with the MTU, every address, the gateway routes.
Done check_pod_side(const Env& env, const std::vector<std::string>& cidrs, uint32_t mtu) {
  Rtnl nl;
  if (auto s = nl.open(); !s) return kernel_error(s.error(), "cannot open netlink in the pod");
  auto l = nl.link(env.ifname);
  if (!l) return kernel_error(l.error(), "cannot read the pod's links");
  if (!*l) return check_failed(fmt::format("{} does not exist in {}", env.ifname, env.netns));
  const LinkState& eth = **l;
  if (eth.kind != "veth") return check_failed(fmt::format("{} is not a veth", env.ifname));
  if (!eth.up) return check_failed(fmt::format("{} is down", env.ifname));
  if (eth.mtu != mtu)
    return check_failed(fmt::format("{} has MTU {}, the host side {}", env.ifname, eth.mtu, mtu));
  bool v4 = false, v6 = false;
  for (int fam : {AF_INET, AF_INET6}) {
    auto addrs = nl.addresses(eth.ifindex, fam);
    if (!addrs) return kernel_error(addrs.error(), "cannot read the pod's addresses");
    for (const auto& c : cidrs) {
      if ((c.find(':') == std::string::npos) != (fam == AF_INET)) continue;
      (fam == AF_INET ? v4 : v6) = true;
      if (std::find(addrs->begin(), addrs->end(), c) == addrs->end())
        return check_failed(fmt::format("{} lacks address {}", env.ifname, c),
                            fmt::format("it has [{}]", fmt::join(*addrs, ", ")));
    }
  }
  if (v4) {
    auto routes = nl.routes(AF_INET);
    if (!routes) return kernel_error(routes.error(), "cannot read the pod's routes");
    if (!has_route(*routes, std::string(kGatewayV4) + "/32", "", eth.ifindex))
      return check_failed(
          fmt::format("route {} dev {} missing in the pod", kGatewayV4, env.ifname));
    if (!has_route(*routes, "0.0.0.0/0", kGatewayV4, eth.ifindex))
      return check_failed(
          fmt::format("default route via {} dev {} missing in the pod", kGatewayV4, env.ifname));
  }
  if (v6) {
    auto routes = nl.routes(AF_INET6);
    if (!routes) return kernel_error(routes.error(), "cannot read the pod's routes");
    if (!has_route(*routes, "::/0", kGatewayV6, eth.ifindex))
      return check_failed(
          fmt::format("default route via {} dev {} missing in the pod", kGatewayV6, env.ifname));
  }
  return Ok{};
}

}  // namespace

Done network_check(const Env& env, const NetConf& c, const std::string& stdin_text) {
  if (auto r = require_ipam(c); !r) return r.error();
  if (c.prev_result.is_null())
    return cni_error(kInvalidConfig, "CHECK needs prevResult in the network configuration");
  auto prev = parse_result(c.prev_result);
  if (!prev) return prev.error();
  if (auto s = delegate_check(c, env, stdin_text); !s) return s;

  std::vector<std::string> cidrs;
  for (const auto& ip : prev->ips) cidrs.push_back(host_cidr(ip.address));
  const std::string veth = host_veth_name(env);

  Rtnl host;
  if (auto s = host.open(); !s) return kernel_error(s.error(), "cannot open netlink");
  auto hl = host.link(veth);
  if (!hl) return kernel_error(hl.error(), "cannot read host links");
  if (!*hl) return check_failed(fmt::format("host interface {} does not exist", veth));
  const LinkState& h = **hl;
  if (h.kind != "veth") return check_failed(fmt::format("host interface {} is not a veth", veth));
  if (!h.up) return check_failed(fmt::format("host interface {} is down", veth));
  if (c.mtu && h.mtu != *c.mtu)
    return check_failed(fmt::format("host interface {} has MTU {}, want {}", veth, h.mtu, *c.mtu));
  for (int fam : {AF_INET, AF_INET6}) {
    auto routes = host.routes(fam);
    if (!routes) return kernel_error(routes.error(), "cannot read host routes");
    for (const auto& cidr : cidrs) {
      if ((cidr.find(':') == std::string::npos) != (fam == AF_INET)) continue;
      if (!has_route(*routes, cidr, "", h.ifindex))
        return check_failed(fmt::format("host route {} dev {} missing", cidr, veth));
      if (fam == AF_INET) {
        auto pa = read_sysctl("/proc/sys/net/ipv4/conf/" + veth + "/proxy_arp");
        if (!pa || *pa != "1") return check_failed(fmt::format("proxy ARP is off on {}", veth));
      }
    }
  }

  auto netns = NetnsFd::open(env.netns);
  if (!netns)
    return cni_error(kUnknownContainer, fmt::format("bad CNI_NETNS {}", env.netns),
                     netns.error().message);
  Done result = Ok{};
  auto s = in_netns(*netns, [&]() -> Status {
    result = check_pod_side(env, cidrs, h.mtu);
    return ok_status();
  });
  if (!s) return kernel_error(s.error(), "cannot enter the pod's namespace");
  return result;
}

Handlers network_handlers() {
  return Handlers{network_add, network_del, network_check};
}

}  // namespace podnet::cni
