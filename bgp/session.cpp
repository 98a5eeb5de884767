#include "bgp/session.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <boost/asio/connect.hpp>
#include <boost/asio/write.hpp>
#include <deque>

#include "bgp/fsm_text.hpp"
#include "bgp/notification_text.hpp"
#include "bgp/transport.hpp"

namespace podnet::bgp {

namespace asio = boost::asio;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

uint32_t fsm_capabilities(const Capabilities& c) {
  uint32_t f = 0;
  for (const AfiSafi& mp : c.multiprotocol) {
    if (mp == kIpv4Unicast) f |= fsm::kCapMpIpv4Unicast;
    if (mp == kIpv6Unicast) f |= fsm::kCapMpIpv6Unicast;
  }
  if (c.route_refresh) f |= fsm::kCapRouteRefresh;
  if (c.four_octet_as) f |= fsm::kCapFourOctetAs;
  if (c.graceful_restart) f |= fsm::kCapGracefulRestart;
  if (!c.extended_next_hop.empty()) f |= fsm::kCapExtendedNextHop;
  if (!c.add_path.empty()) f |= fsm::kCapAddPath;
  if (c.enhanced_route_refresh) f |= fsm::kCapEnhancedRouteRefresh;
  return f;
}

bool has_family(const Capabilities& c, AfiSafi f) {
  for (const AfiSafi& mp : c.multiprotocol) {
    if (mp == f) return true;
  }
  return false;
}

fsm::Event expiry_event(fsm::Timer t) {
  switch (t) {
    case fsm::Timer::ConnectRetry:
      return fsm::ev::ConnectRetryTimer_Expires{};
    case fsm::Timer::Hold:
      return fsm::ev::HoldTimer_Expires{};
    case fsm::Timer::Keepalive:
      return fsm::ev::KeepaliveTimer_Expires{};
    case fsm::Timer::DelayOpen:
      return fsm::ev::DelayOpenTimer_Expires{};
    case fsm::Timer::IdleHold:
      break;
  }
  return fsm::ev::IdleHoldTimer_Expires{};
}

// Codec errors name their NOTIFICATION; the FSM wants the event of that message class.
std::optional<fsm::Event> error_event(const CodecError& e) {
  switch (e.code) {
    case err::kHeader:
      return fsm::ev::BGPHeaderErr{e.subcode, e.data};
    case err::kOpen:
      return fsm::ev::BGPOpenMsgErr{e.subcode, e.data};
    case err::kUpdate:
      return fsm::ev::UpdateMsgErr{e.subcode, e.data};
    default:
      return std::nullopt;
  }
}

}  // namespace

