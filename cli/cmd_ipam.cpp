// ipam: calicoctl's IPAM verbs against the datastore: assign, release, show, check.
#include <fmt/format.h>

#include <ostream>

#include "cli/cmd_common.hpp"
#include "cli/commands.hpp"
#include "ipam-sync/allocator.hpp"
#include "ipam-sync/ipam_report.hpp"

namespace podnet::cli {

namespace {

int fail(Io io, const Error& e) {
  io.err << "podnetctl: " << e.message << "\n";
  return exit_code_for(e);
}

std::string percent(int64_t part, double whole) {
  return fmt::format("{} ({:.0f}%)", part,
                     whole > 0 ? 100.0 * static_cast<double>(part) / whole : 0);
}

int assign(store::Datastore& ds, const IpamArgs& a, Io io) {
  if (a.node.empty()) return fail(io, make_error(Errc::invalid, "ipam assign needs --node"));
  ipam::AssignRequest req;
  req.node = a.node;
  req.family = a.ipv6 ? 6 : 4;
  if (!a.handle.empty()) req.handle = a.handle;
  req.ns = a.ns;
  req.pod = a.pod;
  req.type = a.type;
  if (!a.pool.empty()) req.pools = {a.pool};
  ipam::Allocator alloc(ds);
  auto r = a.ip.empty() ? alloc.auto_assign(req) : alloc.assign_ip(a.ip, req);
  if (!r) return fail(io, r.error());
  io.out << r->address << "\n";
  return kOk;
}

int release(store::Datastore& ds, const IpamArgs& a, Io io) {
  const int given = !a.ip.empty() + !a.handle.empty() + !a.block.empty() + !a.node.empty();
  if (given != 1)
    return fail(io,
                make_error(Errc::invalid,
                           "ipam release needs exactly one of --ip, --handle, --block, --node"));
  ipam::Allocator alloc(ds);
  if (!a.ip.empty()) {
    if (auto st = alloc.release_ip(a.ip); !st) return fail(io, st.error());
    io.out << "released " << a.ip << "\n";
  } else if (!a.handle.empty()) {
    auto n = alloc.release_handle(a.handle);
    if (!n) return fail(io, n.error());
    io.out << fmt::format("released {} addresses of handle {}\n", *n, a.handle);
  } else if (!a.block.empty()) {
    if (auto st = alloc.release_block(a.block); !st) return fail(io, st.error());
    io.out << "released block " << a.block << "\n";
  } else {
    auto c = alloc.release_node(a.node);
    if (!c) return fail(io, c.error());
    io.out << fmt::format(
        "node {}: released {} addresses, deleted {} blocks, unaffined {} blocks, deleted {} "
        "affinities\n",
        a.node, c->released_addresses, c->deleted_blocks, c->orphaned_blocks,
        c->deleted_affinities);
  }
  return kOk;
}

int show(store::Datastore& ds, const IpamArgs& a, Io io) {
  if (!a.ip.empty()) {
    auto info = ipam::ipam_lookup(ds, a.ip);
    if (!info) return fail(io, info.error());
    if (!info->allocated) {
      io.out << fmt::format("IP {} is not assigned (block {}, pool {})\n", info->address,
                            info->block, info->pool.empty() ? "none" : info->pool);
      return kOk;
    }
    io.out << fmt::format("IP {} is in use\n", info->address);
    io.out << fmt::format("  block: {} ({})\n", info->block,
                          info->affinity.empty() ? "no affinity" : info->affinity);
    io.out << fmt::format("  pool: {}\n", info->pool.empty() ? "none" : info->pool);
    io.out << fmt::format("  handle: {}\n", info->handle.value_or("none"));
    for (const auto& [k, v] : info->secondary) io.out << fmt::format("  {}: {}\n", k, v);
    return kOk;
  }
  auto u = ipam::ipam_usage(ds);
  if (!u) return fail(io, u.error());
  constexpr const char* kRow = "{:<9} {:<28} {:>22} {:>14} {:>24} {}\n";
  io.out << fmt::format(kRow, "GROUPING", "CIDR", "IPS TOTAL", "IPS IN USE", "IPS FREE",
                        a.show_blocks ? "AFFINITY" : "");
  for (const auto& p : u->pools) {
    const double total = std::stod(p.size);
    // Free is what remains of the pool: addresses in no block yet count as free.
    const std::string free_text =
        total < 1e18 ? percent(static_cast<int64_t>(total) - p.used, total)
                     : fmt::format("{:.3g} (100%)", total - static_cast<double>(p.used));
    io.out << fmt::format(kRow, "IP Pool", p.cidr + (p.disabled ? " (disabled)" : ""), p.size,
                          percent(p.used, total), free_text, "");
    if (!a.show_blocks) continue;
    for (const auto& b : u->blocks) {
      if (b.pool != p.name) continue;
      io.out << fmt::format(kRow, "Block", b.cidr, b.size, percent(b.used, b.size),
                            percent(b.size - b.used, b.size),
                            b.affinity.empty() ? "none" : b.affinity);
    }
  }
  if (a.show_blocks)
    for (const auto& b : u->blocks)
      if (b.pool.empty())
        io.out << fmt::format(kRow, "Block", b.cidr + " (no pool)", b.size, percent(b.used, b.size),
                              percent(b.size - b.used, b.size),
                              b.affinity.empty() ? "none" : b.affinity);
  return kOk;
}

int check(store::Datastore& ds, Io io) {
  auto problems = ipam::ipam_check(ds);
  if (!problems) return fail(io, problems.error());
  auto u = ipam::ipam_usage(ds);
  if (!u) return fail(io, u.error());
  int64_t used = 0;
  for (const auto& b : u->blocks) used += b.used;
  io.out << fmt::format("Checked {} blocks, {} allocated addresses.\n", u->blocks.size(), used);
  if (problems->empty()) {
    io.out << "No problems found.\n";
    return kOk;
  }
  io.out << fmt::format("Found {} problems:\n", problems->size());
  for (const auto& p : *problems) io.out << "  " << p << "\n";
  return kNotFound;
}

}  // namespace

int cmd_ipam(const Globals& g, const IpamArgs& a, Io io) {
  auto ds = open_store(g);
  if (!ds) {
    io.err << "podnetctl: datastore " << g.datastore << ": " << ds.error().message << "\n";
    return kNotFound;
  }
  if (a.what == "assign") return assign(**ds, a, io);
  if (a.what == "release") return release(**ds, a, io);
  if (a.what == "show") return show(**ds, a, io);
  return check(**ds, io);
}

}  // namespace podnet::cli
