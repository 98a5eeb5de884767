// The kernel route programmer: keeps the routes the RIB selected in the kernel, tagged with our
// route protocol (12, `proto bird`), and nothing else.
//
//  - Desired state: prefix -> RouteSpec (blackhole for the node's own blocks, unicast via one
//    or more gateways otherwise). Fed by the RIB as a BestRouteObserver, or directly.
//  - Changes are queued and flushed in batches on the event loop: many RTM_NEWROUTE /
//    RTM_DELROUTE per sendmsg, only the last of a batch asking for an ack (the kernel reports
//    errors for every message anyway), at most `messages_per_turn` messages per loop turn.
//  - Reconcile: at start(), and after any netlink error or overrun, the table is dumped and
//    routes of our protocol are adopted (if they match), replaced (if they differ) or deleted
//    (if not desired). Routes of any other protocol are never touched.
//  - A next hop may name its device ("vxlan.calico", "tunl0"); the programmer keeps the kernel's
//    link names (dumped before every route dump, then followed through link events) and sends
//    the ifindex. A device that does not exist fails the route until it appears.
//  - A route the kernel refuses (e.g. ENETUNREACH: gateway not reachable) is recorded with its
//    reason and retried when a kernel event suggests it may now work: a link came up, an
//    address or a route of another protocol appeared. No timer; nothing runs while idle.
//
// Usage from the daemon:
//   dataplane::RouteProgrammer programmer(io, opts);
//   if (auto s = programmer.start(); !s) { ...log s.error()... }
//   programmer.load(rib);            // the RIB's current selection
//   rib.add_observer(&programmer);   // then every change
#pragma once

#include <boost/asio/io_context.hpp>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "conf/result.hpp"
#include "dataplane/netlink_socket.hpp"
#include "dataplane/route_message.hpp"
#include "dataplane/route_spec.hpp"
#include "rib/prefix.hpp"
#include "rib/prefix_table.hpp"
#include "rib/route.hpp"

namespace podnet::rib {
class Rib;
}

namespace podnet::dataplane {

struct ProgrammerOptions {
  uint32_t table = 254;                  // main
  uint8_t protocol = 12;                 // `proto bird`, as Calico's BIRD does
  uint32_t metric = 1024;                // Calico's default route metric
  std::size_t messages_per_send = 256;   // netlink messages per sendmsg
  std::size_t messages_per_turn = 4096;  // then the loop runs other handlers
  // Messages whose outcome has not been read yet. Bounds what errors can pile up in the
  // receive buffer, so a flood of refusals cannot overrun it.
  std::size_t max_in_flight = 32768;
  int receive_buffer = 32 << 20;
  // Interface of a peer, for link-local IPv6 next hops (see route_spec.hpp).
  InterfaceResolver interface_of_peer;
  // Applied to every spec made from the RIB (not to set_route()'s): the encapsulation choice
  // (encap::Planner::apply) turns "via <node IP>" into the direct, VXLAN or IPIP route. An
  // error marks the route failed with its reason. Empty: specs go in as BGP gave them.
  std::function<Result<RouteSpec>(const rib::Prefix&, const RouteSpec&)> rewrite;
  // Graceful restart (restarting speaker): routes of our protocol found in the kernel that
  // nothing wants yet are kept, not deleted, until release_strays(): the previous run's routes
  // keep forwarding while BGP re-learns them (a desired route then replaces its held copy).
  bool hold_strays = false;
};

enum class RouteState : uint8_t {
  pending,    // queued or sent, outcome not known yet
  installed,  // the kernel holds exactly this route
  failed,     // refused by the kernel, or no usable next hop; see error
};
const char* route_state_name(RouteState s);

struct RouteStatus {
  rib::Prefix prefix;
  std::optional<RouteSpec> spec;  // nullopt: being removed, or could not be translated
  RouteState state = RouteState::pending;
  std::string error;  // why it failed
};

struct ProgrammerStats {
  std::size_t desired = 0;
  std::size_t installed = 0;
  std::size_t pending = 0;
  std::size_t failed = 0;
  std::map<std::string, std::size_t> failure_reasons;  // reason -> routes
  uint64_t batches_sent = 0;                           // sendmsg calls carrying route changes
  uint64_t messages_sent = 0;                          // RTM_NEWROUTE + RTM_DELROUTE
  uint64_t adds_sent = 0;
  uint64_t deletes_sent = 0;
  uint64_t resyncs = 0;         // table dumps (start-up included)
  uint64_t adopted = 0;         // desired routes found already correct in the kernel
  uint64_t strays_deleted = 0;  // our-protocol routes found in the kernel but not desired
  std::size_t strays_held = 0;  // ... kept for now (ProgrammerOptions::hold_strays)
  uint64_t slices = 0;          // loop turns spent flushing
  uint64_t retries = 0;         // failed routes re-queued after a kernel event
};

class RouteProgrammer final : public rib::BestRouteObserver {
 public:
  explicit RouteProgrammer(boost::asio::io_context& io, ProgrammerOptions opt = {});
  RouteProgrammer(const RouteProgrammer&) = delete;
  RouteProgrammer& operator=(const RouteProgrammer&) = delete;
  ~RouteProgrammer() override;

