// Helpers and map types of issue 15 against the Linux kernel: each test
// program (tests/progs) runs through BPF_PROG_TEST_RUN and through xdpdk,
// once with each engine, and the verdicts, packets and maps must match
// (queues and stacks compared element by element). The clock helpers cannot
// match exactly: each value must lie between the same clock read before
// and after both runs, xdpdk's after the kernel's, and jiffies must agree
// with the kernel's to a tick and advance at its rate. Skips without bpf().
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <ctime>
#include <thread>

#include "dual_runtime.h"
#include "kernel_oracle.h"
#include "test_support.h"
#include "tests/tools/packet_builder.h"
#include "tests/tools/sample_scenarios.h"
#include "vm/engine.h"
#include "vm/exec_context.h"
#include "vm/map.h"
#include "vm/object.h"

namespace xdpdk::test {
namespace {

constexpr vm::EngineKind kEngines[] = {vm::EngineKind::Interp, vm::EngineKind::Jit};

const char* engine_name(vm::EngineKind e) { return e == vm::EngineKind::Jit ? "jit" : "interp"; }

// The value at `key` of a kernel map dump.
Bytes kernel_value(DualRuntime& rt, const std::string& map, const Bytes& key) {
    auto dumps = rt.kernel->dump_maps();
    EXPECT_TRUE(dumps.ok()) << dumps.error().str();
    if (!dumps.ok()) return {};
    for (const auto& d : dumps.value())
        if (d.name == map && d.entries.contains(key)) return d.entries.at(key);
    ADD_FAILURE() << "kernel map " << map << " has no key " << hex(key);
    return {};
}

Bytes vm_value(DualRuntime& rt, const std::string& map, const Bytes& key) {
    const vm::Map* m = rt.vm_obj->find_map(map);
    EXPECT_NE(m, nullptr) << map;
    if (m == nullptr) return {};
    Bytes value(m->user_value_size());
    EXPECT_EQ(m->user_lookup(key.data(), value.data()), 0) << map << " " << hex(key);
    return value;
}

// Both runtimes on one test object with the given engine, its program chosen.
std::string open_both(DualRuntime& rt, const std::string& object, const std::string& prog, vm::EngineKind engine) {
    rt.engine = engine;
    if (std::string e = rt.open(test_prog_path(object), {}, {}); !e.empty()) return e;
    return rt.select_program(prog);
}

// Writes `value` at `key` of `map` on both sides.
void set_both(DualRuntime& rt, const std::string& map, const Bytes& key, const Bytes& value) {
    ASSERT_TRUE(rt.kernel->map_update(map, key, value).ok()) << map;
    ASSERT_EQ(rt.vm_obj->find_map(map)->user_update(key.data(), value.data(), vm::kAny), 0) << map;
}

// ---------------------------------------------------------------------------
// Clocks: bpf_ktime_get_ns, _boot_ns, _coarse_ns, _tai_ns, bpf_jiffies64.

struct Clocks {
    uint64_t mono, boot, coarse, tai, jiffies;
};

uint64_t now_ns(clockid_t clock) {
    timespec ts{};
    clock_gettime(clock, &ts);
    return uint64_t(ts.tv_sec) * 1'000'000'000 + uint64_t(ts.tv_nsec);
}

Clocks read_clocks() {
    return {now_ns(CLOCK_MONOTONIC), now_ns(CLOCK_BOOTTIME), now_ns(CLOCK_MONOTONIC_COARSE), now_ns(CLOCK_TAI), 0};
}

Clocks clocks_of(const Bytes& b) {
    Clocks c{};
    EXPECT_EQ(b.size(), sizeof c);
    if (b.size() == sizeof c) std::memcpy(&c, b.data(), sizeof c);
    return c;
}

struct ClockRun {
    Clocks before, kernel, vm, after;
};

ClockRun run_clocks(DualRuntime& rt, const Bytes& packet) {
    ClockRun r{};
    r.before = read_clocks();
    EXPECT_EQ(rt.run_and_compare(packet, {}, 0), "");
    r.after = read_clocks();
    const Bytes key = bytes_of(uint32_t{0});
    r.kernel = clocks_of(kernel_value(rt, "clocks", key));
    r.vm = clocks_of(vm_value(rt, "clocks", key));
    return r;
}

TEST(ClockHelpers, EachClockLiesBetweenReadsAroundTheRunsAndAfterTheKernels) {
    SKIP_WITHOUT_KERNEL();
    const Bytes packet = build_packet(PacketSpec{});
    // The kernel's boot and TAI helpers are its NMI-safe "fast" accessors,
    // which may lag the syscall's reading by a little.
    constexpr uint64_t kFastSlack = 1'000'000;
    for (vm::EngineKind engine : kEngines) {
        SCOPED_TRACE(engine_name(engine));
        DualRuntime rt;
        ASSERT_EQ(open_both(rt, "helper_time", "clock_probe", engine), "");
        for (int i = 0; i < 3; ++i) {
            const ClockRun r = run_clocks(rt, packet);
            struct Check {
                const char* name;
                uint64_t before, kernel, vm, after, slack;
            };
            const Check checks[] = {
                {"ktime_get_ns", r.before.mono, r.kernel.mono, r.vm.mono, r.after.mono, 0},
                {"ktime_get_boot_ns", r.before.boot, r.kernel.boot, r.vm.boot, r.after.boot, kFastSlack},
                {"ktime_get_coarse_ns", r.before.coarse, r.kernel.coarse, r.vm.coarse, r.after.coarse, 0},
                {"ktime_get_tai_ns", r.before.tai, r.kernel.tai, r.vm.tai, r.after.tai, kFastSlack},
            };
            for (const Check& c : checks) {
                EXPECT_LE(c.before, c.kernel + c.slack) << c.name << ": the kernel's value precedes the run";
                EXPECT_LE(c.kernel, c.vm + c.slack) << c.name << ": xdpdk's value precedes the kernel's";
                EXPECT_LE(c.vm, c.after) << c.name << ": xdpdk's value follows the run";
            }
            // Boot time includes suspend; TAI is wall-clock time, decades on.
            EXPECT_GE(r.vm.boot + kFastSlack, r.vm.mono);
            EXPECT_GT(r.vm.tai, uint64_t{1'700'000'000} * 1'000'000'000);
            // Jiffies: the same tick as the kernel's, give or take one, plus the
            // ticks between the two runs (at most HZ 1000's).
            const int64_t elapsed_ticks = int64_t((r.after.mono - r.before.mono) / 1'000'000) + 1;
            const int64_t diff = int64_t(r.vm.jiffies - r.kernel.jiffies);
            EXPECT_GE(diff, -1) << "jiffies: kernel " << r.kernel.jiffies << ", xdpdk " << r.vm.jiffies;
            EXPECT_LE(diff, 1 + elapsed_ticks) << "jiffies: kernel " << r.kernel.jiffies << ", xdpdk " << r.vm.jiffies;
        }
    }
}

TEST(ClockHelpers, JiffiesAdvanceAtTheKernelsRateAndEveryClockIsMonotonic) {
    SKIP_WITHOUT_KERNEL();
    const Bytes packet = build_packet(PacketSpec{});
    for (vm::EngineKind engine : kEngines) {
        SCOPED_TRACE(engine_name(engine));
        DualRuntime rt;
        ASSERT_EQ(open_both(rt, "helper_time", "clock_probe", engine), "");
        const ClockRun first = run_clocks(rt, packet);
        std::this_thread::sleep_for(std::chrono::milliseconds(150));
        const ClockRun second = run_clocks(rt, packet);
        const int64_t kernel_ticks = int64_t(second.kernel.jiffies - first.kernel.jiffies);
        const int64_t vm_ticks = int64_t(second.vm.jiffies - first.vm.jiffies);
        // 150 ms is 15 ticks at HZ 100, 150 at HZ 1000.
        EXPECT_GE(kernel_ticks, 15);
        EXPECT_NEAR(double(vm_ticks), double(kernel_ticks), 2.0) << "HZ differs from the kernel's";
        EXPECT_GT(second.vm.mono, first.vm.mono);
        EXPECT_GT(second.vm.boot, first.vm.boot);
        EXPECT_GT(second.vm.coarse, first.vm.coarse);
        EXPECT_GT(second.vm.tai, first.vm.tai);
    }
}

// ---------------------------------------------------------------------------
// bpf_map_lookup_percpu_elem on per-CPU arrays, hashes and LRU hashes.

struct Probe {
    uint32_t key;
    uint32_t cpu;
};

TEST(PercpuLookup, SameSlotsAsTheKernelForEveryKeyAndCpu) {
    SKIP_WITHOUT_KERNEL();
    const uint32_t ncpus = kernel_possible_cpus();
    const Bytes packet = build_packet(PacketSpec{});
    const std::vector<Probe> probes = {
        {0, 0}, {1, ncpus - 1}, {2, 0}, {3, 0}, {9, 0}, {0, ncpus}, {0, ncpus + 5}, {2, 0xffffffff},
        {1, ncpus > 1 ? 1u : 0u}, {0, 0x80000000u},
    };
    for (vm::EngineKind engine : kEngines) {
        SCOPED_TRACE(engine_name(engine));
        CpuPin pin(0);
        DualRuntime rt;
        ASSERT_EQ(open_both(rt, "helper_percpu_lookup", "percpu_lookup_probe", engine), "");
        // Key k on CPU c holds (k + 1) * 100 + c: keys 0-3 in the array, 0-2
        // in the hashes.
        for (const char* map : {"pcpu_array", "pcpu_hash", "pcpu_lru"}) {
            for (uint32_t key = 0; key < (std::string(map) == "pcpu_array" ? 4u : 3u); ++key) {
                Bytes all;
                for (uint32_t cpu = 0; cpu < ncpus; ++cpu) {
                    const Bytes one = bytes_of(uint64_t{(key + 1) * 100 + cpu});
                    all.insert(all.end(), one.begin(), one.end());
                }
                set_both(rt, map, bytes_of(key), all);
            }
        }
        for (const Probe& p : probes) {
            const std::string when = "key " + std::to_string(p.key) + " cpu " + std::to_string(p.cpu);
            set_both(rt, "probe", bytes_of(uint32_t{0}), bytes_of(p));
            EXPECT_EQ(rt.run_and_compare(packet, {}, pin.cpu()), "") << when;
            rt.expect_same_maps(true, when);
        }
    }
}

// ---------------------------------------------------------------------------
// Queues and stacks: bpf_map_push_elem, _pop_elem, _peek_elem.

enum : uint8_t { kNone, kPush, kPop, kPeek };

struct Elem {
    uint32_t a, b;
};
struct Step {
    uint8_t op;
    uint8_t on_stack;
    uint16_t pad;
    uint32_t flags;
    Elem value;
};
struct Script {
    Step steps[8];
};

Step push(bool stack, uint32_t v, uint32_t flags = 0) { return {kPush, stack, 0, flags, {v, ~v}}; }
Step pop(bool stack) { return {kPop, stack, 0, 0, {}}; }
Step peek(bool stack) { return {kPeek, stack, 0, 0, {}}; }

TEST(QueueStack, SameResultsAndContentsAsTheKernel) {
    SKIP_WITHOUT_KERNEL();
    const Bytes packet = build_packet(PacketSpec{});
    constexpr bool Q = false, S = true;
    constexpr uint32_t kExist = 2, kNoExist = 1, kLock = 4;
    // Each script runs on what the ones before left (both maps hold 4).
    const std::vector<Script> scripts = {
        // A queue filled past full: BPF_ANY fails, BPF_EXIST drops the oldest.
        {{push(Q, 1), push(Q, 2), push(Q, 3), push(Q, 4), push(Q, 5), push(Q, 6, kExist), peek(Q), pop(Q)}},
        // The same on a stack, whose oldest is its bottom.
        {{push(S, 1), push(S, 2), push(S, 3), push(S, 4), push(S, 5, kExist), peek(S), pop(S), pop(S)}},
        // A stack emptied: pop and peek fail and zero the value; bad flags.
        {{pop(S), pop(S), pop(S), peek(S), push(S, 7, kNoExist), push(S, 8, 3), push(S, 9, kLock), peek(S)}},
        // The queue drained, refilled, and wrapped around its ring.
        {{pop(Q), pop(Q), pop(Q), pop(Q), peek(Q), push(Q, 10), push(Q, 11, kExist), peek(Q)}},
        {{push(Q, 12), push(Q, 13), push(Q, 14), push(Q, 15, kExist), push(Q, 16, kExist), pop(Q), push(S, 17),
          push(S, 18)}},
        // Steps left out (op 0) do nothing.
        {{pop(Q), {}, peek(S), {}, {}, pop(S), {}, push(Q, 19)}},
    };
    for (vm::EngineKind engine : kEngines) {
        SCOPED_TRACE(engine_name(engine));
        DualRuntime rt;
        ASSERT_EQ(open_both(rt, "map_queue_stack", "queue_stack_probe", engine), "");
        for (size_t i = 0; i < scripts.size(); ++i) {
            const std::string when = "script " + std::to_string(i);
            set_both(rt, "script", bytes_of(uint32_t{0}), bytes_of(scripts[i]));
            EXPECT_EQ(rt.run_and_compare(packet, {}, 0), "") << when;
            rt.expect_same_maps(true, when);
        }
        // Userspace between runs: a push and a pop on each map, as bpf() does them.
        for (const char* name : {"queue", "stack"}) {
            vm::Map* m = rt.vm_obj->find_map(name);
            const Bytes value = bytes_of(Elem{0x77, 0x88});
            EXPECT_EQ(m->user_update(nullptr, value.data(), vm::kAny), 0) << name;
            ASSERT_TRUE(rt.kernel->map_update(name, {}, value).ok()) << name;
        }
        rt.expect_same_maps(true, "after userspace pushes");
        set_both(rt, "script", bytes_of(uint32_t{0}), bytes_of(scripts[0]));
        EXPECT_EQ(rt.run_and_compare(packet, {}, 0), "");
        rt.expect_same_maps(true, "after the last run");
    }
}

// ---------------------------------------------------------------------------
// bpf_trace_vprintk: bpf_printk with more than three arguments.

class Lines : public vm::TraceSink {
public:
    void write(std::string_view line) override {
        const size_t at = line.find("bpf_trace_printk: ");
        lines.emplace_back(at == std::string_view::npos ? line : line.substr(at));
    }
    std::vector<std::string> lines;
};

TEST(Vprintk, SameResultsAsTheKernelAndTheLinesOfBpfTracePrintk) {
    SKIP_WITHOUT_KERNEL();
    PacketSpec spec;
    spec.frame_len = 98;
    const Bytes packet = build_packet(spec);
    for (vm::EngineKind engine : kEngines) {
        SCOPED_TRACE(engine_name(engine));
        DualRuntime rt;
        Lines lines;
        rt.trace = &lines;
        ASSERT_EQ(open_both(rt, "helper_vprintk", "vprintk_probe", engine), "");
        EXPECT_EQ(rt.run_and_compare(packet, {}, 0), "");
        rt.expect_same_maps(true, "after the run");
        const std::vector<std::string> expected = {
            "bpf_trace_printk: four: len 98, -7, beef, str",
            "bpf_trace_printk: twelve: 1 2 3 4 5 6 7 8 9 10 98 1234567890",
            "bpf_trace_printk: three: 1 2 98",
        };
        EXPECT_EQ(lines.lines, expected);
        // What each call returned: the message's length, -EINVAL for the short one.
        const int64_t lengths[] = {int64_t(expected[0].size() - 18), int64_t(expected[1].size() - 18),
                                   int64_t(expected[2].size() - 18), -22};
        for (uint32_t slot = 0; slot < 4; ++slot)
            EXPECT_EQ(vm_value(rt, "printed", bytes_of(slot)), bytes_of(lengths[slot])) << "call " << slot;
    }
}


// ---------------------------------------------------------------------------
// bpf_strtol, bpf_strtoul, bpf_strncmp (against a .rodata string) and
// bpf_get_numa_node_id: the payload after the Ethernet header is the text.

TEST(Strings, SameParsesAndComparisonsAsTheKernel) {
    SKIP_WITHOUT_KERNEL();
    const std::vector<std::string> texts = {
        "42", "SET 42", "SET -17 rest", "  \t 123abc", "-0", "0x1F", "0X1f", "0x", "0xg", "0777", "08",
        "9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
        "18446744073709551615", "18446744073709551616", "99999999999999999999999", "-", " ", "abc", "SE",
        "SET ", "SET x", "set 5", std::string("12\0 34", 6), "\xa0" "7", "+5", "1234567890123456789012345678901234",
    };
    // Base in the low bits; a base the helpers refuse, and a flag beyond them.
    const uint64_t flags[] = {0, 8, 10, 16, 2, 0x20};
    for (vm::EngineKind engine : kEngines) {
        SCOPED_TRACE(engine_name(engine));
        DualRuntime rt;
        ASSERT_EQ(open_both(rt, "helper_strings", "parse_text", engine), "");
        for (uint64_t f : flags) {
            set_both(rt, "config", bytes_of(uint32_t{0}), bytes_of(f));
            for (const std::string& text : texts) {
                Bytes packet(14, 0);
                packet[12] = 0x08;
                packet.insert(packet.end(), text.begin(), text.end());
                const std::string when = "flags " + std::to_string(f) + " text '" + text + "'";
                EXPECT_EQ(rt.run_and_compare(packet, {}, 0), "") << when;
                rt.expect_same_maps(true, when);
            }
        }
    }
}

}  // namespace
}  // namespace xdpdk::test
