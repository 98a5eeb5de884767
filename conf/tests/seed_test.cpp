// The seed's manifests (/work/shared/seed/calico-in-kubernetes.md), committed under
// tests/data/seed: every one is accepted and comes back with defaults; and the committed copies
// cannot drift from the markdown.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "conf/resource.hpp"

namespace podnet::conf {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

fs::path source_dir() {
  const char* s = std::getenv("PODNET_SOURCE_DIR");
  return s ? fs::path(s) : fs::path(".");
}

std::string read(const fs::path& p) {
  std::ifstream f(p);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::map<std::string, std::string> committed() {
  std::map<std::string, std::string> files;
  for (const auto& e : fs::directory_iterator(source_dir() / "conf/tests/data/seed"))
    if (e.path().extension() == ".yaml") files[e.path().filename().string()] = read(e.path());
  return files;
}

std::map<std::string, std::vector<Resource>> parse_all() {
  std::map<std::string, std::vector<Resource>> out;
  for (const auto& [name, text] : committed()) {
    auto docs = parse_documents(text, name);
    for (const auto& d : docs) {
      for (const auto& e : d.errors) ADD_FAILURE() << e.str();
      for (const auto& r : d.resources) out[name].push_back(r);
    }
  }
  return out;
}

const Resource& find(const std::map<std::string, std::vector<Resource>>& all,
                     const std::string& key) {
  for (const auto& [file, rs] : all)
    for (const auto& r : rs)
      if (r.key() == key) return r;
  static Resource none;
  ADD_FAILURE() << "no resource " << key;
  return none;
}

TEST(Seed, EveryManifestIsAcceptedAndRoundTrips) {
  auto all = parse_all();
  ASSERT_EQ(all.size(), 16u);
  size_t n = 0;
  for (const auto& [file, rs] : all) {
    EXPECT_FALSE(rs.empty()) << file;
    for (const auto& r : rs) {
      ++n;
      auto back = decode_stored(to_yaml(r), 3);
      ASSERT_TRUE(back.ok()) << file << ": " << back.error().message;
      Json want = r.doc;
      want["metadata"]["resourceVersion"] = "3";
      Json got = back->doc;
      EXPECT_EQ(nlohmann::json(got), nlohmann::json(want)) << file;
    }
  }
  EXPECT_EQ(
      n,
      18u);  // two files hold two resources: the customer/summary pair, the Installation + its pool
}

TEST(Seed, DefaultsAppear) {
  auto all = parse_all();
  // The Installation's pool, as the operator creates it.
  const Resource& pool = find(all, "ippools/default-ipv4-ippool");
  EXPECT_EQ(pool.doc["spec"]["cidr"], "198.19.16.0/21");
  EXPECT_EQ(pool.doc["spec"]["blockSize"], 26);
  EXPECT_EQ(pool.doc["spec"]["ipipMode"], "Never");
  EXPECT_EQ(pool.doc["spec"]["vxlanMode"], "Never");
  EXPECT_EQ(pool.doc["spec"]["natOutgoing"], true);
  EXPECT_EQ(pool.doc["spec"]["nodeSelector"], "all()");
  const Resource& inst = find(all, "installations/default");
  EXPECT_EQ(inst.doc["spec"]["calicoNetwork"]["containerIPForwarding"], "Enabled");
  EXPECT_EQ(inst.doc["spec"]["calicoNetwork"]["ipPools"][0]["blockSize"], 26);

  // Kubernetes policies: namespace and policyTypes defaults, port protocol kept.
  const Resource& deny = find(all, "kubernetesnetworkpolicies/default/default-deny-ingress");
  EXPECT_EQ(deny.doc["spec"]["policyTypes"], Json::array({"Ingress"}));
  const Resource& db = find(all, "kubernetesnetworkpolicies/yaobank/database-policy");
  EXPECT_EQ(db.doc["spec"]["policyTypes"], Json::array({"Ingress", "Egress"}));
  EXPECT_EQ(db.doc["spec"]["ingress"][0]["ports"][0]["port"], 2379);
  EXPECT_EQ(db.doc["apiVersion"], "networking.k8s.io/v1");
  const Resource& summary = find(all, "kubernetesnetworkpolicies/yaobank/summary-policy");
  EXPECT_EQ(summary.doc["spec"]["egress"][0]["to"][0]["podSelector"]["matchLabels"]["app"],
            "database");

  // Calico policies: types and tier.
  const Resource& node_policy = find(all, "globalnetworkpolicies/default-node-policy");
  EXPECT_EQ(node_policy.doc["spec"]["types"], Json::array({"Ingress"}));
  EXPECT_EQ(node_policy.doc["spec"]["tier"], "default");
  EXPECT_EQ(node_policy.doc["metadata"]["labels"]["projectcalico.org/tier"], "default");
  const Resource& lockdown = find(all, "globalnetworkpolicies/egress-lockdown");
  EXPECT_EQ(lockdown.doc["spec"]["order"], 600);
  EXPECT_EQ(lockdown.doc["spec"]["egress"][0]["destination"]["notNets"].size(), 4u);
  const Resource& nodeport = find(all, "globalnetworkpolicies/nodeport-policy");
  EXPECT_EQ(nodeport.doc["spec"]["preDNAT"], true);
  EXPECT_EQ(nodeport.doc["spec"]["types"], Json::array({"Ingress"}));

  // calicoctl's own output reads back as written.
  const Resource& node = find(all, "nodes/node1");
  EXPECT_EQ(node.doc["spec"]["bgp"]["ipv4Address"], "198.19.0.2/20");
  EXPECT_EQ(node.doc["status"]["podCIDRs"][0], "198.19.17.0/24");
  EXPECT_EQ(node.doc["metadata"]["labels"]["k3s.io/internal-ip"], "198.19.0.2");
}

// Fenced blocks of the markdown that hold a manifest, with the shell around them removed, as
// they were extracted into tests/data/seed.
std::vector<std::string> manifests_in(const std::string& md) {
  std::vector<std::string> out;
  std::istringstream in(md);
  std::string line;
  std::optional<std::vector<std::string>> block;
  static const std::regex open_fence("```[a-z]*");
  static const std::regex manifest_line("\\s*(apiVersion|kind):.*");
  static const std::regex shell_line("\\s*(cat <<|EOF\\s*$|# calicoctl|calicoctl |kubectl ).*");
  while (std::getline(in, line)) {
    std::string t = line;
    t.erase(0, t.find_first_not_of(" \t"));
    while (!t.empty() && (t.back() == ' ' || t.back() == '\r')) t.pop_back();
    if (t.rfind("```", 0) == 0) {
      if (!block) {
        if (std::regex_match(t, open_fence)) block.emplace();
        continue;
      }
      bool manifest = std::any_of(block->begin(), block->end(), [](const std::string& l) {
        return std::regex_match(l, manifest_line);
      });
      if (manifest) {
        std::vector<std::string> keep;
        for (auto l : *block) {
          if (std::regex_match(l, shell_line)) continue;
          while (!l.empty() && (l.back() == ' ' || l.back() == '\r' || l.back() == '\t'))
            l.pop_back();
          keep.push_back(l);
        }
        while (!keep.empty() && keep.front().empty()) keep.erase(keep.begin());
        while (!keep.empty() && keep.back().empty()) keep.pop_back();
        std::string text;
        for (const auto& l : keep) text += l + "\n";
        out.push_back(text);
      }
      block.reset();
      continue;
    }
    if (block) block->push_back(line);
  }
  return out;
}

TEST(Seed, CommittedCopiesMatchTheMarkdown) {
  fs::path md = source_dir() / "../shared/seed/calico-in-kubernetes.md";
  ASSERT_TRUE(fs::exists(md)) << md;
  auto blocks = manifests_in(read(md));
  auto files = committed();
  EXPECT_EQ(blocks.size(), files.size());
  for (size_t i = 0; i < blocks.size(); ++i) {
    bool found = std::any_of(files.begin(), files.end(),
                             [&](const auto& f) { return f.second == blocks[i]; });
    EXPECT_TRUE(found) << "manifest " << i + 1 << " of the seed is not in conf/tests/data/seed:\n"
                       << blocks[i];
  }
}

}  // namespace
}  // namespace podnet::conf
