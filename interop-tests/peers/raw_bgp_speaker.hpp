// RawBgpSpeaker: a BGP speaker that puts UPDATE bodies on the wire byte for byte (the python3
// script raw_bgp_speaker.py beside this file, run in a namespace). For the malformations no
// real daemon encodes, ExaBGP included: duplicate attributes, a missing ORIGIN / AS_PATH /
// NEXT_HOP, a NEXT_HOP of the wrong length, a Total Path Attribute Length past the message.
// It connects out once, negotiates IPv4 unicast and 4-octet AS, and reports what it receives.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "conf/result.hpp"
#include "interop-tests/harness/harness.hpp"

namespace podnet::interop {

class RawBgpSpeaker {
 public:
  RawBgpSpeaker(std::string netns, std::string local_address, std::string peer_address,
                uint32_t local_as, int hold_time = 9);
  ~RawBgpSpeaker();
  RawBgpSpeaker(const RawBgpSpeaker&) = delete;
  RawBgpSpeaker& operator=(const RawBgpSpeaker&) = delete;

  Status start();
  // Sends one UPDATE with this body (everything after the 19-octet header).
  Status send_update(const std::vector<uint8_t>& body);
  bool wait_established(std::chrono::milliseconds timeout = std::chrono::seconds(30)) const;
  bool wait_sent(int count, std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;
  // A NOTIFICATION with this code/subcode came from the peer.
  bool wait_notification(int code, int subcode,
                         std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;
  bool closed() const;  // the peer closed the connection
  std::string log() const;

 private:
  bool said(const std::string& line) const;

  std::string netns_, local_, peer_;
  uint32_t local_as_;
  int hold_time_;
  harness::TempDir dir_{"podnet-rawbgp"};
  harness::Process proc_;
};

// Builders of UPDATE bodies and path attributes, for tests that craft them.
namespace raw {
// flags, type, value -> the attribute as on the wire (extended length when value > 255).
std::vector<uint8_t> attribute(uint8_t flags, uint8_t type, const std::vector<uint8_t>& value);
// "10.1.2.0/24" -> length octet + significant prefix octets.
std::vector<uint8_t> nlri(const std::string& prefix);
// Withdrawn routes, path attributes and NLRI, with both length fields computed.
std::vector<uint8_t> update(const std::vector<uint8_t>& withdrawn,
                            const std::vector<uint8_t>& attributes,
                            const std::vector<uint8_t>& nlri);
std::vector<uint8_t> concat(std::initializer_list<std::vector<uint8_t>> parts);
}  // namespace raw

}  // namespace podnet::interop
