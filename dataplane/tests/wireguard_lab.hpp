// What the WireGuard netns labs (IPv4 and IPv6) share: waiting, a programmer started inside a
// node, stopping the wireguard-go processes a test left, and reading a capture of the node link.
#pragma once

#include <signal.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "dataplane/tests/netns.hpp"
#include "dataplane/tests/two_node_lab.hpp"
#include "dataplane/wireguard.hpp"

namespace podnet::dataplane::testing {

inline bool wait_for(const std::function<bool()>& cond, int ms = 5000) {
  for (int waited = 0; waited < ms; waited += 50) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return cond();
}

// A programmer of `family` opened inside `ns` (its netlink sockets stay there).
inline std::unique_ptr<WireguardProgrammer> start_programmer_in(const std::string& ns,
                                                                boost::asio::io_context& io,
                                                                rib::Family family, Status& st) {
  TwoNodeLab::Enter in(ns);
  auto p = std::make_unique<WireguardProgrammer>(io, nullptr, family);
  st = in.ok() ? p->start() : make_error(Errc::io, "cannot enter " + ns);
  return p;
}

// wireguard-go outlives a test that failed half-way: stop the ones named in `ifnames`.
inline void stop_userspace_devices(const std::map<char, std::string>& ifnames) {
  for (const auto& [w, name] : ifnames) {
    if (auto pid = wg::userspace_device_pid(name); pid) ::kill(*pid, SIGTERM);
  }
}

struct CaptureLines {
  std::size_t lines = 0;
  std::size_t wireguard = 0;  // UDP between the two nodes' `port`, either way
  std::string leaked;         // the first line that shows `forbidden`, "" if none
};

// Reads tcpdump's text output: how many lines are WireGuard's UDP between `a` and `b`.
inline CaptureLines read_capture(const std::string& captured, const std::string& a,
                                 const std::string& b, uint16_t port,
                                 const std::string& forbidden) {
  CaptureLines c;
  const std::string p = "." + std::to_string(port);
  const std::string a_to_b = a + p + " > " + b + p + ": UDP";
  const std::string b_to_a = b + p + " > " + a + p + ": UDP";
  for (std::size_t pos = 0, nl; (nl = captured.find('\n', pos)) != std::string::npos;
       pos = nl + 1) {
    std::string l = captured.substr(pos, nl - pos);
    ++c.lines;
    if (l.find(a_to_b) != std::string::npos || l.find(b_to_a) != std::string::npos) ++c.wireguard;
    if (c.leaked.empty() && l.find(forbidden) != std::string::npos) c.leaked = l;
  }
  return c;
}

}  // namespace podnet::dataplane::testing
