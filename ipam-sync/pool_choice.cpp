#include "ipam-sync/pool_choice.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "conf/decode.hpp"
#include "ipam-sync/resource_ops.hpp"

namespace podnet::ipam {

namespace {

// The annotation Calico's CNI plugin reads on the pod, then on its namespace.
std::string pools_annotation(int family) {
  return family == 4 ? "cni.projectcalico.org/ipv4pools" : "cni.projectcalico.org/ipv6pools";
}

// The annotation's value ("" if absent) on the resource at key; a missing resource has none.
Result<std::string> annotation_of(store::Datastore& ds, const std::string& key,
                                  const std::string& name) {
  auto r = store::load(ds, key);
  if (!r) {
    if (r.error().code == Errc::not_found) return std::string();
    return r.error();
  }
  const auto& md = r->doc["metadata"];
  if (!md.contains("annotations") || !md["annotations"].contains(name)) return std::string();
  return md["annotations"][name].get<std::string>();
}

Result<std::vector<std::string>> parse_pool_list(const std::string& text,
                                                 const std::string& where) {
  try {
    auto j = nlohmann::json::parse(text);
    if (!j.is_array()) throw std::runtime_error("not a JSON list");
    std::vector<std::string> out;
    for (const auto& e : j) {
      if (!e.is_string()) throw std::runtime_error("an entry is not a string");
      out.push_back(e.get<std::string>());
    }
    return out;
  } catch (const std::exception& e) {
    return make_error(Errc::invalid, fmt::format("{}: '{}' is not a JSON list of pool names or "
                                                 "CIDRs ({})",
                                                 where, text, e.what()));
  }
}

Result<Labels> node_labels(store::Datastore& ds, const std::string& node) {
  auto r = store::load(ds, "nodes/" + node);
  if (!r) {
    if (r.error().code == Errc::not_found) return Labels{};
    return r.error();
  }
  Labels out;
  const auto& md = r->doc["metadata"];
  if (md.contains("labels"))
    for (auto& [k, v] : md["labels"].items()) out[k] = v.get<std::string>();
  return out;
}

const PoolView* find_pool(const std::vector<PoolView>& pools, const std::string& ref) {
  auto net = parse_net(ref);
  for (const auto& p : pools)
    if (p.name == ref || (net && p.net == *net)) return &p;
  return nullptr;
}

}  // namespace

bool PoolView::allows(const std::string& use) const {
  return std::find(allowed_uses.begin(), allowed_uses.end(), use) != allowed_uses.end();
}

Result<std::vector<PoolView>> load_pools(store::Datastore& ds) {
  auto all = store::load_all(ds, *conf::find_kind("IPPool"), "");
  if (!all) return all.error();
  std::vector<PoolView> out;
  for (const auto& r : *all) {
    auto p = conf::decode<conf::types::IPPool>(r);
    if (!p) return p.error();
    auto net = parse_net(p->spec.cidr);
    if (!net) continue;  // validation guarantees a good CIDR; skip rather than fail if not
    out.push_back({p->metadata.name, *net, static_cast<int>(p->spec.block_size), p->spec.disabled,
                   p->spec.allowed_uses, p->spec.node_selector});
  }
  return out;
}

Result<ConfigView> load_config(store::Datastore& ds) {
  auto r = store::load(ds, kConfigKey);
  if (!r) {
    if (r.error().code == Errc::not_found) return ConfigView{};
    return r.error();
  }
  auto c = conf::decode<conf::types::IPAMConfig>(*r);
  if (!c) return c.error();
  return ConfigView{c->spec.strict_affinity, c->spec.max_blocks_per_host,
                    c->spec.auto_allocate_blocks};
}

std::string intended_use(const AssignRequest& req) {
  return req.type.empty() ? "Workload" : "Tunnel";
}

Result<std::vector<PoolView>> choose_pools(store::Datastore& ds, const AssignRequest& req,
                                           const std::vector<PoolView>& pools,
                                           const NodeSelectorMatcher& matcher, int* family) {
  const std::string use = intended_use(req);
  auto labels = node_labels(ds, req.node);
  if (!labels) return labels.error();

  std::vector<std::string> wanted = req.pools;
  std::string source = "--pool";
  if (wanted.empty() && !req.ns.empty()) {
    const std::string ann = pools_annotation(*family);
    std::string text;
    if (!req.pod.empty()) {
      auto a = annotation_of(ds, "pods/" + req.ns + "/" + req.pod, ann);
      if (!a) return a.error();
      text = *a;
      source = fmt::format("pod {}/{} annotation {}", req.ns, req.pod, ann);
    }
    if (text.empty()) {
      auto a = annotation_of(ds, "namespaces/" + req.ns, ann);
      if (!a) return a.error();
      text = *a;
      source = fmt::format("namespace {} annotation {}", req.ns, ann);
    }
    if (!text.empty()) {
      auto list = parse_pool_list(text, source);
      if (!list) return list.error();
      wanted = std::move(*list);
    }
  }

  std::vector<PoolView> out;
  if (!wanted.empty()) {
    for (const auto& ref : wanted) {
      const PoolView* p = find_pool(pools, ref);
      if (!p)
        return make_error(Errc::not_found, fmt::format("{}: no IPPool named {}", source, ref));
      if (p->disabled)
        return make_error(Errc::invalid, fmt::format("{}: IPPool {} is disabled", source, p->name));
      if (!p->allows(use))
        return make_error(Errc::invalid, fmt::format("{}: IPPool {} does not allow {} addresses",
                                                     source, p->name, use));
      auto sel = matcher(p->node_selector, *labels);
      if (!sel) return sel.error();
      if (!*sel)
        return make_error(Errc::invalid,
                          fmt::format("{}: IPPool {} (nodeSelector {}) does not select node {}",
                                      source, p->name, p->node_selector, req.node));
      out.push_back(*p);
    }
    // Explicit pools decide the family; they must agree.
    *family = out.front().net.family;
    for (const auto& p : out)
      if (p.net.family != *family)
        return make_error(Errc::invalid,
                          fmt::format("{}: IPv4 and IPv6 pools in one request", source));
    return out;
  }

  for (const auto& p : pools) {
    if (p.net.family != *family || p.disabled || !p.allows(use)) continue;
    auto sel = matcher(p.node_selector, *labels);
    if (!sel)
      return make_error(sel.error().code,
                        fmt::format("IPPool {}: nodeSelector: {}", p.name, sel.error().message));
    if (*sel) out.push_back(p);
  }
  if (out.empty())
    return make_error(Errc::not_found,
                      fmt::format("no enabled IPv{} pool allowing {} addresses selects node {}",
                                  *family, use, req.node));
  return out;
}

const PoolView* pool_for(const std::vector<PoolView>& pools, const Addr& addr) {
  const PoolView* best = nullptr;
  for (const auto& p : pools)
    if (p.net.family == addr.family && p.net.contains(addr.value) &&
        (!best || p.net.prefix > best->net.prefix))
      best = &p;
  return best;
}

}  // namespace podnet::ipam
