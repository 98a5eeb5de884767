#include "cni/ipam_plugin.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "conf/decode.hpp"
#include "conf/types/ipam.hpp"
#include "ipam-sync/allocator.hpp"
#include "ipam-sync/ipam_block.hpp"
#include "ipam-sync/ipam_net.hpp"
#include "ipam-sync/resource_ops.hpp"

namespace podnet::cni {

std::string handle_id(const NetConf& c, const Env& env) {
  return c.name + "." + env.container_id;
}

Outcome<std::unique_ptr<store::Datastore>> open_store(const NetConf& c) {
  auto ds = store::open_datastore(c.datastore);
  if (!ds)
    return cni_error(kInvalidConfig, fmt::format("cannot open datastore '{}'", c.datastore),
                     ds.error().message);
  return std::move(*ds);
}

Result<std::vector<std::string>> handle_addresses(store::Datastore& ds, const std::string& handle) {
  std::vector<std::string> out;
  auto h = store::load(ds, ipam::handle_key(handle));
  if (!h) {
    if (h.error().code == Errc::not_found) return out;
    return h.error();
  }
  auto typed = conf::decode<conf::types::IPAMHandle>(*h);
  if (!typed) return typed.error();
  for (const auto& [name, count] : typed->spec.block) {
    auto b = store::load(ds, "ipamblocks/" + name);
    if (!b) {
      if (b.error().code == Errc::not_found) continue;  // a stale count (crash between writes)
      return b.error();
    }
    const ipam::Doc doc = b->doc;
    auto net = ipam::parse_net(doc["spec"].value("cidr", ""));
    if (!net) return make_error(Errc::invalid, fmt::format("block {} has no valid cidr", name));
    const auto n = static_cast<int64_t>(net->size());
    for (int64_t o = 0; o < n; ++o) {
      auto a = ipam::allocation_at(doc, o);
      if (a && a->handle && *a->handle == handle)
        out.push_back(ipam::addr_str(net->family, net->base + static_cast<ipam::u128>(o)));
    }
  }
  return out;
}

namespace {

IpConfig host_ip(const std::string& addr) {
  IpConfig ip;
  ip.address = addr + (addr.find(':') == std::string::npos ? "/32" : "/128");
  return ip;
}

}  // namespace

Outcome<AddResult> ipam_add(store::Datastore& ds, const Env& env, const NetConf& c) {
  const std::string handle = handle_id(c, env);
  AddResult r;
  auto held = handle_addresses(ds, handle);
  if (!held) return from_error(held.error(), kIpamFailure, "cannot read the IPAM handle");
  if (!held->empty()) {
    for (const auto& a : *held) r.ips.push_back(host_ip(a));
    return r;
  }
  ipam::Allocator alloc(ds);
  ipam::AssignRequest req;
  req.node = resolve_nodename(c);
  req.handle = handle;
  req.ns = env.pod_namespace();
  req.pod = env.pod_name();
  for (int family : {4, 6}) {
    if (family == 4 ? !c.ipam.assign_ipv4 : !c.ipam.assign_ipv6) continue;
    req.family = family;
    req.pools = family == 4 ? c.ipam.ipv4_pools : c.ipam.ipv6_pools;
    auto a = alloc.auto_assign(req);
    if (!a) {
      // Both families or none: an IPv4 address taken before an IPv6 failure goes back.
      if (!r.ips.empty()) (void)alloc.release_handle(handle);
      return from_error(a.error(), kIpamFailure,
                        fmt::format("failed to assign an IPv{} address", family));
    }
    r.ips.push_back(host_ip(a->address));
  }
  return r;
}

Done ipam_del(store::Datastore& ds, const Env& env, const NetConf& c) {
  ipam::Allocator alloc(ds);
  auto n = alloc.release_handle(handle_id(c, env));
  if (!n && n.error().code != Errc::not_found)
    return from_error(n.error(), kIpamFailure, "failed to release the addresses");
  return Ok{};
}

Done ipam_check(store::Datastore& ds, const Env& env, const NetConf& c) {
  const std::string handle = handle_id(c, env);
  auto held = handle_addresses(ds, handle);
  if (!held) return from_error(held.error(), kIpamFailure, "cannot read the IPAM handle");
  if (held->empty())
    return cni_error(kCheckFailed, fmt::format("IPAM handle {} holds no addresses", handle));
  if (c.prev_result.is_null()) return Ok{};
  auto prev = parse_result(c.prev_result);
  if (!prev) return prev.error();
  for (const auto& ip : prev->ips) {
    const std::string bare = ip.address.substr(0, ip.address.find('/'));
    auto parsed = ipam::parse_addr(bare);
    const std::string canon = parsed ? parsed->str() : bare;
    if (std::find(held->begin(), held->end(), canon) == held->end())
      return cni_error(kCheckFailed,
                       fmt::format("address {} is not allocated to handle {}", bare, handle),
                       fmt::format("the handle holds [{}]", fmt::join(*held, ", ")));
  }
  return Ok{};
}

Handlers ipam_handlers() {
  Handlers h;
  h.add = [](const Env& env, const NetConf& c, const std::string&) -> Outcome<AddResult> {
    auto ds = open_store(c);
    if (!ds) return ds.error();
    return ipam_add(**ds, env, c);
  };
  h.del = [](const Env& env, const NetConf& c, const std::string&) -> Done {
    auto ds = open_store(c);
    if (!ds) return ds.error();
    return ipam_del(**ds, env, c);
  };
  h.check = [](const Env& env, const NetConf& c, const std::string&) -> Done {
    auto ds = open_store(c);
    if (!ds) return ds.error();
    return ipam_check(**ds, env, c);
  };
  return h;
}

}  // namespace podnet::cni
