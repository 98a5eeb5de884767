// The allocator suite against a real etcd, a single member and a three-member cluster on loopback
// ports (one server per size for the executable, emptied under /calico before each test), the
// racing processes included. With three members the client spreads over every endpoint, so
// compare-and-swap goes through Raft for real.
#include "ipam-sync/tests/allocator_suite.hpp"
#include "ipam-sync/tests/etcd_backend_instance.hpp"

namespace podnet::ipam::testing {
namespace {

using store::testing::EtcdBackendInstance;

INSTANTIATE_TEST_SUITE_P(Etcd, AllocatorSuite,
                         ::testing::Values(EtcdBackendInstance<1>::backend("etcd"),
                                           EtcdBackendInstance<3>::backend("etcd3members")),
                         store::testing::backend_name);

}  // namespace
}  // namespace podnet::ipam::testing
