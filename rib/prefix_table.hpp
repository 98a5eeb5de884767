// A hash table from Prefix to V, shaped for tables of a million routes where the bytes per
// route are what matters (the node's peak RSS is mostly this table):
//
//  - Entries live in numbered slots of a chunked array and never move, so a slot number names
//    an entry until it is erased: other structures (the staging list, update-group builds,
//    the programmer's queue) hold 4-byte slot numbers instead of pointers or prefixes.
//  - A slot is an 8-byte key plus V, in separate arrays (no padding between them). An IPv4
//    prefix is packed into the key; an IPv6 prefix is kept in a side array and the key holds
//    its number (a Calico node has a handful of v6 blocks, a full table is IPv4).
//  - The index is an open-addressing array of 4-byte slot numbers (linear probing, deletion
//    by backward shift, no tombstones), at most 80% full.
//
// Iteration is by slot number (next()), not in prefix order: a cursor survives inserts and
// erases, an entry inserted behind it is simply not visited. Single-threaded.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "rib/prefix.hpp"

namespace podnet::rib {

template <class V>
class PrefixTable {
 public:
  using Slot = uint32_t;
  static constexpr Slot npos = UINT32_MAX;

  PrefixTable() = default;
  PrefixTable(const PrefixTable&) = delete;
  PrefixTable& operator=(const PrefixTable&) = delete;
  PrefixTable(PrefixTable&&) noexcept = default;
  PrefixTable& operator=(PrefixTable&&) noexcept = default;

  Slot find(const Prefix& p) const {
    if (size_ == 0) return npos;
    const uint64_t k = probe_key(p);
    for (std::size_t i = hash_of(p) & mask(); index_[i] != 0; i = (i + 1) & mask()) {
      Slot s = index_[i] - 1;
      if (matches(s, k, p)) return s;
    }
    return npos;
  }

  // The slot of `p`, inserting a default V if absent; .second is true if inserted.
  std::pair<Slot, bool> insert(const Prefix& p) {
    if ((size_ + 1) * 5 > index_.size() * 4) grow();
    const uint64_t k = probe_key(p);
    std::size_t i = hash_of(p) & mask();
    for (; index_[i] != 0; i = (i + 1) & mask()) {
      Slot s = index_[i] - 1;
      if (matches(s, k, p)) return {s, false};
    }
    Slot s = take_slot();
    key_ref(s) = store_key(p);
    index_[i] = s + 1;
    ++size_;
    return {s, true};
  }

  // Erases the entry in `s` (which must be occupied); its V is reset to V{}.
  void erase(Slot s) {
    std::size_t i = hash_of_slot(s) & mask();
    while (index_[i] != s + 1) i = (i + 1) & mask();
    // Backward shift: pull later members of the probe run into the hole so every entry stays
    // reachable from its home position without tombstones.
    for (std::size_t j = (i + 1) & mask(); index_[j] != 0; j = (j + 1) & mask()) {
      std::size_t home = hash_of_slot(index_[j] - 1) & mask();
      // Movable if its home is not in the cyclic range (i, j].
      bool in_range = i <= j ? (home > i && home <= j) : (home > i || home <= j);
      if (!in_range) {
        index_[i] = index_[j];
        i = j;
      }
    }
    index_[i] = 0;
    uint64_t& k = key_ref(s);
    if ((k >> 62) == kTagV6) release_v6(static_cast<uint32_t>(k));
    value(s) = V{};
    k = (kTagFree << 62) | free_head_;
    free_head_ = s;
    --size_;
  }

  V& value(Slot s) { return chunks_[s >> kChunkBits]->values[s & kChunkMask]; }
  const V& value(Slot s) const { return chunks_[s >> kChunkBits]->values[s & kChunkMask]; }

  Prefix prefix(Slot s) const {
    uint64_t k = key_of(s);
    if ((k >> 62) == kTagV4) {
      return Prefix::v4(static_cast<uint32_t>(k >> 8), static_cast<uint8_t>(k & 0xff));
    }
    return v6_[static_cast<uint32_t>(k)];
  }

