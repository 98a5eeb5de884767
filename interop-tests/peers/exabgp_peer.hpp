// ExabgpPeer: ExaBGP 4.x in a network namespace, driven through its API. It is the peer that
// sends what a well-behaved daemon never would: `announce route ... attribute [ code flags
// value ]` puts an attribute on the wire with exactly the given flags and value, replacing the
// one ExaBGP would have generated for that type (ORIGIN, AS_PATH, MED, COMMUNITIES, MP_REACH,
// ...). What ExaBGP cannot encode at all (duplicate attributes, a missing ORIGIN or AS_PATH, a
// NEXT_HOP of the wrong length, lengths that overrun the message) is RawBgpSpeaker's job.
//
// Commands go to a file that ExaBGP's API process follows (tail -F); everything ExaBGP reports
// (state changes, NOTIFICATIONs, received UPDATEs) comes back as JSON lines in an events file.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "conf/result.hpp"
#include "interop-tests/harness/harness.hpp"
#include "interop-tests/peers/bgp_peer.hpp"

namespace podnet::interop {

class ExabgpPeer {
 public:
  // Uses config.local_as, router_id, listen_address (where ExaBGP accepts connections; "" =
  // none) and each neighbour's address, remote_as, local_address, hold_time and ipv4/ipv6.
  ExabgpPeer(std::string netns, PeerConfig config);
  ~ExabgpPeer();
  ExabgpPeer(const ExabgpPeer&) = delete;
  ExabgpPeer& operator=(const ExabgpPeer&) = delete;

  // ADD-PATH (RFC 7911) capability for every neighbour: "send", "receive" or "send/receive";
  // "" (the default) none. Takes effect at start(). Paths are then told apart by
  // `path-information <id>` in announce/withdraw commands.
  void set_add_path(std::string mode) { add_path_ = std::move(mode); }

  Status start();
  Status stop();
  bool running();

  // One API command line, e.g. "announce route 10.1.0.0/24 next-hop 10.0.0.2 med 5".
  Status command(const std::string& line);
  // announce route <prefix> next-hop <nh> <extra>; `extra` carries the crafted part.
  Status announce(const std::string& prefix, const std::string& next_hop,
                  const std::string& extra = "");
  Status withdraw(const std::string& prefix);

  // From the API's state events: the last state reported for the neighbour is "up".
  bool established(const std::string& neighbor) const;
  bool wait_established(const std::string& neighbor,
                        std::chrono::milliseconds timeout = std::chrono::seconds(30)) const;
  // NOTIFICATIONs ExaBGP received (received = true) or sent, in order.
  std::vector<LoggedNotification> notifications() const;
  bool wait_notification(bool received, int code, int subcode,
                         std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;
  // How many times the session with the neighbour went down so far.
  int downs(const std::string& neighbor) const;

  std::string config_text() const;
  std::string events() const;  // the API's JSON lines
  std::string log() const;     // ExaBGP's own log (stdout/stderr) and the events

 private:
  std::string netns_;
  PeerConfig config_;
  std::string add_path_;
  harness::TempDir dir_{"podnet-exabgp"};
  harness::Process proc_;
};

// Parsers of ExaBGP's API JSON lines, exposed for unit tests.
std::vector<LoggedNotification> parse_exabgp_notifications(const std::string& events);
// (neighbour address, state) for every state event, in order.
std::vector<std::pair<std::string, std::string>> parse_exabgp_states(const std::string& events);

}  // namespace podnet::interop
