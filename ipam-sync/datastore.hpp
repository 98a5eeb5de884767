// The datastore interface: a key/value store of resource documents with revisions,
// list + watch, and compare-and-swap. Two backends implement it: a directory of YAML files
// (directory_store.hpp) and etcd v3 (etcd_store.hpp).
//
// Keys are resource paths, the same shape as Calico's etcd keys below the prefix:
//   "<plural>/<name>"              cluster-scoped, e.g. "ippools/default-ipv4-ippool"
//   "<plural>/<namespace>/<name>"  namespaced,     e.g. "networkpolicies/yaobank/database-policy"
// <plural> is conf::KindInfo::plural (lower case). Values are the canonical YAML text of one
// resource, produced by conf. The store never interprets a value.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "conf/result.hpp"

namespace boost::asio {
class io_context;
}

namespace podnet::store {

struct Entry {
  std::string key;
  std::string value;
  int64_t mod_revision = 0;     // revision of the last write of this key: the resourceVersion
  int64_t create_revision = 0;  // revision at which the key was created
};

struct WatchEvent {
  enum class Type { put, del };
  Type type = Type::put;
  Entry entry;  // for del: key and the revision of the delete; value empty
};

struct ListResult {
  std::vector<Entry> entries;  // sorted by key
  int64_t revision = 0;        // store revision the listing reflects
};

class Datastore {
 public:
  virtual ~Datastore() = default;

  // Human-readable "dir:/var/lib/podnet/datastore" or "etcd:http://..."
  virtual std::string describe() const = 0;

  virtual Result<Entry> get(const std::string& key) = 0;
  // All entries whose key starts with prefix ("" lists everything; "ippools/" one kind).
  virtual Result<ListResult> list(const std::string& prefix) = 0;

  // Writes return the new mod_revision.
  // create: fails with Errc::already_exists if the key exists.
  virtual Result<int64_t> create(const std::string& key, const std::string& value) = 0;
  // update: compare-and-swap. expected_revision == 0 means unconditional (but the key must
  // exist); otherwise Errc::conflict unless the stored mod_revision equals it.
  virtual Result<int64_t> update(const std::string& key, const std::string& value,
                                 int64_t expected_revision) = 0;
  // remove: expected_revision as for update. Returns the revision of the delete.
  virtual Result<int64_t> remove(const std::string& key, int64_t expected_revision) = 0;

  // The current store revision (highest revision handed out so far).
  virtual Result<int64_t> revision() = 0;

  // Watch keys under prefix, driven by io (callbacks run on io's thread, never re-entrantly).
  // The first callback is a snapshot: every current entry as a put, with initial == true.
  // Later callbacks carry changes in revision order, initial == false. The watch is level-
  // triggered where the backend needs it (directory: a lost inotify event or a queue overflow
  // leads to a rescan and diff, never a missed change). Destroying the Watch stops it.
  class Watch {
   public:
    virtual ~Watch() = default;
  };
  using WatchCallback = std::function<void(const std::vector<WatchEvent>& events, bool initial)>;
  virtual Result<std::unique_ptr<Watch>> watch(boost::asio::io_context& io,
                                               const std::string& prefix, WatchCallback cb) = 0;

  // Why the store cannot be reached right now, or nullopt while it can (for podnetd's /readyz).
  // A remote backend (etcd) sets it while its last call or any of its live watches failed to
  // reach a server, and clears it once they reach one again (a watch then catches up by
  // itself). Thread-safe; cheap enough to call on every probe. The directory backend is
  // always reachable.
  virtual std::optional<std::string> unavailable_reason() const { return std::nullopt; }
};

// Parses "dir:PATH" or "etcd:URL[,URL...][?options]" (a bare path means dir:; etcd options in
// etcd_options.hpp). Opens the backend; the etcd backend does not contact etcd until used.
Result<std::unique_ptr<Datastore>> open_datastore(const std::string& spec);

}  // namespace podnet::store
