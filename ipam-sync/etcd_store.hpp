// The etcd v3 datastore: the Datastore interface over a real etcd cluster, through etcd's
// HTTP/JSON gateway (etcd_client.hpp says why not gRPC). Keys sit where Calico puts them
// (etcd_keys.hpp); values are our canonical YAML.
//
// - Revisions are etcd's own: the cluster revision, and each key's mod_revision and
//   create_revision, map 1:1 onto Entry.
// - create = txn(create_revision == 0 -> put); update/remove = txn(mod_revision == expected ->
//   put/delete), or txn(create_revision > 0 -> ...) for expected 0; the failure branch reads
//   the key back so a lost compare reports not_found or conflict exactly as the directory
//   store does.
// - The synchronous calls run a private io_context on the calling thread (podnetctl and the
//   IPAM allocator are synchronous) with a deadline per request (Options::timeout), one call
//   at a time per store (a mutex), on one kept-alive connection.
// - watch() runs on the caller's io_context and never blocks it (etcd_watch.hpp).
// - unavailable_reason() is set while the last synchronous call or any live watch could not
//   reach a member, and cleared when they reach one again.
#pragma once

#include <boost/asio/io_context.hpp>
#include <memory>
#include <mutex>
#include <string>

#include "ipam-sync/datastore.hpp"
#include "ipam-sync/etcd_client.hpp"
#include "ipam-sync/etcd_options.hpp"

namespace podnet::store {

class EtcdStore : public Datastore {
 public:
  // spec is what follows "etcd:" (etcd_options.hpp). Does not contact etcd.
  static Result<std::unique_ptr<EtcdStore>> open(const std::string& spec);
  ~EtcdStore() override;

  std::string describe() const override;
  Result<Entry> get(const std::string& key) override;
  Result<ListResult> list(const std::string& prefix) override;
  Result<int64_t> create(const std::string& key, const std::string& value) override;
  Result<int64_t> update(const std::string& key, const std::string& value,
                         int64_t expected_revision) override;
  Result<int64_t> remove(const std::string& key, int64_t expected_revision) override;
  Result<int64_t> revision() override;
  Result<std::unique_ptr<Watch>> watch(boost::asio::io_context& io, const std::string& prefix,
                                       WatchCallback cb) override;
  std::optional<std::string> unavailable_reason() const override;

 private:
  EtcdStore(etcd::Options opts, std::shared_ptr<boost::asio::ssl::context> tls);
  Result<nlohmann::json> call(const std::string& path, nlohmann::json body);
  // The etcd key a write of (key, value) goes to; the value settles IPv6 affinity names.
  Result<std::string> write_key(const std::string& key, const std::string& value);
  // The etcd key of an existing key (IPv6 affinities: the reading that exists).
  Result<std::string> existing_key(const std::string& key);
  Result<int64_t> conditional(const std::string& key, const std::string& etcd_key,
                              int64_t expected_revision, nlohmann::json op);

  etcd::Options opts_;
  std::shared_ptr<boost::asio::ssl::context> tls_;
  std::shared_ptr<etcd::Health> health_;
  std::mutex m_;
  boost::asio::io_context io_;
  std::shared_ptr<etcd::Client> client_;
};

}  // namespace podnet::store