  // Opens the netlink sockets (in the calling thread's network namespace) and reconciles with
  // the kernel: dump, adopt, converge. Changes made before start() are part of that.
  Status start();

  // ---- desired state ----
  void on_best_changes(std::span<const rib::BestChange> changes) override;
  // The RIB's whole current selection (a late observer's first view), paged.
  void load(const rib::Rib& rib);
  void set_route(const rib::Prefix& prefix, RouteSpec spec);
  void remove_route(const rib::Prefix& prefix);

  // Forces a dump and reconcile (it also happens by itself after netlink errors).
  void resync();

  // ---- status ----
  // Nothing queued, in flight, or being dumped.
  bool idle() const;
  // Ends ProgrammerOptions::hold_strays: the held routes nobody re-wanted are deleted.
  void release_strays();
  ProgrammerStats stats() const;
  std::optional<RouteStatus> route(const rib::Prefix& prefix) const;
  // Distinct next-hop sets in use (shared by the routes that have them).
  std::size_t spec_count() const { return spec_index_.size(); }
  // Heap held by the per-route table (slots and index).
  std::size_t memory_bytes() const { return entries_.memory_bytes(); }
  std::vector<RouteStatus> failed_routes() const;
  const ProgrammerOptions& options() const { return opt_; }

 private:
  // One per desired (or still-installed) prefix: a million of them for a full table, so 8 bytes
  // (plus the table's 8-byte key and index slot). The spec is a handle into specs_, shared by
  // every route with the same next hops (a full table from one peer has one), and the text of
  // a failure lives in failed_.
  struct Entry {
    uint32_t spec = 0;      // handle into specs_; 0: must not be in the kernel
    uint16_t gen = 0;       // bumped on every desired change, so stale acks are recognised
    uint8_t in_flight = 0;  // messages sent for it whose outcome is not known yet
    uint8_t bits = 0;       // RouteState in the low two bits, then the flags below
    static constexpr uint8_t kStateMask = 3;
    static constexpr uint8_t kInvalid = 4;   // the RIB's route could not be translated
    static constexpr uint8_t kInKernel = 8;  // the kernel holds our route for it (some version)
    static constexpr uint8_t kQueued = 16;
    static constexpr uint8_t kSeen = 32;  // found in the dump being reconciled
    static constexpr uint8_t kMaxInFlight = UINT8_MAX;

    RouteState state() const { return static_cast<RouteState>(bits & kStateMask); }
    void set_state(RouteState s) {
      bits = static_cast<uint8_t>((bits & ~kStateMask) | static_cast<uint8_t>(s));
    }
    bool has(uint8_t flag) const { return (bits & flag) != 0; }
    void set(uint8_t flag, bool on) {
      bits = static_cast<uint8_t>(on ? (bits | flag) : (bits & ~flag));
    }
  };
  static_assert(sizeof(Entry) == 8);
  // Slots of entries_ stay put, so the queue and the batches in flight name entries by slot
  // instead of repeating a hash lookup per route at each step; an entry is therefore never
  // erased while queued or in flight.
  using Slot = rib::PrefixTable<Entry>::Slot;
  static constexpr Slot kNoSlot = rib::PrefixTable<Entry>::npos;
  enum class OpKind : uint8_t { add, del, stray };
  struct Op {
    Slot slot = kNoSlot;  // kNoSlot for a stray
    uint16_t gen = 0;
    OpKind kind = OpKind::add;
    bool done = false;
  };
  struct Batch {
    uint32_t first_seq = 0;
    std::vector<Op> ops;
  };
  struct Stray {
    rib::Prefix prefix;
    uint32_t metric = 0;
  };
  // A handle's spec is the key of its spec_index_ entry (map nodes stay put).
  struct SpecRecord {
    const RouteSpec* spec = nullptr;
    uint32_t refs = 0;
  };
  struct SpecLess {
    bool operator()(const RouteSpec& a, const RouteSpec& b) const {
      if (a.kind != b.kind) return a.kind < b.kind;
      return a.nexthops < b.nexthops;
    }
  };

