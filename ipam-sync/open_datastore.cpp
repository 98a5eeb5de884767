// open_datastore: the one place that maps a datastore spec to a backend.
#include <fmt/format.h>

#include "ipam-sync/datastore.hpp"
#include "ipam-sync/directory_store.hpp"
#include "ipam-sync/etcd_store.hpp"

namespace podnet::store {

Result<std::unique_ptr<Datastore>> open_datastore(const std::string& spec) {
  std::string path = spec;
  if (spec.starts_with("etcd:")) {
    auto store = EtcdStore::open(spec.substr(5));
    if (!store.ok()) return store.error();
    return std::unique_ptr<Datastore>(std::move(store.value()));
  }
  if (spec.starts_with("dir:")) path = spec.substr(4);
  if (path.empty()) {
    return make_error(Errc::invalid,
                      fmt::format("datastore \"{}\": want dir:PATH, a path, or etcd:URL", spec));
  }
  auto store = DirectoryStore::open(path);
  if (!store.ok()) return store.error();
  return std::unique_ptr<Datastore>(std::move(store.value()));
}

}  // namespace podnet::store
