// Watch for the etcd store, asynchronous on the caller's io_context:
//
//   1. snapshot: a paginated range at revision R, delivered as initial puts;
//   2. a watch stream (POST /v3/watch, chunked JSON lines) from R+1, each response's events
//      delivered as one batch in revision order;
//   3. stream lost (member stopped, connection reset, leader gone): unavailable_reason is set,
//      and after an exponential backoff (100 ms doubling to 3 s) the watch resumes from the
//      last revision it delivered, on whichever member answers, so nothing is delivered twice
//      or missed;
//   4. etcd compacted past that revision (the watch is cancelled with compact_revision):
//      re-list and deliver the difference against what was delivered so far as changes:
//      puts for new or changed keys (at their mod_revision, in that order), then deletes for
//      keys gone; a delete's own revision was compacted away, so it carries the listing's
//      revision (which the batch's last put may share). A key created and deleted within the
//      gap shows nothing: the consumer sees the difference, not the history.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <string>

#include "ipam-sync/datastore.hpp"
#include "ipam-sync/etcd_client.hpp"
#include "ipam-sync/etcd_options.hpp"

namespace podnet::store::etcd {

Result<std::unique_ptr<Datastore::Watch>> start_watch(
    boost::asio::io_context& io, const Options& opts,
    std::shared_ptr<boost::asio::ssl::context> tls, std::shared_ptr<Health> health,
    const std::string& prefix, Datastore::WatchCallback cb);

}  // namespace podnet::store::etcd
