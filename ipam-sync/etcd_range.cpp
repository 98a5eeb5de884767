#include "ipam-sync/etcd_range.hpp"

#include <algorithm>

#include "ipam-sync/etcd_json.hpp"
#include "ipam-sync/etcd_keys.hpp"

namespace podnet::store::etcd {
namespace {

constexpr int kPage = 500;

struct Lister : std::enable_shared_from_this<Lister> {
  std::shared_ptr<Client> client;
  std::string prefix;
  std::string end;
  std::function<void(Result<ListResult>)> cb;
  ListResult out;
  int restarts = 0;

  void page(const std::string& from) {
    nlohmann::json body{
        {"key", base64_encode(from)}, {"range_end", base64_encode(end)}, {"limit", kPage}};
    if (out.revision > 0) body["revision"] = std::to_string(out.revision);
    auto self = shared_from_this();
    client->call("/v3/kv/range", std::move(body),
                 [self](Result<nlohmann::json> r) { self->on_page(std::move(r)); });
  }

  void on_page(Result<nlohmann::json> r) {
    if (!r.ok()) {
      if (r.error().message.find("compacted") != std::string::npos && restarts++ < 3) {
        out = {};
        return page(prefix);
      }
      return cb(r.error());
    }
    const auto& j = r.value();
    if (out.revision == 0)
      out.revision = int_field(j.value("header", nlohmann::json::object()), "revision");
    std::string last;
    if (j.contains("kvs") && j["kvs"].is_array()) {
      for (const auto& kv : j["kvs"]) {
        auto e = decode_kv(kv);
        if (!e) return cb(make_error(Errc::io, "etcd: undecodable key/value in range response"));
        last = e->key;
        out.entries.push_back(std::move(*e));
      }
    }
    if (j.value("more", false) && !last.empty()) return page(last + std::string(1, '\0'));
    cb(std::move(out));
  }
};

}  // namespace

void range_all(const std::shared_ptr<Client>& client, const std::string& etcd_prefix,
               std::function<void(Result<ListResult>)> cb) {
  auto l = std::make_shared<Lister>();
  l->client = client;
  l->prefix = etcd_prefix;
  l->end = prefix_range_end(etcd_prefix);
  l->cb = std::move(cb);
  l->page(etcd_prefix);
}

ListResult to_ours(ListResult raw, const std::string& prefix) {
  ListResult out;
  out.revision = raw.revision;
  for (auto& e : raw.entries) {
    auto key = from_etcd_key(e.key);
    if (!key || !key->starts_with(prefix)) continue;
    e.key = std::move(*key);
    out.entries.push_back(std::move(e));
  }
  std::sort(out.entries.begin(), out.entries.end(),
            [](const Entry& a, const Entry& b) { return a.key < b.key; });
  return out;
}

}  // namespace podnet::store::etcd
