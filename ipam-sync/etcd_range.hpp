// Reading a whole etcd key range at one revision, in pages (so no single response outgrows
// the gateway's message limit), and turning it into our ListResult.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "conf/result.hpp"
#include "ipam-sync/datastore.hpp"
#include "ipam-sync/etcd_client.hpp"

namespace podnet::store::etcd {

// Every key under etcd_prefix at one revision; entries carry etcd keys, sorted by etcd key.
// A page whose revision was compacted meanwhile restarts the listing at the newest revision.
void range_all(const std::shared_ptr<Client>& client, const std::string& etcd_prefix,
               std::function<void(Result<ListResult>)> cb);

// Keeps the entries that map to our keys starting with prefix, renamed to our keys and
// sorted by them.
ListResult to_ours(ListResult raw, const std::string& prefix);

}  // namespace podnet::store::etcd
