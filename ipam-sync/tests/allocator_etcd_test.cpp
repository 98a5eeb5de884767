// The allocator suite against a real single-member etcd (one server for the executable, emptied
// under /calico before each test), the racing processes included.
#include "ipam-sync/tests/allocator_suite.hpp"
#include "ipam-sync/tests/etcd_server.hpp"

namespace podnet::ipam::testing {
namespace {

store::testing::EtcdServer& shared_etcd() {
  static store::testing::EtcdServer server;
  return server;
}

class EtcdInstance : public store::testing::BackendInstance {
 public:
  EtcdInstance() {
    auto& etcd = shared_etcd();
    EXPECT_TRUE(etcd.ok()) << etcd.error();
    auto del = etcd.etcdctl({"del", "--prefix", "/calico/"});
    EXPECT_EQ(del.exit_code, 0) << del.output;
    auto s = store::open_datastore(etcd.spec());
    EXPECT_TRUE(s.ok());
    if (s.ok()) store_ = std::move(s.value());
  }
  store::Datastore& store() override { return *store_; }
  std::unique_ptr<store::Datastore> open_another() override {
    auto s = store::open_datastore(shared_etcd().spec());
    return s.ok() ? std::move(s.value()) : nullptr;
  }

 private:
  std::unique_ptr<store::Datastore> store_;
};

INSTANTIATE_TEST_SUITE_P(
    Etcd, AllocatorSuite,
    ::testing::Values(store::testing::Backend{
        "etcd",
        [] { return std::unique_ptr<store::testing::BackendInstance>(new EtcdInstance()); }}),
    store::testing::backend_name);

}  // namespace
}  // namespace podnet::ipam::testing
