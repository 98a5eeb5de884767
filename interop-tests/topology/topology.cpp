#include "interop-tests/topology/topology.hpp"

#include <fmt/core.h>

#include <cctype>
#include <chrono>
#include <exception>

namespace podnet::interop {

namespace {

using harness::run;

Status command_status(const harness::CommandResult& r, const std::string& what) {
  if (r.exit_code == 0) return ok_status();
  return make_error(Errc::io, fmt::format("{}: exit {}: {}", what, r.exit_code, r.err + r.out));
}

Status ip(const std::string& ns, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"ip", "-n", ns};
  argv.insert(argv.end(), args.begin(), args.end());
  std::string what = "ip";
  for (const auto& a : argv) what += " " + a;
  return command_status(run(argv), what);
}

// nftables table names allow letters, digits and '_' only; interface names allow more.
std::string cut_table(const std::string& ifname) {
  std::string t = "podnet_cut_";
  for (char c : ifname) t += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return t;
}

Status nft_ingress_drop(const std::string& ns, const std::string& ifname, bool drop) {
  std::string table = cut_table(ifname);
  std::string script =
      drop ? fmt::format(
                 "table netdev {0} {{\n"
                 "  chain ingress {{ type filter hook ingress device \"{1}\" priority -500; "
                 "policy drop; }}\n"
                 "}}\n",
                 table, ifname)
           : fmt::format("delete table netdev {}\n", table);
  auto r = run({"ip", "netns", "exec", ns, "nft", "-f", "-"}, script);
  return command_status(r, fmt::format("nft in {} ({})", ns, drop ? "cut" : "restore"));
}

}  // namespace

Topology::Topology(std::string tag) : tag_(std::move(tag)) {}

Topology::~Topology() {
  // Netns destructors kill every process left inside and delete the namespace; veth pairs
  // disappear with their namespaces.
  switches_.clear();
  hosts_.clear();
}

Status Topology::add_host(const std::string& host) {
  if (hosts_.count(host)) return make_error(Errc::already_exists, "host " + host + " exists");
  try {
    hosts_[host] = std::make_unique<harness::Netns>(tag_ + "-" + host);
  } catch (const std::exception& e) {
    return make_error(Errc::io, e.what());
  }
  const std::string& n = hosts_[host]->name();
  // DAD would keep fresh IPv6 addresses tentative (unbindable) for a second or more.
  auto r = run({"ip", "netns", "exec", n, "sh", "-c",
                "sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 "
                "net.ipv6.conf.default.accept_ra=0"});
  return command_status(r, "sysctl in " + n);
}

std::string Topology::ns(const std::string& host) const {
  auto it = hosts_.find(host);
  return it == hosts_.end() ? "" : it->second->name();
}

std::vector<std::string> Topology::hosts() const {
  std::vector<std::string> out;
  for (const auto& [name, _] : hosts_) out.push_back(name);
  return out;
}

harness::CommandResult Topology::exec(const std::string& host,
                                      const std::vector<std::string>& argv) const {
  auto it = hosts_.find(host);
  if (it == hosts_.end()) return harness::CommandResult{-1, "", "no host " + host};
  return it->second->exec(argv);
}

Status Topology::add_veth(const std::string& ns_a, const std::string& if_a, const std::string& ns_b,
                          const std::string& if_b) {
  // Created directly inside both namespaces: the root namespace never sees the names.
  return command_status(run({"ip", "link", "add", "name", if_a, "netns", ns_a, "type", "veth",
                             "peer", "name", if_b, "netns", ns_b}),
                        fmt::format("veth {}:{} <-> {}:{}", ns_a, if_a, ns_b, if_b));
}

Status Topology::add_addresses(const std::string& ns, const std::string& ifname,
                               const std::vector<std::string>& addresses) {
  for (const auto& a : addresses) {
    std::vector<std::string> args = {"addr", "add", a, "dev", ifname};
    if (a.find(':') != std::string::npos) args.push_back("nodad");
    if (auto s = ip(ns, args); !s) return s;
  }
  return ok_status();
}