// ---- Connection: one TCP connection and its FSM. ----

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(asio::io_context& io, Session* owner, bool second)
      : io_(io),
        owner_(owner),
        name_(owner->name() + (second ? " (2nd)" : "")),
        fsm_(fsm::make_session(owner->fsm_config_)),
        timers_{asio::steady_timer(io), asio::steady_timer(io), asio::steady_timer(io),
                asio::steady_timer(io), asio::steady_timer(io)},
        close_timer_(io) {}

  const fsm::Session& fsm() const { return fsm_; }
  bool has_socket() const { return sock_ != nullptr; }
  const CodecContext& ctx() const { return ctx_; }
  const std::optional<OpenMessage>& peer_open() const { return peer_open_; }
  Clock::time_point state_since() const { return state_since_; }
  std::size_t queued() const { return tx_bytes_; }
  std::optional<rib::Address> local_address() const {
    if (!sock_) return std::nullopt;
    boost::system::error_code ec;
    const auto ep = sock_->local_endpoint(ec);
    if (ec) return std::nullopt;
    return transport::to_address(ep.address());
  }
  const std::string& why() const { return why_; }

  void detach() {
    owner_ = nullptr;
    for (auto& t : timers_) t.cancel();
    ++timer_gen_;
    if (sock_ && !closing_) begin_close();
  }

  void adopt(tcp::socket s) {
    sock_ = std::make_unique<tcp::socket>(std::move(s));
    const auto fd = sock_->native_handle();
    const auto& p = owner_->params().peer;
    if (auto st = transport::set_gtsm(fd, p.address.family(), p.ttl_security_hops); !st) {
      spdlog::warn("peer {}: {}", name_, st.error().message);
    }
    (void)transport::set_nodelay(fd);
  }

  void step(const fsm::Event& e) {
    auto self = shared_from_this();
    const fsm::State before = fsm_.state;
    fsm::Transition t = fsm::step(fsm_, e);
    fsm_ = std::move(t.session);
    if (fsm_.state != before) state_since_ = Clock::now();
    for (const fsm::Action& a : t.actions) execute(a);
    // Logged after the actions, so a NOTIFICATION sent on the way down is logged first.
    if (fsm_.state != before) {
      spdlog::info("peer {}: {} -> {}", name_, fsm::to_string(before), fsm::to_string(fsm_.state));
    }
    if (fsm_.state == fsm::State::Established && before != fsm::State::Established && owner_) {
      owner_->on_connection_established(*this);
    }
    if (fsm_.state == fsm::State::Idle && before != fsm::State::Idle && owner_) {
      if (why_.empty()) why_ = fsm_.last_error;
      owner_->on_connection_idle(*this);
    }
  }

  void enqueue(const SharedBytes& b, bool is_update) {
    if (!sock_ || closing_) return;
    tx_bytes_ += b->size();
    txq_.push_back(b);
    if (owner_) {
      ++owner_->counters_.messages_out;
      if (is_update) ++owner_->counters_.updates_out;
      if (tx_bytes_ >= owner_->params().high_water) above_high_ = true;
    }
    if (is_update && fsm_.timer_running(fsm::Timer::Keepalive) && fsm_.keepalive_time != 0) {
      arm(fsm::Timer::Keepalive, fsm_.keepalive_time);
    }
    if (!writing_) write_some();
  }

  void set_reading_paused(bool paused) {
    paused_ = paused;
    if (!paused && sock_ && !reading_ && !closing_ && reading_started_) read();
  }

  void deliver_open(const OpenMessage& open) {
    ctx_ = negotiate(owner_ ? owner_->local_open() : OpenMessage{}, open, !internal(open));
    peer_open_ = open;
    step(fsm::open_event(fsm_, open_info(open)));
  }

  static fsm::OpenInfo open_info(const OpenMessage& open) {
    return fsm::OpenInfo{open.effective_as(), open.hold_time, open.bgp_identifier,
                         fsm_capabilities(open.capabilities)};
  }

 private:
  bool internal(const OpenMessage& open) const {
    return open.effective_as() == fsm_.config.local_as;
  }

  void execute(const fsm::Action& a) {
    std::visit([this](const auto& x) { run(x); }, a);
  }

  void run(const fsm::act::SendOpen&) {
    if (!owner_) return;
    auto bytes = encode_open(owner_->local_open());
    if (!bytes) {
      spdlog::error("peer {}: cannot encode OPEN: {}", name_, bytes.error().message);
      return;
    }
    enqueue(std::make_shared<const std::vector<uint8_t>>(std::move(*bytes)), false);
  }
  void run(const fsm::act::SendKeepalive&) {
    enqueue(std::make_shared<const std::vector<uint8_t>>(encode_keepalive()), false);
  }
  void run(const fsm::act::SendNotification& n) {
    const std::string text = notification_name(n.notification.code, n.notification.subcode);
    spdlog::warn("peer {}: sent NOTIFICATION {}", name_, text);
    why_ =
        n.notification.code == fsm::err::kHoldTimerExpired ? "Hold timer expired" : "Sent: " + text;
    // A hold timer expiry is a failure of the peer, not a decision: graceful restart applies.
    if (n.notification.code != fsm::err::kHoldTimerExpired) notified_ = true;
    // The session ends: what is still queued would only delay the NOTIFICATION.
    drop_unwritten();
    enqueue(std::make_shared<const std::vector<uint8_t>>(encode_notification(NotificationMessage{
                n.notification.code, n.notification.subcode, n.notification.data})),
            false);
  }
  void run(const fsm::act::StartTimer& s) { arm(s.timer, s.seconds); }
  void run(const fsm::act::StopTimer& s) {
    ++gen_[static_cast<int>(s.timer)];
    timers_[static_cast<int>(s.timer)].cancel();
  }
  void run(const fsm::act::InitiateTcpConnection&) { connect(); }
  void run(const fsm::act::AcceptTcpConnection&) {}
  void run(const fsm::act::RejectTcpConnection&) {}
  void run(const fsm::act::DropTcpConnection&) {
    if (sock_) begin_close();
  }
  void run(const fsm::act::TrackSecondConnection&) {
    // The Session gives a second connection its own Connection before it reaches an FSM, so
    // this FSM never sees a second TCP event of its own.
  }
  void run(const fsm::act::ReleaseResources&) {}
  void run(const fsm::act::DeleteRoutes&) {
    if (!owner_) return;
    owner_->down_with_notification_ = notified_;
    owner_->observer_.on_down(*owner_);
  }
  void run(const fsm::act::ProcessUpdate&) {
    if (owner_ && pending_update_)
      owner_->observer_.on_update(*owner_, std::move(*pending_update_));
    pending_update_.reset();
  }
  void run(const fsm::act::SessionEstablished&) {}

  void arm(fsm::Timer t, uint32_t seconds) {
    const int i = static_cast<int>(t);
    const uint64_t g = ++gen_[i];
    timers_[i].expires_after(std::chrono::seconds(seconds));
    timers_[i].async_wait(
        [self = shared_from_this(), t, g, i](const boost::system::error_code& ec) {
          if (ec || self->gen_[i] != g || !self->fsm_.timer_running(t)) return;
          if (self->owner_ == nullptr) return;
          self->step(expiry_event(t));
        });
  }

  void connect() {
    if (!owner_) return;
    close_socket();
    const PeerConfig& p = owner_->params().peer;
    transport::ConnectOptions o{p.address, p.port, p.source_address, p.password,
                                p.ttl_security_hops};
    auto s = transport::open_for_connect(io_, o);
    if (!s) {
      // Reported like a refused connect, so the FSM retries on its timer.
      why_ = "connect: " + s.error().message;
      asio::post(io_, [self = shared_from_this(), gen = sock_gen_] {
        if (self->owner_ && self->sock_gen_ == gen) self->step(fsm::ev::TcpConnectionFails{});
      });
      return;
    }
    sock_ = std::move(*s);
    const uint64_t gen = ++sock_gen_;
    sock_->async_connect(transport::to_endpoint(p.address, p.port),
                         [self = shared_from_this(), gen](const boost::system::error_code& ec) {
                           if (self->sock_gen_ != gen || !self->owner_) return;
                           if (ec) {
                             self->why_ = "connect: " + ec.message();
                             self->close_socket();
                             self->step(fsm::ev::TcpConnectionFails{});
                             return;
                           }
                           self->why_.clear();
                           self->step(fsm::ev::Tcp_CR_Acked{});
                           self->start_reading();
                         });
  }

 public:
  void start_reading() {
    reading_started_ = true;
    if (!paused_) read();
  }

 private:
  void read() {
    if (!sock_ || closing_ || reading_) return;
    reading_ = true;
    const uint64_t gen = sock_gen_;
    sock_->async_read_some(
        asio::buffer(rbuf_),
        [self = shared_from_this(), gen](const boost::system::error_code& ec, std::size_t n) {
          self->reading_ = false;
          if (self->sock_gen_ != gen || self->closing_ || !self->owner_) return;
          if (ec) {
            self->why_ =
                ec == asio::error::eof ? "Connection closed by peer" : "read: " + ec.message();
            self->step(fsm::ev::TcpConnectionFails{});
            return;
          }
          self->rx_.insert(self->rx_.end(), self->rbuf_.begin(), self->rbuf_.begin() + n);
          self->parse();
          if (self->sock_gen_ == gen && !self->closing_ && !self->paused_) self->read();
        });
  }

  void parse() {
    std::size_t off = 0;
    while (sock_ && !closing_ && owner_) {
      std::span<const uint8_t> rest(rx_.data() + off, rx_.size() - off);
      auto len = frame_length(rest, ctx_);
      if (!len) {
        spdlog::warn("peer {}: {}", name_, describe(len.error()));
        step(fsm::ev::BGPHeaderErr{len.error().subcode, len.error().data});
        break;
      }
      if (!*len || **len > rest.size()) break;
      const std::span<const uint8_t> msg = rest.first(**len);
      off += **len;
      ++owner_->counters_.messages_in;
      handle(msg);
    }
    rx_.erase(rx_.begin(), rx_.begin() + static_cast<std::ptrdiff_t>(std::min(off, rx_.size())));
  }

  void handle(std::span<const uint8_t> msg) {
    auto m = decode_message(msg, ctx_);
    if (!m) {
      const CodecError& e = m.error();
      spdlog::warn("peer {}: {}", name_, describe(e));
      if (auto ev = error_event(e)) {
        step(*ev);
      } else {
        // A ROUTE-REFRESH error (RFC 7313): no FSM event names it; send it and close.
        run(fsm::act::SendNotification{fsm::Notification{e.code, e.subcode, e.data}});
        step(fsm::ev::TcpConnectionFails{});
      }
      return;
    }
    std::visit([this](auto& x) { on_message(x); }, *m);
  }

  void on_message(OpenMessage& open) {
    if (owner_) owner_->on_open(*this, open);
  }
  void on_message(DecodedUpdate& u) {
    ++owner_->counters_.updates_in;
    for (const CodecError& d : u.discarded) {
      spdlog::warn("peer {}: UPDATE: {}", name_, describe(d));
    }
    if (u.treat_as_withdraw) {
      spdlog::warn("peer {}: UPDATE: {}", name_, describe(*u.treat_as_withdraw));
    }
    pending_update_ = std::move(u);
    step(fsm::ev::UpdateMsg{});
    pending_update_.reset();
  }
  void on_message(NotificationMessage& n) {
    const std::string text = notification_name(n.code, n.subcode);
    spdlog::warn("peer {}: received NOTIFICATION {}", name_, text);
    why_ = "Received: " + text;
    notified_ = true;
    step(fsm::notification_event(fsm::Notification{n.code, n.subcode, n.data}));
  }
  void on_message(KeepaliveMessage&) { step(fsm::ev::KeepAliveMsg{}); }
  void on_message(RouteRefreshMessage& r) {
    if (fsm_.state != fsm::State::Established || !owner_) return;
    switch (r.subtype) {
      case RouteRefreshSubtype::normal:
        owner_->observer_.on_route_refresh(*owner_, r.afi_safi);
        return;
      case RouteRefreshSubtype::begin:
      case RouteRefreshSubtype::end:
        // BoRR / EoRR mean something only once enhanced route refresh is negotiated.
        if (ctx_.enhanced_route_refresh) {
          owner_->observer_.on_refresh_bracket(*owner_, r.afi_safi,
                                               r.subtype == RouteRefreshSubtype::begin);
        } else {
          spdlog::debug(
              "peer {}: ROUTE-REFRESH subtype {} without enhanced route refresh: "
              "ignored",
              name_, static_cast<int>(r.subtype));
        }
        return;
    }
    // RFC 7313 5: any other subtype is ignored.
    spdlog::debug("peer {}: ROUTE-REFRESH with unknown subtype {} ignored", name_,
                  static_cast<int>(r.subtype));
  }

  void drop_unwritten() {
    // Keep what an async_write in flight is sending; drop the rest.
    while (txq_.size() > inflight_) {
      tx_bytes_ -= txq_.back()->size();
      txq_.pop_back();
    }
  }

  void write_some() {
    if (!sock_ || txq_.empty()) return;
    std::vector<asio::const_buffer> bufs;
    std::size_t bytes = 0;
    for (const auto& b : txq_) {
      if (bufs.size() >= 64 || bytes >= (256u << 10)) break;
      bufs.emplace_back(asio::buffer(*b));
      bytes += b->size();
    }
    inflight_ = bufs.size();
    writing_ = true;
    const uint64_t gen = sock_gen_;
    asio::async_write(
        *sock_, bufs,
        [self = shared_from_this(), gen](const boost::system::error_code& ec, std::size_t n) {
          self->writing_ = false;
          if (self->sock_gen_ != gen) return;
          for (std::size_t i = 0; i < self->inflight_ && !self->txq_.empty(); ++i) {
            self->txq_.pop_front();
          }
          self->inflight_ = 0;
          self->tx_bytes_ -= std::min(n, self->tx_bytes_);
          if (ec) {
            self->txq_.clear();
            self->tx_bytes_ = 0;
            if (self->closing_) return self->close_socket();
            if (!self->owner_) return;
            self->why_ = "write: " + ec.message();
            self->step(fsm::ev::TcpConnectionFails{});
            return;
          }
          if (self->txq_.empty() && self->closing_) return self->close_socket();
          if (self->above_high_ && self->owner_ &&
              self->tx_bytes_ < self->owner_->params().low_water) {
            self->above_high_ = false;
            self->owner_->observer_.on_writable(*self->owner_);
          }
          if (self->sock_gen_ == gen && !self->writing_) self->write_some();
        });
  }

  // DropTcpConnection: flush what is queued (the NOTIFICATION), then close; a peer that does
  // not read gets a few seconds.
  void begin_close() {
    closing_ = true;
    if (!writing_ && txq_.empty()) return close_socket();
    close_timer_.expires_after(std::chrono::seconds(3));
    close_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (!ec) self->close_socket();
    });
  }

  void close_socket() {
    if (sock_) {
      boost::system::error_code ec;
      sock_->shutdown(tcp::socket::shutdown_both, ec);
      sock_->close(ec);
      sock_.reset();
    }
    ++sock_gen_;
    txq_.clear();
    tx_bytes_ = 0;
    inflight_ = 0;
    closing_ = false;
    writing_ = false;
    reading_ = false;
    rx_.clear();
    close_timer_.cancel();
  }

  asio::io_context& io_;
  Session* owner_;
  std::string name_;
  fsm::Session fsm_;
  std::array<asio::steady_timer, fsm::kTimerCount> timers_;
  std::array<uint64_t, fsm::kTimerCount> gen_{};
  uint64_t timer_gen_ = 0;
  asio::steady_timer close_timer_;
  std::unique_ptr<tcp::socket> sock_;
  uint64_t sock_gen_ = 0;  // bumps on every close: stale completions see a different value
  bool closing_ = false, writing_ = false, reading_ = false, paused_ = false;
  bool reading_started_ = false, above_high_ = false;
  std::array<uint8_t, 65536> rbuf_{};
  std::vector<uint8_t> rx_;
  std::deque<SharedBytes> txq_;
  std::size_t tx_bytes_ = 0, inflight_ = 0;
  CodecContext ctx_;
  std::optional<OpenMessage> peer_open_;
  std::optional<DecodedUpdate> pending_update_;
  std::string why_;
  bool notified_ = false;  // a NOTIFICATION (other than hold timer expiry) was sent or received
  Clock::time_point state_since_ = Clock::now();
};

