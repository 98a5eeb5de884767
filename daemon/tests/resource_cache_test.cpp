// The daemon's datastore cache: snapshot, changes, deletes, and a bad stored value that must not
// make the last good version disappear. Status and metrics are rendered from it.
#include <gtest/gtest.h>

#include "daemon/resource_cache.hpp"
#include "daemon/status.hpp"

namespace podnet::daemon {
namespace {

store::WatchEvent put(const std::string& key, const std::string& value, int64_t rev) {
  return {store::WatchEvent::Type::put, {key, value, rev, rev}};
}
store::WatchEvent del(const std::string& key, int64_t rev) {
  return {store::WatchEvent::Type::del, {key, "", rev, 0}};
}

std::string pool(const std::string& name, const std::string& cidr) {
  return "apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: " + name +
         "\nspec:\n  cidr: " + cidr + "\n";
}

TEST(ResourceCache, SnapshotThenChanges) {
  ResourceCache c;
  EXPECT_FALSE(c.synced());
  auto changed = c.apply({put("ippools/a", pool("a", "10.1.0.0/16"), 3),
                          put("ippools/b", pool("b", "10.2.0.0/16"), 5)},
                         true);
  EXPECT_TRUE(c.synced());
  EXPECT_EQ(changed.size(), 2u);
  EXPECT_EQ(c.revision(), 5);
  ASSERT_EQ(c.resources().size(), 2u);
  EXPECT_EQ(c.resources().at("ippools/a").doc["spec"]["blockSize"], 26);

  c.apply({del("ippools/b", 6)}, false);
  EXPECT_EQ(c.resources().size(), 1u);
  EXPECT_EQ(c.revision(), 6);

  // A value that does not decode is refused; the last good version stays.
  c.apply({put("ippools/a", pool("a", "not-a-cidr"), 7)}, false);
  ASSERT_EQ(c.resources().count("ippools/a"), 1u);
  EXPECT_EQ(c.resources().at("ippools/a").doc["spec"]["cidr"], "10.1.0.0/16");
  ASSERT_EQ(c.rejected().size(), 1u);
  EXPECT_NE(c.rejected().at("ippools/a").error.find("cidr"), std::string::npos);

  // Fixed: accepted again, no longer rejected.
  c.apply({put("ippools/a", pool("a", "10.9.0.0/16"), 8)}, false);
  EXPECT_TRUE(c.rejected().empty());
  EXPECT_EQ(c.resources().at("ippools/a").doc["spec"]["cidr"], "10.9.0.0/16");

  // A document stored under another resource's key is refused.
  c.apply({put("ippools/c", pool("d", "10.3.0.0/16"), 9)}, false);
  EXPECT_EQ(c.resources().count("ippools/c"), 0u);
  EXPECT_EQ(c.rejected().count("ippools/c"), 1u);

  // A new snapshot drops what it does not hold.
  c.apply({put("ippools/b", pool("b", "10.2.0.0/16"), 10)}, true);
  EXPECT_EQ(c.resources().size(), 1u);
  EXPECT_EQ(c.resources().count("ippools/b"), 1u);
  EXPECT_TRUE(c.rejected().empty());
}

TEST(Status, JsonAndMetricsReflectTheCache) {
  ResourceCache c;
  c.apply({put("ippools/a", pool("a", "10.1.0.0/16"), 4),
           put("ippools/b", pool("b", "10.2.0.0/16"), 7)},
          true);
  StatusSnapshot s;
  s.node_name = "node\"1";
  s.datastore = "dir:/tmp/x";
  s.cache = &c;
  auto j = status_json(s);
  EXPECT_EQ(j["datastore"]["revision"], 7);
  EXPECT_EQ(j["datastore"]["synced"], true);
  ASSERT_EQ(j["resources"].size(), 1u);
  EXPECT_EQ(j["resources"][0]["kind"], "IPPool");
  EXPECT_EQ(j["resources"][0]["count"], 2);
  auto m = metrics_text(s);
  EXPECT_NE(m.find("podnet_datastore_revision 7\n"), std::string::npos) << m;
  EXPECT_NE(m.find("podnet_resources{kind=\"IPPool\",api_version=\"projectcalico.org/v3\"} 2\n"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("node=\"node\\\"1\""), std::string::npos) << m;  // label values escaped
  EXPECT_NE(m.find("# TYPE podnet_datastore_events_total counter"), std::string::npos);
}

}  // namespace
}  // namespace podnet::daemon
