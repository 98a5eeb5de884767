#include "ipam-sync/directory_watch.hpp"

#include <fmt/format.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <set>
#include <unordered_map>

#include "ipam-sync/file_ops.hpp"
#include "ipam-sync/store_key.hpp"

namespace podnet::store {
namespace {

using namespace std::chrono_literals;

// Events that can change what a directory holds. IN_MODIFY is left out on purpose: a
// writer's close (IN_CLOSE_WRITE) or rename (IN_MOVED_TO) follows it, and rescanning on every
// write() of a large hand-written file would only read it half-written more often.
constexpr uint32_t kDirMask = IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_CLOSE_WRITE |
                              IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR;
// How long a burst of inotify events may grow before the rescan: bounds rescans to ~100/s.
constexpr auto kCoalesce = 10ms;
// Back-off when a rescan fails (e.g. the root is unreadable for a moment).
constexpr auto kRetry = 500ms;

int depth_of(const std::string& dir) {
  if (dir.empty()) return 0;
  return 1 + static_cast<int>(std::count(dir.begin(), dir.end(), '/'));
}

std::string kind_of(const std::string& dir) {
  return dir.substr(0, dir.find('/'));
}

class WatchState : public std::enable_shared_from_this<WatchState> {
 public:
  WatchState(boost::asio::io_context& io, StoreTree tree, std::string prefix,
             Datastore::WatchCallback cb, int fd)
      : tree_(std::move(tree)),
        prefix_(std::move(prefix)),
        cb_(std::move(cb)),
        fd_(fd),
        sd_(io, fd),
        timer_(io) {}

  void start() {
    add_tree_watches("");
    dirty_all_ = true;
    arm_timer(0ms);
    wait_readable();
  }

  void stop() {
    stopped_ = true;
    boost::system::error_code ec;
    timer_.cancel();
    sd_.close(ec);
  }

 private:
  // Watches dir (relative to root) and, down to namespace depth, its subdirectories.
  void add_tree_watches(const std::string& dir) {
    std::string path = dir.empty() ? tree_.root() : tree_.root() + "/" + dir;
    int wd = inotify_add_watch(fd_, path.c_str(), kDirMask);
    if (wd < 0) return;  // gone already; the rescan of its kind reports the truth
    wd_dir_[wd] = dir;
    if (depth_of(dir) >= 2) return;
    auto entries = list_dir(path);
    if (!entries.ok() || !entries.value()) return;
    for (const auto& e : *entries.value()) {
      if (e.is_dir && valid_segment(e.name))
        add_tree_watches(dir.empty() ? e.name : dir + "/" + e.name);
    }
  }

  void remove_watches_under(const std::string& dir) {
    for (auto it = wd_dir_.begin(); it != wd_dir_.end();) {
      if (it->second == dir || it->second.starts_with(dir + "/")) {
        inotify_rm_watch(fd_, it->first);
        it = wd_dir_.erase(it);
      } else {
        ++it;
      }
    }
  }

  void rewatch_all() {
    for (auto& [wd, dir] : wd_dir_) inotify_rm_watch(fd_, wd);
    wd_dir_.clear();
    add_tree_watches("");
  }

  void mark_dirty_dir(const std::string& dir) {
    if (dir.empty()) {
      dirty_all_ = true;
    } else {
      dirty_kinds_.insert(kind_of(dir));
    }
  }

  void handle_event(const inotify_event& ev) {
    if (ev.mask & IN_Q_OVERFLOW) {
      need_rewatch_ = true;
      dirty_all_ = true;
      return;
    }
    auto it = wd_dir_.find(ev.wd);
    if (it == wd_dir_.end()) return;
    std::string dir = it->second;
    if (ev.mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF)) {
      // The directory itself went away (or moved: its watch would now report a wrong path).
      if (!(ev.mask & IN_IGNORED)) inotify_rm_watch(fd_, ev.wd);
      wd_dir_.erase(ev.wd);
      mark_dirty_dir(dir.empty() ? dir : kind_of(dir));
      if (dir.empty()) need_rewatch_ = true;
      return;
    }
    std::string name = ev.len > 0 ? std::string(ev.name) : std::string();
    if (name.empty() || name.front() == '.') return;  // temp files, .podnet
    std::string child = dir.empty() ? name : dir + "/" + name;
    if (ev.mask & IN_ISDIR) {
      if (ev.mask & (IN_CREATE | IN_MOVED_TO)) {
        // Add the watch before the rescan so nothing written after the scan is missed; the
        // rescan covers what was written before the watch existed.
        if (depth_of(child) <= 2 && valid_segment(name)) add_tree_watches(child);
      } else if (ev.mask & (IN_DELETE | IN_MOVED_FROM)) {
        remove_watches_under(child);
      }
      mark_dirty_dir(child);
      return;
    }
    if (!dir.empty()) mark_dirty_dir(dir);
  }

  // Reads every queued inotify event. Returns false if the descriptor is broken.
  bool drain() {
    alignas(inotify_event) char buf[16384];
    while (true) {
      ssize_t n = ::read(fd_, buf, sizeof buf);
      if (n < 0) {
        if (errno == EINTR) continue;
        return errno == EAGAIN || errno == EWOULDBLOCK;
      }
      if (n == 0) return true;
      for (ssize_t off = 0; off < n;) {
        const auto* ev = reinterpret_cast<const inotify_event*>(buf + off);
        handle_event(*ev);
        off += static_cast<ssize_t>(sizeof(inotify_event) + ev->len);
      }
    }
  }