// ---- Session ----

Session::Session(asio::io_context& io, SessionParams params, SessionObserver& observer)
    : io_(io), params_(std::move(params)), observer_(observer), restart_timer_(io) {
  const PeerConfig& p = params_.peer;
  fsm_config_.local_as = params_.local_as;
  fsm_config_.local_id = params_.router_id;
  fsm_config_.peer_as = p.peer_as;
  fsm_config_.hold_time = p.hold_time;
  fsm_config_.keepalive_time = p.keepalive_time;
  fsm_config_.connect_retry_time = std::max<uint16_t>(1, p.connect_retry_time);
  local_open_.my_as =
      params_.local_as > 0xffff ? kAsTrans : static_cast<uint16_t>(params_.local_as);
  local_open_.hold_time = p.hold_time;
  local_open_.bgp_identifier = params_.router_id;
  Capabilities& c = local_open_.capabilities;
  if (p.ipv4_unicast) c.multiprotocol.push_back(kIpv4Unicast);
  if (p.ipv6_unicast) c.multiprotocol.push_back(kIpv6Unicast);
  c.four_octet_as = params_.local_as;
  c.route_refresh = true;
  c.enhanced_route_refresh = true;  // RFC 7313: BoRR/EoRR around re-advertisements
  // ADD-PATH on every family the session carries, in the modes the peer config allows; send
  // on every iBGP session too (Calico's BIRD has `add paths on` there: a reflector's clients
  // and mesh peers learn every ECMP path, not only the best).
  const bool send = p.add_path_send || params_.local_as == p.peer_as;
  const uint8_t add_path =
      static_cast<uint8_t>((p.add_path_receive ? static_cast<uint8_t>(AddPathMode::receive) : 0) |
                           (send ? static_cast<uint8_t>(AddPathMode::send) : 0));
  if (add_path != 0) {
    for (const AfiSafi& f : c.multiprotocol)
      c.add_path.push_back({f, static_cast<AddPathMode>(add_path)});
  }
  if (p.graceful_restart_time) {
    GracefulRestart gr;
    gr.restart_time = *p.graceful_restart_time;
    for (const AfiSafi& f : c.multiprotocol) gr.families.push_back({f, false});
    c.graceful_restart = gr;
  }
  fsm_config_.local_capabilities = fsm_capabilities(c);
}

