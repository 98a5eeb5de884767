#include "dataplane/mtu.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "conf/types/routing.hpp"

namespace podnet::dataplane::mtu {

namespace {

uint32_t minus(uint32_t host, uint32_t overhead) {
  return host > overhead ? host - overhead : 0;
}

uint32_t positive(int64_t v) {
  return v > 0 && v < 1'000'000 ? static_cast<uint32_t>(v) : 0;
}

}  // namespace

TunnelMtus resolve(uint32_t host, TunnelMtus c) {
  if (!c.ipip) c.ipip = minus(host, kIpipOverhead);
  if (!c.vxlan) c.vxlan = minus(host, kVxlanOverhead);
  if (!c.vxlan_v6) c.vxlan_v6 = minus(host, kVxlanV6Overhead);
  if (!c.wireguard) c.wireguard = minus(host, kWireguardOverhead);
  if (!c.wireguard_v6) c.wireguard_v6 = minus(host, kWireguardV6Overhead);
  return c;
}

uint32_t pod_mtu(uint32_t host, const Encaps& on, const TunnelMtus& configured) {
  TunnelMtus t = resolve(host, configured);
  uint32_t mtu = 0;
  for (auto [value, enabled] :
       {std::pair{t.ipip, on.ipip}, std::pair{t.vxlan, on.vxlan},
        std::pair{t.vxlan_v6, on.vxlan_v6}, std::pair{t.wireguard, on.wireguard},
        std::pair{t.wireguard_v6, on.wireguard_v6}}) {
    if (enabled && value != 0 && (mtu == 0 || value < mtu)) mtu = value;
  }
  return mtu == 0 ? host : mtu;
}

TunnelMtus configured_from(const conf::types::FelixConfiguration& f) {
  TunnelMtus t;
  t.ipip = positive(f.spec.ipip_mtu);
  t.vxlan = positive(f.spec.vxlan_mtu);
  t.vxlan_v6 = positive(f.spec.vxlan_mtu_v6);
  t.wireguard = positive(f.spec.wireguard_mtu);
  t.wireguard_v6 = positive(f.spec.wireguard_mtu_v6);
  return t;
}

Encaps encaps_from(const std::vector<encap::Pool>& pools,
                   const conf::types::FelixConfiguration& f) {
  Encaps e;
  for (const auto& p : pools) {
    bool v4 = p.cidr.family() == rib::Family::v4;
    if (p.ipip != encap::Mode::never && v4) e.ipip = true;
    if (p.vxlan != encap::Mode::never) (v4 ? e.vxlan : e.vxlan_v6) = true;
  }
  if (f.spec.ipip_enabled) e.ipip = *f.spec.ipip_enabled;
  if (f.spec.vxlan_enabled) e.vxlan = *f.spec.vxlan_enabled;
  e.wireguard = f.spec.wireguard_enabled;
  e.wireguard_v6 = f.spec.wireguard_enabled_v6;
  return e;
}

Result<HostMtu> host_mtu(const std::vector<InterfaceInfo>& ifs, const std::string& pattern) {
  std::regex re;
  try {
    re = std::regex(pattern.empty() ? kDefaultIfacePattern : pattern, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    return make_error(Errc::invalid, "mtuIfacePattern \"" + pattern + "\": " + e.what());
  }
  HostMtu out;
  uint32_t smallest = 0;
  for (const auto& i : ifs) {
    // Felix matches the name anywhere (Go's MatchString); the default pattern anchors itself.
    if (!std::regex_search(i.name, re) || !i.oper_up || i.mtu == 0) continue;
    out.interfaces.push_back(i.name);
    if (smallest == 0 || i.mtu < smallest) smallest = i.mtu;
  }
  if (smallest != 0) {
    out.mtu = smallest;
    out.fallback = false;
  }
  return out;
}

Result<HostMtu> detect_host_mtu(const std::string& pattern) {
  auto ifs = list_interfaces();
  if (!ifs) return ifs.error();
  return host_mtu(*ifs, pattern);
}

Status write_mtu_file(const std::string& path, uint32_t mtu) {
  namespace fs = std::filesystem;
  std::string text = std::to_string(mtu);
  {
    std::ifstream in(path);
    std::stringstream cur;
    if (in) cur << in.rdbuf();
    if (in && cur.str() == text) return ok_status();
  }
  std::error_code ec;
  fs::path p(path);
  if (p.has_parent_path()) fs::create_directories(p.parent_path(), ec);
  if (ec) return make_error(Errc::io, "create " + p.parent_path().string() + ": " + ec.message());
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  FILE* f = std::fopen(tmp.c_str(), "w");
  if (!f) return make_error(Errc::io, "write " + tmp + ": " + std::strerror(errno));
  bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  ok = std::fflush(f) == 0 && ok;
  ok = ::fsync(fileno(f)) == 0 && ok;
  ok = std::fclose(f) == 0 && ok;
  if (!ok) {
    fs::remove(tmp, ec);
    return make_error(Errc::io, "write " + tmp + ": " + std::strerror(errno));
  }
  fs::rename(tmp, path, ec);
  if (ec) {
    std::error_code ignored;
    fs::remove(tmp, ignored);
    return make_error(Errc::io, "rename " + tmp + " -> " + path + ": " + ec.message());
  }
  return ok_status();
}

}  // namespace podnet::dataplane::mtu
