// podnetctl against a real etcd through open_datastore: apply, get, a stale replace, delete;
// what it writes sits at Calico's etcd path.
#include <gtest/gtest.h>

#include "ipam-sync/tests/etcd_server.hpp"

namespace podnet::store::testing {
namespace {

EtcdCommandResult podnetctl(const std::string& spec, std::vector<std::string> args,
                            const std::string& stdin_file = "") {
  std::vector<std::string> argv{PODNETCTL, "--datastore", spec};
  argv.insert(argv.end(), args.begin(), args.end());
  if (stdin_file.empty()) return etcd_detail::run(argv, std::chrono::seconds(30));
  std::string cmd;
  for (auto& a : argv) cmd += "'" + a + "' ";
  return etcd_detail::run({"/bin/sh", "-c", cmd + "< '" + stdin_file + "'"},
                          std::chrono::seconds(30));
}

void write_file(const std::string& path, const char* text) {
  std::FILE* f = std::fopen(path.c_str(), "w");
  ASSERT_TRUE(f) << path;
  std::fputs(text, f);
  std::fclose(f);
}

TEST(EtcdPodnetctl, ApplyGetReplaceDelete) {
  EtcdServer etcd;
  ASSERT_TRUE(etcd.ok()) << etcd.error();
  std::string file = etcd.dir() + "/pool.yaml";
  write_file(file, R"(apiVersion: projectcalico.org/v3
kind: IPPool
metadata:
  name: pool-a
spec:
  cidr: 10.244.0.0/16
  blockSize: 26
  ipipMode: Never
  natOutgoing: true
)");
  auto apply = podnetctl(etcd.spec(), {"apply", "-f", file});
  ASSERT_EQ(apply.exit_code, 0) << apply.output;

  auto get = podnetctl(etcd.spec(), {"get", "ippool", "pool-a", "-o", "yaml"});
  ASSERT_EQ(get.exit_code, 0) << get.output;
  EXPECT_NE(get.output.find("cidr: 10.244.0.0/16"), std::string::npos) << get.output;
  EXPECT_NE(get.output.find("resourceVersion:"), std::string::npos) << get.output;

  auto stored = etcd.etcdctl(
      {"get", "--print-value-only", "/calico/resources/v3/projectcalico.org/ippools/pool-a"});
  ASSERT_EQ(stored.exit_code, 0);
  EXPECT_NE(stored.output.find("cidr: 10.244.0.0/16"), std::string::npos) << stored.output;

  // The listing shows it; a replace with a stale resourceVersion is a conflict (exit 1).
  auto list = podnetctl(etcd.spec(), {"get", "ippools"});
  ASSERT_EQ(list.exit_code, 0) << list.output;
  EXPECT_NE(list.output.find("pool-a"), std::string::npos) << list.output;
  std::string stale = etcd.dir() + "/stale.yaml";
  write_file(stale, R"(apiVersion: projectcalico.org/v3
kind: IPPool
metadata:
  name: pool-a
  resourceVersion: "1"
spec:
  cidr: 10.245.0.0/16
)");
  auto replace = podnetctl(etcd.spec(), {"replace", "-f", stale});
  EXPECT_EQ(replace.exit_code, 1) << replace.output;

  auto del = podnetctl(etcd.spec(), {"delete", "ippool", "pool-a"});
  ASSERT_EQ(del.exit_code, 0) << del.output;
  auto gone = etcd.etcdctl({"get", "--prefix", "/calico/", "--keys-only"});
  EXPECT_EQ(gone.output, "");

  // etcd unreachable: podnetctl says so and fails.
  etcd.stop_member(0);
  auto down = podnetctl(etcd.spec() + "?timeout=1", {"get", "ippools"});
  EXPECT_NE(down.exit_code, 0);
  EXPECT_NE(down.output.find("unavailable"), std::string::npos) << down.output;
}

}  // namespace
}  // namespace podnet::store::testing
