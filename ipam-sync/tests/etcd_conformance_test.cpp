// The shared Datastore suite (store_conformance.cpp) against a real single-member etcd: one
// server for the whole executable, emptied under /calico before each test.
#include <gtest/gtest.h>

#include "ipam-sync/etcd_store.hpp"
#include "ipam-sync/tests/etcd_server.hpp"
#include "ipam-sync/tests/store_conformance.hpp"

namespace podnet::store::testing {
namespace {

EtcdServer& shared_etcd() {
  static EtcdServer server;
  return server;
}

class EtcdInstance : public BackendInstance {
 public:
  EtcdInstance() {
    EtcdServer& etcd = shared_etcd();
    EXPECT_TRUE(etcd.ok()) << etcd.error();
    auto del = etcd.etcdctl({"del", "--prefix", "/calico/"});
    EXPECT_EQ(del.exit_code, 0) << del.output;
    auto s = open_datastore(etcd.spec());
    EXPECT_TRUE(s.ok()) << s.error().message;
    if (s.ok()) store_ = std::move(s.value());
  }
  Datastore& store() override { return *store_; }
  std::unique_ptr<Datastore> open_another() override {
    auto s = open_datastore(shared_etcd().spec());
    return s.ok() ? std::move(s.value()) : nullptr;
  }

 private:
  std::unique_ptr<Datastore> store_;
};

INSTANTIATE_TEST_SUITE_P(Etcd, StoreConformance,
                         ::testing::Values(Backend{
                             "etcd",
                             [] { return std::unique_ptr<BackendInstance>(new EtcdInstance()); }}),
                         backend_name);

}  // namespace
}  // namespace podnet::store::testing
