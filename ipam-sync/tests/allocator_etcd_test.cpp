// The allocator suite against a real etcd, a single member and a three-member cluster on loopback
// ports (one server per size for the executable, emptied under /calico before each test), the
// racing processes included. With three members the client spreads over every endpoint, so
// compare-and-swap goes through Raft for real.
#include "ipam-sync/tests/allocator_suite.hpp"
#include "ipam-sync/tests/etcd_server.hpp"

namespace podnet::ipam::testing {
namespace {

template <int Members>
store::testing::EtcdServer& shared_etcd() {
  static store::testing::EtcdServer server(Members);
  return server;
}

template <int Members>
class EtcdInstance : public store::testing::BackendInstance {
 public:
  EtcdInstance() {
    auto& etcd = shared_etcd<Members>();
    EXPECT_TRUE(etcd.ok()) << etcd.error();
    auto del = etcd.etcdctl({"del", "--prefix", "/calico/"});
    EXPECT_EQ(del.exit_code, 0) << del.output;
    auto s = store::open_datastore(etcd.spec());
    EXPECT_TRUE(s.ok());
    if (s.ok()) store_ = std::move(s.value());
  }
  store::Datastore& store() override { return *store_; }
  std::unique_ptr<store::Datastore> open_another() override {
    auto s = store::open_datastore(shared_etcd<Members>().spec());
    return s.ok() ? std::move(s.value()) : nullptr;
  }

 private:
  std::unique_ptr<store::Datastore> store_;
};

INSTANTIATE_TEST_SUITE_P(
    Etcd, AllocatorSuite,
    ::testing::Values(
        store::testing::Backend{
            "etcd",
            [] { return std::unique_ptr<store::testing::BackendInstance>(new EtcdInstance<1>()); }},
        store::testing::Backend{"etcd3members",
                                [] {
                                  return std::unique_ptr<store::testing::BackendInstance>(
                                      new EtcdInstance<3>());
                                }}),
    store::testing::backend_name);

}  // namespace
}  // namespace podnet::ipam::testing
