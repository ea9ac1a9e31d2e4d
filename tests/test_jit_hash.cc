// The JIT's specialised hash-map lookups against the lookup helper and the
// interpreter: for every map type with a hash table (hash, per-CPU hash, LRU,
// LRU per-CPU) and every specialised key size plus sizes without a
// specialisation, the inlined call must return the very pointer the helper
// returns (same node, same CPU slot) for hits, misses, deleted and re-added
// keys and keys sharing a bucket; LRU lookups must set the referenced bit as
// LruHashMap::lookup does; lookups racing with updates must only ever see
// whole values. Keys built on the stack by narrow stores, which the JIT
// rewrites as whole words before the lookup (vm/jit/narrow_stores.cc), must
// find what the helper finds and stay unchanged. The hash's crc32 instruction
// must agree with its portable form (other architectures).
#include <gtest/gtest.h>

#include <algorithm>
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

    // Fill the map with kEntries keys, the last one chosen to share a bucket
    // with an earlier one, so that the chain walk is tested whatever the
    // map's (random) seed.
    const maps::HashTable& table = table_of(*map);
    auto bucket = [&](uint32_t n) { return table.hash(key_of(key_size, n).data()) & (kEntries - 1); };
    std::vector<uint32_t> present;
    std::set<uint32_t> buckets;
    for (uint32_t n = 0; n + 1 < kEntries; ++n) {
        present.push_back(n);
        buckets.insert(bucket(n));
    }
    uint32_t shared = kEntries - 1;
    while (buckets.count(bucket(shared)) == 0 && shared < 10000) ++shared;
    ASSERT_EQ(buckets.count(bucket(shared)), 1u) << name << ": no key shares a bucket";
    present.push_back(shared);
    for (uint32_t n : present) {
        const auto key = key_of(key_size, n);
        std::vector<uint8_t> value(is_percpu(type) ? kNcpus * 16 : kValueSize, static_cast<uint8_t>(n + 1));
        ASSERT_EQ(map->user_update(key.data(), value.data(), kAny), 0) << name;
    }
    auto is_present = [&](uint32_t n) { return std::find(present.begin(), present.end(), n) != present.end(); };

    for (uint32_t cpu = 0; cpu <= kNcpus; ++cpu) {
        for (uint32_t n = 0; n <= shared + kEntries; ++n) {
            const std::string what = name + " n " + std::to_string(n) + " cpu " + std::to_string(cpu);
            void* v = engines.lookup(key_of(key_size, n), cpu, what);
            const bool hit = is_present(n) && (!is_percpu(type) || cpu < kNcpus);
            EXPECT_EQ(v != nullptr, hit) << what;
            if (v) {
                EXPECT_EQ(*static_cast<uint8_t*>(v), static_cast<uint8_t>(n + 1)) << what;
            }
        }
    }
    // A key differing from a present one only in its last byte misses.
    auto near = key_of(key_size, 3);
    near[key_size - 1] ^= 0x80;
    EXPECT_EQ(engines.lookup(near, 0, name + " near miss"), nullptr);

    // Deleted keys miss; re-added ones hit again.
    for (size_t i = 0; i < present.size(); i += 2) ASSERT_EQ(map->user_delete(key_of(key_size, present[i]).data()), 0);
    for (size_t i = 0; i < present.size(); ++i) {
        const std::string what = name + " after delete n " + std::to_string(present[i]);
        EXPECT_EQ(engines.lookup(key_of(key_size, present[i]), 1, what) != nullptr, i % 2 == 1) << what;
    }
    const auto again = key_of(key_size, present[0]);
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
    std::atomic<bool> stop{false}, started{false};
    std::thread writer([&] {
        for (uint64_t round = 0; !stop.load(std::memory_order_relaxed); ++round) {
            // The reader starts once every key has been written at least once
            // (on a loaded machine it could otherwise finish before this
            // thread ran at all, and see no hit).
            if (round == 2 * kKeys) started.store(true);
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
    while (!started.load()) std::this_thread::yield();
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


// ---- keys built on the stack (vm/jit/narrow_stores.cc) ----

// Assembles `text` and points every `r1 = 0x1111 ll` at `map`.
std::unique_ptr<Program> program_with_map(const std::string& text, Map& map) {
    auto raw = assemble(text);
    EXPECT_TRUE(raw.ok()) << (raw.ok() ? "" : raw.error().str()) << "\n" << text;
    if (!raw.ok()) return nullptr;
    const auto ptr = reinterpret_cast<uint64_t>(&map);
    std::vector<size_t> lddws;
    for (size_t i = 0; i + 1 < raw->size(); ++i) {
        RawInsn& in = (*raw)[i];
        if (in.code == 0x18 && static_cast<uint32_t>(in.imm) == kMapMarker && (*raw)[i + 1].imm == 0) {
            in.imm = static_cast<int32_t>(static_cast<uint32_t>(ptr));
            (*raw)[i + 1].imm = static_cast<int32_t>(static_cast<uint32_t>(ptr >> 32));
            lddws.push_back(i);
            ++i;
        }
    }
    auto prog = make_program("prog 'stack_key'", std::move(raw).value());
    EXPECT_TRUE(prog.ok()) << (prog.ok() ? "" : prog.error().str());
    if (!prog.ok()) return nullptr;
    for (size_t i : lddws) (*prog)->lddw_origins.push_back(LddwOrigin{static_cast<uint32_t>(i), &map, 0, false});
    return std::move(prog).value();
}

// The program under test: values in r3-r5 (from the buffer), stores that
// build the key, the lookup, then the key's bytes copied to buffer[32...] and
// r0 = the value pointer.
struct StackKeyProgram {
    std::string text;
    std::vector<uint8_t> key;  // what the stores leave in the key's bytes
};

constexpr size_t kKeyCopyAt = 32;

std::vector<uint8_t> stack_key_buffer() {
    std::vector<uint8_t> mem(kKeyCopyAt + 48);
    for (size_t i = 0; i < 24; ++i) mem[i] = static_cast<uint8_t>(0x31 * i + 0x17);
    return mem;
}

// A random case: the key at r10 + key_off (any alignment), first covered
// completely by random stores, then overwritten in part by more random
// stores, overlapping each other and the key's edges; some by immediates,
// some from registers, some through r7 (a moved copy of r10), optionally
// with a basic-block boundary in between.
StackKeyProgram random_stack_key_program(std::mt19937_64& rng, uint32_t key_size) {
    auto pick = [&](int64_t lo, int64_t hi) { return lo + static_cast<int64_t>(rng() % uint64_t(hi - lo + 1)); };
    const std::vector<uint8_t> mem = stack_key_buffer();
    uint64_t regs[6] = {};
    for (int r = 3; r <= 5; ++r) std::memcpy(&regs[r], &mem[8 * (r - 3)], 8);

    const int64_t key_off = pick(-512, -int64_t{key_size});
    const int64_t r7_off = pick(-256, 0);
    // Stack bytes from key_off - 8 to key_off + key_size + 8 (within the frame).
    const int64_t lo = std::max<int64_t>(-512, key_off - 8), hi = std::min<int64_t>(0, key_off + key_size + 8);
    std::vector<int> bytes(static_cast<size_t>(hi - lo), -1);
    std::string text = "r3 = *(u64 *)(r1 +0)\nr4 = *(u64 *)(r1 +8)\nr5 = *(u64 *)(r1 +16)\nr9 = r1\n";
    text += "r7 = r10\nr7 += " + std::to_string(r7_off) + "\n";

    auto store = [&](int64_t at, unsigned size) {
        static const char* kSize[] = {"", "u8", "u16", "", "u32", "", "", "", "u64"};
        const bool via_r7 = rng() % 4 == 0;
        const int64_t off = via_r7 ? at - r7_off : at;
        if (off < -32768 || off > 32767) return;
        std::string line = "*(";
        line += kSize[size];
        line += via_r7 ? " *)(r7 " : " *)(r10 ";
        if (off >= 0) line += "+";
        line += std::to_string(off);
        line += ") = ";
        uint64_t value;
        if (rng() % 3 == 0) {
            const auto imm = static_cast<int32_t>(rng());
            value = static_cast<uint64_t>(int64_t{imm});
            line += std::to_string(imm);
        } else {
            const int r = static_cast<int>(pick(3, 5));
            value = regs[r];
            line += 'r';
            line += std::to_string(r);
        }
        text += line + "\n";
        for (unsigned b = 0; b < size; ++b) bytes[static_cast<size_t>(at + b - lo)] = static_cast<uint8_t>(value >> (8 * b));
    };
    auto random_size = [&] { return 1u << pick(0, 3); };
    auto random_store = [&] {
        const unsigned size = random_size();
        const int64_t at = pick(lo, hi - size);
        store(at, size);
    };

    // Cover the key completely (the engines' stacks start out different).
    for (int64_t at = key_off; at < key_off + key_size;) {
        unsigned size = random_size();
        while (at + size > hi) size /= 2;
        store(at, size);
        at += size;
    }
    const int before = static_cast<int>(pick(0, 3));
    for (int i = 0; i < before; ++i) random_store();
    if (rng() % 2) text += "goto +0\n";  // what follows is a new basic block
    const int after = static_cast<int>(pick(0, 6));
    for (int i = 0; i < after; ++i) random_store();

    switch (rng() % 3) {
        case 0: text += "r2 = r10\nr2 += " + std::to_string(key_off) + "\n"; break;
        case 1: text += "r2 = r10\nr2 -= " + std::to_string(-key_off) + "\n"; break;
        default: text += "r2 = r7\nr2 += " + std::to_string(key_off - r7_off) + "\n"; break;
    }
    text += "r1 = 0x1111 ll\ncall bpf_map_lookup_elem\nr6 = r0\n";
    for (uint32_t b = 0; b < key_size; ++b)
    {
        text += "r1 = *(u8 *)(r10 ";
        text += std::to_string(key_off + b);
        text += ")\n*(u8 *)(r9 +";
        text += std::to_string(kKeyCopyAt + b);
        text += ") = r1\n";
    }
    text += "r0 = r6\nexit\n";

    StackKeyProgram p{text, {}};
    for (uint32_t b = 0; b < key_size; ++b) {
        const int v = bytes[static_cast<size_t>(key_off + b - lo)];
        EXPECT_GE(v, 0) << "generator: key byte " << b << " not covered";
        p.key.push_back(static_cast<uint8_t>(v));
    }
    return p;
}

// Runs `p` on the interpreter and on the JIT with the rewrite on and off and
// with the helper call; all must return the direct lookup's pointer and copy
// out the key the stores built. Returns whether the rewrite was emitted.
bool check_stack_key_program(Map& map, const StackKeyProgram& p, const std::string& what) {
    auto interp = program_with_map(p.text, map);
    auto forwarded = program_with_map(p.text, map);
    auto plain = program_with_map(p.text, map);
    auto called = program_with_map(p.text, map);
    EXPECT_TRUE(interp && forwarded && plain && called) << what;
    if (!interp || !forwarded || !plain || !called) return false;
    JitOptions no_forward, no_inline;
    no_forward.forward_narrow_stores = false;
    no_inline.inline_helpers = false;
    EXPECT_TRUE(jit_compile(*forwarded).ok()) << what;
    EXPECT_TRUE(jit_compile(*plain, no_forward).ok()) << what;
    EXPECT_TRUE(jit_compile(*called, no_inline).ok()) << what;
    if (!forwarded->jit || !plain->jit || !called->jit) return false;

    const uint64_t expected = reinterpret_cast<uint64_t>(map.lookup(p.key.data(), 0));
    auto run = [&](const Program& prog, const char* engine) {
        std::vector<uint8_t> mem = stack_key_buffer();
        ExecContext ex;
        EXPECT_EQ(run_raw(prog, mem.data(), mem.size(), ex), expected) << what << " (" << engine << ")\n" << p.text;
        EXPECT_TRUE(std::equal(p.key.begin(), p.key.end(), mem.begin() + kKeyCopyAt))
            << what << " (" << engine << "): the key bytes changed\n" << p.text;
    };
    run(*interp, "interpreter");
    run(*forwarded, "JIT");
    run(*plain, "JIT without the rewrite");
    run(*called, "JIT, helper call");
    return forwarded->jit->code_size() > plain->jit->code_size();
}

TEST(JitStackKeys, RandomStoreSequencesLookUpTheKeyTheyBuilt) {
    constexpr int kCases = 150;
    std::mt19937_64 rng(20261122);
    for (uint32_t key_size : {4u, 8u, 12u, 16u, 20u, 24u, 32u, 40u}) {
        auto map = make_map(MapType::Hash, key_size, 8, 64, 1);
        ASSERT_TRUE(map);
        int rewritten = 0, hits = 0;
        for (int i = 0; i < kCases; ++i) {
            const StackKeyProgram p = random_stack_key_program(rng, key_size);
            // Half of the keys are present (and stay: later cases may build them again).
            if (rng() % 2) {
                const uint64_t value = rng();
                map->user_update(p.key.data(), &value, kAny);
            }
            hits += map->lookup(p.key.data(), 0) != nullptr;
            std::string what = "key ";
            what += std::to_string(key_size);
            what += " case ";
            what += std::to_string(i);
            rewritten += check_stack_key_program(*map, p, what);
            if (testing::Test::HasFailure()) return;
        }
        // The cases exercise the rewrite, and lookups that hit and miss.
        EXPECT_GT(rewritten, kCases / 3) << "key " << key_size;
        EXPECT_GT(hits, kCases / 4) << "key " << key_size;
        EXPECT_LT(hits, kCases) << "key " << key_size;
    }
}

// The load balancer's VIP key: a u32, a u16 and a u8 store in the lookup's
// block over a byte zeroed earlier. The rewrite is emitted there (the code
// grows) and not for a key stored as one u64.
TEST(JitStackKeys, MixedStoresAreRewrittenAndWholeWordsAreLeftAlone) {
    auto map = make_map(MapType::Hash, 8, 8, 16, 1);
    ASSERT_TRUE(map);
    const uint8_t key[8] = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0};
    const uint64_t value = 42;
    ASSERT_EQ(map->user_update(key, &value, kAny), 0);
    const std::string mixed = R"(
        r1 = 0
        *(u64 *)(r10 -48) = r1
        goto +0
        *(u8 *)(r10 -42) = 0x77
        r3 = 0x6655
        *(u16 *)(r10 -44) = r3
        r1 = 0x44332211
        *(u32 *)(r10 -48) = r1
        r2 = r10
        r2 += -48
        r1 = 0x1111 ll
        call bpf_map_lookup_elem
        exit)";
    const std::string whole = R"(
        r1 = 0x0077665544332211 ll
        *(u64 *)(r10 -48) = r1
        r2 = r10
        r2 += -48
        r1 = 0x1111 ll
        call bpf_map_lookup_elem
        exit)";
    JitOptions no_forward;
    no_forward.forward_narrow_stores = false;
    for (const std::string* text : {&mixed, &whole}) {
        auto on = program_with_map(*text, *map), off = program_with_map(*text, *map);
        ASSERT_TRUE(on && off);
        ASSERT_TRUE(jit_compile(*on).ok());
        ASSERT_TRUE(jit_compile(*off, no_forward).ok());
        if (text == &mixed) EXPECT_GT(on->jit->code_size(), off->jit->code_size());
        else EXPECT_EQ(on->jit->code_size(), off->jit->code_size());
        for (const Program* p : {on.get(), off.get()}) {
            std::vector<uint8_t> mem(8, 1);
            ExecContext ex;
            EXPECT_EQ(run_raw(*p, mem.data(), mem.size(), ex), reinterpret_cast<uint64_t>(map->lookup(key, 0)));
        }
    }
}

