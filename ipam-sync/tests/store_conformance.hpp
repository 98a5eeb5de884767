// The behaviour every Datastore backend shares, as one value-parameterised suite: each test
// executable that includes store_conformance.cpp instantiates StoreConformance with its
// backends (directory_store_test: the directory; etcd_store_test: a real etcd).
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "ipam-sync/datastore.hpp"

namespace podnet::store::testing {

// One backend under test: a fresh, empty store per test, and a second instance on the same
// data (another process's view).
class BackendInstance {
 public:
  virtual ~BackendInstance() = default;
  virtual Datastore& store() = 0;
  virtual std::unique_ptr<Datastore> open_another() = 0;
};

struct Backend {
  std::string name;
  std::function<std::unique_ptr<BackendInstance>()> make;
};

// gtest prints a parameter by this (instead of its bytes).
inline void PrintTo(const Backend& b, std::ostream* os) {
  *os << b.name;
}

inline std::string backend_name(const ::testing::TestParamInfo<Backend>& info) {
  return info.param.name;
}

class StoreConformance : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    backend = GetParam().make();
    ASSERT_TRUE(backend);
  }
  Datastore& store() { return backend->store(); }
  std::unique_ptr<BackendInstance> backend;
};

}  // namespace podnet::store::testing
