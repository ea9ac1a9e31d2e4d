// Map semantics per type, against the kernel's documented behaviour: update
// flags and errnos, full maps, iteration, per-CPU slots, LRU eviction, LPM
// longest match, prog arrays and devmaps; and create_map's validation.
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <vector>

#include "vm/map.h"
#include "vm/program.h"

namespace xdpdk::vm {
namespace {

constexpr uint32_t kNoPrealloc = 1, kNoCommonLru = 2, kRdonly = 8, kWronly = 16, kZeroSeed = 64,
                   kRdonlyProg = 128;

std::unique_ptr<Map> make(MapType type, uint32_t key_size, uint32_t value_size, uint32_t max_entries,
                          uint32_t flags = 0, uint32_t ncpus = 1, const std::string& name = "m") {
    auto map = create_map(MapSpec{name, static_cast<uint32_t>(type), key_size, value_size, max_entries, flags}, ncpus);
    EXPECT_TRUE(map.ok()) << map.error().str();
    return map.ok() ? std::move(map).value() : nullptr;
}

std::string create_error(MapType type, uint32_t key_size, uint32_t value_size, uint32_t max_entries,
                         uint32_t flags = 0, const std::string& name = "m") {
    auto map = create_map(MapSpec{name, static_cast<uint32_t>(type), key_size, value_size, max_entries, flags}, 2);
    return map.ok() ? "created" : map.error().str();
}

uint64_t read64(const void* p) {
    uint64_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
}
uint32_t read32(const void* p) {
    uint32_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

// u32 keys, u64 values: the common case.
long put(Map& m, uint32_t key, uint64_t value, uint64_t flags = kAny, uint32_t cpu = 0) {
    return m.update(&key, &value, flags, cpu);
}
long del(Map& m, uint32_t key) { return m.remove(&key); }
void* get(Map& m, uint32_t key, uint32_t cpu = 0) { return m.lookup(&key, cpu); }

std::vector<uint32_t> all_keys(const Map& m) {
    std::vector<uint32_t> keys;
    uint32_t key = 0, next = 0;
    long rc = m.next_key(nullptr, &next);
    while (rc == 0 && keys.size() <= m.spec().max_entries + 1) {
        keys.push_back(next);
        key = next;
        rc = m.next_key(&key, &next);
    }
    EXPECT_EQ(rc, -ENOENT);
    return keys;
}

// ---------------------------------------------------------------- create_map

TEST(CreateMap, RefusesBadSpecsNamingTheMap) {
    EXPECT_EQ(create_error(MapType::Array, 8, 4, 1, 0, "arr"), "map 'arr': key_size must be 4 for array maps, not 8");
    EXPECT_EQ(create_error(MapType::Hash, 4, 4, 0), "map 'm': max_entries must be at least 1");
    EXPECT_EQ(create_error(MapType::Hash, 4, 0, 1), "map 'm': value_size must be at least 1");
    EXPECT_EQ(create_error(MapType::Hash, 0, 4, 1), "map 'm': key_size must be at least 1");
    EXPECT_EQ(create_error(MapType::Array, 4, 0, 1), "map 'm': value_size must be at least 1");
    EXPECT_EQ(create_error(MapType::Hash, 4, 4194252, 1),
              "map 'm': key_size + value_size (4194256) must stay below the kernel's limit of 4194256");
    EXPECT_EQ(create_error(MapType::Hash, 4, 4194251, 1), "created");
    EXPECT_NE(create_error(MapType::PercpuArray, 4, 40000, 1).find("per-CPU value_size 40000"), std::string::npos);
    EXPECT_NE(create_error(static_cast<MapType>(7), 4, 4, 1).find("map type stack_trace (7) is not supported"),
              std::string::npos);
    EXPECT_NE(create_error(static_cast<MapType>(77), 4, 4, 1).find("map type unknown (77) is not supported"),
              std::string::npos);
}

TEST(CreateMap, RefusesFlagsTheTypeDoesNotTake) {
    EXPECT_EQ(create_error(MapType::Array, 4, 4, 1, kNoPrealloc),
              "map 'm': map_flags BPF_F_NO_PREALLOC not supported for array maps");
    EXPECT_EQ(create_error(MapType::Hash, 4, 4, 1, kNoCommonLru),
              "map 'm': map_flags BPF_F_NO_COMMON_LRU not supported for hash maps");
    EXPECT_EQ(create_error(MapType::Hash, 4, 4, 1, 1u << 20),
              "map 'm': map_flags 0x100000 not supported for hash maps");
    EXPECT_NE(create_error(MapType::LruHash, 4, 4, 1, kNoPrealloc).find("BPF_F_NO_PREALLOC is not supported"),
              std::string::npos);
    EXPECT_EQ(create_error(MapType::LpmTrie, 8, 4, 1, 0),
              "map 'm': lpm_trie maps need map_flags BPF_F_NO_PREALLOC, as in the kernel");
    EXPECT_NE(create_error(MapType::Hash, 4, 4, 1, kRdonly | kWronly).find("exclude each other"), std::string::npos);
    EXPECT_EQ(create_error(MapType::Hash, 4, 4, 1, kNoPrealloc | kZeroSeed | kRdonlyProg), "created");
    EXPECT_EQ(create_error(MapType::LruHash, 4, 4, 1, kNoCommonLru), "created");
}

TEST(CreateMap, TypeSpecificSizes) {
    EXPECT_EQ(create_error(MapType::ProgArray, 4, 8, 1),
              "map 'm': value_size must be 4 (a program fd) for prog_array maps, not 8");
    EXPECT_EQ(create_error(MapType::Devmap, 4, 6, 1),
              "map 'm': value_size must be 4 (ifindex) or 8 (ifindex, program fd) for devmap maps, not 6");
    EXPECT_EQ(create_error(MapType::DevmapHash, 8, 4, 1), "map 'm': key_size must be 4 for devmap_hash maps, not 8");
    EXPECT_NE(create_error(MapType::LpmTrie, 4, 4, 1, kNoPrealloc).find("key_size must be 5..260"), std::string::npos);
    EXPECT_NE(create_error(MapType::LpmTrie, 261, 4, 1, kNoPrealloc).find("not 261"), std::string::npos);
    EXPECT_EQ(create_error(MapType::LpmTrie, 260, 1, 1, kNoPrealloc), "created");
    EXPECT_EQ(create_error(MapType::Devmap, 4, 8, 1), "created");
}

// ---------------------------------------------------------------- arrays

TEST(ArrayMap, PreallocatedZeroedValuesAtEightByteStride) {
    auto m = make(MapType::Array, 4, 12, 5);
    uint8_t* base = m->value_base();
    ASSERT_NE(base, nullptr);
    EXPECT_EQ(m->value_cpu_stride(), 0u);
    for (uint32_t i = 0; i < 5; ++i) {
        auto* v = static_cast<uint8_t*>(get(*m, i));
        EXPECT_EQ(v, base + i * 16) << i;
        EXPECT_TRUE(std::all_of(v, v + 12, [](uint8_t b) { return b == 0; }));
    }
    EXPECT_EQ(get(*m, 5), nullptr);
    EXPECT_EQ(get(*m, UINT32_MAX), nullptr);
}

TEST(ArrayMap, UpdateFlagsAndErrnos) {
    auto m = make(MapType::Array, 4, 8, 4);
    EXPECT_EQ(put(*m, 1, 42), 0);
    EXPECT_EQ(read64(get(*m, 1)), 42u);
    EXPECT_EQ(put(*m, 1, 43, kExist), 0);
    EXPECT_EQ(read64(get(*m, 1)), 43u);
    EXPECT_EQ(put(*m, 1, 44, kNoExist), -EEXIST);
    EXPECT_EQ(put(*m, 4, 1), -E2BIG);
    EXPECT_EQ(put(*m, 1, 1, 3), -EINVAL);
    EXPECT_EQ(put(*m, 1, 1, 4), -EINVAL);  // BPF_F_LOCK without a spin lock
    EXPECT_EQ(read64(get(*m, 1)), 43u);
    EXPECT_EQ(del(*m, 1), -EINVAL);
    uint32_t key = 1;
    EXPECT_EQ(m->user_delete(&key), -EINVAL);

    uint64_t out = 0;
    EXPECT_EQ(m->user_lookup(&key, &out), 0);
    EXPECT_EQ(out, 43u);
    key = 4;
    EXPECT_EQ(m->user_lookup(&key, &out), -ENOENT);
    uint64_t in = 7;
    EXPECT_EQ(m->user_update(&key, &in, kAny), -E2BIG);
}

TEST(ArrayMap, NextKeyWalksEveryIndex) {
    auto m = make(MapType::Array, 4, 4, 3);
    EXPECT_EQ(all_keys(*m), (std::vector<uint32_t>{0, 1, 2}));
    uint32_t key = 99, next = 7;
    EXPECT_EQ(m->next_key(&key, &next), 0);  // out of range restarts
    EXPECT_EQ(next, 0u);
}

TEST(ArrayMap, FrozenAndReadOnlyMapsRefuseUserWrites) {
    auto m = make(MapType::Array, 4, 8, 2);
    uint32_t key = 0;
    uint64_t value = 5;
    m->freeze();
    EXPECT_EQ(m->user_update(&key, &value, kAny), -EPERM);
    EXPECT_EQ(m->user_delete(&key), -EPERM);
    EXPECT_EQ(m->user_lookup(&key, &value), 0);

    auto ro = make(MapType::Array, 4, 8, 2, kRdonly);
    EXPECT_EQ(ro->user_update(&key, &value, kAny), -EPERM);
    auto wo = make(MapType::Hash, 4, 8, 2, kWronly);
    EXPECT_EQ(wo->user_update(&key, &value, kAny), 0);
    EXPECT_EQ(wo->user_lookup(&key, &value), -EPERM);
    EXPECT_EQ(wo->next_key(nullptr, &key), -EPERM);
}

TEST(PercpuArray, SlotsAreIndependentAndUserSideSeesAll) {
    constexpr uint32_t kCpus = 4;
    auto m = make(MapType::PercpuArray, 4, 4, 3, 0, kCpus);
    ASSERT_EQ(m->user_value_size(), kCpus * 8);
    const uint64_t stride = m->value_cpu_stride();
    EXPECT_GE(stride, 3u * 8);
    EXPECT_EQ(stride % 64, 0u);
    for (uint32_t cpu = 0; cpu < kCpus; ++cpu) {
        for (uint32_t i = 0; i < 3; ++i) EXPECT_EQ(get(*m, i, cpu), m->value_base() + cpu * stride + i * 8);
    }
    uint32_t key = 2, v = 0xabcd;
    EXPECT_EQ(m->update(&key, &v, kAny, 1), 0);
    EXPECT_EQ(read32(get(*m, 2, 1)), 0xabcdu);
    EXPECT_EQ(read32(get(*m, 2, 0)), 0u);
    EXPECT_EQ(get(*m, 2, kCpus), nullptr);  // no such CPU slot

    std::vector<uint8_t> all(m->user_value_size());
    EXPECT_EQ(m->user_lookup(&key, all.data()), 0);
    for (uint32_t cpu = 0; cpu < kCpus; ++cpu) EXPECT_EQ(read32(&all[cpu * 8]), cpu == 1 ? 0xabcdu : 0u) << cpu;

    for (uint32_t cpu = 0; cpu < kCpus; ++cpu) {
        const uint32_t x = 100 + cpu;
        std::memcpy(&all[cpu * 8], &x, 4);
    }
    EXPECT_EQ(m->user_update(&key, all.data(), kAny), 0);
    for (uint32_t cpu = 0; cpu < kCpus; ++cpu) EXPECT_EQ(read32(get(*m, 2, cpu)), 100 + cpu);
    EXPECT_EQ(read32(get(*m, 1, 3)), 0u);
}

// ---------------------------------------------------------------- hashes

class HashTypes : public ::testing::TestWithParam<MapType> {};

TEST_P(HashTypes, KernelUpdateFlags) {
    auto m = make(GetParam(), 4, 8, 4);
    EXPECT_EQ(put(*m, 1, 10, kExist), -ENOENT);
    EXPECT_EQ(put(*m, 1, 10, kNoExist), 0);
    EXPECT_EQ(put(*m, 1, 11, kNoExist), -EEXIST);
    EXPECT_EQ(read64(get(*m, 1)), 10u);
    EXPECT_EQ(put(*m, 1, 12, kExist), 0);
    EXPECT_EQ(read64(get(*m, 1)), 12u);
    EXPECT_EQ(put(*m, 1, 13, kAny), 0);
    EXPECT_EQ(read64(get(*m, 1)), 13u);
    EXPECT_EQ(put(*m, 2, 1, 3), -EINVAL);
    EXPECT_EQ(put(*m, 1, 1, 4), -EINVAL);
    EXPECT_EQ(get(*m, 2), nullptr);

    EXPECT_EQ(del(*m, 2), -ENOENT);
    EXPECT_EQ(del(*m, 1), 0);
    EXPECT_EQ(get(*m, 1), nullptr);
    EXPECT_EQ(del(*m, 1), -ENOENT);
    uint32_t key = 1;
    std::vector<uint8_t> out(m->user_value_size());
    EXPECT_EQ(m->user_lookup(&key, out.data()), -ENOENT);
    EXPECT_EQ(m->user_delete(&key), -ENOENT);
}

TEST_P(HashTypes, FullMapRefusesNewKeysButNotReplacements) {
    const bool lru = GetParam() == MapType::LruHash || GetParam() == MapType::LruPercpuHash;
    auto m = make(GetParam(), 4, 8, 3);
    for (uint32_t k = 0; k < 3; ++k) EXPECT_EQ(put(*m, k, k), 0);
    EXPECT_EQ(put(*m, 7, 7), lru ? 0 : -E2BIG);
    EXPECT_EQ(put(*m, 1, 100), 0);
    EXPECT_EQ(read64(get(*m, 1)), 100u);
    EXPECT_EQ(all_keys(*m).size(), 3u);
    if (!lru) {
        EXPECT_EQ(del(*m, 0), 0);
        EXPECT_EQ(put(*m, 7, 7), 0);
        EXPECT_EQ(read64(get(*m, 7)), 7u);
    }
}

TEST_P(HashTypes, NextKeyVisitsEveryKeyOnce) {
    auto m = make(GetParam(), 4, 8, 300);
    uint32_t probe = 0;
    EXPECT_EQ(m->next_key(nullptr, &probe), -ENOENT);
    std::set<uint32_t> inserted;
    std::mt19937 rng(7);
    while (inserted.size() < 250) {
        const uint32_t k = rng();
        if (inserted.insert(k).second) {
            EXPECT_EQ(put(*m, k, k), 0);
        }
    }
    const auto keys = all_keys(*m);
    EXPECT_EQ(keys.size(), inserted.size());
    EXPECT_EQ(std::set<uint32_t>(keys.begin(), keys.end()), inserted);

    // A key that is not in the map restarts the walk, as in the kernel.
    uint32_t missing = 0, first = 0, after_missing = 0;
    while (inserted.count(missing)) ++missing;
    EXPECT_EQ(m->next_key(nullptr, &first), 0);
    EXPECT_EQ(m->next_key(&missing, &after_missing), 0);
    EXPECT_EQ(after_missing, first);
}

TEST_P(HashTypes, ReplacedValueStaysReadableUntilReclaimed) {
    auto m = make(GetParam(), 4, 8, 4);
    const bool percpu = m->percpu();
    ASSERT_EQ(put(*m, 5, 1), 0);
    void* before = get(*m, 5);
    ASSERT_EQ(put(*m, 5, 2), 0);
    EXPECT_EQ(read64(get(*m, 5)), 2u);
    if (percpu) {
        EXPECT_EQ(get(*m, 5), before);  // per-CPU values update in place
    } else {
        EXPECT_NE(get(*m, 5), before);
        EXPECT_EQ(read64(before), 1u);  // the old node is retired, not freed
    }
}

INSTANTIATE_TEST_SUITE_P(All, HashTypes,
                         ::testing::Values(MapType::Hash, MapType::PercpuHash, MapType::LruHash,
                                           MapType::LruPercpuHash),
                         [](const auto& info) { return std::string(map_type_name(static_cast<uint32_t>(info.param))); });

TEST(HashMap, ArbitraryKeySizes) {
    for (uint32_t key_size : {1u, 3u, 8u, 13u, 40u, 512u}) {
        auto m = make(MapType::Hash, key_size, 4, 64);
        std::vector<uint8_t> a(key_size, 0), b(key_size, 0);
        b[key_size - 1] = 1;
        const uint32_t va = 1, vb = 2;
        EXPECT_EQ(m->update(a.data(), &va, kAny, 0), 0);
        EXPECT_EQ(m->update(b.data(), &vb, kAny, 0), 0);
        EXPECT_EQ(read32(m->lookup(a.data(), 0)), 1u) << key_size;
        EXPECT_EQ(read32(m->lookup(b.data(), 0)), 2u) << key_size;
        std::vector<uint8_t> next(key_size);
        EXPECT_EQ(m->next_key(nullptr, next.data()), 0);
        EXPECT_TRUE(next == a || next == b);
    }
}

TEST(HashMap, ZeroSeedIteratesInTheSameOrder) {
    auto a = make(MapType::Hash, 4, 4, 64, kZeroSeed);
    auto b = make(MapType::Hash, 4, 4, 64, kZeroSeed);
    for (uint32_t k = 0; k < 40; ++k) {
        EXPECT_EQ(put(*a, k * 7919, k), 0);
        EXPECT_EQ(put(*b, k * 7919, k), 0);
    }
    EXPECT_EQ(all_keys(*a), all_keys(*b));
}

TEST(PercpuHash, SlotsAreIndependent) {
    constexpr uint32_t kCpus = 3;
    auto m = make(MapType::PercpuHash, 4, 4, 8, 0, kCpus);
    uint32_t key = 9, v = 0x55;
    // A new key written by CPU 2 starts zeroed on the other CPUs.
    EXPECT_EQ(m->update(&key, &v, kAny, 2), 0);
    EXPECT_EQ(read32(m->lookup(&key, 2)), 0x55u);
    EXPECT_EQ(read32(m->lookup(&key, 0)), 0u);
    v = 0x66;
    EXPECT_EQ(m->update(&key, &v, kExist, 0), 0);
    EXPECT_EQ(read32(m->lookup(&key, 0)), 0x66u);
    EXPECT_EQ(read32(m->lookup(&key, 2)), 0x55u);
    EXPECT_EQ(m->lookup(&key, kCpus), nullptr);

    std::vector<uint8_t> all(m->user_value_size());
    ASSERT_EQ(all.size(), kCpus * 8u);
    EXPECT_EQ(m->user_lookup(&key, all.data()), 0);
    EXPECT_EQ(read32(&all[0]), 0x66u);
    EXPECT_EQ(read32(&all[8]), 0u);
    EXPECT_EQ(read32(&all[16]), 0x55u);

    uint32_t other = 10;
    for (uint32_t cpu = 0; cpu < kCpus; ++cpu) {
        const uint32_t x = 7 * (cpu + 1);
        std::memcpy(&all[cpu * 8], &x, 4);
    }
    EXPECT_EQ(m->user_update(&other, all.data(), kNoExist), 0);
    for (uint32_t cpu = 0; cpu < kCpus; ++cpu) EXPECT_EQ(read32(m->lookup(&other, cpu)), 7 * (cpu + 1));
}

// ---------------------------------------------------------------- LRU

TEST(LruHash, EvictionKeepsRecentlyUsedKeys) {
    for (MapType type : {MapType::LruHash, MapType::LruPercpuHash}) {
        auto m = make(type, 4, 8, 8, 0, 2);
        for (uint32_t k = 0; k < 8; ++k) ASSERT_EQ(put(*m, k, k), 0);
        const std::set<uint32_t> used = {1, 3, 5};
        for (uint32_t k : used) ASSERT_NE(get(*m, k), nullptr);
        for (uint32_t k = 100; k < 105; ++k) EXPECT_EQ(put(*m, k, k), 0);
        const auto keys = all_keys(*m);
        EXPECT_EQ(keys.size(), 8u);
        for (uint32_t k : used) EXPECT_NE(get(*m, k), nullptr) << map_type_name(uint32_t(type)) << " evicted " << k;
        for (uint32_t k = 100; k < 105; ++k) EXPECT_NE(get(*m, k), nullptr) << k;
    }
}

TEST(LruHash, UserLookupsDoNotCountAsUse) {
    auto m = make(MapType::LruHash, 4, 8, 2);
    ASSERT_EQ(put(*m, 1, 1), 0);
    ASSERT_EQ(put(*m, 2, 2), 0);
    uint32_t key = 1;
    uint64_t out;
    ASSERT_EQ(m->user_lookup(&key, &out), 0);  // as the kernel's syscall lookup: no reference bit
    ASSERT_EQ(put(*m, 3, 3), 0);
    EXPECT_EQ(get(*m, 1), nullptr);
    EXPECT_NE(get(*m, 2), nullptr);
    EXPECT_NE(get(*m, 3), nullptr);
}

TEST(LruHash, ChurnNeverExceedsMaxEntries) {
    auto m = make(MapType::LruHash, 4, 8, 16);
    std::mt19937 rng(3);
    for (int i = 0; i < 2000; ++i) {
        const uint32_t k = rng() % 64;
        if (rng() % 3 == 0) {
            get(*m, k);
        } else if (rng() % 5 == 0) {
            del(*m, k);
        } else {
            ASSERT_EQ(put(*m, k, k), 0);
            ASSERT_EQ(read64(get(*m, k)), k);
        }
    }
    EXPECT_LE(all_keys(*m).size(), 16u);
}

// ---------------------------------------------------------------- LPM trie

struct V4Key {
    uint32_t prefixlen;
    uint8_t addr[4];
};
V4Key v4(const char* addr, uint32_t prefixlen) {
    V4Key k{prefixlen, {}};
    EXPECT_EQ(inet_pton(AF_INET, addr, k.addr), 1) << addr;
    return k;
}
struct V6Key {
    uint32_t prefixlen;
    uint8_t addr[16];
};
V6Key v6(const char* addr, uint32_t prefixlen) {
    V6Key k{prefixlen, {}};
    EXPECT_EQ(inet_pton(AF_INET6, addr, k.addr), 1) << addr;
    return k;
}

template <class Key>
long lpm_put(Map& m, const Key& key, uint32_t value, uint64_t flags = kAny) {
    return m.update(&key, &value, flags, 0);
}
// The value found for `key`, 0 when none matches.
template <class Key>
uint32_t lpm_get(Map& m, const Key& key) {
    void* v = m.lookup(&key, 0);
    return v == nullptr ? 0 : read32(v);
}

TEST(LpmTrie, Ipv4LongestMatchWithDefaultRoute) {
    auto m = make(MapType::LpmTrie, 8, 4, 16, kNoPrealloc);
    ASSERT_EQ(lpm_put(*m, v4("10.0.0.0", 8), 2), 0);
    ASSERT_EQ(lpm_put(*m, v4("10.1.0.0", 16), 3), 0);
    ASSERT_EQ(lpm_put(*m, v4("10.1.2.0", 24), 4), 0);
    ASSERT_EQ(lpm_put(*m, v4("192.168.0.0", 16), 5), 0);
    ASSERT_EQ(lpm_put(*m, v4("10.1.2.77", 32), 6), 0);
    EXPECT_EQ(lpm_get(*m, v4("8.8.8.8", 32)), 0u);
    ASSERT_EQ(lpm_put(*m, v4("0.0.0.0", 0), 1), 0);

    EXPECT_EQ(lpm_get(*m, v4("10.1.2.3", 32)), 4u);
    EXPECT_EQ(lpm_get(*m, v4("10.1.2.77", 32)), 6u);
    EXPECT_EQ(lpm_get(*m, v4("10.1.3.3", 32)), 3u);
    EXPECT_EQ(lpm_get(*m, v4("10.200.0.1", 32)), 2u);
    EXPECT_EQ(lpm_get(*m, v4("8.8.8.8", 32)), 1u);
    EXPECT_EQ(lpm_get(*m, v4("192.168.77.1", 32)), 5u);
    EXPECT_EQ(lpm_get(*m, v4("192.169.0.1", 32)), 1u);
    // The key's prefixlen bounds the match.
    EXPECT_EQ(lpm_get(*m, v4("10.1.2.3", 16)), 3u);
    EXPECT_EQ(lpm_get(*m, v4("10.1.2.3", 7)), 1u);

    uint32_t out = 0;
    const V4Key user_key = v4("10.1.9.9", 32);
    EXPECT_EQ(m->user_lookup(&user_key, &out), 0);  // user lookups match longest prefixes too
    EXPECT_EQ(out, 3u);

    const V4Key def = v4("0.0.0.0", 0);
    EXPECT_EQ(m->remove(&def), 0);
    EXPECT_EQ(lpm_get(*m, v4("8.8.8.8", 32)), 0u);
    const V4Key sixteen = v4("10.1.0.0", 16);
    EXPECT_EQ(m->remove(&sixteen), 0);
    EXPECT_EQ(lpm_get(*m, v4("10.1.3.3", 32)), 2u);
    EXPECT_EQ(lpm_get(*m, v4("10.1.2.3", 32)), 4u);
}

TEST(LpmTrie, Ipv6LongestMatch) {
    auto m = make(MapType::LpmTrie, 20, 4, 16, kNoPrealloc);
    ASSERT_EQ(lpm_put(*m, v6("::", 0), 1), 0);
    ASSERT_EQ(lpm_put(*m, v6("2001:db8::", 32), 2), 0);
    ASSERT_EQ(lpm_put(*m, v6("2001:db8:1::", 48), 3), 0);
    ASSERT_EQ(lpm_put(*m, v6("2001:db8:1:2::", 64), 4), 0);
    ASSERT_EQ(lpm_put(*m, v6("2001:db8:1:2::1", 128), 5), 0);
    ASSERT_EQ(lpm_put(*m, v6("2001:db8:8000::", 33), 6), 0);
    EXPECT_EQ(lpm_get(*m, v6("2001:db8:1:2::1", 128)), 5u);
    EXPECT_EQ(lpm_get(*m, v6("2001:db8:1:2::2", 128)), 4u);
    EXPECT_EQ(lpm_get(*m, v6("2001:db8:1:3::1", 128)), 3u);
    EXPECT_EQ(lpm_get(*m, v6("2001:db8:2::1", 128)), 2u);
    EXPECT_EQ(lpm_get(*m, v6("2001:db8:8001::1", 128)), 6u);
    EXPECT_EQ(lpm_get(*m, v6("fe80::1", 128)), 1u);
}

TEST(LpmTrie, KernelErrnos) {
    auto m = make(MapType::LpmTrie, 8, 4, 3, kNoPrealloc);
    EXPECT_EQ(lpm_put(*m, v4("10.0.0.0", 33), 1), -EINVAL);
    EXPECT_EQ(lpm_put(*m, v4("10.0.0.0", 8), 1, 3), -EINVAL);
    EXPECT_EQ(lpm_put(*m, v4("10.0.0.0", 8), 1, kExist), -ENOENT);
    EXPECT_EQ(lpm_put(*m, v4("10.0.0.0", 8), 1, kNoExist), 0);
    EXPECT_EQ(lpm_put(*m, v4("10.0.0.0", 8), 2, kNoExist), -EEXIST);
    EXPECT_EQ(lpm_put(*m, v4("10.0.0.0", 8), 3, kExist), 0);
    EXPECT_EQ(lpm_get(*m, v4("10.9.9.9", 32)), 3u);
    // 10.1/16 and 10.2/16 share 14 bits: an intermediate 10.0/14 node joins them.
    EXPECT_EQ(lpm_put(*m, v4("10.1.0.0", 16), 4), 0);
    EXPECT_EQ(lpm_put(*m, v4("10.2.0.0", 16), 5), 0);
    EXPECT_EQ(lpm_put(*m, v4("10.3.0.0", 16), 6), -ENOSPC);
    EXPECT_EQ(lpm_put(*m, v4("10.0.0.0", 14), 6), -ENOSPC);  // the intermediate is no entry
    EXPECT_EQ(lpm_put(*m, v4("10.2.0.0", 16), 7), 0);     // replacing works when full

    const V4Key im = v4("10.0.0.0", 14), bad = v4("10.0.0.0", 40), missing = v4("11.0.0.0", 8);
    EXPECT_EQ(m->remove(&im), -ENOENT);
    EXPECT_EQ(m->remove(&bad), -EINVAL);
    EXPECT_EQ(m->remove(&missing), -ENOENT);
    const V4Key ten = v4("10.0.0.0", 8);
    EXPECT_EQ(m->remove(&ten), 0);
    EXPECT_EQ(m->remove(&ten), -ENOENT);
    EXPECT_EQ(lpm_get(*m, v4("10.9.9.9", 32)), 0u);
    EXPECT_EQ(lpm_get(*m, v4("10.2.9.9", 32)), 7u);
    EXPECT_EQ(lpm_put(*m, v4("10.0.0.0", 14), 8), 0);  // the intermediate becomes an entry
    EXPECT_EQ(lpm_get(*m, v4("10.0.9.9", 32)), 8u);
    EXPECT_EQ(lpm_get(*m, v4("10.1.9.9", 32)), 4u);
}

std::vector<V4Key> lpm_walk(const Map& m) {
    std::vector<V4Key> keys;
    V4Key next{}, key{};
    long rc = m.next_key(nullptr, &next);
    while (rc == 0 && keys.size() <= m.spec().max_entries) {
        keys.push_back(next);
        key = next;
        rc = m.next_key(&key, &next);
    }
    EXPECT_EQ(rc, -ENOENT);
    return keys;
}

std::string show(const V4Key& k) {
    char buf[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, k.addr, buf, sizeof buf);
    return std::string(buf) + "/" + std::to_string(k.prefixlen);
}

TEST(LpmTrie, NextKeyIsPostOrder) {
    // The example in the kernel's lpm_trie.c: trie_get_next_key returns
    // 192.168.0.0/24, 192.168.1.0/24, 192.168.128.0/24, then 192.168.0.0/16.
    auto m = make(MapType::LpmTrie, 8, 4, 8, kNoPrealloc);
    for (const V4Key& k : {v4("192.168.0.0", 16), v4("192.168.0.0", 24), v4("192.168.1.0", 24),
                           v4("192.168.128.0", 24)})
        ASSERT_EQ(lpm_put(*m, k, 1), 0);
    std::vector<std::string> order;
    for (const V4Key& k : lpm_walk(*m)) order.push_back(show(k));
    EXPECT_EQ(order, (std::vector<std::string>{"192.168.0.0/24", "192.168.1.0/24", "192.168.128.0/24",
                                               "192.168.0.0/16"}));
    // A key not in the trie restarts at the first entry.
    V4Key next{};
    const V4Key missing = v4("1.2.3.4", 32);
    EXPECT_EQ(m->next_key(&missing, &next), 0);
    EXPECT_EQ(show(next), "192.168.0.0/24");
}

// A brute-force longest-prefix match to check the trie against.
struct NaiveLpm {
    std::map<std::pair<uint32_t, uint32_t>, uint32_t> entries;  // (prefixlen, masked addr) -> value
    static uint32_t mask(uint32_t len) { return len == 0 ? 0 : ~0u << (32 - len); }
    std::optional<uint32_t> lookup(uint32_t addr) const {
        for (int len = 32; len >= 0; --len) {
            auto it = entries.find({len, addr & mask(len)});
            if (it != entries.end()) return it->second;
        }
        return std::nullopt;
    }
};

TEST(LpmTrie, AgreesWithBruteForceUnderRandomChurn) {
    auto m = make(MapType::LpmTrie, 8, 4, 64, kNoPrealloc);
    NaiveLpm naive;
    std::mt19937 rng(11);
    auto key_of = [](uint32_t addr, uint32_t len) {
        V4Key k{len, {}};
        const uint32_t be = htonl(addr);
        std::memcpy(k.addr, &be, 4);
        return k;
    };
    for (int step = 0; step < 4000; ++step) {
        // Prefixes inside 10.0.0.0/12 so they overlap a lot.
        const uint32_t len = 8 + rng() % 25;
        const uint32_t addr = (0x0a000000u | (rng() & 0x000fffffu)) & NaiveLpm::mask(len);
        const V4Key key = key_of(addr, len);
        const bool present = naive.entries.count({len, addr}) != 0;
        if (rng() % 3 == 0) {
            ASSERT_EQ(m->remove(&key), present ? 0 : -ENOENT) << show(key);
            naive.entries.erase({len, addr});
        } else {
            const uint32_t value = rng() | 1;
            const long rc = lpm_put(*m, key, value);
            if (!present && naive.entries.size() == 64) {
                ASSERT_EQ(rc, -ENOSPC);
            } else {
                ASSERT_EQ(rc, 0) << show(key);
                naive.entries[{len, addr}] = value;
            }
        }
        const uint32_t probe = 0x0a000000u | (rng() & 0x000fffffu);
        const auto want = naive.lookup(probe);
        EXPECT_EQ(lpm_get(*m, key_of(probe, 32)), want.value_or(0)) << show(key_of(probe, 32));
    }
    std::set<std::pair<uint32_t, uint32_t>> walked;
    for (const V4Key& k : lpm_walk(*m)) {
        uint32_t be;
        std::memcpy(&be, k.addr, 4);
        EXPECT_TRUE(walked.insert({k.prefixlen, ntohl(be)}).second) << "twice: " << show(k);
    }
    std::set<std::pair<uint32_t, uint32_t>> expected;
    for (const auto& [k, v] : naive.entries) expected.insert(k);
    EXPECT_EQ(walked, expected);
}

// ---------------------------------------------------------------- prog array

TEST(ProgArray, InstallsAndReadsPrograms) {
    auto m = make(MapType::ProgArray, 4, 4, 4);
    Program a, b;
    a.name = "a";
    b.name = "b";
    EXPECT_EQ(m->program_at(1), nullptr);
    EXPECT_EQ(m->set_program(1, &a), 0);
    EXPECT_EQ(m->set_program(3, &b), 0);
    EXPECT_EQ(m->set_program(4, &b), -E2BIG);
    EXPECT_EQ(m->program_at(1), &a);
    EXPECT_EQ(m->program_at(3), &b);
    EXPECT_EQ(m->program_at(4), nullptr);

    uint32_t key = 3, id = 0;
    EXPECT_EQ(m->user_lookup(&key, &id), 0);
    EXPECT_EQ(id, 4u);  // index + 1 stands in for the kernel's program id
    key = 0;
    EXPECT_EQ(m->user_lookup(&key, &id), -ENOENT);
    uint32_t fd = 5;
    EXPECT_EQ(m->user_update(&key, &fd, kAny), -EINVAL);
    EXPECT_EQ(m->lookup(&key, 0), nullptr);
    EXPECT_EQ(all_keys(*m), (std::vector<uint32_t>{0, 1, 2, 3}));

    key = 1;
    EXPECT_EQ(m->user_delete(&key), 0);
    EXPECT_EQ(m->program_at(1), nullptr);
    EXPECT_EQ(m->user_delete(&key), -ENOENT);
    key = 4;
    EXPECT_EQ(m->user_delete(&key), -E2BIG);
    EXPECT_EQ(m->set_program(3, nullptr), 0);
    EXPECT_EQ(m->program_at(3), nullptr);
}

// ---------------------------------------------------------------- devmaps

TEST(Devmap, ArrayOfRedirectTargets) {
    auto m = make(MapType::Devmap, 4, 8, 4);
    EXPECT_TRUE(m->spec().flags & kRdonlyProg);
    EXPECT_EQ(get(*m, 0), nullptr);
    const uint32_t ifindex3[2] = {3, 0}, with_prog[2] = {3, 5}, clear[2] = {0, 0};
    uint32_t key = 2;
    EXPECT_EQ(m->user_update(&key, ifindex3, kAny), 0);
    ASSERT_NE(get(*m, 2), nullptr);
    EXPECT_EQ(read32(get(*m, 2)), 3u);
    EXPECT_EQ(m->user_update(&key, ifindex3, kNoExist), -EEXIST);
    EXPECT_EQ(m->user_update(&key, with_prog, kAny), -EINVAL);
    EXPECT_EQ(m->user_update(&key, ifindex3, 3), -EINVAL);
    uint32_t out[2] = {9, 9};
    EXPECT_EQ(m->user_lookup(&key, out), 0);
    EXPECT_EQ(out[0], 3u);
    EXPECT_EQ(out[1], 0u);

    EXPECT_EQ(m->user_update(&key, clear, kAny), 0);  // ifindex 0 empties the slot
    EXPECT_EQ(get(*m, 2), nullptr);
    EXPECT_EQ(m->user_lookup(&key, out), -ENOENT);

    key = 4;
    EXPECT_EQ(m->user_update(&key, ifindex3, kAny), -E2BIG);
    EXPECT_EQ(m->user_delete(&key), -EINVAL);
    key = 1;
    EXPECT_EQ(m->user_delete(&key), 0);  // deleting an empty slot succeeds
    EXPECT_EQ(all_keys(*m), (std::vector<uint32_t>{0, 1, 2, 3}));
}

TEST(DevmapHash, KeyedRedirectTargets) {
    auto m = make(MapType::DevmapHash, 4, 4, 2);
    EXPECT_TRUE(m->spec().flags & kRdonlyProg);
    uint32_t key = 1000, ifindex = 7, zero = 0;
    EXPECT_EQ(m->user_update(&key, &zero, kAny), -EINVAL);
    EXPECT_EQ(m->user_update(&key, &ifindex, kExist), 0);  // BPF_EXIST inserts here, as in the kernel
    EXPECT_EQ(m->user_update(&key, &ifindex, kNoExist), -EEXIST);
    EXPECT_EQ(read32(m->lookup(&key, 0)), 7u);
    ifindex = 8;
    EXPECT_EQ(m->user_update(&key, &ifindex, kAny), 0);
    EXPECT_EQ(read32(m->lookup(&key, 0)), 8u);
    key = 2000;
    EXPECT_EQ(m->user_update(&key, &ifindex, kAny), 0);
    key = 3000;
    EXPECT_EQ(m->user_update(&key, &ifindex, kAny), -E2BIG);
    EXPECT_EQ(m->lookup(&key, 0), nullptr);
    EXPECT_EQ(m->user_delete(&key), -ENOENT);
    auto keys = all_keys(*m);
    std::sort(keys.begin(), keys.end());
    EXPECT_EQ(keys, (std::vector<uint32_t>{1000, 2000}));
    uint32_t read = 0;
    EXPECT_EQ(m->user_lookup(&key, &read), -ENOENT);  // 3000, refused above
    key = 2000;
    EXPECT_EQ(m->user_lookup(&key, &read), 0);
    EXPECT_EQ(read, 8u);
    key = 1000;
    EXPECT_EQ(m->user_delete(&key), 0);
    EXPECT_EQ(m->lookup(&key, 0), nullptr);
    EXPECT_EQ(m->user_lookup(&key, &read), -ENOENT);
    EXPECT_EQ(all_keys(*m), (std::vector<uint32_t>{2000}));
}

}  // namespace
}  // namespace xdpdk::vm