Result<std::string> Topology::add_link(const Endpoint& a, const Endpoint& b) {
  std::string na = ns(a.host), nb = ns(b.host);
  if (na.empty() || nb.empty())
    return make_error(Errc::not_found, "unknown host " + (na.empty() ? a.host : b.host));
  std::string id = a.host + ":" + a.ifname;
  if (links_.count(id)) return make_error(Errc::already_exists, "link " + id + " exists");
  if (auto s = add_veth(na, a.ifname, nb, b.ifname); !s) return s.error();
  if (auto s = add_addresses(na, a.ifname, a.addresses); !s) return s.error();
  if (auto s = add_addresses(nb, b.ifname, b.addresses); !s) return s.error();
  links_[id] = Veth{na, a.ifname, nb, b.ifname};
  // The far end answers to its own id as well, so either side can name the link.
  links_[b.host + ":" + b.ifname] = Veth{nb, b.ifname, na, a.ifname};
  return id;
}

Status Topology::add_lan(const std::string& lan, const std::vector<Endpoint>& members) {
  if (switches_.count(lan)) return make_error(Errc::already_exists, "lan " + lan + " exists");
  try {
    switches_[lan] = std::make_unique<harness::Netns>(tag_ + "-sw-" + lan);
  } catch (const std::exception& e) {
    return make_error(Errc::io, e.what());
  }
  const std::string sw = switches_[lan]->name();
  if (auto s = ip(sw, {"link", "add", "br0", "type", "bridge"}); !s) return s;
  if (auto s = ip(sw, {"link", "set", "br0", "up"}); !s) return s;
  for (const auto& m : members) {
    std::string nm = ns(m.host);
    if (nm.empty()) return make_error(Errc::not_found, "unknown host " + m.host);
    std::string port = fmt::format("p{}", veth_counter_++);
    if (auto s = add_veth(nm, m.ifname, sw, port); !s) return s;
    if (auto s = ip(sw, {"link", "set", port, "master", "br0"}); !s) return s;
    if (auto s = ip(sw, {"link", "set", port, "up"}); !s) return s;
    if (auto s = add_addresses(nm, m.ifname, m.addresses); !s) return s;
    links_[m.host + ":" + m.ifname] = Veth{nm, m.ifname, sw, port};
  }
  return ok_status();
}

Status Topology::up() {
  for (const auto& [id, v] : links_) {
    if (auto s = ip(v.ns_a, {"link", "set", v.if_a, "up"}); !s) return s;
  }
  // The kernel activates a device's qdisc only when linkwatch reports the carrier (up to a
  // second later); until then every packet is dropped ("qdisc noop").
  bool carrier = harness::wait_until(
      [&] {
        for (const auto& [id, v] : links_) {
          auto r = run({"ip", "-n", v.ns_a, "-o", "link", "show", "dev", v.if_a});
          if (r.exit_code != 0 || r.out.find("state UP") == std::string::npos ||
              r.out.find("qdisc noop") != std::string::npos)
            return false;
        }
        return true;
      },
      std::chrono::seconds(10));
  if (!carrier) return make_error(Errc::unavailable, "links not up after 10 s");
  // accept_dad=0 and nodad should leave nothing tentative; wait anyway so a kernel that
  // still runs DAD on link-local addresses cannot make a later bind() fail.
  bool settled = harness::wait_until(
      [&] {
        for (const auto& [host, n] : hosts_) {
          auto r = run({"ip", "-n", n->name(), "-6", "addr", "show", "tentative"});
          if (r.exit_code != 0 || !r.out.empty()) return false;
        }
        return true;
      },
      std::chrono::seconds(10));
  if (!settled) return make_error(Errc::unavailable, "IPv6 addresses still tentative after 10 s");
  return ok_status();
}

Status Topology::set_cut(const std::string& link_id, bool cut) {
  auto it = links_.find(link_id);
  if (it == links_.end()) return make_error(Errc::not_found, "no link " + link_id);
  const Veth& v = it->second;
  if (auto s = nft_ingress_drop(v.ns_a, v.if_a, cut); !s) return s;
  return nft_ingress_drop(v.ns_b, v.if_b, cut);
}

Status Topology::cut(const std::string& link_id) {
  return set_cut(link_id, true);
}
Status Topology::restore(const std::string& link_id) {
  return set_cut(link_id, false);
}

}  // namespace podnet::interop
