#include "interop-tests/peers/raw_bgp_speaker.hpp"

#include <arpa/inet.h>
#include <fmt/core.h>

#include <fstream>
#include <sstream>

namespace podnet::interop {

RawBgpSpeaker::RawBgpSpeaker(std::string netns, std::string local_address, std::string peer_address,
                             uint32_t local_as, int hold_time)
    : netns_(std::move(netns)),
      local_(std::move(local_address)),
      peer_(std::move(peer_address)),
      local_as_(local_as),
      hold_time_(hold_time) {}

RawBgpSpeaker::~RawBgpSpeaker() = default;  // proc_ SIGKILLs the script: the TCP session drops

Status RawBgpSpeaker::start() {
  try {
    harness::write_file(dir_.file("commands"), "");
    proc_ = harness::Process(
        {"python3", "-u", harness::source_dir() + "/interop-tests/peers/raw_bgp_speaker.py",
         "--peer", peer_, "--local", local_, "--as", std::to_string(local_as_), "--hold",
         std::to_string(hold_time_), "--commands", dir_.file("commands")},
        netns_);
  } catch (const std::exception& e) {
    return make_error(Errc::io, e.what());
  }
  return ok_status();
}

Status RawBgpSpeaker::send_update(const std::vector<uint8_t>& body) {
  std::string hex;
  for (uint8_t b : body) hex += fmt::format("{:02x}", b);
  std::ofstream f(dir_.file("commands"), std::ios::app);
  f << hex << "\n" << std::flush;  // one write: the script only takes whole lines
  if (!f) return make_error(Errc::io, "cannot append to " + dir_.file("commands"));
  return ok_status();
}

bool RawBgpSpeaker::said(const std::string& line) const {
  std::istringstream in(proc_.out());
  std::string l;
  while (std::getline(in, l))
    if (l == line) return true;
  return false;
}

bool RawBgpSpeaker::wait_established(std::chrono::milliseconds timeout) const {
  return harness::wait_until([&] { return said("ESTABLISHED"); }, timeout);
}

bool RawBgpSpeaker::wait_sent(int count, std::chrono::milliseconds timeout) const {
  return harness::wait_until([&] { return said(fmt::format("SENT {}", count)); }, timeout);
}

bool RawBgpSpeaker::wait_notification(int code, int subcode,
                                      std::chrono::milliseconds timeout) const {
  return harness::wait_until(
      [&] { return said(fmt::format("RECV NOTIFICATION {} {}", code, subcode)); }, timeout);
}

bool RawBgpSpeaker::closed() const {
  return said("CLOSED");
}

std::string RawBgpSpeaker::log() const {
  return proc_.out() + proc_.err();
}

namespace raw {

std::vector<uint8_t> attribute(uint8_t flags, uint8_t type, const std::vector<uint8_t>& value) {
  std::vector<uint8_t> out;
  if (value.size() > 255) {
    out = {static_cast<uint8_t>(flags | 0x10), type, static_cast<uint8_t>(value.size() >> 8),
           static_cast<uint8_t>(value.size() & 0xff)};
  } else {
    out = {static_cast<uint8_t>(flags & ~0x10), type, static_cast<uint8_t>(value.size())};
  }
  out.insert(out.end(), value.begin(), value.end());
  return out;
}

std::vector<uint8_t> nlri(const std::string& prefix) {
  const auto slash = prefix.find('/');
  const int len = std::stoi(prefix.substr(slash + 1));
  in_addr a{};
  inet_pton(AF_INET, prefix.substr(0, slash).c_str(), &a);
  const auto* bytes = reinterpret_cast<const uint8_t*>(&a.s_addr);
  // One octet at a time: GCC 12 at -O2 misreads a range insert here as out of bounds.
  std::vector<uint8_t> out;
  out.push_back(static_cast<uint8_t>(len));
  for (int i = 0; i < (len + 7) / 8; ++i) out.push_back(bytes[i]);
  return out;
}

std::vector<uint8_t> update(const std::vector<uint8_t>& withdrawn,
                            const std::vector<uint8_t>& attributes,
                            const std::vector<uint8_t>& nlri) {
  std::vector<uint8_t> out = {static_cast<uint8_t>(withdrawn.size() >> 8),
                              static_cast<uint8_t>(withdrawn.size() & 0xff)};
  out.insert(out.end(), withdrawn.begin(), withdrawn.end());
  out.push_back(static_cast<uint8_t>(attributes.size() >> 8));
  out.push_back(static_cast<uint8_t>(attributes.size() & 0xff));
  out.insert(out.end(), attributes.begin(), attributes.end());
  out.insert(out.end(), nlri.begin(), nlri.end());
  return out;
}

std::vector<uint8_t> concat(std::initializer_list<std::vector<uint8_t>> parts) {
  std::vector<uint8_t> out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

}  // namespace raw

}  // namespace podnet::interop
