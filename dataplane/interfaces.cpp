#include "dataplane/interfaces.hpp"

#include <linux/if.h>
#include <sys/socket.h>

#include "dataplane/link_messages.hpp"

namespace podnet::dataplane {

Result<std::vector<InterfaceInfo>> list_interfaces(NetlinkChannel& ch) {
  std::vector<uint8_t> req;
  append_link_dump(req, ch.next_seq());
  auto links = ch.dump(req);
  if (!links) return links.error();
  std::vector<InterfaceInfo> out;
  for (const auto& m : *links) {
    auto l = parse_link(m.header());
    if (!l) continue;
    InterfaceInfo i;
    i.ifindex = l->ifindex;
    i.name = l->name;
    i.mtu = l->mtu;
    i.admin_up = (l->flags & IFF_UP) != 0;
    i.oper_up = (l->flags & IFF_UP) && (l->flags & IFF_RUNNING);
    i.kind = l->kind;
    out.push_back(std::move(i));
  }
  req.clear();
  append_addr_dump(req, ch.next_seq(), AF_UNSPEC);
  auto addrs = ch.dump(req);
  if (!addrs) return addrs.error();
  for (const auto& m : *addrs) {
    auto a = parse_addr(m.header());
    if (!a) continue;
    for (auto& i : out) {
      if (i.ifindex == a->ifindex) i.addresses.emplace_back(a->address, a->prefix_length);
    }
  }
  return out;
}

Result<std::vector<InterfaceInfo>> list_interfaces() {
  NetlinkChannel ch;
  if (auto s = ch.open(); !s) return s.error();
  return list_interfaces(ch);
}

const InterfaceInfo* interface_with_address(const std::vector<InterfaceInfo>& ifs,
                                            const rib::Address& ip) {
  for (const auto& i : ifs) {
    for (const auto& [a, len] : i.addresses) {
      if (a == ip) return &i;
    }
  }
  return nullptr;
}

const InterfaceInfo* interface_named(const std::vector<InterfaceInfo>& ifs,
                                     const std::string& name) {
  for (const auto& i : ifs) {
    if (i.name == name) return &i;
  }
  return nullptr;
}

}  // namespace podnet::dataplane
