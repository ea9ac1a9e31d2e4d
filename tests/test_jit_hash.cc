// The JIT's specialised hash-map lookups against the lookup helper and the
// interpreter: for every map type with a hash table (hash, per-CPU hash, LRU,
// LRU per-CPU) and every specialised key size plus sizes without a
// specialisation, the inlined call must return the very pointer the helper
// returns (same node, same CPU slot) for hits, misses, deleted and re-added
// keys and keys sharing a bucket; LRU lookups must set the referenced bit as
// LruHashMap::lookup does; lookups racing with updates must only ever see
// whole values.
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <cstring>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "vm/assembler.h"
#include "vm/engine.h"
#include "vm/helpers.h"
#include "vm/jit/hash_lookup.h"
#include "vm/jit/jit.h"
#include "vm/map.h"
#include "vm/maps/hash_map.h"
#include "vm/program.h"
#include "vm/reclaim.h"

namespace xdpdk::test {
namespace {

using namespace xdpdk::vm;

constexpr uint64_t kMapMarker = 0x1111;

// r0 = bpf_map_lookup_elem(map, key = r1): the value pointer itself, so
// engines agree only if they find the same node and slot.
std::unique_ptr<Program> lookup_program(Map& map) {
    auto raw = assemble(R"(
        r2 = r1
        r1 = 0x1111 ll
        call bpf_map_lookup_elem
        exit)");
    EXPECT_TRUE(raw.ok()) << (raw.ok() ? "" : raw.error().str());
    if (!raw.ok()) return nullptr;
    const auto ptr = reinterpret_cast<uint64_t>(&map);
    EXPECT_EQ(static_cast<uint32_t>((*raw)[1].imm), kMapMarker);
    (*raw)[1].imm = static_cast<int32_t>(static_cast<uint32_t>(ptr));
    (*raw)[2].imm = static_cast<int32_t>(static_cast<uint32_t>(ptr >> 32));
    auto prog = make_program("prog 'hash'", std::move(raw).value());
    EXPECT_TRUE(prog.ok()) << (prog.ok() ? "" : prog.error().str());
    if (!prog.ok()) return nullptr;
    (*prog)->lddw_origins.push_back(LddwOrigin{1, &map, 0, false});
    return std::move(prog).value();
}

bool code_contains_pointer(const JitCode& code, const void* p) {
    const auto v = reinterpret_cast<uint64_t>(p);
    for (size_t i = 0; i + 8 <= code.code_size(); ++i)
        if (std::memcmp(code.code() + i, &v, 8) == 0) return true;
    return false;
}

bool is_lru(MapType t) { return t == MapType::LruHash || t == MapType::LruPercpuHash; }
bool is_percpu(MapType t) { return t == MapType::PercpuHash || t == MapType::LruPercpuHash; }

std::vector<uint8_t> key_of(uint32_t key_size, uint32_t n) {
    std::vector<uint8_t> key(key_size);
    // Every byte depends on n, and the last one differs too, so a compare
    // that skipped any byte would confuse keys.
    for (uint32_t i = 0; i < key_size; ++i) key[i] = static_cast<uint8_t>(n * 131 + i * 7 + (n >> 8));
    key[key_size - 1] = static_cast<uint8_t>(n);
    return key;
}

class Engines {
public:
    explicit Engines(Map& map) : map_(map) {
        interp_ = lookup_program(map);
        inlined_ = lookup_program(map);
        called_ = lookup_program(map);
        if (!interp_ || !inlined_ || !called_) return;
        JitOptions no_inline;
        no_inline.inline_helpers = false;
        EXPECT_TRUE(jit_compile(*inlined_).ok());
        EXPECT_TRUE(jit_compile(*called_, no_inline).ok());
    }
    bool ready() const { return inlined_ && inlined_->jit && called_ && called_->jit; }
    const Program& inlined() const { return *inlined_; }

