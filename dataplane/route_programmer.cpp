#include "dataplane/route_programmer.hpp"

#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstring>

#include "dataplane/link_messages.hpp"
#include "dataplane/netlink_channel.hpp"
#include "rib/rib.hpp"

namespace podnet::dataplane {

const char* route_state_name(RouteState s) {
  switch (s) {
    case RouteState::pending:
      return "pending";
    case RouteState::installed:
      return "installed";
    case RouteState::failed:
      return "failed";
  }
  return "?";
}

RouteProgrammer::RouteProgrammer(boost::asio::io_context& io, ProgrammerOptions opt)
    : io_(io), opt_(std::move(opt)), cmd_(io), events_(io) {
  if (opt_.messages_per_send == 0) opt_.messages_per_send = 1;
  if (opt_.messages_per_turn == 0) opt_.messages_per_turn = 1;
  if (opt_.max_in_flight < opt_.messages_per_send) opt_.max_in_flight = opt_.messages_per_send;
}

RouteProgrammer::~RouteProgrammer() {
  *alive_ = false;
}

Status RouteProgrammer::start() {
  NetlinkSocketOptions c;
  c.receive_buffer = opt_.receive_buffer;
  c.reads_per_turn = 1024;
  auto s = cmd_.open(
      c, [this](const nlmsghdr& h) { on_reply(h); }, [this](int err) { on_socket_error(err); });
  if (!s) return s;
  NetlinkSocketOptions e;
  e.groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR;
  e.receive_buffer = 4 << 20;
  s = events_.open(
      e, [this](const nlmsghdr& h) { on_event(h); },
      [this](int) {
        // Lost notifications: what they said (a link went down, a route was flushed) is
        // only recoverable from a dump.
        request_resync();
        schedule_retry();
      });
  if (!s) {
    cmd_.close();
    return s;
  }
  started_ = true;
  update_route_membership();
  start_dump();
  return ok_status();
}

// ---- desired state ----

void RouteProgrammer::on_best_changes(std::span<const rib::BestChange> changes) {
  for (const auto& c : changes) {
    if (c.after.empty()) {
      remove_route(c.prefix);
      continue;
    }
    auto spec = spec_for(c.prefix, c.after, opt_.interface_of_peer);
    if (spec && opt_.rewrite) spec = opt_.rewrite(c.prefix, *spec);
    if (spec) {
      set_route(c.prefix, std::move(*spec));
    } else {
      set_invalid(c.prefix, spec.error().message);
    }
  }
}

void RouteProgrammer::load(const rib::Rib& rib) {
  std::optional<rib::Prefix> after;
  for (;;) {
    auto page = rib.best_routes(after, 10000);
    if (page.empty()) break;
    std::vector<rib::BestChange> changes;
    changes.reserve(page.size());
    for (auto& r : page) changes.push_back(rib::BestChange{r.prefix, {}, std::move(r.paths)});
    on_best_changes(changes);
    after = page.back().prefix;
  }
}

bool RouteProgrammer::adopt_held(const rib::Prefix& prefix, Entry& e) {
  if (held_.empty()) return false;
  auto it = held_.find(prefix);
  if (it == held_.end()) return false;
  if (it->second == opt_.metric) {
    e.set(Entry::kInKernel,
          true);  // replace our previous run's route in place: no gap in forwarding
  } else {
    strays_.push_back(Stray{prefix, it->second});  // another metric: a separate route, delete
  }
  held_.erase(it);
  return true;
}

void RouteProgrammer::release_strays() {
  opt_.hold_strays = false;
  for (const auto& [p, metric] : held_) strays_.push_back(Stray{p, metric});
  held_.clear();
  schedule_flush();
}

void RouteProgrammer::set_route(const rib::Prefix& prefix, RouteSpec spec) {
  const Slot slot = entries_.insert(prefix).first;
  Entry& e = entries_.value(slot);
  adopt_held(prefix, e);
  if (const RouteSpec* w = want(e); w != nullptr && *w == spec) return;
  set_want(e, share(std::move(spec)));
  e.set(Entry::kInvalid, false);
  ++e.gen;
  e.set_state(RouteState::pending);
  clear_failed(prefix);
  enqueue(slot);
}

void RouteProgrammer::set_invalid(const rib::Prefix& prefix, std::string reason) {
  const Slot slot = entries_.insert(prefix).first;
  Entry& e = entries_.value(slot);
  set_want(e, 0);
  e.set(Entry::kInvalid, true);
  ++e.gen;
  mark_failed(prefix, e, std::move(reason));
  // Whatever we had there is no longer right: take it out.
  if (e.has(Entry::kInKernel) || e.in_flight) enqueue(slot);
}

void RouteProgrammer::remove_route(const rib::Prefix& prefix) {
  const Slot slot = entries_.find(prefix);
  if (slot == kNoSlot) return;
  Entry& e = entries_.value(slot);
  clear_failed(prefix);
  set_want(e, 0);
  if (!e.has(Entry::kInKernel) && e.in_flight == 0 && !e.has(Entry::kQueued)) {
    entries_.erase(slot);
    return;
  }
  e.set(Entry::kInvalid, false);
  e.set_state(RouteState::pending);
  ++e.gen;
  enqueue(slot);  // the flush sends the delete, or drops the entry if nothing is there
}

void RouteProgrammer::enqueue(Slot slot) {
  Entry& e = entries_.value(slot);
  if (!e.has(Entry::kQueued)) {
    e.set(Entry::kQueued, true);
    queue_.push_back(slot);
  }
  schedule_flush();
}

void RouteProgrammer::mark_failed(const rib::Prefix& p, Entry& e, std::string reason) {
  e.set_state(RouteState::failed);
  failed_.insert_or_assign(p, std::move(reason));
  update_route_membership();
}

void RouteProgrammer::clear_failed(const rib::Prefix& p) {
  if (failed_.erase(p)) update_route_membership();
}

// ---- flushing ----

void RouteProgrammer::schedule_flush() {
  if (flush_posted_ || !started_ || dumping_) return;
  if (queue_.empty() && strays_.empty()) return;
  flush_posted_ = true;
  std::weak_ptr<bool> alive = alive_;
  boost::asio::post(io_, [this, alive] {
    auto a = alive.lock();
    if (!a || !*a) return;
    flush_posted_ = false;
    flush_slice();
  });
}

void RouteProgrammer::flush_slice() {
  if (dumping_ || !started_) return;
  ++counters_.slices;
  std::size_t budget = opt_.messages_per_turn;
  const RouteKey k = key();
  while (budget > 0 && (!queue_.empty() || !strays_.empty()) && in_flight_ < opt_.max_in_flight) {
    buf_.clear();
    Batch b;
    std::size_t last_msg = 0;
    while (b.ops.size() < opt_.messages_per_send && budget > 0 &&
           (!queue_.empty() || !strays_.empty())) {
      if (!strays_.empty()) {
        Stray s = strays_.front();
        strays_.pop_front();
        uint32_t seq = cmd_.next_seq();
        if (b.ops.empty()) b.first_seq = seq;
        last_msg = buf_.size();
        append_del_route(buf_, seq, false, s.prefix, RouteKey{k.table, k.protocol, s.metric});
        b.ops.push_back(Op{kNoSlot, 0, OpKind::stray});
        ++counters_.deletes_sent;
        --budget;
        continue;
      }
      const Slot slot = queue_.front();
      queue_.pop_front();
      Entry& e = entries_.value(slot);
      if (e.in_flight == Entry::kMaxInFlight) {
        // A prefix changed that often within one ack window: wait for acks (which reschedule
        // the flush) rather than overflow the count.
        queue_.push_back(slot);
        --budget;
        continue;
      }
      const rib::Prefix p = entries_.prefix(slot);
      e.set(Entry::kQueued, false);
      OpKind kind;
      // Only a spec naming a device needs a resolved copy; the common one is sent as it is.
      const RouteSpec* spec = want(e);
      std::optional<RouteSpec> resolved;
      if (spec != nullptr) {
        if (spec->kind == RouteSpec::Kind::unicast && spec->nexthops.empty()) {
          mark_failed(p, e, "no next hop");
          continue;
        }
        if (names_device(*spec)) {
          auto r = resolve(*spec);
          if (!r) {
            mark_failed(p, e, r.error().message);
            continue;
          }
          resolved = std::move(*r);
          spec = &*resolved;
        }
        kind = OpKind::add;
      } else if (e.has(Entry::kInKernel) || e.in_flight) {
        kind = OpKind::del;
      } else {
        if (!e.has(Entry::kInvalid)) entries_.erase(slot);
        continue;
      }
      uint32_t seq = cmd_.next_seq();
      if (b.ops.empty()) b.first_seq = seq;
      last_msg = buf_.size();
      if (kind == OpKind::add) {
        // Replace only our own route: with NLM_F_EXCL a route of another protocol holding the
        // same prefix and metric makes ours fail (EEXIST) instead of being overwritten or, for
        // IPv6, merged into an ECMP group with it.
        append_new_route(buf_, seq, false, e.has(Entry::kInKernel) || e.in_flight > 0, p, *spec, k);
        ++counters_.adds_sent;
      } else {
        append_del_route(buf_, seq, false, p, k);
        ++counters_.deletes_sent;
      }
      ++e.in_flight;
      b.ops.push_back(Op{slot, e.gen, kind});
      --budget;
    }
    if (b.ops.empty()) break;
    // Only the batch's last message asks for an ack: its arrival means every earlier message
    // of the batch that produced no error succeeded.
    auto* last = reinterpret_cast<nlmsghdr*>(buf_.data() + last_msg);
    last->nlmsg_flags |= NLM_F_ACK;
    auto s = cmd_.send(buf_);
    counters_.messages_sent += b.ops.size();
    ++counters_.batches_sent;
    in_flight_ += b.ops.size();
    batches_.push_back(std::move(b));
    if (!s) {
      on_socket_error(EIO);
      return;
    }
  }
  if (in_flight_ < opt_.max_in_flight) schedule_flush();
  // else: the acks of the batches in flight reschedule the flush.
}

void RouteProgrammer::on_reply(const nlmsghdr& h) {
  if (h.nlmsg_type == NLMSG_ERROR) {
    if (h.nlmsg_len < NLMSG_LENGTH(sizeof(nlmsgerr))) return;
    const auto* e = static_cast<const nlmsgerr*>(NLMSG_DATA(&h));
    int err = -e->error;
    if (dumping_ && (h.nlmsg_seq == dump_seq_ || h.nlmsg_seq == link_dump_seq_)) {
      // The dump itself was refused: try again on the next turn.
      dumping_ = false;
      request_resync();
      return;
    }
    on_ack(h.nlmsg_seq, err, err ? netlink_error_text(h, err) : std::string());
    return;
  }
  if (dumping_ && link_dump_seq_ && h.nlmsg_seq == link_dump_seq_) {
    if (h.nlmsg_type == RTM_NEWLINK && h.nlmsg_len >= NLMSG_LENGTH(sizeof(ifinfomsg))) {
      note_link(h, true);
      // Known from the start, so only a later change of state counts as a link coming up.
      const auto* i = static_cast<const ifinfomsg*>(NLMSG_DATA(&h));
      link_up_[i->ifi_index] = (i->ifi_flags & IFF_UP) && (i->ifi_flags & IFF_LOWER_UP);
    } else if (h.nlmsg_type == NLMSG_DONE) {
      link_dump_seq_ = 0;
      start_route_dump();
    }
    return;
  }
  if (!dumping_ || h.nlmsg_seq != dump_seq_) return;
  if (h.nlmsg_flags & NLM_F_DUMP_INTR) redump_ = true;  // the table changed mid-dump
  if (h.nlmsg_type == NLMSG_DONE) {
    finish_dump();
    return;
  }
  if (h.nlmsg_type != RTM_NEWROUTE) return;
  auto r = parse_route(h);
  // The kernel was asked for everything; ours is what carries our protocol in our table.
  if (!r || r->protocol != opt_.protocol || r->table != opt_.table) return;
  if (r->type != RTN_UNICAST && r->type != RTN_BLACKHOLE) {
    r->route.spec = RouteSpec::unicast({});  // some other type of ours: never matches
    r->route.spec.kind = RouteSpec::Kind::unicast;
    r->route.spec.nexthops.push_back(NextHop{});
  }
  dumped_.push_back(std::move(r->route));
}

void RouteProgrammer::on_ack(uint32_t seq, int err, std::string message) {
  if (batches_.empty()) return;
  Batch& b = batches_.front();
  if (seq < b.first_seq || seq >= b.first_seq + b.ops.size()) return;  // stale (after resync)
  Op& op = b.ops[seq - b.first_seq];
  if (!op.done) {
    op.done = true;
    complete(op, err, message);
  }
  if (seq != b.first_seq + b.ops.size() - 1) return;
  for (auto& o : b.ops) {
    if (!o.done) {
      o.done = true;
      complete(o, 0, {});
    }
  }
  in_flight_ -= b.ops.size();
  batches_.pop_front();
  schedule_flush();
}

void RouteProgrammer::complete(const Op& op, int err, const std::string& message) {
  if (op.kind == OpKind::stray) {
    if (err == 0) ++counters_.strays_deleted;
    return;
  }
  Entry& e = entries_.value(op.slot);
  if (e.in_flight) --e.in_flight;
  const bool current = e.gen == op.gen;
  if (op.kind == OpKind::add) {
    if (err == 0) {
      e.set(Entry::kInKernel, true);
      if (current) {
        e.set_state(RouteState::installed);
        clear_failed(entries_.prefix(op.slot));
      }
    } else if (current) {
      mark_failed(entries_.prefix(op.slot), e, message);
    }
    return;
  }
  // A delete: "no such route" means it is gone, which is what we wanted.
  if (err == 0 || err == ESRCH || err == ENOENT) {
    e.set(Entry::kInKernel, false);
    if (current && e.spec == 0 && !e.has(Entry::kInvalid) && e.in_flight == 0 &&
        !e.has(Entry::kQueued)) {
      entries_.erase(op.slot);
    }
  } else if (current) {
    mark_failed(entries_.prefix(op.slot), e, "delete: " + message);
  }
}

// ---- reconcile ----

void RouteProgrammer::on_socket_error(int /*err*/) {
  // An overrun (ENOBUFS) lost acks or errors; any other error leaves us unsure too. The kernel
  // is the truth: dump it.
  request_resync();
}

void RouteProgrammer::resync() {
  request_resync();
}

void RouteProgrammer::request_resync() {
  if (!started_) return;
  if (dumping_) {
    redump_ = true;
    return;
  }
  if (resync_posted_) return;
  resync_posted_ = true;
  std::weak_ptr<bool> alive = alive_;
  boost::asio::post(io_, [this, alive] {
    auto a = alive.lock();
    if (!a || !*a) return;
    resync_posted_ = false;
    if (!dumping_) start_dump();
  });
}

void RouteProgrammer::start_dump() {
  // Whatever is in flight was processed by the kernel before it sees the dump request, so the
  // dump shows its outcome; the acks still on their way are ignored.
  for (const auto& b : batches_) {
    for (const auto& op : b.ops) {
      if (op.kind == OpKind::stray) continue;
      Entry& e = entries_.value(op.slot);
      if (e.in_flight) --e.in_flight;
    }
  }
  batches_.clear();
  in_flight_ = 0;
  dumped_.clear();
  redump_ = false;
  dumping_ = true;
  ++counters_.resyncs;
  // Links first: routes naming a device are compared and sent by ifindex.
  link_dump_seq_ = cmd_.next_seq();
  dump_seq_ = 0;
  buf_.clear();
  append_link_dump(buf_, link_dump_seq_);
  send_dump_request();
}

void RouteProgrammer::start_route_dump() {
  dump_seq_ = cmd_.next_seq();
  buf_.clear();
  append_dump_request(buf_, dump_seq_);
  send_dump_request();
}

void RouteProgrammer::send_dump_request() {
  auto s = cmd_.send(buf_);
  if (!s) {
    // EBUSY or the like: try again shortly through the loop rather than spin here.
    dumping_ = false;
    link_dump_seq_ = 0;
    request_resync();
  }
}

void RouteProgrammer::note_link(const nlmsghdr& h, bool present) {
  auto link = parse_link(h);
  if (!link) return;
  auto old = name_by_ifindex_.find(link->ifindex);
  if (old != name_by_ifindex_.end()) {
    auto byname = ifindex_by_name_.find(old->second);
    if (byname != ifindex_by_name_.end() && byname->second == link->ifindex) {
      ifindex_by_name_.erase(byname);
    }
    name_by_ifindex_.erase(old);
  }
  if (!present || link->name.empty()) return;
  name_by_ifindex_[link->ifindex] = link->name;
  ifindex_by_name_[link->name] = link->ifindex;
}

bool RouteProgrammer::names_device(const RouteSpec& spec) {
  for (const auto& h : spec.nexthops)
    if (!h.dev.empty()) return true;
  return false;
}

Result<RouteSpec> RouteProgrammer::resolve(const RouteSpec& spec) const {
  if (!names_device(spec)) return spec;
  RouteSpec out = spec;
  for (auto& h : out.nexthops) {
    if (h.dev.empty()) continue;
    auto it = ifindex_by_name_.find(h.dev);
    if (it == ifindex_by_name_.end()) {
      return make_error(Errc::not_found, "device " + h.dev + " not found");
    }
    h.ifindex = it->second;
  }
  return out;
}

void RouteProgrammer::finish_dump() {
  dumping_ = false;
  if (redump_) {
    start_dump();
    return;
  }
  std::vector<KernelRoute> kernel = std::move(dumped_);
  dumped_.clear();
  strays_.clear();
  // The queue is rebuilt from what the dump shows (an adopted route needs nothing sent).
  queue_.clear();
  for (Slot s = entries_.begin(); s != kNoSlot; s = entries_.next(s + 1)) {
    entries_.value(s).set(Entry::kQueued, false);  // (kSeen is only ever set below)
  }
  for (auto& kr : kernel) {
    const Slot slot = entries_.find(kr.prefix);
    if (slot == kNoSlot || kr.metric != opt_.metric) {
      if (opt_.hold_strays) {
        held_[kr.prefix] = kr.metric;
      } else {
        strays_.push_back(Stray{kr.prefix, kr.metric});
      }
      continue;
    }
    Entry& e = entries_.value(slot);
    e.set(Entry::kSeen, true);
    e.set(Entry::kInKernel, true);
    const RouteSpec* w = want(e);
    auto resolved = w ? resolve(*w) : Result<RouteSpec>(make_error(Errc::not_found, ""));
    if (resolved && kr.matches(*resolved)) {
      if (e.state() != RouteState::installed) ++counters_.adopted;
      e.set_state(RouteState::installed);
      clear_failed(kr.prefix);
    } else {
      enqueue(slot);  // replace, or delete if no longer wanted
    }
  }
  for (Slot s = entries_.begin(); s != kNoSlot; s = entries_.next(s + 1)) {
    Entry& e = entries_.value(s);
    if (e.has(Entry::kSeen)) {
      e.set(Entry::kSeen, false);
      continue;
    }
    e.set(Entry::kInKernel, false);
    if (e.spec == 0) {
      if (!e.has(Entry::kInvalid)) entries_.erase(s);
      continue;
    }
    if (e.state() == RouteState::installed) e.set_state(RouteState::pending);
    if (!e.has(Entry::kQueued)) {
      e.set(Entry::kQueued, true);
      queue_.push_back(s);
    }
  }
  schedule_flush();
}

// ---- kernel events ----

void RouteProgrammer::on_event(const nlmsghdr& h) {
  switch (h.nlmsg_type) {
    case RTM_NEWLINK: {
      if (h.nlmsg_len < NLMSG_LENGTH(sizeof(ifinfomsg))) return;
      const auto* i = static_cast<const ifinfomsg*>(NLMSG_DATA(&h));
      bool up = (i->ifi_flags & IFF_UP) && (i->ifi_flags & IFF_LOWER_UP);
      note_link(h, true);
      auto [it, fresh] = link_up_.try_emplace(i->ifi_index, up);
      bool was = it->second;
      it->second = up;
      if (up && (fresh || !was)) schedule_retry();
      // A link going down takes the routes through it along (IPv4 does so silently).
      if (!up && !fresh && was && has_unicast()) request_resync();
      return;
    }
    case RTM_DELLINK: {
      if (h.nlmsg_len < NLMSG_LENGTH(sizeof(ifinfomsg))) return;
      const auto* i = static_cast<const ifinfomsg*>(NLMSG_DATA(&h));
      link_up_.erase(i->ifi_index);
      note_link(h, false);
      if (has_unicast()) request_resync();
      return;
    }
    case RTM_NEWADDR:
      schedule_retry();
      return;
    case RTM_DELADDR:
      if (has_unicast()) request_resync();
      return;
    case RTM_NEWROUTE: {
      auto r = parse_route(h);
      if (r && r->protocol != opt_.protocol) schedule_retry();
      return;
    }
    default:
      return;
  }
}

uint32_t RouteProgrammer::share(RouteSpec spec) {
  uint32_t h = 0;
  if (last_spec_ != 0 && *specs_[last_spec_].spec == spec) {
    h = last_spec_;
  } else if (auto it = spec_index_.find(spec); it != spec_index_.end()) {
    h = it->second;
  } else {
    if (!free_specs_.empty()) {
      h = free_specs_.back();
      free_specs_.pop_back();
    } else {
      h = static_cast<uint32_t>(specs_.size());
      specs_.emplace_back();
    }
    specs_[h].spec = &spec_index_.emplace(std::move(spec), h).first->first;
  }
  ++specs_[h].refs;
  last_spec_ = h;
  return h;
}

void RouteProgrammer::release_spec(uint32_t h) {
  if (h == 0 || --specs_[h].refs != 0) return;
  spec_index_.erase(*specs_[h].spec);
  specs_[h].spec = nullptr;
  free_specs_.push_back(h);
  if (last_spec_ == h) last_spec_ = 0;
}

void RouteProgrammer::set_want(Entry& e, uint32_t handle) {
  // Blackholes do not depend on links: with only those, link and address events need no dump.
  auto unicast = [this](uint32_t h) {
    return h != 0 && specs_[h].spec->kind == RouteSpec::Kind::unicast;
  };
  if (unicast(e.spec)) --unicast_wanted_;
  if (unicast(handle)) ++unicast_wanted_;
  release_spec(std::exchange(e.spec, handle));
}

void RouteProgrammer::schedule_retry() {
  if (retry_posted_ || failed_.empty()) return;
  retry_posted_ = true;
  std::weak_ptr<bool> alive = alive_;
  boost::asio::post(io_, [this, alive] {
    auto a = alive.lock();
    if (!a || !*a) return;
    retry_posted_ = false;
    retry_failed();
  });
}

void RouteProgrammer::retry_failed() {
  for (const auto& [p, why] : failed_) {
    const Slot slot = entries_.find(p);
    if (slot == kNoSlot || entries_.value(slot).spec == 0) continue;
    ++counters_.retries;
    enqueue(slot);
  }
}

void RouteProgrammer::update_route_membership() {
  // Route notifications matter only while something waits for a next hop to appear; joined
  // always, they would echo every one of our own million routes back at us.
  bool want = started_ && !failed_.empty();
  if (want == route_groups_ || !events_.is_open()) return;
  bool ok = events_.set_membership(RTNLGRP_IPV4_ROUTE, want).ok();
  ok = events_.set_membership(RTNLGRP_IPV6_ROUTE, want).ok() && ok;
  if (ok) route_groups_ = want;
}

// ---- status ----

bool RouteProgrammer::idle() const {
  return !dumping_ && !resync_posted_ && queue_.empty() && strays_.empty() && batches_.empty();
}

ProgrammerStats RouteProgrammer::stats() const {
  ProgrammerStats s = counters_;
  s.strays_held = held_.size();
  for (Slot slot = entries_.begin(); slot != kNoSlot; slot = entries_.next(slot + 1)) {
    const Entry& e = entries_.value(slot);
    if (e.spec == 0 && !e.has(Entry::kInvalid)) continue;  // being removed
    ++s.desired;
    switch (e.state()) {
      case RouteState::installed:
        ++s.installed;
        break;
      case RouteState::pending:
        ++s.pending;
        break;
      case RouteState::failed:
        ++s.failed;
        if (auto f = failed_.find(entries_.prefix(slot)); f != failed_.end()) {
          ++s.failure_reasons[f->second];
        }
        break;
    }
  }
  return s;
}

std::optional<RouteStatus> RouteProgrammer::route(const rib::Prefix& prefix) const {
  const Slot slot = entries_.find(prefix);
  if (slot == kNoSlot) return std::nullopt;
  const Entry& e = entries_.value(slot);
  std::optional<RouteSpec> spec;
  if (const RouteSpec* w = want(e)) spec = *w;
  std::string error;
  if (e.state() == RouteState::failed) {
    if (auto f = failed_.find(prefix); f != failed_.end()) error = f->second;
  }
  return RouteStatus{prefix, std::move(spec), e.state(), std::move(error)};
}

std::vector<RouteStatus> RouteProgrammer::failed_routes() const {
  std::vector<RouteStatus> out;
  for (const auto& [p, why] : failed_) {
    if (auto r = route(p)) out.push_back(std::move(*r));
  }
  return out;
}

}  // namespace podnet::dataplane