  void wait_readable() {
    sd_.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                   [self = shared_from_this()](const boost::system::error_code& ec) {
                     if (self->stopped_ || ec) return;
                     if (!self->drain()) {
                       // Unreadable inotify fd: fall back to periodic rescans.
                       self->dirty_all_ = true;
                       self->arm_timer(kRetry);
                       return;
                     }
                     if (self->dirty_all_ || !self->dirty_kinds_.empty()) {
                       self->arm_timer(kCoalesce);
                     }
                     self->wait_readable();
                   });
  }

  void arm_timer(std::chrono::milliseconds delay) {
    if (timer_armed_) return;
    timer_armed_ = true;
    timer_.expires_after(delay);
    timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      self->timer_armed_ = false;
      if (self->stopped_ || ec) return;
      self->rescan();
    });
  }

  // The part of the watch prefix that lies in kind, or nullopt if none does.
  std::optional<std::string> scan_prefix_for_kind(const std::string& kind) const {
    std::string kp = kind + "/";
    if (prefix_.starts_with(kp)) return prefix_;
    if (kp.starts_with(prefix_)) return kp;
    return std::nullopt;
  }

  void rescan() {
    drain();
    if (need_rewatch_) {
      need_rewatch_ = false;
      rewatch_all();
    }
    std::vector<std::string> prefixes;
    if (dirty_all_) {
      prefixes.push_back(prefix_);
    } else {
      for (const auto& kind : dirty_kinds_) {
        if (auto p = scan_prefix_for_kind(kind)) prefixes.push_back(*p);
      }
    }
    std::vector<WatchEvent> events;
    std::map<std::string, int64_t> next = known_;
    for (const auto& p : prefixes) {
      auto listed = tree_.list(p);
      if (!listed.ok()) {
        // Keep the dirty marks and try again; the map is untouched so nothing is lost.
        arm_timer(kRetry);
        return;
      }
      std::set<std::string> present;
      for (auto& e : listed->entries) {
        present.insert(e.key);
        auto k = next.find(e.key);
        if (k == next.end() || k->second != e.mod_revision) {
          next[e.key] = e.mod_revision;
          events.push_back({WatchEvent::Type::put, std::move(e)});
        }
      }
      for (auto k = next.lower_bound(p); k != next.end() && k->first.starts_with(p);) {
        if (present.count(k->first)) {
          ++k;
          continue;
        }
        // A delete's exact revision is not recorded on disk; the store revision seen by
        // this scan is the first one at which the key is known to be gone.
        WatchEvent del;
        del.type = WatchEvent::Type::del;
        del.entry.key = k->first;
        del.entry.mod_revision = listed->revision;
        events.push_back(std::move(del));
        k = next.erase(k);
      }
    }
    dirty_all_ = false;
    dirty_kinds_.clear();
    known_ = std::move(next);
    bool initial = !initial_sent_;
    initial_sent_ = true;
    if (initial) {
      std::sort(events.begin(), events.end(),
                [](const WatchEvent& a, const WatchEvent& b) { return a.entry.key < b.entry.key; });
    } else {
      std::stable_sort(events.begin(), events.end(), [](const WatchEvent& a, const WatchEvent& b) {
        return a.entry.mod_revision < b.entry.mod_revision;
      });
      if (events.empty()) return;
    }
    // The callback may destroy the Watch; self keeps this object alive until we return.
    auto self = shared_from_this();
    try {
      cb_(events, initial);
    } catch (...) {
      // A throwing callback must not unwind through io.run(); the events are delivered.
    }
  }

  StoreTree tree_;
  std::string prefix_;
  Datastore::WatchCallback cb_;
  int fd_;
  boost::asio::posix::stream_descriptor sd_;
  boost::asio::steady_timer timer_;
  std::unordered_map<int, std::string> wd_dir_;  // "" = root, "kind", "kind/namespace"
  std::map<std::string, int64_t> known_;         // key -> mod_revision last reported
  std::set<std::string> dirty_kinds_;
  bool dirty_all_ = false;
  bool need_rewatch_ = false;
  bool timer_armed_ = false;
  bool initial_sent_ = false;
  bool stopped_ = false;
};

class DirectoryWatch : public Datastore::Watch {
 public:
  explicit DirectoryWatch(std::shared_ptr<WatchState> s) : state_(std::move(s)) {}
  ~DirectoryWatch() override { state_->stop(); }

 private:
  std::shared_ptr<WatchState> state_;
};

}  // namespace

Result<std::unique_ptr<Datastore::Watch>> start_directory_watch(boost::asio::io_context& io,
                                                                const StoreTree& tree,
                                                                const std::string& prefix,
                                                                Datastore::WatchCallback cb) {
  if (!cb) return make_error(Errc::invalid, "watch: no callback");
  int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) {
    return make_error(Errc::io, fmt::format("inotify_init1: {}", std::strerror(errno)));
  }
  try {
    auto state = std::make_shared<WatchState>(io, tree, prefix, std::move(cb), fd);
    state->start();
    return std::unique_ptr<Datastore::Watch>(std::make_unique<DirectoryWatch>(std::move(state)));
  } catch (const std::exception& e) {
    return make_error(Errc::internal, fmt::format("watch: {}", e.what()));
  }
}

}  // namespace podnet::store
