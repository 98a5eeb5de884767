// The allocator's behaviour as one value-parameterised suite over Datastore backends (the
// Backend type of store_conformance.hpp): allocator_test.cpp runs it on the directory store,
// allocator_etcd_test.cpp on a real etcd.
#pragma once

#include "ipam-sync/tests/store_conformance.hpp"

namespace podnet::ipam::testing {

class AllocatorSuite : public ::testing::TestWithParam<store::testing::Backend> {
 protected:
  void SetUp() override {
    backend = GetParam().make();
    ASSERT_TRUE(backend);
  }
  store::Datastore& ds() { return backend->store(); }
  std::unique_ptr<store::testing::BackendInstance> backend;
};

}  // namespace podnet::ipam::testing
