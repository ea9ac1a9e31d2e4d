// A hash map built once and then only read, for the FIB's packet-path
// lookups: open addressing with linear probing in a power-of-two array of
// at most half load, so a find is a multiply-xorshift hash, a mask and
// usually one key compare (std::unordered_map's find divides by its bucket
// count and follows a node pointer). Keys are byte arrays of a multiple of
// 8 bytes.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <utility>
#include <vector>

namespace xdpdk::vm {

template <size_t N, class Value>
class FlatMap {
    static_assert(N % 8 == 0, "keys are whole 8-byte words");

public:
    using Key = std::array<uint8_t, N>;

    FlatMap() = default;
    // Later duplicates of a key are dropped.
    explicit FlatMap(std::vector<std::pair<Key, Value>> items) {
        size_t cap = 2;
        while (cap < items.size() * 2) cap *= 2;
        slots_.resize(cap);
        mask_ = cap - 1;
        for (auto& [key, value] : items) {
            size_t i = hash(key) & mask_;
            while (slots_[i].used && slots_[i].key != key) i = (i + 1) & mask_;
            if (slots_[i].used) continue;
            slots_[i] = Slot{key, std::move(value), true};
        }
    }

    const Value* find(const Key& key) const {
        if (slots_.empty()) return nullptr;
        for (size_t i = hash(key) & mask_;; i = (i + 1) & mask_) {
            const Slot& s = slots_[i];
            if (!s.used) return nullptr;
            if (std::memcmp(s.key.data(), key.data(), N) == 0) return &s.value;
        }
    }

private:
    struct Slot {
        Key key{};
        Value value{};
        bool used = false;
    };

    static size_t hash(const Key& a) {
        uint64_t h = 0x9e3779b97f4a7c15ull;
        for (size_t i = 0; i < N; i += 8) {
            uint64_t w;
            std::memcpy(&w, a.data() + i, 8);
            h = (h ^ w) * 0xff51afd7ed558ccdull;
            h ^= h >> 32;
        }
        return static_cast<size_t>(h);
    }

    std::vector<Slot> slots_;
    size_t mask_ = 0;
};

}  // namespace xdpdk::vm
