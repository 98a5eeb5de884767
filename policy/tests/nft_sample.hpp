// A Calico-shaped sample table for the nftables tests: dispatch maps from interface to endpoint
// chain, per-endpoint and per-policy chains, accept/pass marks, an address set with intervals
// and a named-port (addr . proto . port) set.
#pragma once

#include "policy/nft/nft_ir.hpp"

namespace podnet::policy::testing {

inline nft::KeyPart addr(const char* s) {
  return *nft::KeyPart::addr(s);
}

inline nft::Table sample_table(const std::string& name = "podnet-test") {
  using namespace nft;
  constexpr uint32_t kAccept = 0x10000, kPass = 0x20000;
  Table t;
  t.family = Family::inet;
  t.name = name;
  t.sets.push_back(Set{"pods-a",
                       {KeyType::ipv4_addr},
                       true,
                       false,
                       {Element{{addr("10.244.0.0/26")}, {}}, Element{{addr("10.244.1.7")}, {}}}});
  t.sets.push_back(Set{
      "pods-a6", {KeyType::ipv6_addr}, true, false, {Element{{addr("fd00:10:244::/122")}, {}}}});
  t.sets.push_back(
      Set{"np-http",
          {KeyType::ipv4_addr, KeyType::inet_proto, KeyType::inet_service},
          false,
          false,
          {Element{{addr("10.244.0.5"), KeyPart::proto(6), KeyPart::port(8080)}, {}}}});
  t.sets.push_back(Set{"to-wl",
                       {KeyType::ifname},
                       false,
                       true,
                       {Element{{KeyPart::ifname("cali1")}, Verdict::goto_("tw-cali1")},
                        Element{{KeyPart::ifname("cali2")}, Verdict::goto_("tw-cali2")}}});
  t.sets.push_back(Set{"from-wl",
                       {KeyType::ifname},
                       false,
                       true,
                       {Element{{KeyPart::ifname("cali1")}, Verdict::goto_("fw-cali1")},
                        Element{{KeyPart::ifname("cali2")}, Verdict::goto_("fw-cali2")}}});

  Chain fwd{"forward", BaseChain{ChainType::filter, Hook::forward, 0, false}, {}};
  fwd.rules.push_back(
      Rule{{CtStateMatch{ct::established | ct::related, false}}, {Verdict::accept()}});
  fwd.rules.push_back(Rule{{CtStateMatch{ct::invalid, false}}, {Verdict::drop()}});
  fwd.rules.push_back(Rule{{}, {SetMark{kAccept | kPass, 0}}});
  fwd.rules.push_back(
      Rule{{IfNameMatch{Dir::in, "cali*", false}}, {VmapLookup{Dir::in, "from-wl"}}});
  fwd.rules.push_back(
      Rule{{IfNameMatch{Dir::out, "cali*", false}}, {VmapLookup{Dir::out, "to-wl"}}});
  fwd.rules.push_back(Rule{{MarkMatch{kAccept, kAccept, false}}, {Counter{}, Verdict::accept()}});
  t.chains.push_back(fwd);

  auto endpoint = [&](const std::string& chain, const std::string& policy) {
    Chain c{chain, std::nullopt, {}};
    c.rules.push_back(
        Rule{{CtStateMatch{ct::established | ct::related, false}}, {Verdict::accept()}});
    c.rules.push_back(Rule{{}, {SetMark{kAccept | kPass, 0}}});
    c.rules.push_back(Rule{{MarkMatch{kPass, 0, false}}, {Verdict::jump(policy)}});
    c.rules.push_back(Rule{{MarkMatch{kAccept, kAccept, false}}, {Verdict::ret()}});
    c.rules.push_back(Rule{{}, {Counter{}, Verdict::drop()}});
    return c;
  };
  t.chains.push_back(endpoint("tw-cali1", "pi-allow-http"));
  t.chains.push_back(endpoint("tw-cali2", "pi-allow-http"));
  t.chains.push_back(endpoint("fw-cali1", "po-allow-all"));
  t.chains.push_back(endpoint("fw-cali2", "po-allow-all"));

  Chain pi{"pi-allow-http", std::nullopt, {}};
  pi.rules.push_back(
      Rule{{AddrMatch{IpVersion::v4, AddrField::saddr, Values{{}, "pods-a"}, false},
            L4ProtoMatch{{6}, false},
            PortMatch{PortField::dport,
                      Values{{KeyPart::port(80), KeyPart::port_range(443, 450)}, {}}, false}},
           {Counter{}, SetMark{0, kAccept}, Verdict::ret()}});
  pi.rules.push_back(Rule{
      {AddrProtoPortMatch{IpVersion::v4, AddrField::daddr, PortField::dport, "np-http", false}},
      {SetMark{0, kAccept}, Verdict::ret()}});
  pi.rules.push_back(Rule{{AddrMatch{IpVersion::v6, AddrField::saddr, Values{{}, "pods-a6"}, false},
                           IcmpMatch{IpVersion::v6, 128, std::nullopt, false}},
                          {SetMark{0, kAccept}, Verdict::ret()}});
  pi.rules.push_back(
      Rule{{AddrMatch{IpVersion::v4, AddrField::saddr, Values{{addr("192.168.0.0/16")}, {}}, true},
            IcmpMatch{IpVersion::v4, 8, 0, false}},
           {Log{"pn-icmp "}, SetMark{0, kPass}, Verdict::ret()}});
  pi.rules.push_back(Rule{{L4ProtoMatch{{6, 17}, true}}, {Verdict::drop()}});
  t.chains.push_back(pi);
  Chain po{"po-allow-all", std::nullopt, {Rule{{}, {SetMark{0, kAccept}, Verdict::ret()}}}};
  t.chains.push_back(po);
  return t;
}

}  // namespace podnet::policy::testing
