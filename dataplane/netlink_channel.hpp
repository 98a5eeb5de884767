// A blocking rtnetlink request/response socket for the tunnel programmers: one request, then
// its ack (or error, with the kernel's extended-ack text) or its whole dump. rtnetlink requests
// are executed inside sendmsg, so the wait for an ack is the kernel's processing time, not I/O;
// the tunnel state is one device and a few entries per node, so the event loop is held for
// microseconds per change. (The route programmer, with a million routes, batches
// asynchronously on NetlinkSocket instead.)
#pragma once

#include <linux/netlink.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "conf/result.hpp"

namespace podnet::dataplane {

// The reason text of an NLMSG_ERROR carrying `err`: strerror, plus the kernel's extended-ack
// message if there is one.
std::string netlink_error_text(const nlmsghdr& h, int err);

// One message of a dump, copied out of the receive buffer.
struct NetlinkMessage {
  std::vector<uint8_t> bytes;
  const nlmsghdr& header() const { return *reinterpret_cast<const nlmsghdr*>(bytes.data()); }
};

// The outcome of a request the kernel refused.
struct NetlinkError {
  int err = 0;          // errno
  std::string message;  // strerror plus the kernel's extended-ack message, if any
};

class NetlinkChannel {
 public:
  NetlinkChannel() = default;
  NetlinkChannel(const NetlinkChannel&) = delete;
  NetlinkChannel& operator=(const NetlinkChannel&) = delete;
  ~NetlinkChannel();

  // Opens the socket in the calling thread's network namespace (where it stays).
  Status open();
  void close();
  bool is_open() const { return fd_ >= 0; }
  uint32_t next_seq() { return ++seq_; }
  // Asks the kernel to check dump requests strictly and to honour their filters (a route dump
  // of one table and protocol, Linux 4.20+). Every later dump request must then be well formed
  // (zeroed header fields it does not filter on). Errors: an older kernel.
  Status enable_strict_dump();

  // Sends one request (NLM_F_ACK is added) and waits for its ack.
  Result<Ok, NetlinkError> call(std::span<const uint8_t> message);
  // Sends a dump request and collects every reply message up to NLMSG_DONE. A dump
  // interrupted by a concurrent change (NLM_F_DUMP_INTR) is retried a few times. A kernel
  // ENOENT (a filtered dump of a table that does not exist) is Errc::not_found.
  Result<std::vector<NetlinkMessage>> dump(std::span<const uint8_t> request);

 private:
  Result<std::vector<NetlinkMessage>> dump_once(std::span<const uint8_t> request, bool& intr);
  int fd_ = -1;
  uint32_t seq_ = 0;
  std::vector<uint8_t> buf_;
};

}  // namespace podnet::dataplane
