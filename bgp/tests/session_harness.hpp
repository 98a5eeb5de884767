// Shared pieces of the session tests: speakers (io_context + Rib + PeerManager) on their own
// 127.0.0.x address, peer configs between them, running the loop until a condition holds, and
// a log capture so tests can assert on what was logged.
#pragma once

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>

#include "bgp/peer_manager.hpp"
#include "rib/rib.hpp"

namespace podnet::bgp::testing {

inline rib::Address addr(const char* s) {
  return rib::Address::parse(s).value();
}
inline rib::Prefix pfx(const char* s) {
  return rib::Prefix::parse(s).value();
}

// One speaker on 127.0.0.<n>, AS `as`, listening on an ephemeral port.
struct Speaker {
  Speaker(boost::asio::io_context& io, int n, uint32_t as, PeerManagerOptions opt = {})
      : address(addr(("127.0.0." + std::to_string(n)).c_str())),
        rib(rib::RibOptions{{}, address.v4_value(), as}) {
    SpeakerConfig sc;
    sc.router_id = address.v4_value();
    sc.local_as = as;
    sc.listen_port = 0;
    sc.listen_addresses = {address};
    pm = std::make_unique<PeerManager>(io, rib, sc, opt);
  }
  rib::Address address;
  rib::Rib rib;
  std::unique_ptr<PeerManager> pm;

  std::optional<PeerStatus> status(const std::string& name) const {
    for (auto& s : pm->peers()) {
      if (s.name == name) return s;
    }
    return std::nullopt;
  }
  std::string state(const std::string& name) const {
    auto s = status(name);
    return s ? s->state : "absent";
  }
  void originate(const char* prefix) {
    rib::PathAttributes a;
    a.origin = rib::Origin::igp;
    a.as_path = rib::AsPath{};
    rib.originate(pfx(prefix), a);
    pm->kick();
  }
};

// The config `from` uses to peer with `to` (which must be listening).
inline PeerConfig peer_config(const Speaker& from, const Speaker& to, uint32_t from_as,
                              uint32_t to_as) {
  PeerConfig c;
  c.name = "Peer_" + to.address.to_string();
  c.address = to.address;
  c.port = to.pm->listen_port();
  c.peer_as = to_as;
  c.local_as = from_as;
  c.source_address = from.address;
  c.connect_retry_time = 1;
  c.hold_time = 30;
  return c;
}

inline bool run_until(boost::asio::io_context& io, const std::function<bool()>& pred,
                      std::chrono::milliseconds timeout) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    io.restart();
    io.run_for(std::chrono::milliseconds(10));
  }
  return pred();
}

inline void run_for(boost::asio::io_context& io, std::chrono::milliseconds d) {
  io.restart();
  io.run_for(d);
}

// Routes every spdlog line into a string for the life of the object.
class LogCapture {
 public:
  LogCapture() {
    sink_ = std::make_shared<spdlog::sinks::ostream_sink_mt>(out_);
    previous_ = spdlog::default_logger();
    auto logger = std::make_shared<spdlog::logger>("capture", sink_);
    logger->set_level(spdlog::level::debug);
    spdlog::set_default_logger(logger);
  }
  ~LogCapture() { spdlog::set_default_logger(previous_); }
  std::string text() {
    sink_->flush();
    return out_.str();
  }
  bool contains(const std::string& s) { return text().find(s) != std::string::npos; }

 private:
  std::ostringstream out_;
  std::shared_ptr<spdlog::sinks::ostream_sink_mt> sink_;
  std::shared_ptr<spdlog::logger> previous_;
};

}  // namespace podnet::bgp::testing
