// Watch for the directory store: inotify on the root and every entry directory, wrapped in an
// asio stream_descriptor. Level-triggered: an inotify event only says "look here"; the watch
// rescans that kind's directory and diffs it against its own key -> mod_revision map, so a
// queue overflow, a coalesced burst or a hand edit can never make it miss a change.
#pragma once

#include <memory>
#include <string>

#include "conf/result.hpp"
#include "ipam-sync/datastore.hpp"
#include "ipam-sync/store_tree.hpp"

namespace podnet::store {

// Starts watching tree for keys under prefix. The snapshot callback is posted to io (never
// called from inside this function). Destroy the returned Watch on io's thread (or while io
// is not running), and before io itself.
Result<std::unique_ptr<Datastore::Watch>> start_directory_watch(boost::asio::io_context& io,
                                                                const StoreTree& tree,
                                                                const std::string& prefix,
                                                                Datastore::WatchCallback cb);

}  // namespace podnet::store
