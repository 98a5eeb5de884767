// An rtnetlink (NETLINK_ROUTE) socket on the daemon's event loop. Requests go out as whole
// batches (many messages per sendmsg); replies and multicast notifications are read when the
// descriptor becomes readable, a bounded number of datagrams per loop turn, and handed to the
// owner one message at a time. An overrun (ENOBUFS: the kernel dropped messages for us) or any
// other socket error is reported separately, because the owner must then resynchronise.
#pragma once

#include <linux/netlink.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "conf/result.hpp"

namespace podnet::dataplane {

struct NetlinkSocketOptions {
  uint32_t groups = 0;  // RTMGRP_* bits joined at bind time
  // Receive buffer. SO_RCVBUFFORCE is tried first (root), then SO_RCVBUF (capped by
  // net.core.rmem_max): a million acks or a big dump must not overrun a default 200 KiB buffer.
  int receive_buffer = 32 << 20;
  int send_buffer = 4 << 20;
  // Datagrams read per loop turn before yielding to other handlers.
  std::size_t reads_per_turn = 64;
};

class NetlinkSocket {
 public:
  using MessageHandler = std::function<void(const nlmsghdr&)>;
  using ErrorHandler = std::function<void(int err)>;  // errno value; ENOBUFS = overrun

  explicit NetlinkSocket(boost::asio::io_context& io);
  NetlinkSocket(const NetlinkSocket&) = delete;
  NetlinkSocket& operator=(const NetlinkSocket&) = delete;
  ~NetlinkSocket();

  // Opens and binds the socket in the calling thread's network namespace and starts reading.
  Status open(const NetlinkSocketOptions& opt, MessageHandler on_message, ErrorHandler on_error);
  void close();
  bool is_open() const { return fd_.is_open(); }

  // Sends one buffer of concatenated netlink messages in one sendmsg. The kernel processes
  // rtnetlink requests synchronously, so on return every reply to them is queued for reading.
  Status send(std::span<const uint8_t> messages);

  // Joins or leaves a multicast group (RTNLGRP_* number, not the RTMGRP_ bit).
  Status set_membership(uint32_t group, bool join);

  uint32_t next_seq() { return ++seq_; }
  uint32_t port_id() const { return port_id_; }
  int receive_buffer() const { return rcvbuf_; }

 private:
  void arm();
  void on_readable();

  boost::asio::posix::stream_descriptor fd_;
  MessageHandler on_message_;
  ErrorHandler on_error_;
  std::vector<uint8_t> buf_;
  std::size_t reads_per_turn_ = 64;
  uint32_t seq_ = 0;
  uint32_t port_id_ = 0;
  int rcvbuf_ = 0;
  bool reading_ = false;
  // Lets a pending completion handler see that this object is gone or closed.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace podnet::dataplane