void Session::set_restarting(bool restarting, bool forwarding_preserved) {
  auto& gr = local_open_.capabilities.graceful_restart;
  if (!gr) return;
  gr->restart_state = restarting;
  for (auto& f : gr->families) f.forwarding_preserved = restarting && forwarding_preserved;
}

Session::~Session() {
  restart_timer_.cancel();
  for (auto& c : conns_) c->detach();
}

std::shared_ptr<Connection> Session::new_connection() {
  auto c = std::make_shared<Connection>(io_, this, !conns_.empty());
  if (reading_paused_) c->set_reading_paused(true);
  conns_.push_back(c);
  return c;
}

void Session::start() {
  enabled_ = true;
  if (conns_.empty()) start_connection(params_.peer.passive);
}

void Session::start_connection(bool passive) {
  restart_timer_.cancel();
  auto c = new_connection();
  if (passive) {
    c->step(fsm::ev::ManualStart_with_PassiveTcpEstablishment{});
  } else {
    c->step(fsm::ev::ManualStart{});
  }
}

void Session::schedule_restart() {
  if (!enabled_ || !conns_.empty()) return;
  // A passive session just waits for the peer again; an active one retries after
  // ConnectRetryTime so a refusing peer is not hammered. Deviation: while no OPEN has come back
  // since the last one (the TCP connect itself failed: the peer's listener is not up yet, as
  // when a cluster starts), retry after 1, 2, 4 ... s up to ConnectRetryTime, so a peer that
  // starts listening a moment after our first try is reached in about a second, not five.
  std::chrono::seconds delay{0};
  if (!params_.peer.passive) {
    delay = std::chrono::seconds(fsm_config_.connect_retry_time);
    if (!open_seen_) {
      const auto quick = std::chrono::seconds(1u << std::min(connect_failures_, 5u));
      delay = std::min(delay, quick);
      ++connect_failures_;
    }
  }
  open_seen_ = false;
  restart_timer_.expires_after(delay);
  restart_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || !enabled_ || !conns_.empty()) return;
    start_connection(params_.peer.passive);
  });
}