// ---- the hash (vm/maps/hash_table.h) ----

TEST(HashKey, Crc32cWordMatchesThePortableForm) {
    std::mt19937_64 rng(7);
    for (int i = 0; i < 10000; ++i) {
        const uint64_t crc = i % 3 == 0 ? 0 : static_cast<uint32_t>(rng()), word = i % 5 == 0 ? 0 : rng();
        ASSERT_EQ(maps::crc32c_word(crc, word), maps::crc32c_word_portable(static_cast<uint32_t>(crc), word))
            << "crc " << crc << " word " << word;
    }
    // Known answer: CRC-32C (Castagnoli) of "12345678", init and final xor ~0.
    uint64_t word;
    std::memcpy(&word, "12345678", 8);
    EXPECT_EQ(~maps::crc32c_word_portable(0xffffffffu, word), 0x6087809au);
}

// BPF_F_ZERO_SEED maps hash alike (same buckets, so the same iteration order)
// in every map and process; random seeds differ.
TEST(HashKey, ZeroSeedIsFixedAndRandomSeedsDiffer) {
    maps::HashTable a(16, 8, 64, true), b(16, 8, 64, true), c(16, 8, 64, false), d(16, 8, 64, false);
    int differ = 0;
    for (uint32_t n = 0; n < 64; ++n) {
        const auto key = key_of(16, n);
        EXPECT_EQ(a.hash(key.data()), b.hash(key.data()));
        EXPECT_EQ(a.hash(key.data()), maps::hash_key(0, key.data(), 16));
        differ += c.hash(key.data()) != d.hash(key.data());
    }
    EXPECT_GT(differ, 60);
}

}  // namespace
}  // namespace xdpdk::test
