#include "ipam-sync/etcd_store.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "ipam-sync/etcd_json.hpp"
#include "ipam-sync/etcd_keys.hpp"
#include "ipam-sync/etcd_range.hpp"
#include "ipam-sync/etcd_watch.hpp"
#include "ipam-sync/store_key.hpp"

namespace podnet::store {

using nlohmann::json;
namespace etcd_ns = podnet::store::etcd;

Result<std::unique_ptr<EtcdStore>> EtcdStore::open(const std::string& spec) {
  auto opts = etcd_ns::parse_options(spec);
  if (!opts.ok()) return opts.error();
  auto tls = etcd_ns::make_tls_context(opts.value());
  if (!tls.ok()) return tls.error();
  return std::unique_ptr<EtcdStore>(new EtcdStore(std::move(opts.value()), tls.value()));
}

EtcdStore::EtcdStore(etcd_ns::Options opts, std::shared_ptr<boost::asio::ssl::context> tls)
    : opts_(std::move(opts)),
      tls_(std::move(tls)),
      health_(std::make_shared<etcd_ns::Health>()),
      client_(std::make_shared<etcd_ns::Client>(io_, opts_, tls_, health_)) {}

EtcdStore::~EtcdStore() {
  client_->stop();
  // Run what the close queued so no handler outlives io_.
  io_.restart();
  io_.poll();
}

std::string EtcdStore::describe() const {
  return opts_.describe();
}

std::optional<std::string> EtcdStore::unavailable_reason() const {
  return health_->reason();
}

Result<json> EtcdStore::call(const std::string& path, json body) {
  std::lock_guard l(m_);
  std::optional<Result<json>> out;
  client_->call(path, std::move(body), [&](Result<json> r) { out = std::move(r); });
  io_.restart();
  io_.run();
  if (!out) return make_error(Errc::internal, "etcd: call did not complete");
  return std::move(*out);
}

namespace {

json get_request(const std::string& etcd_key) {
  return {{"key", etcd_ns::base64_encode(etcd_key)}};
}

// The first kv of a range response, if any.
std::optional<Entry> first_kv(const json& range_response) {
  if (!range_response.contains("kvs") || !range_response["kvs"].is_array() ||
      range_response["kvs"].empty())
    return std::nullopt;
  return etcd_ns::decode_kv(range_response["kvs"][0]);
}

int64_t header_revision(const json& j) {
  return etcd_ns::int_field(j.value("header", json::object()), "revision");
}

}  // namespace

Result<std::string> EtcdStore::existing_key(const std::string& key) {
  auto ek = etcd_ns::to_etcd_key(key);
  if (ek.ok()) return ek;
  auto candidates = etcd_ns::affinity_candidates(key);
  if (candidates.size() < 2) return ek.error();
  for (const auto& c : candidates) {
    auto r = call("/v3/kv/range", get_request(c));
    if (!r.ok()) return r.error();
    if (first_kv(r.value())) return c;
  }
  return make_error(Errc::not_found, fmt::format("{} not found", key));
}

Result<std::string> EtcdStore::write_key(const std::string& key, const std::string& value) {
  auto ek = etcd_ns::to_etcd_key(key);
  if (ek.ok() || etcd_ns::affinity_candidates(key).size() < 2) return ek;
  // An IPv6 affinity name has several readings: the resource says which node and block.
  std::string node, cidr;
  try {
    YAML::Node doc = YAML::Load(value);
    node = doc["spec"]["node"].as<std::string>("");
    cidr = doc["spec"]["cidr"].as<std::string>("");
  } catch (const std::exception&) {
  }
  auto from_value = etcd_ns::affinity_etcd_key(node, cidr);
  if (!from_value.ok() || etcd_ns::from_etcd_key(from_value.value()) != key) {
    return make_error(Errc::invalid,
                      fmt::format("datastore key \"{}\": ambiguous IPv6 block affinity name, and "
                                  "the value's spec.node/spec.cidr do not settle it",
                                  key));
  }
  return from_value;
}

Result<Entry> EtcdStore::get(const std::string& key) {
  auto ek = existing_key(key);
  if (!ek.ok()) return ek.error();
  auto r = call("/v3/kv/range", get_request(ek.value()));
  if (!r.ok()) return r.error();
  auto e = first_kv(r.value());
  if (!e) return make_error(Errc::not_found, fmt::format("{} not found", key));
  e->key = key;
  return std::move(*e);
}

Result<ListResult> EtcdStore::list(const std::string& prefix) {
  std::lock_guard l(m_);
  std::optional<Result<ListResult>> out;
  etcd_ns::range_all(client_, etcd_ns::etcd_prefix_for(prefix),
                     [&](Result<ListResult> r) { out = std::move(r); });
  io_.restart();
  io_.run();
  if (!out) return make_error(Errc::internal, "etcd: list did not complete");
  if (!out->ok()) return out->error();
  return etcd_ns::to_ours(std::move(out->value()), prefix);
}

Result<int64_t> EtcdStore::create(const std::string& key, const std::string& value) {
  auto ek = write_key(key, value);
  if (!ek.ok()) return ek.error();
  std::string k64 = etcd_ns::base64_encode(ek.value());
  json txn{
      {"compare",
       {{{"key", k64}, {"target", "CREATE"}, {"result", "EQUAL"}, {"create_revision", "0"}}}},
      {"success", {{{"request_put", {{"key", k64}, {"value", etcd_ns::base64_encode(value)}}}}}}};
  auto r = call("/v3/kv/txn", std::move(txn));
  if (!r.ok()) return r.error();
  if (!r->value("succeeded", false))
    return make_error(Errc::already_exists, fmt::format("{} already exists", key));
  return header_revision(r.value());
}

Result<int64_t> EtcdStore::conditional(const std::string& key, const std::string& etcd_key,
                                       int64_t expected_revision, json op) {
  std::string k64 = etcd_ns::base64_encode(etcd_key);
  json compare = expected_revision == 0 ? json{{"key", k64},
                                               {"target", "CREATE"},
                                               {"result", "GREATER"},
                                               {"create_revision", "0"}}
                                        : json{{"key", k64},
                                               {"target", "MOD"},
                                               {"result", "EQUAL"},
                                               {"mod_revision", std::to_string(expected_revision)}};
  json txn{{"compare", json::array({compare})},
           {"success", json::array({op})},
           {"failure", json::array({{{"request_range", {{"key", k64}}}}})}};
  auto r = call("/v3/kv/txn", std::move(txn));
  if (!r.ok()) return r.error();
  if (r->value("succeeded", false)) return header_revision(r.value());
  // Lost the compare: missing, or changed since expected_revision.
  std::optional<Entry> cur;
  const json& res = r.value();
  if (res.contains("responses") && res["responses"].is_array() && !res["responses"].empty())
    cur = first_kv(res["responses"][0].value("response_range", json::object()));
  if (!cur) return make_error(Errc::not_found, fmt::format("{} not found", key));
  return make_error(Errc::conflict, fmt::format("{}: resourceVersion {} is stale (current {})", key,
                                                expected_revision, cur->mod_revision));
}

Result<int64_t> EtcdStore::update(const std::string& key, const std::string& value,
                                  int64_t expected_revision) {
  auto ek = write_key(key, value);
  if (!ek.ok()) return ek.error();
  json put{
      {"request_put",
       {{"key", etcd_ns::base64_encode(ek.value())}, {"value", etcd_ns::base64_encode(value)}}}};
  return conditional(key, ek.value(), expected_revision, std::move(put));
}

Result<int64_t> EtcdStore::remove(const std::string& key, int64_t expected_revision) {
  auto ek = existing_key(key);
  if (!ek.ok()) return ek.error();
  json del{{"request_delete_range", {{"key", etcd_ns::base64_encode(ek.value())}}}};
  return conditional(key, ek.value(), expected_revision, std::move(del));
}

Result<int64_t> EtcdStore::revision() {
  json body{{"key", etcd_ns::base64_encode(etcd_ns::kRoot)}, {"count_only", true}};
  auto r = call("/v3/kv/range", std::move(body));
  if (!r.ok()) return r.error();
  return header_revision(r.value());
}

Result<std::unique_ptr<Datastore::Watch>> EtcdStore::watch(boost::asio::io_context& io,
                                                           const std::string& prefix,
                                                           WatchCallback cb) {
  return etcd_ns::start_watch(io, opts_, tls_, health_, prefix, std::move(cb));
}

}  // namespace podnet::store
