// BGP codec throughput: NLRI per second decoded and encoded, for UPDATEs full of /26 (IPAM
// blocks) and /32 (borrowed addresses) prefixes, IPv6 /122 via MP_REACH_NLRI, and the
// withdrawal path. Counters: items_per_second = NLRI/s, bytes_per_second = wire bytes/s.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

#include "bgp/codec.hpp"

namespace {

using namespace podnet;
using namespace podnet::bgp;

rib::PathAttributes attrs() {
  rib::PathAttributes a;
  a.origin = rib::Origin::igp;
  a.as_path = rib::AsPath{{{rib::AsSegmentType::as_sequence, {64512, 4200000000u}}}};
  a.next_hop = rib::Address::parse("192.0.2.10").value();
  a.mp_next_hop = rib::Address::parse("2001:db8::10").value();
  a.med = 0;
  a.communities = {0xFDE80064};
  a.large_communities = {{64512, 1, 1}};
  return a;
}

std::vector<Nlri> prefixes(int n, int len) {
  std::vector<Nlri> out;
  out.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    if (len == 122) {
      uint8_t b[16] = {0x20,
                       0x01,
                       0x0d,
                       0xb8,
                       0,
                       0,
                       0,
                       0,
                       0,
                       0,
                       0,
                       0,
                       static_cast<uint8_t>(i >> 18),
                       static_cast<uint8_t>(i >> 10),
                       static_cast<uint8_t>(i >> 2),
                       static_cast<uint8_t>((i & 3) << 6)};
      out.push_back(Nlri{rib::Prefix::make(rib::Family::v6, b, 122).value(), 0});
    } else {
      const uint32_t step = len == 26 ? 64u : 1u;
      const uint32_t base = 0x0A000000u + static_cast<uint32_t>(i) * step;
      out.push_back(
          Nlri{rib::Prefix::make(rib::Address::v4(base), static_cast<uint8_t>(len)).value(), 0});
    }
  }
  return out;
}

constexpr int kPrefixes = 100000;

CodecContext context() {
  CodecContext ctx;
  ctx.four_octet_as = true;
  ctx.ebgp = true;
  return ctx;
}

// Decode: full UPDATEs (as the builder packs them) -> DecodedUpdate with every NLRI.
void BM_Decode(benchmark::State& state) {
  const int len = static_cast<int>(state.range(0));
  const CodecContext ctx = context();
  auto nlri = prefixes(kPrefixes, len);
  auto msgs = build_announcements(attrs(), nlri, ctx);
  if (!msgs.ok()) {
    state.SkipWithError("build failed");
    return;
  }
  std::size_t bytes = 0;
  for (const auto& m : *msgs) bytes += m.size();
  for (auto _ : state) {
    std::size_t decoded = 0;
    for (const auto& m : *msgs) {
      auto r = decode_message(m, ctx);
      if (!r.ok()) {
        state.SkipWithError("decode failed");
        return;
      }
      const auto& u = std::get<DecodedUpdate>(*r).update;
      decoded += u.nlri.size() + (u.mp_reach ? u.mp_reach->nlri.size() : 0);
    }
    benchmark::DoNotOptimize(decoded);
  }
  state.SetItemsProcessed(state.iterations() * kPrefixes);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(bytes));
  state.counters["messages"] = static_cast<double>(msgs->size());
}
BENCHMARK(BM_Decode)->Arg(26)->Arg(32)->Arg(122)->Unit(benchmark::kMillisecond);

// Encode: one attribute set + N prefixes -> packed UPDATEs.
void BM_Encode(benchmark::State& state) {
  const int len = static_cast<int>(state.range(0));
  const CodecContext ctx = context();
  auto nlri = prefixes(kPrefixes, len);
  const auto a = attrs();
  std::size_t bytes = 0;
  for (auto _ : state) {
    auto msgs = build_announcements(a, nlri, ctx);
    if (!msgs.ok()) {
      state.SkipWithError("build failed");
      return;
    }
    bytes = 0;
    for (const auto& m : *msgs) bytes += m.size();
    benchmark::DoNotOptimize(msgs->data());
  }
  state.SetItemsProcessed(state.iterations() * kPrefixes);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(bytes));
}
BENCHMARK(BM_Encode)->Arg(26)->Arg(32)->Arg(122)->Unit(benchmark::kMillisecond);

// Withdrawals of /26 blocks, encode then decode.
void BM_EncodeWithdraw26(benchmark::State& state) {
  const CodecContext ctx = context();
  auto nlri = prefixes(kPrefixes, 26);
  for (auto _ : state) {
    auto msgs = build_withdrawals(nlri, ctx);
    benchmark::DoNotOptimize(msgs.data());
  }
  state.SetItemsProcessed(state.iterations() * kPrefixes);
}
BENCHMARK(BM_EncodeWithdraw26)->Unit(benchmark::kMillisecond);

// One decoded UPDATE re-encoded with encode_update (the generic path, e.g. for reflection).
void BM_DecodeEncodeRoundTrip26(benchmark::State& state) {
  const CodecContext ctx = context();
  auto nlri = prefixes(kPrefixes, 26);
  auto msgs = build_announcements(attrs(), nlri, ctx).value();
  for (auto _ : state) {
    for (const auto& m : msgs) {
      auto r = decode_message(m, ctx);
      auto again = encode_update(std::get<DecodedUpdate>(*r).update, ctx);
      benchmark::DoNotOptimize(again.ok());
    }
  }
  state.SetItemsProcessed(state.iterations() * kPrefixes);
}
BENCHMARK(BM_DecodeEncodeRoundTrip26)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
