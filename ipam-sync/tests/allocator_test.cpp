// The allocator suite on the directory store, in a temp dir per test: under /dev/shm when there
// is one, since the store fsyncs every write and thousands of racing allocations would measure
// the disk rather than the allocator.
#include "ipam-sync/directory_store.hpp"
#include "ipam-sync/tests/allocator_suite.hpp"
#include "ipam-sync/tests/test_support.hpp"

namespace podnet::ipam::testing {
namespace {

class DirectoryInstance : public store::testing::BackendInstance {
 public:
  DirectoryInstance() {
    char tmpl[] = "/dev/shm/podnet-ipam-test-XXXXXX";
    if (std::filesystem::is_directory("/dev/shm") && ::mkdtemp(tmpl))
      root_ = tmpl;
    else
      root_ = tmp_.path();
    root_ += "/store";
    auto s = store::open_datastore("dir:" + root_);
    EXPECT_TRUE(s.ok());
    if (s.ok()) store_ = std::move(s.value());
  }
  ~DirectoryInstance() override {
    std::error_code ec;
    if (root_.starts_with("/dev/shm/"))
      std::filesystem::remove_all(std::filesystem::path(root_).parent_path(), ec);
  }
  store::Datastore& store() override { return *store_; }
  std::unique_ptr<store::Datastore> open_another() override {
    auto s = store::open_datastore("dir:" + root_);
    return s.ok() ? std::move(s.value()) : nullptr;
  }

 private:
  store::testing::TempDir tmp_;
  std::string root_;
  std::unique_ptr<store::Datastore> store_;
};

INSTANTIATE_TEST_SUITE_P(
    Directory, AllocatorSuite,
    ::testing::Values(store::testing::Backend{
        "directory",
        [] { return std::unique_ptr<store::testing::BackendInstance>(new DirectoryInstance()); }}),
    store::testing::backend_name);

}  // namespace
}  // namespace podnet::ipam::testing