void Session::stop(uint8_t cease_subcode) {
  enabled_ = false;
  restart_timer_.cancel();
  auto conns = conns_;
  for (auto& c : conns) {
    if (c->fsm().state == fsm::State::Idle) continue;
    if (cease_subcode == fsm::err::kCeaseAdministrativeShutdown) {
      c->step(fsm::ev::ManualStop{});
    } else {
      c->step(fsm::ev::AutomaticStop{cease_subcode});
    }
  }
}

void Session::accept(tcp::socket socket) {
  auto refuse = [&](const char* why) {
    spdlog::info("peer {}: incoming connection refused ({})", name(), why);
    boost::system::error_code ec;
    socket.close(ec);
  };
  if (!enabled_) return refuse("peer stopped");
  // A connection waiting for the peer (passive, or between connect attempts) takes it.
  for (auto& c : conns_) {
    const auto st = c->fsm().state;
    if (!c->has_socket() && (st == fsm::State::Active || st == fsm::State::Connect)) {
      auto keep = c;
      keep->adopt(std::move(socket));
      keep->step(fsm::ev::TcpConnectionConfirmed{});
      keep->start_reading();
      return;
    }
  }
  if (conns_.size() >= 2) return refuse("two connections already");
  for (auto& c : conns_) {
    if (c->fsm().state == fsm::State::Established) return refuse("session established");
  }
  // §6.8: a second connection, in its own FSM, until an OPEN decides which one stays.
  restart_timer_.cancel();
  auto c = new_connection();
  c->step(fsm::ev::ManualStart_with_PassiveTcpEstablishment{});
  c->adopt(std::move(socket));
  c->step(fsm::ev::TcpConnectionConfirmed{});
  c->start_reading();
}

