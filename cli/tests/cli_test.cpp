// podnetctl's verbs run in-process against a real directory datastore in a temp dir.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli/cli.hpp"
#include "cli/tests/cli_fixture.hpp"
#include "ipam-sync/datastore.hpp"

namespace podnet::cli {
namespace {

namespace fs = std::filesystem;

class CliTest : public testing::CliFixture {
 protected:
  std::string file(const std::string& name, const std::string& content) {
    std::string p = dir_ + "/" + name;
    std::ofstream(p) << content;
    return p;
  }

  // Every file the store holds, with contents: "nothing changed" means this is equal.
  std::map<std::string, std::string> snapshot() {
    std::map<std::string, std::string> m;
    if (!fs::exists(dir_ + "/store")) return m;
    for (auto& e : fs::recursive_directory_iterator(dir_ + "/store")) {
      if (!e.is_regular_file()) continue;
      std::ifstream f(e.path());
      std::stringstream s;
      s << f.rdbuf();
      m[e.path().string()] = s.str();
    }
    return m;
  }
};

constexpr const char* kPool = R"(apiVersion: projectcalico.org/v3
kind: IPPool
metadata:
  name: pool-a
spec:
  cidr: 10.48.0.0/16
)";

TEST_F(CliTest, ApplyFillsDefaultsAndGetReturnsThem) {
  auto r = ctl({"apply", "-f", "-"}, kPool);
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("IPPool pool-a"), std::string::npos) << r.out;
  auto g = ctl({"get", "ippool", "pool-a", "-o", "yaml"});
  ASSERT_EQ(g.rc, 0) << g.err;
  EXPECT_NE(g.out.find("blockSize: 26"), std::string::npos) << g.out;
  EXPECT_NE(g.out.find("ipipMode: Never"), std::string::npos) << g.out;
  EXPECT_NE(g.out.find("vxlanMode: Never"), std::string::npos) << g.out;
  EXPECT_NE(g.out.find("resourceVersion:"), std::string::npos) << g.out;
  EXPECT_NE(g.out.find("uid:"), std::string::npos) << g.out;
  // Aliases calicoctl accepts name the same kind.
  for (const char* alias : {"ippools", "IPPool", "ippool"}) {
    auto t = ctl({"get", alias});
    EXPECT_EQ(t.rc, 0) << alias << t.err;
    EXPECT_NE(t.out.find("pool-a"), std::string::npos) << alias;
    EXPECT_NE(t.out.find("10.48.0.0/16"), std::string::npos) << alias;
  }
  auto j = ctl({"get", "ippools", "-o", "json"});
  ASSERT_EQ(j.rc, 0);
  EXPECT_NE(j.out.find("\"kind\": \"IPPoolList\""), std::string::npos) << j.out;
}

