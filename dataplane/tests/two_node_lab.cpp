#include "dataplane/tests/two_node_lab.hpp"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cstdio>

#include <nlohmann/json.hpp>

#include "dataplane/tests/netns.hpp"

namespace podnet::dataplane::testing {

namespace {

const char* kCounterRules = R"(table inet podnet_lab {
  counter vxlan {}
  counter ipip {}
  counter plain {}
  chain post {
    type filter hook postrouting priority 0; policy accept;
    oifname "eth0" udp dport 4789 counter name vxlan
    oifname "eth0" ip protocol 4 counter name ipip
    oifname "eth0" ip saddr 10.244.0.0/16 ip daddr 10.244.0.0/16 counter name plain
  }
})";

}  // namespace

TwoNodeLab::TwoNodeLab() : prefix_("pntun" + std::to_string(::getpid() % 100000)) {
  const std::string a = node('a'), b = node('b'), pa = pod('a'), pb = pod('b');
  for (const auto& ns : {a, b, pa, pb}) {
    if (!step("ip netns add " + ns) || !step("ip -n " + ns + " link set lo up")) return;
  }
  if (!step("ip -n " + a + " link add eth0 type veth peer name eth0 netns " + b)) return;
  struct Side {
    std::string node, pod, node_ip, pod_ip;
  };
  for (const Side& s :
       {Side{a, pa, "192.168.50.1", "10.244.1.5"}, Side{b, pb, "192.168.50.2", "10.244.2.5"}}) {
    const std::string n = "ip -n " + s.node + " ";
    const std::string p = "ip -n " + s.pod + " ";
    if (!step(n + "addr add " + s.node_ip + "/24 dev eth0") || !step(n + "link set eth0 up") ||
        !step(n + "link add cali0 type veth peer name eth0 netns " + s.pod) ||
        !step(n + "link set cali0 address ee:ee:ee:ee:ee:ee up") ||
        !step("ip netns exec " + s.node +
              " sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.cali0.proxy_arp=1"
              " net.ipv4.neigh.cali0.proxy_delay=0") ||
        !step(n + "route add " + s.pod_ip + "/32 dev cali0 scope link") ||
        // Proxy ARP answers for 169.254.1.1 only if the node routes it out of another device.
        !step(n + "route add 169.254.1.1/32 dev eth0") ||
        !step(p + "addr add " + s.pod_ip + "/32 dev eth0") || !step(p + "link set eth0 up") ||
        !step(p + "route add 169.254.1.1 dev eth0 scope link") ||
        !step(p + "route add default via 169.254.1.1 dev eth0")) {
      return;
    }
    const std::string rules = "/tmp/" + prefix_ + ".nft";
    if (FILE* f = std::fopen(rules.c_str(), "w")) {
      std::fputs(kCounterRules, f);
      std::fclose(f);
    }
    if (!step("ip netns exec " + s.node + " nft -f " + rules)) return;
  }
  ok_ = true;
}

TwoNodeLab::~TwoNodeLab() {
  for (const auto& ns : {pod('a'), pod('b'), node('a'), node('b')}) {
    run("ip netns del " + ns + " 2>/dev/null");
  }
  run("rm -f /tmp/" + prefix_ + ".nft /tmp/" + prefix_ + ".err");
}

bool TwoNodeLab::step(const std::string& cmd) {
  if (run(cmd + " 2>/tmp/" + prefix_ + ".err") == 0) return true;
  error_ = cmd + ": " + output("cat /tmp/" + prefix_ + ".err");
  return false;
}

int TwoNodeLab::exec(const std::string& ns, const std::string& cmd) const {
  return run("ip netns exec " + ns + " " + cmd);
}

std::string TwoNodeLab::out(const std::string& ns, const std::string& cmd) const {
  return output("ip netns exec " + ns + " " + cmd);
}

uint64_t TwoNodeLab::counter(char which, const std::string& name) const {
  auto j = nlohmann::json::parse(out(node(which), "nft -j list counter inet podnet_lab " + name),
                                 nullptr, false);
  if (!j.is_object() || !j.contains("nftables")) return 0;
  for (const auto& e : j["nftables"]) {
    if (e.contains("counter")) return e["counter"].value("packets", uint64_t{0});
  }
  return 0;
}

bool TwoNodeLab::ping(char from) const {
  const char* to = from == 'a' ? "10.244.2.5" : "10.244.1.5";
  return run("ip netns exec " + pod(from) + " ping -c 3 -i 0.2 -W 2 -q " + to + " >/dev/null") == 0;
}

TwoNodeLab::Enter::Enter(const std::string& ns) {
  original_ = ::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  int fd = ::open(("/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC);
  if (original_ < 0 || fd < 0) {
    if (fd >= 0) ::close(fd);
    return;
  }
  ok_ = ::setns(fd, CLONE_NEWNET) == 0;
  ::close(fd);
}

TwoNodeLab::Enter::~Enter() {
  if (original_ >= 0) {
    (void)::setns(original_, CLONE_NEWNET);
    ::close(original_);
  }
}

}  // namespace podnet::dataplane::testing