    // Expects every path to return the same pointer; returns it.
    void* lookup(const std::vector<uint8_t>& key, uint32_t cpu, const std::string& what) {
        std::vector<uint8_t> mem = key;
        auto run = [&](const Program& p) {
            ExecContext ex;
            ex.cpu = cpu;
            return run_raw(p, mem.data(), mem.size(), ex);
        };
        const uint64_t direct = reinterpret_cast<uint64_t>(map_.lookup(key.data(), cpu));
        EXPECT_EQ(run(*interp_), direct) << what << " (interpreter)";
        EXPECT_EQ(run(*called_), direct) << what << " (helper call)";
        EXPECT_EQ(run(*inlined_), direct) << what << " (inlined)";
        EXPECT_EQ(mem, key) << what << ": the key is not written";
        return reinterpret_cast<void*>(direct);
    }

private:
    Map& map_;
    std::unique_ptr<Program> interp_, inlined_, called_;
};

std::unique_ptr<Map> make_map(MapType type, uint32_t key_size, uint32_t value_size, uint32_t max_entries,
                              uint32_t ncpus) {
    auto m = create_map(MapSpec{"h", static_cast<uint32_t>(type), key_size, value_size, max_entries, 0}, ncpus);
    EXPECT_TRUE(m.ok()) << (m.ok() ? "" : m.error().str());
    return m.ok() ? std::move(m).value() : nullptr;
}

const maps::HashTable& table_of(const Map& m) { return static_cast<const maps::HashMap&>(m).table(); }

void check_type_and_size(MapType type, uint32_t key_size) {
    constexpr uint32_t kNcpus = 3, kEntries = 8, kValueSize = 12;
    const std::string name = std::string(map_type_name(static_cast<uint32_t>(type))) + " key " +
                             std::to_string(key_size);
    auto map = make_map(type, key_size, kValueSize, kEntries, kNcpus);
    ASSERT_TRUE(map);
    Engines engines(*map);
    ASSERT_TRUE(engines.ready()) << name;

    const bool specialised = jit::specialised_hash_lookup(key_size, is_lru(type), is_percpu(type)) != nullptr;
    const std::set<uint32_t> kSpecialised = {4, 8, 12, 16, 20, 24, 32, 40};
    EXPECT_EQ(specialised, kSpecialised.count(key_size) == 1) << name << ": sizes the fast path is meant for";
    EXPECT_EQ(code_contains_pointer(*engines.inlined().jit, reinterpret_cast<const void*>(find_helper(1))),
              !specialised)
        << name;
    if (specialised) {
        EXPECT_TRUE(code_contains_pointer(
            *engines.inlined().jit,
            reinterpret_cast<const void*>(jit::specialised_hash_lookup(key_size, is_lru(type), is_percpu(type)))))
            << name;
    }

    // Fill the map; with as many buckets as entries some keys share one.
    const maps::HashTable& table = table_of(*map);
    std::set<uint32_t> buckets;
    for (uint32_t n = 0; n < kEntries; ++n) {
        const auto key = key_of(key_size, n);
        std::vector<uint8_t> value(is_percpu(type) ? kNcpus * 16 : kValueSize, static_cast<uint8_t>(n + 1));
        ASSERT_EQ(map->user_update(key.data(), value.data(), kAny), 0) << name;
        buckets.insert(table.hash(key.data()) & (kEntries - 1));
    }
    EXPECT_LT(buckets.size(), kEntries) << name << ": no two keys share a bucket; the walk is untested";

    for (uint32_t cpu = 0; cpu <= kNcpus; ++cpu) {
        for (uint32_t n = 0; n < 2 * kEntries; ++n) {
            const std::string what = name + " n " + std::to_string(n) + " cpu " + std::to_string(cpu);
            void* v = engines.lookup(key_of(key_size, n), cpu, what);
            const bool hit = n < kEntries && (!is_percpu(type) || cpu < kNcpus);
            EXPECT_EQ(v != nullptr, hit) << what;
            if (v) {
                EXPECT_EQ(*static_cast<uint8_t*>(v), n + 1) << what;
            }
        }
    }
    // A key differing from a present one only in its last byte misses.
    auto near = key_of(key_size, 3);
    near[key_size - 1] ^= 0x80;
    EXPECT_EQ(engines.lookup(near, 0, name + " near miss"), nullptr);

    // Deleted keys miss; re-added ones hit again.
    for (uint32_t n = 0; n < kEntries; n += 2) ASSERT_EQ(map->user_delete(key_of(key_size, n).data()), 0);
    for (uint32_t n = 0; n < kEntries; ++n) {
        const std::string what = name + " after delete n " + std::to_string(n);
        EXPECT_EQ(engines.lookup(key_of(key_size, n), 1, what) != nullptr, n % 2 == 1) << what;
    }
    const auto again = key_of(key_size, 0);
    std::vector<uint8_t> value(is_percpu(type) ? kNcpus * 16 : kValueSize, 0x77);
    ASSERT_EQ(map->user_update(again.data(), value.data(), kAny), 0);
    void* v = engines.lookup(again, 1, name + " re-added");
    ASSERT_NE(v, nullptr);
    EXPECT_EQ(*static_cast<uint8_t*>(v), 0x77);

    if (is_lru(type)) {
        // Adding a key leaves its referenced bit clear; a program lookup sets it.
        const auto key = key_of(key_size, 200);
        ASSERT_EQ(map->user_update(key.data(), value.data(), kAny), 0);
        maps::HashNode* node = table.find(key.data(), table.hash(key.data()));
        ASSERT_NE(node, nullptr);
        EXPECT_EQ(node->referenced.load(), 0) << name;
        std::vector<uint8_t> mem = key;
        ExecContext ex;
        EXPECT_NE(run_raw(engines.inlined(), mem.data(), mem.size(), ex), 0u);
        EXPECT_EQ(node->referenced.load(), 1) << name << ": the inlined lookup must mark the key used";
    }
}

class JitHashLookup : public ::testing::TestWithParam<MapType> {};

TEST_P(JitHashLookup, EverySpecialisedKeySizeMatchesTheHelper) {
    for (uint32_t key_size : {4u, 8u, 12u, 16u, 20u, 24u, 32u, 40u}) {
        check_type_and_size(GetParam(), key_size);
        if (testing::Test::HasFailure()) return;
    }
}

TEST_P(JitHashLookup, KeySizesWithoutASpecialisationCallTheHelper) {
    for (uint32_t key_size : {1u, 6u, 13u, 48u}) {
        check_type_and_size(GetParam(), key_size);
        if (testing::Test::HasFailure()) return;
    }
}

INSTANTIATE_TEST_SUITE_P(All, JitHashLookup,
                         ::testing::Values(MapType::Hash, MapType::PercpuHash, MapType::LruHash,
                                           MapType::LruPercpuHash),
                         [](const auto& info) { return std::string(map_type_name(static_cast<uint32_t>(info.param))); });

// A writer replaces and deletes keys while the inlined lookup runs: every
// hit must show a whole value that was written for that key.
TEST(JitHashLookupConcurrency, LookupsRacingWithUpdatesSeeOnlyWholeValues) {
    constexpr uint32_t kKeys = 4;
    auto map = make_map(MapType::Hash, 16, 16, 64, 1);
    ASSERT_TRUE(map);
    auto prog = lookup_program(*map);
    ASSERT_TRUE(prog && jit_compile(*prog).ok());
    auto value_for = [](uint32_t key, uint64_t round) {
        // Both words carry the same stamp: a torn value would not.
        return std::array<uint64_t, 2>{key * 1000003ull + round, key * 1000003ull + round};
    };
    std::atomic<bool> stop{false};
    std::thread writer([&] {
        for (uint64_t round = 0; !stop.load(std::memory_order_relaxed); ++round) {
            const uint32_t k = static_cast<uint32_t>(round % kKeys);
            const auto key = key_of(16, k);
            if (round % 7 == 3) {
                map->user_delete(key.data());
            } else {
                const auto v = value_for(k, round);
                map->user_update(key.data(), v.data(), kAny);
            }
        }
    });
    uint64_t hits = 0, misses = 0;
    {
        ReclaimThread online;
        for (int i = 0; i < 200000; ++i) {
            const uint32_t k = static_cast<uint32_t>(i % kKeys);
            std::vector<uint8_t> key = key_of(16, k);
            ExecContext ex;
            const uint64_t r0 = run_raw(*prog, key.data(), key.size(), ex);
            if (r0 == 0) {
                ++misses;
            } else {
                uint64_t words[2];
                std::memcpy(words, reinterpret_cast<const void*>(r0), sizeof words);
                ASSERT_EQ(words[0], words[1]) << "torn value";
                ASSERT_EQ(words[0] / 1000003ull, k) << "another key's value";
                ++hits;
            }
            online.quiescent();
        }
    }
    stop = true;
    writer.join();
    EXPECT_GT(hits, 0u);
    EXPECT_GT(misses + hits, 0u);
}

// The sample programs' hash keys take the fast path.
TEST(JitHashLookup, SampleKeySizesAreSpecialised) {
    // firewall: struct port_key (4) and __u32 rule ids; load_balancer: struct
    // vip_key (8) in a hash, struct flow_key (16) in an LRU hash.
    EXPECT_NE(jit::specialised_hash_lookup(4, false, false), nullptr);
    EXPECT_NE(jit::specialised_hash_lookup(8, false, false), nullptr);
    EXPECT_NE(jit::specialised_hash_lookup(16, true, false), nullptr);
}

}  // namespace
}  // namespace xdpdk::test