TEST_F(CliTest, GlobalFlagsBeforeOrAfterTheVerb) {
  ASSERT_EQ(ctl({"apply", "-f", file("p.yaml", kPool)}).rc, 0);
  std::vector<std::string> args = {"podnetctl", "--datastore", ds_, "get", "ippools"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  std::istringstream in;
  std::ostringstream out, err;
  EXPECT_EQ(run(static_cast<int>(argv.size()), argv.data(), Io{in, out, err}), 0) << err.str();
  EXPECT_NE(out.str().find("pool-a"), std::string::npos);
}

TEST_F(CliTest, BadDocumentIsRejectedAloneWithPositionAndOthersApply) {
  std::string text = std::string(kPool) + R"(---
apiVersion: projectcalico.org/v3
kind: IPPool
metadata:
  name: pool-bad
spec:
  cidr: 10.49.0.0/16
  blockSize: 40
---
apiVersion: projectcalico.org/v3
kind: BGPConfiguration
metadata:
  name: default
spec:
  asNumber: 64513
)";
  auto path = file("mixed.yaml", text);
  auto r = ctl({"apply", "-f", path});
  EXPECT_EQ(r.rc, 2);
  // The error cites file:line:col of the bad field (line 14, the value of blockSize) and names it.
  EXPECT_NE(r.err.find(path + ":14:14:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("blockSize"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("pool-bad"), std::string::npos) << r.err;
  EXPECT_EQ(ctl({"get", "ippool", "pool-a"}).rc, 0);
  EXPECT_EQ(ctl({"get", "ippool", "pool-bad"}).rc, 1);
  auto bgp = ctl({"get", "bgpconfiguration", "default", "-o", "yaml"});
  ASSERT_EQ(bgp.rc, 0);
  EXPECT_NE(bgp.out.find("asNumber: 64513"), std::string::npos) << bgp.out;
  EXPECT_NE(bgp.out.find("nodeToNodeMeshEnabled: true"), std::string::npos) << bgp.out;
}

TEST_F(CliTest, BadManifestChangesNothing) {
  ASSERT_EQ(ctl({"apply", "-f", "-"}, kPool).rc, 0);
  auto before = snapshot();
  for (const char* bad : {
           "apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: pool-a\nspec:\n"
           "  cidr: 10.48.0.0/99\n",
           "apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: pool-a\nspec:\n"
           "  cidr: 10.48.0.0/16\n  colour: blue\n",
           "apiVersion: projectcalico.org/v3\nkind: NoSuchKind\nmetadata:\n  name: x\n",
           "this: [is not\n  yaml",
       }) {
    auto r = ctl({"apply", "-f", "-"}, bad);
    EXPECT_EQ(r.rc, 2) << bad;
    EXPECT_NE(r.err.find("<stdin>:"), std::string::npos) << r.err;
    EXPECT_EQ(snapshot(), before) << bad;
  }
  auto patch = ctl({"patch", "ippool", "pool-a", "-p", R"({"spec":{"blockSize":99}})"});
  EXPECT_EQ(patch.rc, 2) << patch.err;
  EXPECT_NE(patch.err.find("blockSize"), std::string::npos) << patch.err;
  EXPECT_EQ(ctl({"patch", "ippool", "pool-a", "-p", "{not json"}).rc, 2);
  EXPECT_EQ(snapshot(), before);
}

TEST_F(CliTest, SeedWireguardPatchWorksVerbatim) {
  ASSERT_EQ(ctl({"apply", "-f", "-"},
                "apiVersion: projectcalico.org/v3\nkind: FelixConfiguration\nmetadata:\n"
                "  name: default\nspec: {}\n")
                .rc,
            0);
  // calicoctl patch felixconfiguration default --type='merge' -p
  // '{"spec":{"wireguardEnabled":true}}'
  auto r = ctl({"patch", "felixconfiguration", "default", "--type=merge", "-p",
                R"({"spec":{"wireguardEnabled":true}})"});
  ASSERT_EQ(r.rc, 0) << r.err;
  auto g = ctl({"get", "felixconfiguration", "default", "-o", "yaml"});
  EXPECT_NE(g.out.find("wireguardEnabled: true"), std::string::npos) << g.out;
  ASSERT_EQ(ctl({"patch", "felixconfiguration", "default", "--type=merge", "-p",
                 R"({"spec":{"wireguardEnabled":false}})"})
                .rc,
            0);
  g = ctl({"get", "felixconfiguration", "default", "-o", "yaml"});
  EXPECT_NE(g.out.find("wireguardEnabled: false"), std::string::npos) << g.out;
  // JSON patch (RFC 6902) too.
  ASSERT_EQ(ctl({"patch", "felixconfiguration", "default", "--type", "json", "-p",
                 R"([{"op":"add","path":"/spec/wireguardMTU","value":1400}])"})
                .rc,
            0);
  g = ctl({"get", "felixconfiguration", "default", "-o", "json"});
  EXPECT_NE(g.out.find("\"wireguardMTU\": 1400"), std::string::npos) << g.out;
}

TEST_F(CliTest, CreateReplaceDeleteAndExitCodes) {
  auto path = file("p.yaml", kPool);
  EXPECT_EQ(ctl({"replace", "-f", path}).rc, 1);  // does not exist yet
  EXPECT_EQ(ctl({"create", "-f", path}).rc, 0);
  EXPECT_EQ(ctl({"create", "-f", path}).rc, 1);  // exists now
  EXPECT_EQ(ctl({"replace", "-f", path}).rc, 0);
  // A stale resourceVersion is a conflict.
  std::string stale = std::string(kPool);
  stale.replace(stale.find("  name: pool-a"), 14, "  name: pool-a\n  resourceVersion: \"1\"");
  auto c = ctl({"replace", "-f", "-"}, stale);
  EXPECT_EQ(c.rc, 1) << c.err;
  EXPECT_EQ(ctl({"get", "nosuchkind"}).rc, 2);
  EXPECT_EQ(ctl({"get", "ippool", "missing"}).rc, 1);
  EXPECT_EQ(ctl({"delete", "ippool", "pool-a"}).rc, 0);
  EXPECT_EQ(ctl({"delete", "ippool", "pool-a"}).rc, 1);
  EXPECT_EQ(ctl({"delete", "ippool", "pool-a", "--ignore-not-found"}).rc, 0);
  ASSERT_EQ(ctl({"apply", "-f", path}).rc, 0);
  EXPECT_EQ(ctl({"delete", "-f", path}).rc, 0);
  EXPECT_EQ(ctl({"get", "ippool", "pool-a"}).rc, 1);
}

TEST_F(CliTest, NamespacesAndLabel) {
  std::string sa = R"(apiVersion: v1
kind: ServiceAccount
metadata:
  name: customer
  namespace: yaobank
)";
  ASSERT_EQ(ctl({"apply", "-f", "-"}, sa).rc, 0);
  EXPECT_EQ(ctl({"get", "serviceaccount", "customer"}).rc, 1);  // namespace default
  EXPECT_EQ(ctl({"get", "serviceaccount", "customer", "-n", "yaobank"}).rc, 0);
  auto all = ctl({"get", "serviceaccounts", "-A"});
  EXPECT_NE(all.out.find("NAMESPACE"), std::string::npos);
  EXPECT_NE(all.out.find("yaobank"), std::string::npos);
  // kubectl label serviceaccount -n yaobank customer internet-egress=allowed
  auto l = ctl({"label", "serviceaccount", "-n", "yaobank", "customer", "internet-egress=allowed"});
  ASSERT_EQ(l.rc, 0) << l.err;
  auto g = ctl({"get", "sa", "customer", "-n", "yaobank", "-o", "yaml"});
  EXPECT_NE(g.out.find("internet-egress: allowed"), std::string::npos) << g.out;
  EXPECT_EQ(ctl({"label", "sa", "customer", "-n", "yaobank", "internet-egress=denied"}).rc, 1);
  EXPECT_EQ(
      ctl({"label", "sa", "customer", "-n", "yaobank", "internet-egress=denied", "--overwrite"}).rc,
      0);
  EXPECT_EQ(ctl({"label", "sa", "customer", "-n", "yaobank", "internet-egress-"}).rc, 0);
  g = ctl({"get", "sa", "customer", "-n", "yaobank", "-o", "yaml"});
  EXPECT_EQ(g.out.find("internet-egress"), std::string::npos) << g.out;
  EXPECT_EQ(ctl({"label", "sa", "customer", "-n", "yaobank", "bad key=x"}).rc, 2);
}

// Every manifest of the seed (committed by conf's tests) applies and reads back.
TEST_F(CliTest, EverySeedManifestApplies) {
  const char* src = std::getenv("PODNET_SOURCE_DIR");
  ASSERT_NE(src, nullptr);
  fs::path seed = fs::path(src) / "conf/tests/data/seed";
  ASSERT_TRUE(fs::is_directory(seed)) << seed;
  std::vector<fs::path> files;
  for (auto& e : fs::directory_iterator(seed))
    if (e.path().extension() == ".yaml") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  ASSERT_GE(files.size(), 10u);
  for (const auto& f : files) {
    auto r = ctl({"apply", "-f", f.string()});
    EXPECT_EQ(r.rc, 0) << f << "\n" << r.err;
    // Read every applied resource back as YAML.
    std::istringstream lines(r.out);
    std::string line;
    while (std::getline(lines, line)) {
      if (line.rfind("applied: ", 0) != 0) continue;
      std::istringstream w(line.substr(9));
      std::string kind, name;
      w >> kind >> name;
      std::vector<std::string> args = {"get", kind};
      if (auto slash = name.find('/'); slash != std::string::npos) {
        args.insert(args.end(), {name.substr(slash + 1), "-n", name.substr(0, slash)});
      } else {
        args.push_back(name);
      }
      args.insert(args.end(), {"-o", "yaml"});
      auto g = ctl(args);
      EXPECT_EQ(g.rc, 0) << line << g.err;
      EXPECT_NE(g.out.find("kind: " + kind.substr(0, kind.find('.'))), std::string::npos) << g.out;
    }
  }
}

}  // namespace
}  // namespace podnet::cli