  bool occupied(Slot s) const { return s < end_ && (key_of(s) >> 62) != kTagFree; }
  // The first occupied slot at or after `from`, or npos.
  Slot next(Slot from) const {
    for (Slot s = from; s < end_; ++s) {
      if ((key_of(s) >> 62) != kTagFree) return s;
    }
    return npos;
  }
  Slot begin() const { return next(0); }
  // One past the highest slot in use so far (iteration bound).
  Slot slot_end() const { return end_; }

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  // Heap bytes held (slots, index, IPv6 side array), for stats and the memory tests.
  std::size_t memory_bytes() const {
    return chunks_.size() * sizeof(Chunk) + chunks_.capacity() * sizeof(void*) +
           index_.capacity() * sizeof(uint32_t) + v6_.capacity() * sizeof(Prefix) +
           v6_free_.capacity() * sizeof(uint32_t);
  }

 private:
  static constexpr unsigned kChunkBits = 12;  // 4096 slots per chunk
  static constexpr Slot kChunkSize = Slot{1} << kChunkBits;
  static constexpr Slot kChunkMask = kChunkSize - 1;
  // Key layout: the top two bits are the tag.
  static constexpr uint64_t kTagFree = 0;  // low 32 bits: the next free slot (npos: none)
  static constexpr uint64_t kTagV4 = 1;    // bits 8..39 the address, 0..7 the length
  static constexpr uint64_t kTagV6 = 2;    // low 32 bits: the index into v6_
  // A key that no stored key equals: IPv6 lookups compare prefixes, not keys.
  static constexpr uint64_t kNoKey = ~uint64_t{0};

  struct Chunk {
    uint64_t keys[kChunkSize];
    V values[kChunkSize];
  };

  static uint64_t mix(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    x ^= x >> 33;
    return x;
  }
  static uint64_t v4_key(const Prefix& p) {
    return (kTagV4 << 62) | (uint64_t{p.address().v4_value()} << 8) | p.length();
  }
  static uint64_t probe_key(const Prefix& p) {
    return p.family() == Family::v4 ? v4_key(p) : kNoKey;
  }
  static std::size_t hash_of(const Prefix& p) {
    return p.family() == Family::v4 ? mix(v4_key(p)) : mix(hash_value(p));
  }
  std::size_t hash_of_slot(Slot s) const {
    uint64_t k = key_of(s);
    return (k >> 62) == kTagV4 ? mix(k) : mix(hash_value(v6_[static_cast<uint32_t>(k)]));
  }
  bool matches(Slot s, uint64_t probe, const Prefix& p) const {
    uint64_t k = key_of(s);
    if (probe != kNoKey) return k == probe;
    return (k >> 62) == kTagV6 && v6_[static_cast<uint32_t>(k)] == p;
  }
  std::size_t mask() const { return index_.size() - 1; }

  uint64_t key_of(Slot s) const { return chunks_[s >> kChunkBits]->keys[s & kChunkMask]; }
  uint64_t& key_ref(Slot s) { return chunks_[s >> kChunkBits]->keys[s & kChunkMask]; }

  uint64_t store_key(const Prefix& p) {
    if (p.family() == Family::v4) return v4_key(p);
    uint32_t i;
    if (!v6_free_.empty()) {
      i = v6_free_.back();
      v6_free_.pop_back();
      v6_[i] = p;
    } else {
      i = static_cast<uint32_t>(v6_.size());
      v6_.push_back(p);
    }
    return (kTagV6 << 62) | i;
  }
  void release_v6(uint32_t i) { v6_free_.push_back(i); }

  Slot take_slot() {
    if (free_head_ != npos) {
      Slot s = free_head_;
      free_head_ = static_cast<Slot>(key_of(s));
      return s;
    }
    if ((end_ & kChunkMask) == 0) {
      chunks_.push_back(std::make_unique<Chunk>());
      for (uint64_t& k : chunks_.back()->keys) k = (kTagFree << 62) | npos;
    }
    return end_++;
  }

  void grow() {
    std::size_t n = index_.empty() ? 64 : index_.size() * 2;
    std::vector<uint32_t> fresh(n, 0);
    index_.swap(fresh);
    for (Slot s = 0; s < end_; ++s) {
      if ((key_of(s) >> 62) == kTagFree) continue;
      std::size_t i = hash_of_slot(s) & mask();
      while (index_[i] != 0) i = (i + 1) & mask();
      index_[i] = s + 1;
    }
  }

  std::vector<std::unique_ptr<Chunk>> chunks_;
  std::vector<uint32_t> index_;  // slot + 1; 0 is an empty position
  std::vector<Prefix> v6_;
  std::vector<uint32_t> v6_free_;
  std::size_t size_ = 0;
  Slot end_ = 0;
  Slot free_head_ = npos;
};

}  // namespace podnet::rib