  void set_invalid(const rib::Prefix& prefix, std::string reason);
  void enqueue(Slot slot);
  void schedule_flush();
  void flush_slice();
  void on_reply(const nlmsghdr& h);
  void on_ack(uint32_t seq, int err, std::string message);
  void complete(const Op& op, int err, const std::string& message);
  void on_event(const nlmsghdr& h);
  void on_socket_error(int err);
  void request_resync();
  void start_dump();
  void start_route_dump();
  void send_dump_request();
  void finish_dump();
  // Keeps the device name <-> ifindex maps (RTM_NEWLINK / RTM_DELLINK, dump or event).
  void note_link(const nlmsghdr& h, bool present);
  // `spec` with every named device's ifindex filled in; errors if a device does not exist.
  Result<RouteSpec> resolve(const RouteSpec& spec) const;
  static bool names_device(const RouteSpec& spec);
  void schedule_retry();
  void retry_failed();
  void mark_failed(const rib::Prefix& p, Entry& e, std::string reason);
  // A handle for `spec` with one reference taken: an existing one if equal (consecutive routes
  // of a table mostly share their next hops: the last one is tried first), else a new one.
  uint32_t share(RouteSpec spec);
  void release_spec(uint32_t handle);
  const RouteSpec* want(const Entry& e) const {
    return e.spec == 0 ? nullptr : specs_[e.spec].spec;
  }
  void clear_failed(const rib::Prefix& p);
  void update_route_membership();
  // Every change of Entry::spec goes through here (keeps the references and unicast_wanted_
  // right); takes over the reference `handle` holds.
  void set_want(Entry& e, uint32_t handle);
  bool has_unicast() const { return unicast_wanted_ > 0; }
  RouteKey key() const { return {opt_.table, opt_.protocol, opt_.metric}; }

  boost::asio::io_context& io_;
  ProgrammerOptions opt_;
  NetlinkSocket cmd_;     // requests, acks, dumps; no multicast (our own changes never echo)
  NetlinkSocket events_;  // links and addresses; routes only while something failed
  bool started_ = false;

  rib::PrefixTable<Entry> entries_;
  std::deque<Slot> queue_;
  std::deque<Stray> strays_;
  std::map<rib::Prefix, uint32_t> held_;  // strays kept while opt_.hold_strays: prefix -> metric
  // A held stray that became desired: the kernel already has our route there (so replace it).
  bool adopt_held(const rib::Prefix& prefix, Entry& e);
  std::unordered_map<rib::Prefix, std::string> failed_;  // failed prefix -> why
  std::vector<SpecRecord> specs_{1};                     // [0] is "no spec"
  std::vector<uint32_t> free_specs_;
  std::map<RouteSpec, uint32_t, SpecLess> spec_index_;
  uint32_t last_spec_ = 0;
  std::deque<Batch> batches_;
  std::size_t in_flight_ = 0;
  std::vector<uint8_t> buf_;

  bool dumping_ = false;
  bool redump_ = false;
  bool resync_posted_ = false;
  bool flush_posted_ = false;
  bool retry_posted_ = false;
  bool route_groups_ = false;
  uint32_t dump_seq_ = 0;
  uint32_t link_dump_seq_ = 0;  // the link dump that precedes each route dump
  std::unordered_map<std::string, int> ifindex_by_name_;
  std::unordered_map<int, std::string> name_by_ifindex_;
  std::vector<KernelRoute> dumped_;
  std::unordered_map<int, bool> link_up_;
  std::size_t unicast_wanted_ = 0;  // entries wanting a unicast route

  ProgrammerStats counters_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace podnet::dataplane
