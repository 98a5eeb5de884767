// The shared Datastore suite (store_conformance.cpp) against a real single-member etcd: one
// server for the whole executable, emptied under /calico before each test.
#include <gtest/gtest.h>

#include "ipam-sync/etcd_store.hpp"
#include "ipam-sync/tests/etcd_backend_instance.hpp"

namespace podnet::store::testing {
namespace {

INSTANTIATE_TEST_SUITE_P(Etcd, StoreConformance,
                         ::testing::Values(EtcdBackendInstance<1>::backend("etcd")), backend_name);

}  // namespace
}  // namespace podnet::store::testing
