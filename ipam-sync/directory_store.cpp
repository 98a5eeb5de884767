#include "ipam-sync/directory_store.hpp"

#include <fmt/format.h>

#include <exception>

#include "ipam-sync/directory_watch.hpp"

namespace podnet::store {
namespace {

// The store's own code returns errors as values; this only stops a std::bad_alloc (or a bug)
// from unwinding into the caller's event loop.
template <class F>
auto guarded(const char* what, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const std::exception& e) {
    return make_error(Errc::internal, fmt::format("datastore {}: {}", what, e.what()));
  } catch (...) {
    return make_error(Errc::internal, fmt::format("datastore {}: unknown exception", what));
  }
}

}  // namespace

Result<std::unique_ptr<DirectoryStore>> DirectoryStore::open(const std::string& dir) {
  return guarded("open", [&]() -> Result<std::unique_ptr<DirectoryStore>> {
    auto tree = StoreTree::open(dir);
    if (!tree.ok()) return tree.error();
    return std::unique_ptr<DirectoryStore>(new DirectoryStore(std::move(tree.value())));
  });
}

std::string DirectoryStore::describe() const {
  return "dir:" + tree_.root();
}

Result<Entry> DirectoryStore::get(const std::string& key) {
  return guarded("get", [&]() -> Result<Entry> {
    auto r = tree_.get(key);
    if (!r.ok()) return r.error();
    if (!r.value()) return make_error(Errc::not_found, fmt::format("{} not found", key));
    return std::move(*r.value());
  });
}

Result<ListResult> DirectoryStore::list(const std::string& prefix) {
  return guarded("list", [&] { return tree_.list(prefix); });
}

Result<int64_t> DirectoryStore::create(const std::string& key, const std::string& value) {
  return guarded("create", [&] { return tree_.create(key, value); });
}

Result<int64_t> DirectoryStore::update(const std::string& key, const std::string& value,
                                       int64_t expected_revision) {
  return guarded("update", [&] { return tree_.update(key, value, expected_revision); });
}

Result<int64_t> DirectoryStore::remove(const std::string& key, int64_t expected_revision) {
  return guarded("remove", [&] { return tree_.remove(key, expected_revision); });
}

Result<int64_t> DirectoryStore::revision() {
  return guarded("revision", [&] { return tree_.revision(); });
}

Result<std::unique_ptr<Datastore::Watch>> DirectoryStore::watch(boost::asio::io_context& io,
                                                                const std::string& prefix,
                                                                WatchCallback cb) {
  return guarded("watch", [&] { return start_directory_watch(io, tree_, prefix, std::move(cb)); });
}

}  // namespace podnet::store