void Session::on_open(Connection& c, const OpenMessage& open) {
  open_seen_ = true;
  connect_failures_ = 0;
  auto self = c.shared_from_this();
  for (auto& o : conns_) {
    if (o.get() == &c) continue;
    const auto st = o->fsm().state;
    if (st != fsm::State::OpenSent && st != fsm::State::OpenConfirm &&
        st != fsm::State::Established) {
      continue;
    }
    const auto info = Connection::open_info(open);
    const auto verdict =
        fsm::resolve_collision(o->fsm(), c.fsm().direction, info.bgp_id, info.peer_as);
    if (verdict == fsm::CollisionVerdict::CloseExisting) {
      spdlog::info("peer {}: connection collision, closing the {} connection", name(),
                   fsm::to_string(o->fsm().direction));
      auto keep = o;
      keep->step(fsm::ev::OpenCollisionDump{});
    } else if (verdict == fsm::CollisionVerdict::CloseNew) {
      spdlog::info("peer {}: connection collision, closing the {} connection", name(),
                   fsm::to_string(c.fsm().direction));
      c.step(fsm::ev::OpenCollisionDump{});
      return;
    }
    break;
  }
  c.deliver_open(open);
}

void Session::on_connection_established(Connection& c) {
  // Any other connection still trying is now redundant.
  auto conns = conns_;
  for (auto& o : conns) {
    if (o.get() == &c) continue;
    const auto st = o->fsm().state;
    if (st == fsm::State::Connect || st == fsm::State::Active) o->step(fsm::ev::ManualStop{});
  }
  // last_error_ stays: `show peers` reports why the previous session ended, as BIRD does.
  observer_.on_established(*this);
}

