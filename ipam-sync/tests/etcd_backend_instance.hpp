// A BackendInstance (store_conformance.hpp) on a real etcd of `Members` members: one server per
// size for the whole test executable, emptied under /calico before each test. Shared by the
// store conformance suite and the allocator suite, so both run on the same fixture.
#pragma once

#include <gtest/gtest.h>

#include <memory>

#include "ipam-sync/datastore.hpp"
#include "ipam-sync/tests/etcd_server.hpp"
#include "ipam-sync/tests/store_conformance.hpp"

namespace podnet::store::testing {

template <int Members>
EtcdServer& shared_etcd() {
  static EtcdServer server(Members);
  return server;
}

template <int Members>
class EtcdBackendInstance : public BackendInstance {
 public:
  EtcdBackendInstance() {
    EtcdServer& etcd = shared_etcd<Members>();
    EXPECT_TRUE(etcd.ok()) << etcd.error();
    auto del = etcd.etcdctl({"del", "--prefix", "/calico/"});
    EXPECT_EQ(del.exit_code, 0) << del.output;
    auto s = open_datastore(etcd.spec());
    EXPECT_TRUE(s.ok()) << s.error().message;
    if (s.ok()) store_ = std::move(s.value());
  }
  Datastore& store() override { return *store_; }
  std::unique_ptr<Datastore> open_another() override {
    auto s = open_datastore(shared_etcd<Members>().spec());
    return s.ok() ? std::move(s.value()) : nullptr;
  }

  // A Backend entry for INSTANTIATE_TEST_SUITE_P.
  static Backend backend(const char* name) {
    return Backend{name,
                   [] { return std::unique_ptr<BackendInstance>(new EtcdBackendInstance()); }};
  }

 private:
  std::unique_ptr<Datastore> store_;
};

}  // namespace podnet::store::testing
