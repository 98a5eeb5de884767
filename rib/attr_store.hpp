// Interned path attributes. A full table repeats a handful of attribute sets across a million
// prefixes; the store keeps one copy per distinct PathAttributes and hands out AttrRef handles,
// so a route costs one pointer, equality of two sets is pointer equality, and the Adj-RIB-Out
// can pack prefixes by handle into one UPDATE. Single-threaded by design (one event loop), so
// the reference count is a plain integer.
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <unordered_set>

#include "rib/path_attributes.hpp"

namespace podnet::rib {

class AttrStore;

namespace detail {
struct AttrNode {
  PathAttributes attrs;
  std::size_t hash = 0;
  uint64_t id = 0;  // creation order: a stable, deterministic sort key for handles
  uint32_t refs = 0;
  AttrStore* store = nullptr;  // null once the store is gone (the node then dies with its last ref)
};
}  // namespace detail

// A counted reference to one interned attribute set. Cheap to copy; a default-constructed
// (null) handle means "no attributes" and must not be dereferenced.
class AttrRef {
 public:
  AttrRef() = default;
  AttrRef(const AttrRef& o) : n_(o.n_) { acquire(); }
  AttrRef(AttrRef&& o) noexcept : n_(o.n_) { o.n_ = nullptr; }
  AttrRef& operator=(const AttrRef& o) {
    if (n_ != o.n_) {
      AttrRef tmp(o);
      swap(tmp);
    }
    return *this;
  }
  AttrRef& operator=(AttrRef&& o) noexcept {
    if (this != &o) {
      release();
      n_ = o.n_;
      o.n_ = nullptr;
    }
    return *this;
  }
  ~AttrRef() { release(); }

  void swap(AttrRef& o) noexcept { std::swap(n_, o.n_); }

  explicit operator bool() const { return n_ != nullptr; }
  const PathAttributes& operator*() const { return n_->attrs; }
  const PathAttributes* operator->() const { return &n_->attrs; }
  const PathAttributes* get() const { return n_ ? &n_->attrs : nullptr; }
  // Stable for the life of the set; 0 for a null handle.
  uint64_t id() const { return n_ ? n_->id : 0; }
  uint32_t use_count() const { return n_ ? n_->refs : 0; }

  // Interning makes identity and value equality the same thing.
  friend bool operator==(const AttrRef& a, const AttrRef& b) { return a.n_ == b.n_; }
  // Creation order, so maps keyed by AttrRef iterate the same way on every run.
  friend std::strong_ordering operator<=>(const AttrRef& a, const AttrRef& b) {
    return a.id() <=> b.id();
  }

 private:
  friend class AttrStore;
  explicit AttrRef(detail::AttrNode* n) : n_(n) { acquire(); }
  void acquire() {
    if (n_) ++n_->refs;
  }
  void release();

  detail::AttrNode* n_ = nullptr;
};

class AttrStore {
 public:
  AttrStore() = default;
  AttrStore(const AttrStore&) = delete;
  AttrStore& operator=(const AttrStore&) = delete;
  // Handles may outlive the store: they keep their own copy alive and free it themselves.
  ~AttrStore();

  AttrRef intern(const PathAttributes& a);
  AttrRef intern(PathAttributes&& a);

  // Distinct attribute sets currently referenced.
  std::size_t size() const { return nodes_.size(); }

 private:
  friend class AttrRef;
  // Looked up by value without building a node first (heterogeneous lookup).
  struct Probe {
    const PathAttributes* attrs;
    std::size_t hash;
  };
  struct NodeHash {
    using is_transparent = void;
    std::size_t operator()(const detail::AttrNode* n) const { return n->hash; }
    std::size_t operator()(const Probe& p) const { return p.hash; }
  };
  struct NodeEq {
    using is_transparent = void;
    bool operator()(const detail::AttrNode* a, const detail::AttrNode* b) const { return a == b; }
    bool operator()(const Probe& p, const detail::AttrNode* n) const {
      return p.hash == n->hash && *p.attrs == n->attrs;
    }
    bool operator()(const detail::AttrNode* n, const Probe& p) const { return (*this)(p, n); }
  };
  template <class A>
  AttrRef intern_impl(A&& a);
  void erase(detail::AttrNode* n);

  std::unordered_set<detail::AttrNode*, NodeHash, NodeEq> nodes_;
  uint64_t next_id_ = 1;
};

}  // namespace podnet::rib

template <>
struct std::hash<podnet::rib::AttrRef> {
  std::size_t operator()(const podnet::rib::AttrRef& r) const noexcept {
    return std::hash<const void*>{}(r.get());
  }
};