void Session::on_connection_idle(Connection& c) {
  const bool other_alive = conns_.size() > 1;
  // A collision loser's reason is not the session's.
  if (!other_alive || c.fsm().last_error != "connection collision resolution") {
    last_error_ = c.why();
  }
  std::erase_if(conns_, [&](const auto& p) { return p.get() == &c; });
  if (conns_.empty()) idle_since_ = Clock::now();
  schedule_restart();
}

Connection* Session::best() const {
  Connection* b = nullptr;
  for (const auto& c : conns_) {
    if (!b || static_cast<int>(c->fsm().state) > static_cast<int>(b->fsm().state)) b = c.get();
  }
  return b;
}

bool Session::established() const {
  const Connection* b = best();
  return b && b->fsm().state == fsm::State::Established;
}

void Session::send(const SharedBytes& msg, bool is_update) {
  Connection* b = best();
  if (b && b->fsm().state == fsm::State::Established) b->enqueue(msg, is_update);
}

std::size_t Session::queued_bytes() const {
  const Connection* b = best();
  return b ? b->queued() : 0;
}

fsm::State Session::state() const {
  const Connection* b = best();
  return b ? b->fsm().state : fsm::State::Idle;
}

double Session::state_seconds() const {
  const Connection* b = best();
  const auto since = b ? b->state_since() : idle_since_;
  return std::chrono::duration<double>(Clock::now() - since).count();
}

