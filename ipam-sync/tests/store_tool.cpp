// store_tool: a separate process that hammers a directory store, for the multi-process tests.
//
//   store_tool put   ROOT KEY VALUE        create or unconditionally update KEY
//   store_tool rm    ROOT KEY              remove KEY
//   store_tool incr  ROOT KEY N            N times: get "count: X", CAS-update to X+1, retry on
//                                          conflict (the lost-update test)
//   store_tool churn ROOT PREFIX KEYS SIZE forever: write self-checking values of SIZE bytes
//                                          to PREFIX/blob-0..KEYS-1 (the SIGKILL test)
//
// Exit 0 on success; 1 with a message on stderr otherwise.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "ipam-sync/datastore.hpp"
#include "ipam-sync/tests/blob_value.hpp"

namespace {

using podnet::Errc;
using podnet::store::Datastore;

int fail(const std::string& what, const podnet::Error& e) {
  std::fprintf(stderr, "store_tool: %s: %s: %s\n", what.c_str(), podnet::errc_name(e.code),
               e.message.c_str());
  return 1;
}

podnet::Result<int64_t> put(Datastore& s, const std::string& key, const std::string& value) {
  auto r = s.update(key, value, 0);
  if (!r.ok() && r.error().code == Errc::not_found) return s.create(key, value);
  return r;
}

int incr(Datastore& s, const std::string& key, long n) {
  for (long i = 0; i < n; ++i) {
    while (true) {
      auto cur = s.get(key);
      if (!cur.ok()) return fail("get " + key, cur.error());
      const std::string& v = cur->value;
      if (!v.starts_with("count: ")) {
        std::fprintf(stderr, "store_tool: %s: unexpected value '%s'\n", key.c_str(), v.c_str());
        return 1;
      }
      long x = std::strtol(v.c_str() + 7, nullptr, 10);
      auto r = s.update(key, "count: " + std::to_string(x + 1) + "\n", cur->mod_revision);
      if (r.ok()) break;
      if (r.error().code != Errc::conflict) return fail("update " + key, r.error());
    }
  }
  return 0;
}

int churn(Datastore& s, const std::string& prefix, int keys, size_t size) {
  for (uint64_t seq = 1;; ++seq) {
    for (int k = 0; k < keys; ++k) {
      std::string key = prefix + "/blob-" + std::to_string(k);
      auto r = put(s, key, podnet::store::testing::make_blob_value(seq * 16 + k, size));
      if (!r.ok()) return fail("put " + key, r.error());
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: store_tool put|rm|incr|churn ROOT ...\n");
    return 2;
  }
  std::string cmd = argv[1];
  auto store = podnet::store::open_datastore(std::string("dir:") + argv[2]);
  if (!store.ok()) return fail("open", store.error());
  Datastore& s = *store.value();
  if (cmd == "put" && argc == 5) {
    auto r = put(s, argv[3], argv[4]);
    return r.ok() ? 0 : fail("put", r.error());
  }
  if (cmd == "rm" && argc == 4) {
    auto r = s.remove(argv[3], 0);
    return r.ok() ? 0 : fail("rm", r.error());
  }
  if (cmd == "incr" && argc == 5) return incr(s, argv[3], std::strtol(argv[4], nullptr, 10));
  if (cmd == "churn" && argc == 6) {
    return churn(s, argv[3], std::atoi(argv[4]), std::strtoul(argv[5], nullptr, 10));
  }
  std::fprintf(stderr, "store_tool: bad arguments\n");
  return 2;
}
