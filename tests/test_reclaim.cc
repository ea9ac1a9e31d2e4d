// The reclamation domain on its own, then the maps under concurrency: readers
// dereferencing looked-up values while writers replace and delete entries and
// memory is reclaimed. Run under -Db_sanitize=address to catch use-after-free.
#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <random>
#include <thread>
#include <vector>

#include "vm/map.h"
#include "vm/reclaim.h"

namespace xdpdk::vm {
namespace {

std::atomic<int> g_freed{0};
void count_free(void* p) {
    delete static_cast<int*>(p);
    g_freed.fetch_add(1);
}

class Reclaim : public ::testing::Test {
protected:
    void SetUp() override { g_freed = 0; }
    void retire_one(ReclaimDomain& d) { d.retire(new int(1), &count_free); }
};

TEST_F(Reclaim, NothingOnlineFreesAtCollect) {
    ReclaimDomain d;
    retire_one(d);
    retire_one(d);
    EXPECT_EQ(g_freed, 0);  // retire never frees by itself
    EXPECT_EQ(d.pending(), 2u);
    EXPECT_EQ(d.collect(), 2u);
    EXPECT_EQ(g_freed, 2);
    EXPECT_EQ(d.pending(), 0u);
}

TEST_F(Reclaim, WaitsForEveryOnlineThreadsQuiescentState) {
    ReclaimDomain d;
    ReclaimThread self(d);
    std::atomic<int> step{0};
    std::thread other([&] {
        ReclaimThread t(d);
        step = 1;
        while (step != 2) std::this_thread::yield();
        t.quiescent();
        step = 3;
        while (step != 4) std::this_thread::yield();
    });
    while (step != 1) std::this_thread::yield();
    retire_one(d);
    EXPECT_EQ(d.collect(), 0u);  // neither thread has passed a quiescent state
    self.quiescent();
    EXPECT_EQ(g_freed, 0);       // the other one still may hold it
    step = 2;
    while (step != 3) std::this_thread::yield();
    d.collect();  // the other thread's quiescent() may have collected it already
    EXPECT_EQ(g_freed, 1);
    step = 4;
    other.join();
    EXPECT_EQ(d.online_threads(), 1u);
}

TEST_F(Reclaim, OfflineThreadsAreNotWaitedFor) {
    ReclaimDomain d;
    ReclaimThread t(d);
    EXPECT_TRUE(t.is_online());
    t.offline();
    EXPECT_FALSE(t.is_online());
    retire_one(d);
    EXPECT_EQ(d.collect(), 1u);
    t.online();
    retire_one(d);
    EXPECT_EQ(d.collect(), 0u);
    t.quiescent();  // collects what it no longer holds
    EXPECT_EQ(g_freed, 2);
}

TEST_F(Reclaim, ThreadOnlineAfterRetireDoesNotDelayIt) {
    ReclaimDomain d;
    retire_one(d);
    ReclaimThread late(d);
    EXPECT_EQ(d.collect(), 1u);
}

TEST_F(Reclaim, ReadersNeverSeeAValueFreedUnderThem) {
    // The worker holds the published value across a "burst" (reads it, waits,
    // reads it again) and reports a quiescent state only between bursts,
    // while the main thread swaps, retires and synchronizes. Freeing before
    // the worker's quiescent state would overwrite the value (poisoned_free)
    // under it; ASan builds see the use-after-free as well.
    ReclaimDomain d;
    std::atomic<int*> published{new int(1)};
    std::atomic<bool> stop{false}, started{false}, saw_freed{false};
    std::thread worker([&] {
        ReclaimThread t(d);
        started = true;
        while (!stop) {
            const int* held = published.load(std::memory_order_acquire);
            const int first = *held;
            std::this_thread::sleep_for(std::chrono::microseconds(50));
            if (first != 1 || *held != 1) saw_freed = true;
            t.quiescent();
        }
    });
    while (!started) std::this_thread::yield();
    auto poisoned_free = [](void* p) {
        *static_cast<int*>(p) = -1;
        count_free(p);
    };
    for (int swap = 0; swap < 20; ++swap) {
        int* old = published.exchange(new int(1), std::memory_order_acq_rel);
        d.retire(old, poisoned_free);
        d.synchronize();
        EXPECT_EQ(g_freed, swap + 1);
    }
    stop = true;
    worker.join();
    EXPECT_FALSE(saw_freed) << "the worker read a value freed under it";
    delete published.load();
}

TEST_F(Reclaim, SynchronizeWaitsForFreesAnotherThreadStarted) {
    // Another thread's collect() has taken the item off the list and is still
    // in its free function: synchronize() must not return before it is done.
    ReclaimDomain d;
    static std::atomic<bool> entered, done;
    entered = false;
    done = false;
    d.retire(new int(1), [](void* p) {
        entered = true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        count_free(p);
        done = true;
    });
    std::thread collector([&] { d.collect(); });
    while (!entered) std::this_thread::yield();
    d.synchronize();
    EXPECT_TRUE(done);
    collector.join();
}

TEST_F(Reclaim, DestroyingTheDomainFreesWhatIsPending) {
    {
        ReclaimDomain d;
        ReclaimThread t(d);
        retire_one(d);
        retire_one(d);
        t.offline();
    }
    EXPECT_EQ(g_freed, 2);
}

TEST_F(Reclaim, RegistrationsAreReused) {
    ReclaimDomain d;
    for (int i = 0; i < 5; ++i) {
        ReclaimThread a(d), b(d);
        EXPECT_EQ(d.online_threads(), 2u);
    }
    EXPECT_EQ(d.online_threads(), 0u);
}

// ---------------------------------------------------------------- maps

// Values carry their own checksum: a reader that sees a half-written or freed
// value fails the check (and ASan flags the read).
struct Value {
    uint64_t key;
    uint64_t generation;
    uint64_t check;
};
uint64_t checksum(uint64_t key, uint64_t generation) { return (key * 0x9e3779b97f4a7c15ull) ^ generation; }

struct LpmKey {
    uint32_t prefixlen;
    uint8_t addr[4];
};

// Map-type-specific key making, so one stress loop covers them all.
struct StressTarget {
    MapSpec spec;
    uint32_t keys;  // key space for writers and readers
    // Writes the key for slot `i` (readers use the same slots).
    void make_key(uint32_t i, bool reader, void* out) const {
        if (spec.type == static_cast<uint32_t>(MapType::LpmTrie)) {
            // Writers store /24s and /16s over 10.x.y.0; readers look up hosts.
            LpmKey k{reader ? 32u : (i % 5 == 0 ? 16u : 24u), {10, uint8_t(i >> 8), uint8_t(i), uint8_t(i * 7)}};
            if (k.prefixlen == 16) k.addr[2] = 0;
            std::memcpy(out, &k, sizeof k);
        } else {
            std::memcpy(out, &i, sizeof i);
        }
    }
};

void stress(const StressTarget& target, std::chrono::milliseconds duration) {
    auto created = create_map(target.spec, 2);
    ASSERT_TRUE(created.ok()) << created.error().str();
    Map& map = **created;
    const bool devmap = target.spec.type == static_cast<uint32_t>(MapType::DevmapHash);
    std::atomic<bool> stop{false};
    std::atomic<uint64_t> found{0}, bad{0};

    auto reader = [&](uint32_t seed) {
        ReclaimThread self;
        std::mt19937 rng(seed);
        uint8_t key[8];
        uint64_t local_found = 0;
        while (!stop.load(std::memory_order_relaxed)) {
            for (int burst = 0; burst < 32; ++burst) {
                const uint32_t i = rng() % target.keys;
                target.make_key(i, true, key);
                const void* p = map.lookup(key, 0);
                if (p == nullptr) continue;
                ++local_found;
                if (devmap) {
                    uint32_t ifindex;
                    std::memcpy(&ifindex, p, 4);
                    if (ifindex != i + 1) bad.fetch_add(1);
                    continue;
                }
                Value v;
                std::memcpy(&v, p, sizeof v);
                if (v.check != checksum(v.key, v.generation)) bad.fetch_add(1);
                // Hash maps hold exactly this key; an LPM match covers the address.
                if (target.spec.type != static_cast<uint32_t>(MapType::LpmTrie) && v.key != i) bad.fetch_add(1);
            }
            self.quiescent();
        }
        found.fetch_add(local_found);
    };

    // A worker thread updating from programs...
    auto writer = [&] {
        ReclaimThread self;
        std::mt19937 rng(99);
        uint8_t key[8];
        for (uint64_t generation = 1; !stop.load(std::memory_order_relaxed); ++generation) {
            const uint32_t i = rng() % target.keys;
            target.make_key(i, false, key);
            if (rng() % 4 == 0) {
                map.remove(key);
            } else if (devmap) {
                const uint32_t ifindex = i + 1;
                map.update(key, &ifindex, kAny, 0);
            } else {
                const Value v{i, generation, checksum(i, generation)};
                map.update(key, &v, kAny, 0);
            }
            if (generation % 16 == 0) self.quiescent();
        }
    };
    // ...and a control thread (not online) using the user side.
    auto control = [&] {
        std::mt19937 rng(5);
        uint8_t key[8], next[8];
        std::vector<uint8_t> value(map.user_value_size());
        for (uint64_t generation = uint64_t{1} << 40; !stop.load(std::memory_order_relaxed); ++generation) {
            const uint32_t i = rng() % target.keys;
            target.make_key(i, false, key);
            switch (rng() % 4) {
                case 0: map.user_delete(key); break;
                case 1: map.user_lookup(key, value.data()); break;
                case 2: map.next_key(key, next); break;
                default:
                    if (devmap) {
                        const uint32_t ifindex = i + 1;
                        map.user_update(key, &ifindex, kAny);
                    } else {
                        const Value v{i, generation, checksum(i, generation)};
                        map.user_update(key, &v, kAny);
                    }
            }
        }
    };

    std::vector<std::thread> threads;
    threads.emplace_back(reader, 1);
    threads.emplace_back(reader, 2);
    threads.emplace_back(writer);
    threads.emplace_back(control);
    std::this_thread::sleep_for(duration);
    stop = true;
    for (auto& t : threads) t.join();

    EXPECT_EQ(bad.load(), 0u) << map_type_name(target.spec.type);
    EXPECT_GT(found.load(), 1000u) << map_type_name(target.spec.type) << ": readers found too little to mean much";
    ReclaimDomain::global().collect();
}

TEST(MapConcurrency, ReadersSeeConsistentValuesWhileWritersChurn) {
    const std::chrono::milliseconds each(250);
    stress({{"hash", uint32_t(MapType::Hash), 4, sizeof(Value), 256, 0}, 300}, each);
    stress({{"lru", uint32_t(MapType::LruHash), 4, sizeof(Value), 128, 0}, 300}, each);
    stress({{"lpm", uint32_t(MapType::LpmTrie), 8, sizeof(Value), 1024, 1}, 600}, each);
    stress({{"devmap_hash", uint32_t(MapType::DevmapHash), 4, 4, 256, 0}, 300}, each);
    // Everything retired during the runs is freed once no thread is online.
    EXPECT_EQ(ReclaimDomain::global().pending(), 0u);
}

}  // namespace
}  // namespace xdpdk::vm
