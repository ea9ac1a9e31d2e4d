// Callbacks (issue 15) against the Linux kernel: bpf_loop walking TCP
// options and bpf_for_each_map_elem summing counters over every map type
// that has it (tests/progs/helper_callbacks.bpf.c), run through
// BPF_PROG_TEST_RUN and through xdpdk with each engine: verdicts, packets
// and every map (the helpers' return values land in `results`) must match.
// Skips without bpf().
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <cstring>
#include <thread>

#include "dual_runtime.h"
#include "kernel_oracle.h"
#include "test_support.h"
#include "tests/tools/packet_builder.h"
#include "vm/engine.h"
#include "vm/map.h"
#include "vm/object.h"
#include "vm/packet.h"

namespace xdpdk::test {
namespace {

constexpr vm::EngineKind kEngines[] = {vm::EngineKind::Interp, vm::EngineKind::Jit};

const char* engine_name(vm::EngineKind e) { return e == vm::EngineKind::Jit ? "jit" : "interp"; }

struct Cfg {
    uint32_t nr_loops, loop_flags, stop_after, each_flags;
};

struct Counter {
    uint64_t packets, bytes;
};

// An IPv4 TCP frame whose header carries `options` (padded to 4 bytes).
Bytes tcp_with_options(Bytes options) {
    while (options.size() % 4) options.push_back(0);
    PacketSpec spec;
    spec.l4 = 6;
    spec.tcp_flags = tcp_flag::Syn;
    spec.frame_len = 14 + 20 + 20;
    Bytes frame = build_packet(spec);
    frame.insert(frame.begin() + 54, options.begin(), options.end());
    frame[14 + 20 + 12] = static_cast<uint8_t>(((20 + options.size()) / 4) << 4);
    const uint16_t tot_len = static_cast<uint16_t>(frame.size() - 14);
    frame[16] = static_cast<uint8_t>(tot_len >> 8);
    frame[17] = static_cast<uint8_t>(tot_len);
    return frame;
}

void set_both(DualRuntime& rt, const std::string& map, const Bytes& key, const Bytes& value) {
    vm::Map* m = rt.vm_obj->find_map(map);
    ASSERT_NE(m, nullptr) << map;
    const Bytes v = m->percpu() ? per_cpu_value(value, kernel_possible_cpus()) : value;
    ASSERT_TRUE(rt.kernel->map_update(map, key, v).ok()) << map;
    ASSERT_EQ(m->user_update(key.data(), v.data(), vm::kAny), 0) << map;
}

// Counters in every walked map; `idle` keys of the hashes hold no packets
// (the walk deletes them from `flows` and `recent`). `same`: every busy
// counter alike, so that a walk stopped early sums the same whichever
// elements a hash visits first.
void fill_counters(DualRuntime& rt, bool same) {
    auto counter = [&](uint32_t k) { return same ? Counter{1, 100} : Counter{k, 64 * k + 3}; };
    for (uint32_t k = 1; k <= 9; ++k) {
        const bool idle = !same && k % 4 == 0;
        const Counter c = idle ? Counter{0, 0} : counter(k);
        set_both(rt, "flows", bytes_of(k * 7919), bytes_of(c));
        set_both(rt, "recent", bytes_of(k * 104729), bytes_of(c));
        if (k <= 5) {
            set_both(rt, "cpu_flows", bytes_of(k), bytes_of(counter(k)));
            set_both(rt, "cpu_recent", bytes_of(k + 1000), bytes_of(counter(k)));
        }
    }
    for (uint32_t k = 0; k < 8; ++k) set_both(rt, "ports", bytes_of(k), bytes_of(same ? Counter{1, 100} : Counter{k + 1, 60 * k}));
    for (uint32_t k = 0; k < 4; ++k) set_both(rt, "cpu_ports", bytes_of(k), bytes_of(same ? Counter{1, 100} : Counter{2 * k, 7}));
}

struct Case {
    const char* what;
    Cfg cfg;
    Bytes options;
    bool same_counters = false;
};

const Bytes kTypicalSyn = {2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7};  // MSS 1460
const Bytes kSmallMss = {1, 1, 2, 4, 0x04, 0x00, 3, 3, 2, 0};                                   // MSS 1024

const Case kCases[] = {
    {"typical SYN options, MSS clamped", {40, 0, 0, 0}, kTypicalSyn},
    {"MSS below the clamp", {40, 0, 0, 0}, kSmallMss},
    {"the loop bound stops the walk early", {2, 0, 0, 0}, kTypicalSyn},
    {"no iterations", {0, 0, 0, 0}, kTypicalSyn},
    {"EOL in the middle ends the walk", {40, 0, 0, 0}, {1, 0, 2, 4, 0x07, 0xd0}},
    {"an option of length 0 ends the walk", {40, 0, 0, 0}, {1, 1, 8, 0, 2, 4, 0x07, 0xd0}},
    {"the largest bound bpf_loop takes", {1u << 23, 0, 0, 0}, kTypicalSyn},
    {"a bound past 1 << 23 is -E2BIG", {(1u << 23) + 1, 0, 0, 0}, kTypicalSyn},
    {"bpf_loop flags other than 0 are -EINVAL", {40, 1, 0, 0}, kTypicalSyn},
    {"for_each flags other than 0 are -EINVAL", {40, 0, 0, 2}, kTypicalSyn},
    {"for_each callbacks stop after 3 elements", {40, 0, 3, 0}, kTypicalSyn, true},
    {"for_each callbacks stop at the first element", {40, 0, 1, 0}, kSmallMss, true},
};

TEST(Callbacks, LoopAndForEachSameAsTheKernel) {
    SKIP_WITHOUT_KERNEL();
    for (vm::EngineKind engine : kEngines) {
        SCOPED_TRACE(engine_name(engine));
        for (const Case& c : kCases) {
            SCOPED_TRACE(c.what);
            DualRuntime rt;
            rt.engine = engine;
            ASSERT_EQ(rt.open(test_prog_path("helper_callbacks"), {}, {}), "");
            ASSERT_EQ(rt.select_program("callbacks_probe"), "");
            set_both(rt, "cfg", bytes_of(uint32_t{0}), bytes_of(c.cfg));
            fill_counters(rt, c.same_counters);
            const Bytes packet = tcp_with_options(c.options);
            DualRuntime::Outcome out;
            EXPECT_EQ(rt.run_and_compare(packet, {}, 0, &out), "");
            rt.expect_same_maps(true, c.what);
            // A second run walks what the first left (idle entries gone).
            EXPECT_EQ(rt.run_and_compare(packet, {}, 0), "");
            rt.expect_same_maps(true, std::string(c.what) + ", second run");
        }
    }
}

// The results a run leaves, read from the VM's map.
TEST(Callbacks, WalksSeeWhatTheMapsHold) {
    SKIP_WITHOUT_KERNEL();
    DualRuntime rt;
    rt.engine = vm::EngineKind::Jit;
    ASSERT_EQ(rt.open(test_prog_path("helper_callbacks"), {}, {}), "");
    ASSERT_EQ(rt.select_program("callbacks_probe"), "");
    set_both(rt, "cfg", bytes_of(uint32_t{0}), bytes_of(Cfg{40, 0, 0, 0}));
    fill_counters(rt, false);
    DualRuntime::Outcome out;
    ASSERT_EQ(rt.run_and_compare(tcp_with_options(kTypicalSyn), {}, 0, &out), "");
    EXPECT_EQ(out.vm_action, 3u);  // XDP_TX: the MSS was clamped
    EXPECT_EQ(out.vm_data[56], 0x05);
    EXPECT_EQ(out.vm_data[57], 0x78);  // 1400
    // flows: 9 elements visited, keys 4 and 8 idle and deleted.
    const vm::Map* flows = rt.vm_obj->find_map("flows");
    Bytes v(16);
    EXPECT_EQ(flows->user_lookup(bytes_of(uint32_t{4 * 7919}).data(), v.data()), -ENOENT);
    EXPECT_EQ(flows->user_lookup(bytes_of(uint32_t{5 * 7919}).data(), v.data()), 0);
    // results: each walk's count (hash, array, per-CPU hash, per-CPU array,
    // LRU hash, LRU per-CPU hash), the idle entries deleted from both hashes.
    struct Results {
        int64_t loop_ret;
        uint32_t opts_seen;
        uint16_t mss_before;
        uint8_t wscale, sack_ok;
        int64_t each_ret[6];
        uint64_t each_packets[6], each_bytes[6], deleted;
    } r{};
    Bytes rb(sizeof r);
    ASSERT_EQ(rt.vm_obj->find_map("results")->user_lookup(bytes_of(uint32_t{0}).data(), rb.data()), 0);
    std::memcpy(&r, rb.data(), sizeof r);
    const int64_t counts[6] = {9, 8, 5, 4, 9, 5};
    for (int i = 0; i < 6; ++i) EXPECT_EQ(r.each_ret[i], counts[i]) << i;
    EXPECT_EQ(r.deleted, 4u);
    EXPECT_EQ(r.each_packets[1], 36u);  // ports: 1 + ... + 8
    EXPECT_EQ(r.mss_before, 1460);
    EXPECT_EQ(r.wscale, 7);
    EXPECT_EQ(r.sack_ok, 1);
    // MSS, SACK_PERM, timestamps, NOP, window scale; the padding's EOL stops the walk.
    EXPECT_EQ(r.opts_seen, 5u);
    EXPECT_EQ(r.loop_ret, 6);
}

// ---------------------------------------------------------------------------
// bpf_spin_lock / bpf_spin_unlock (tests/progs/helper_spin_lock.bpf.c).

struct Stats {
    uint32_t lock, largest;
    uint64_t packets, bytes;
};

Bytes from_source(uint32_t src, size_t len) {
    PacketSpec spec;
    spec.src4 = src;
    spec.frame_len = len;
    return build_packet(spec);
}

TEST(SpinLock, LockedStatsSameAsTheKernel) {
    SKIP_WITHOUT_KERNEL();
    for (vm::EngineKind engine : kEngines) {
        SCOPED_TRACE(engine_name(engine));
        DualRuntime rt;
        rt.engine = engine;
        ASSERT_EQ(rt.open(test_prog_path("helper_spin_lock"), {}, {}), "");
        ASSERT_EQ(rt.select_program("locked_stats"), "");
        const size_t lens[] = {64, 128, 90, 1500, 60};
        for (size_t i = 0; i < std::size(lens); ++i) {
            EXPECT_EQ(rt.run_and_compare(from_source(0x0a000001 + uint32_t(i % 2), lens[i]), {}, 0), "") << i;
            rt.expect_same_maps(true, "after packet " + std::to_string(i));
        }
    }
}

// Two threads (workers on two lcores) update the same locked values: no
// update is lost, and each struct stays consistent.
TEST(SpinLock, TwoThreadsLoseNoUpdates) {
    constexpr int kRuns = 20000;
    for (vm::EngineKind engine : kEngines) {
        SCOPED_TRACE(engine_name(engine));
        vm::ObjectOptions opts;
        opts.ncpus = 2;
        opts.engine = engine;
        auto obj = vm::Object::open(test_prog_path("helper_spin_lock"), opts);
        ASSERT_TRUE(obj.ok()) << obj.error().str();
        ASSERT_TRUE((*obj)->load().ok());
        vm::Program* prog = (*obj)->find_program("locked_stats").value();
        auto worker = [&](uint32_t cpu, size_t len) {
            const Bytes packet = from_source(0x0a000001, len);
            vm::ExecContext ex;
            ex.cpu = cpu;
            for (int i = 0; i < kRuns; ++i) {
                vm::PacketFrame frame(packet, 1, 0);
                vm::run_xdp(*prog, frame.xdp(), ex);
            }
        };
        std::thread a(worker, 0, 64), b(worker, 1, 100);
        a.join();
        b.join();
        for (const auto& [map, key] : {std::pair<const char*, uint32_t>{"totals", 0}, {"by_source", htonl(0x0a000001)}}) {
            SCOPED_TRACE(map);
            Stats s{};
            Bytes v(sizeof s);
            ASSERT_EQ((*obj)->find_map(map)->user_lookup(&key, v.data()), 0);
            std::memcpy(&s, v.data(), sizeof s);
            EXPECT_EQ(s.lock, 0u);
            EXPECT_EQ(s.packets, 2u * kRuns);
            EXPECT_EQ(s.bytes, uint64_t{kRuns} * (64 + 100));
            EXPECT_EQ(s.largest, 100u);
        }
    }
}

// An update copies a value around its bpf_spin_lock word, as the kernel's
// copy_map_value does: a lock a worker holds stays held through a
// userspace or program update, and userspace reads the word as 0.
TEST(SpinLock, UpdatesKeepAHeldLockAndReadsHideIt) {
    auto obj = vm::Object::open(test_prog_path("helper_spin_lock"), {});
    ASSERT_TRUE(obj.ok()) << obj.error().str();
    ASSERT_TRUE((*obj)->load().ok());
    for (const auto& [map, key] : {std::pair<const char*, uint32_t>{"totals", 0}, {"by_source", 7u}}) {
        SCOPED_TRACE(map);
        vm::Map* m = (*obj)->find_map(map);
        ASSERT_NE(m, nullptr);
        ASSERT_EQ(m->spin_lock_off(), 0);
        Stats s{};
        s.packets = 5;
        ASSERT_EQ(m->user_update(&key, &s, 0), 0);
        auto* live = static_cast<Stats*>(m->lookup(&key, 0));
        ASSERT_NE(live, nullptr);
        live->lock = 1;  // as if a worker held it
        s.packets = 6;
        if (std::string(map) == "totals") {
            // In place: the word a worker holds is kept.
            ASSERT_EQ(m->user_update(&key, &s, 0), 0);
            EXPECT_EQ(live->lock, 1u);
            ASSERT_EQ(m->update(&key, &s, 0, 0), 0);
            EXPECT_EQ(live->lock, 1u);
        } else {
            // A hash update makes a fresh element, which is unlocked.
            ASSERT_EQ(m->user_update(&key, &s, 0), 0);
            auto* fresh = static_cast<Stats*>(m->lookup(&key, 0));
            ASSERT_NE(fresh, nullptr);
            EXPECT_EQ(fresh->lock, 0u);
            fresh->lock = 1;
        }
        Stats read{};
        read.lock = 9;
        ASSERT_EQ(m->user_lookup(&key, &read), 0);
        EXPECT_EQ(read.lock, 0u);
        EXPECT_EQ(read.packets, 6u);
        static_cast<Stats*>(m->lookup(&key, 0))->lock = 0;
    }
}

// BPF_F_LOCK on userspace updates, against the kernel: accepted on values
// holding a bpf_spin_lock (array in place, hash in place or inserted), with
// the kernel's errors for bad flag combinations, and the same contents.
TEST(SpinLock, UpdatesWithBpfFLockSameAsTheKernel) {
    SKIP_WITHOUT_KERNEL();
    constexpr uint64_t kLock = 4;  // BPF_F_LOCK
    DualRuntime rt;
    ASSERT_EQ(rt.open(test_prog_path("helper_spin_lock"), {}, {}), "");
    struct Case {
        const char* map;
        uint32_t key;
        uint64_t flags;
    };
    const Case cases[] = {
        {"totals", 0, kLock},       {"totals", 0, kLock | 2},   {"totals", 0, kLock | 1},
        {"totals", 1, kLock},       {"totals", 0, 8},           {"totals", 0, kLock | 3},
        {"by_source", 7, kLock | 2}, {"by_source", 7, kLock},   {"by_source", 7, kLock | 1},
        {"by_source", 7, kLock | 2}, {"by_source", 8, kLock | 1}, {"by_source", 9, 8 | kLock},
    };
    uint64_t n = 0;
    for (const Case& c : cases) {
        SCOPED_TRACE(std::string(c.map) + " key " + std::to_string(c.key) + " flags " + std::to_string(c.flags));
        Stats s{};
        s.packets = ++n;
        s.bytes = n * 100;
        const auto* k = reinterpret_cast<const uint8_t*>(&c.key);
        const auto* v = reinterpret_cast<const uint8_t*>(&s);
        const Status kernel = rt.kernel->map_update(c.map, {k, sizeof c.key}, {v, sizeof s}, c.flags);
        const long mine = rt.vm_obj->find_map(c.map)->user_update(&c.key, &s, c.flags);
        EXPECT_EQ(mine == 0, kernel.ok()) << (kernel.ok() ? std::string("kernel accepted") : kernel.error().str())
                                          << ", xdpdk " << mine;
        if (!kernel.ok() && mine != 0) {
            EXPECT_NE(kernel.error().str().find(std::strerror(int(-mine))), std::string::npos)
                << kernel.error().str() << " against " << std::strerror(int(-mine));
        }
    }
    rt.expect_same_maps(true, "after the updates");
}

}  // namespace
}  // namespace xdpdk::test