const CodecContext& Session::codec() const {
  static const CodecContext none;
  const Connection* b = best();
  return b ? b->ctx() : none;
}

const OpenMessage* Session::peer_open() const {
  const Connection* b = best();
  return b && b->peer_open() ? &*b->peer_open() : nullptr;
}

uint16_t Session::negotiated_hold_time() const {
  const Connection* b = best();
  return b ? b->fsm().negotiated_hold_time : 0;
}

std::optional<rib::Address> Session::local_address() const {
  const Connection* b = best();
  return b ? b->local_address() : std::nullopt;
}

bool Session::family_negotiated(rib::Family f) const {
  const OpenMessage* peer = peer_open();
  if (!peer) return false;
  const Capabilities& mine = local_open_.capabilities;
  const Capabilities& theirs = peer->capabilities;
  if (f == rib::Family::v4) {
    // No multiprotocol capability at all means IPv4 unicast only (RFC 4760 8).
    const bool a = mine.multiprotocol.empty() || has_family(mine, kIpv4Unicast);
    const bool b = theirs.multiprotocol.empty() || has_family(theirs, kIpv4Unicast);
    return a && b && params_.peer.ipv4_unicast;
  }
  return has_family(mine, kIpv6Unicast) && has_family(theirs, kIpv6Unicast);
}

std::vector<std::string> Session::capabilities() const {
  std::vector<std::string> out;
  const OpenMessage* peer = peer_open();
  if (!peer) return out;
  if (family_negotiated(rib::Family::v4)) out.emplace_back("ipv4-unicast");
  if (family_negotiated(rib::Family::v6)) out.emplace_back("ipv6-unicast");
  const Capabilities& m = local_open_.capabilities;
  const Capabilities& t = peer->capabilities;
  if (m.route_refresh && t.route_refresh) out.emplace_back("route-refresh");
  if (codec().enhanced_route_refresh) out.emplace_back("enhanced-route-refresh");
  if (m.four_octet_as && t.four_octet_as) out.emplace_back("4-octet-as");
  if (m.graceful_restart && t.graceful_restart) out.emplace_back("graceful-restart");
  if (codec().extended_message) out.emplace_back("extended-message");
  if (codec().add_path_send_v4 || codec().add_path_receive_v4 || codec().add_path_send_v6 ||
      codec().add_path_receive_v6) {
    out.emplace_back("add-path");
  }
  if (codec().extended_next_hop_v4) out.emplace_back("extended-next-hop");
  return out;
}

void Session::set_reading_paused(bool paused) {
  reading_paused_ = paused;
  for (auto& c : conns_) c->set_reading_paused(paused);
}

}  // namespace podnet::bgp
