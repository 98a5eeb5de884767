#include "rib/attr_store.hpp"

#include <memory>

namespace podnet::rib {

void AttrRef::release() {
  if (n_ == nullptr) return;
  if (--n_->refs == 0) {
    if (n_->store != nullptr) {
      n_->store->erase(n_);
    } else {
      delete n_;
    }
  }
  n_ = nullptr;
}

AttrStore::~AttrStore() {
  for (detail::AttrNode* n : nodes_) n->store = nullptr;
}

template <class A>
AttrRef AttrStore::intern_impl(A&& a) {
  Probe probe{&a, hash_value(a)};
  if (auto it = nodes_.find(probe); it != nodes_.end()) return AttrRef(*it);
  auto node = std::make_unique<detail::AttrNode>();
  node->attrs = std::forward<A>(a);
  node->hash = probe.hash;
  node->id = next_id_++;
  node->store = this;
  nodes_.insert(node.get());
  return AttrRef(node.release());
}

AttrRef AttrStore::intern(const PathAttributes& a) {
  return intern_impl(a);
}
AttrRef AttrStore::intern(PathAttributes&& a) {
  return intern_impl(std::move(a));
}

void AttrStore::erase(detail::AttrNode* n) {
  nodes_.erase(n);
  delete n;
}

}  // namespace podnet::rib
