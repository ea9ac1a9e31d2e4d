// Events out of programs (issue 15): BPF_MAP_TYPE_RINGBUF and
// BPF_MAP_TYPE_PERF_EVENT_ARRAY with bpf_ringbuf_* and
// bpf_perf_event_output. The maps are created and read as bpf() has it; the
// test programs (tests/progs/events_*.bpf.c) run through
// BPF_PROG_TEST_RUN, whose records are read with libbpf's ring_buffer and
// perf_buffer, and through xdpdk in both engines: the same records, return
// values and ring positions. A consumer that stops reading costs records
// (counted as lost), never the producer's progress.
#include <gtest/gtest.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <thread>

#include "dual_runtime.h"
#include "kernel_oracle.h"
#include "test_support.h"
#include "tests/tools/packet_builder.h"
#include "tests/tools/sample_scenarios.h"
#include "vm/engine.h"
#include "vm/map.h"
#include "vm/maps/event_ring.h"
#include "vm/object.h"

namespace xdpdk::test {
namespace {

constexpr vm::EngineKind kEngines[] = {vm::EngineKind::Interp, vm::EngineKind::Jit};
const char* engine_name(vm::EngineKind e) { return e == vm::EngineKind::Jit ? "jit" : "interp"; }

using vm::MapSpec;
using vm::MapType;

MapSpec spec_of(MapType type, uint32_t key, uint32_t value, uint32_t max_entries, uint32_t flags = 0) {
    MapSpec s;
    s.name = "m";
    s.type = static_cast<uint32_t>(type);
    s.key_size = key;
    s.value_size = value;
    s.max_entries = max_entries;
    s.flags = flags;
    return s;
}

// ---------------------------------------------------------------------------
// Creation and userspace access, next to the kernel's answers.

TEST(EventMaps, CreatedWhereTheKernelCreatesThem) {
    struct Case {
        MapSpec spec;
        bool created;
    };
    const Case cases[] = {
        {spec_of(MapType::Ringbuf, 0, 0, 4096), true},
        {spec_of(MapType::Ringbuf, 0, 0, 64 * 4096), true},
        {spec_of(MapType::Ringbuf, 0, 0, 3 * 4096), false},  // not a power of two
        {spec_of(MapType::Ringbuf, 0, 0, 2048), false},      // below a page
        {spec_of(MapType::Ringbuf, 4, 0, 4096), false},
        {spec_of(MapType::Ringbuf, 0, 8, 4096), false},
        {spec_of(MapType::Ringbuf, 0, 0, 4096, BPF_F_RDONLY_PROG), false},
        {spec_of(MapType::PerfEventArray, 4, 4, 2), true},
        {spec_of(MapType::PerfEventArray, 4, 4, 64), true},
        {spec_of(MapType::PerfEventArray, 4, 8, 2), false},
        {spec_of(MapType::PerfEventArray, 8, 4, 2), false},
        {spec_of(MapType::PerfEventArray, 4, 4, 2, BPF_F_MMAPABLE), false},
    };
    const bool kernel = kernel_unavailable_reason().empty();
    for (const Case& c : cases) {
        const std::string what = std::string(vm::map_type_name(c.spec.type)) + " key " + std::to_string(c.spec.key_size) +
                                 " value " + std::to_string(c.spec.value_size) + " max " +
                                 std::to_string(c.spec.max_entries) + " flags " + std::to_string(c.spec.flags);
        auto m = vm::create_map(c.spec, 2);
        EXPECT_EQ(m.ok(), c.created) << what << (m.ok() ? "" : ": " + m.error().str());
        if (!kernel) continue;
        LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = c.spec.flags);
        const int fd = bpf_map_create(static_cast<bpf_map_type>(c.spec.type), "m", c.spec.key_size, c.spec.value_size,
                                      c.spec.max_entries, &opts);
        EXPECT_EQ(fd >= 0, c.created) << what << ": the kernel " << (fd >= 0 ? "creates it" : "refuses it");
        if (fd >= 0) close(fd);
    }
}

TEST(EventMaps, UserspaceGetsWhatBpfGives) {
    auto rb = vm::create_map(spec_of(MapType::Ringbuf, 0, 0, 4096), 2);
    ASSERT_TRUE(rb.ok()) << rb.error().str();
    uint8_t key[4] = {}, value[8] = {};
    // No key: not supported; a key for a map without keys: invalid.
    EXPECT_EQ((*rb)->user_lookup(nullptr, value), -524);
    EXPECT_EQ((*rb)->user_update(nullptr, value, 0), -524);
    EXPECT_EQ((*rb)->user_delete(nullptr), -524);
    EXPECT_EQ((*rb)->next_key(nullptr, key), -524);
    EXPECT_EQ((*rb)->user_lookup(key, value), -EINVAL);
    EXPECT_EQ((*rb)->user_update(key, value, 0), -EINVAL);
    EXPECT_EQ((*rb)->user_delete(key), -EINVAL);
    EXPECT_EQ((*rb)->next_key(key, key), -EINVAL);

    auto pe = vm::create_map(spec_of(MapType::PerfEventArray, 4, 4, 4), 2);
    ASSERT_TRUE(pe.ok()) << pe.error().str();
    EXPECT_EQ((*pe)->user_lookup(key, value), -524);
    const uint32_t fd = 0;
    EXPECT_EQ((*pe)->user_update(key, &fd, 0), -EBADF);  // no perf event behind that number
    uint32_t next = 99;
    EXPECT_EQ((*pe)->next_key(nullptr, &next), 0);
    EXPECT_EQ(next, 0u);
    const uint32_t slot1 = 1, slot3 = 3, slot9 = 9;
    EXPECT_EQ((*pe)->user_delete(&slot1), 0);
    EXPECT_EQ((*pe)->user_delete(&slot1), -ENOENT);
    EXPECT_EQ((*pe)->user_delete(&slot3), -ENOENT);  // no CPU slot 3 with 2 CPUs: never opened
    EXPECT_EQ((*pe)->user_delete(&slot9), -E2BIG);

    if (!kernel_unavailable_reason().empty()) return;
    // The kernel's answers to the same calls (an empty perf event array slot
    // deletes with -ENOENT; the fd of a non-perf file is -EBADF or -EINVAL).
    const int kfd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "rb", 0, 0, 4096, nullptr);
    ASSERT_GE(kfd, 0);
    EXPECT_EQ(bpf_map_lookup_elem(kfd, nullptr, value), -524);
    EXPECT_EQ(bpf_map_update_elem(kfd, nullptr, value, 0), -524);
    EXPECT_EQ(bpf_map_delete_elem(kfd, nullptr), -524);
    EXPECT_EQ(bpf_map_get_next_key(kfd, nullptr, key), -524);
    EXPECT_EQ(bpf_map_lookup_elem(kfd, key, value), -EINVAL);
    EXPECT_EQ(bpf_map_update_elem(kfd, key, value, 0), -EINVAL);
    EXPECT_EQ(bpf_map_delete_elem(kfd, key), -EINVAL);
    EXPECT_EQ(bpf_map_get_next_key(kfd, key, key), -EINVAL);
    close(kfd);
    const int pfd = bpf_map_create(BPF_MAP_TYPE_PERF_EVENT_ARRAY, "pe", 4, 4, 4, nullptr);
    ASSERT_GE(pfd, 0);
    EXPECT_EQ(bpf_map_lookup_elem(pfd, key, value), -524);
    EXPECT_EQ(bpf_map_delete_elem(pfd, &slot3), -ENOENT);
    EXPECT_EQ(bpf_map_delete_elem(pfd, &slot9), -E2BIG);
    const uint32_t bad_fd = 999;
    EXPECT_EQ(bpf_map_update_elem(pfd, &slot1, &bad_fd, 0), -EBADF);
    close(pfd);
}

// ---------------------------------------------------------------------------
// The ring itself: a full ring drops and counts; a consumer frees room.

TEST(EventRing, FullRingDropsCountsAndRecoversOnceRead) {
    auto ring = vm::maps::EventRing::create(4096);
    ASSERT_TRUE(ring.ok()) << ring.error().str();
    vm::maps::EventRing& r = **ring;
    // 100-byte records take 112 bytes; the ring holds what stays below 4096.
    int accepted = 0;
    for (int i = 0; i < 100; ++i) {
        void* rec = r.reserve(100);
        if (rec == nullptr) continue;
        std::memset(rec, i, 100);
        vm::maps::EventRing::commit(rec, false);
        ++accepted;
    }
    EXPECT_EQ(accepted, 4095 / 112);
    EXPECT_EQ(r.lost(), uint64_t(100 - accepted));
    EXPECT_EQ(r.reserve(4096), nullptr);  // more than the ring: never fits
    EXPECT_EQ(r.lost(), uint64_t(101 - accepted));
    int seen = 0;
    EXPECT_EQ(r.consume([&](std::span<const uint8_t> rec) {
        ASSERT_EQ(rec.size(), 100u);
        EXPECT_EQ(rec[0], seen);
        EXPECT_EQ(rec[99], seen);
        ++seen;
    }), size_t(accepted));
    EXPECT_EQ(r.consumer_pos(), r.producer_pos());
    // The room is back; a record across the end is whole (double mapping).
    for (int i = 0; i < 40; ++i) {
        auto* rec = static_cast<uint8_t*>(r.reserve(200));
        ASSERT_NE(rec, nullptr) << i;
        for (int b = 0; b < 200; ++b) rec[b] = static_cast<uint8_t>(i + b);
        vm::maps::EventRing::commit(rec, i % 3 == 0);
        size_t got = 0;
        r.consume([&](std::span<const uint8_t> c) {
            ++got;
            ASSERT_EQ(c.size(), 200u);
            for (int b = 0; b < 200; ++b) ASSERT_EQ(c[b], static_cast<uint8_t>(i + b)) << i;
        });
        EXPECT_EQ(got, i % 3 == 0 ? 0u : 1u) << "discarded records are skipped";
    }
}

TEST(EventRing, ABusyRecordHoldsBackTheOnesAfterIt) {
    auto ring = vm::maps::EventRing::create(4096);
    ASSERT_TRUE(ring.ok());
    void* first = (*ring)->reserve(8);
    void* second = (*ring)->reserve(8);
    vm::maps::EventRing::commit(second, false);
    EXPECT_EQ((*ring)->consume([](std::span<const uint8_t>) {}), 0u);
    vm::maps::EventRing::commit(first, false);
    EXPECT_EQ((*ring)->consume([](std::span<const uint8_t>) {}), 2u);
}

// One producer and one consumer thread: every record arrives once, in
// order, or is counted as lost; a consumer that stops never blocks the
// producer.
TEST(EventRing, ConcurrentProducerAndConsumerLoseNothingUncounted) {
    auto ring = vm::maps::EventRing::create(4096);
    ASSERT_TRUE(ring.ok());
    vm::maps::EventRing& r = **ring;
    constexpr uint64_t kRecords = 200000;
    std::atomic<bool> done{false};
    uint64_t produced = 0;
    std::thread producer([&] {
        for (uint64_t i = 0; i < kRecords; ++i) {
            auto* rec = static_cast<uint64_t*>(r.reserve(16));
            if (rec == nullptr) continue;
            rec[0] = i;
            rec[1] = ~i;
            vm::maps::EventRing::commit(rec, false);
            ++produced;
        }
        done = true;
    });
    uint64_t received = 0, last = 0;
    bool ordered = true, intact = true;
    auto take = [&](std::span<const uint8_t> c) {
        uint64_t v[2];
        std::memcpy(v, c.data(), sizeof v);
        intact &= c.size() == 16 && v[1] == ~v[0];
        ordered &= received == 0 || v[0] > last;
        last = v[0];
        ++received;
    };
    while (!done) r.consume(take);
    producer.join();
    r.consume(take);
    EXPECT_TRUE(ordered);
    EXPECT_TRUE(intact);
    EXPECT_EQ(received, produced);
    EXPECT_EQ(received + r.lost(), kRecords);

    // Nobody reads: the producer still finishes at once, dropping.
    const uint64_t lost_before = r.lost();
    for (int i = 0; i < 1000; ++i)
        if (void* rec = r.reserve(16)) vm::maps::EventRing::commit(rec, false);
    EXPECT_GT(r.lost(), lost_before);
}

// ---------------------------------------------------------------------------
// Against the kernel.

std::string open_both(DualRuntime& rt, const std::string& object, const std::string& prog, vm::EngineKind engine,
                      const std::vector<GlobalSetting>& globals = {}) {
    rt.engine = engine;
    if (std::string e = rt.open(test_prog_path(object), globals, {}); !e.empty()) return e;
    return rt.select_program(prog);
}

int64_t kernel_result(DualRuntime& rt, uint32_t key) {
    bpf_map* m = bpf_object__find_map_by_name(rt.kernel->raw(), "results");
    int64_t v = 0;
    EXPECT_EQ(bpf_map__lookup_elem(m, &key, sizeof key, &v, sizeof v, 0), 0);
    return v;
}

int64_t vm_result(DualRuntime& rt, uint32_t key) {
    int64_t v = 0;
    EXPECT_EQ(rt.vm_obj->find_map("results")->user_lookup(&key, &v), 0);
    return v;
}

struct Records {
    std::vector<Bytes> items;
    std::vector<int> cpus;
};

int on_ringbuf_record(void* ctx, void* data, size_t size) {
    auto* r = static_cast<Records*>(ctx);
    const auto* p = static_cast<const uint8_t*>(data);
    r->items.emplace_back(p, p + size);
    return 0;
}

Records vm_records(vm::Map& map) {
    Records r;
    map.consume_events([&](uint32_t cpu, std::span<const uint8_t> rec) {
        r.items.emplace_back(rec.begin(), rec.end());
        r.cpus.push_back(static_cast<int>(cpu));
    });
    return r;
}

enum { R_RESERVED, R_OUTPUT, R_AVAIL, R_SIZE, R_CONS, R_PROD, R_MAX };

std::vector<Bytes> flow_packets() {
    std::vector<Bytes> out;
    for (int i = 0; i < 6; ++i) {
        PacketSpec spec;
        spec.l3 = i % 3 == 0 ? L3::Ipv4 : i % 3 == 1 ? L3::Arp : L3::Ipv6;
        spec.frame_len = 60 + 10 * i;
        spec.payload_seed = static_cast<uint8_t>(i);
        out.push_back(build_packet(spec));
    }
    return out;
}

TEST(Ringbuf, SameRecordsReturnsAndPositionsAsTheKernel) {
    SKIP_WITHOUT_KERNEL();
    for (vm::EngineKind engine : kEngines) {
        SCOPED_TRACE(engine_name(engine));
        DualRuntime rt;
        ASSERT_EQ(open_both(rt, "events_ringbuf", "xdp_flow_log", engine), "");
        Records kernel;
        ring_buffer* krb = ring_buffer__new(bpf_map__fd(bpf_object__find_map_by_name(rt.kernel->raw(), "flows")),
                                            on_ringbuf_record, &kernel, nullptr);
        ASSERT_NE(krb, nullptr);
        vm::Map& vmap = *rt.vm_obj->find_map("flows");
        const std::vector<Bytes> packets = flow_packets();
        size_t total = 0;
        for (size_t i = 0; i < packets.size(); ++i) {
            const std::string when = "packet " + std::to_string(i);
            EXPECT_EQ(rt.run_and_compare(packets[i], {}, 0), "") << when;
            for (uint32_t k = 0; k < R_MAX; ++k) EXPECT_EQ(vm_result(rt, k), kernel_result(rt, k)) << when << " result " << k;
            kernel.items.clear();
            ASSERT_GE(ring_buffer__consume(krb), 0);
            const Records ours = vm_records(vmap);
            ASSERT_EQ(ours.items.size(), kernel.items.size()) << when;
            for (size_t r = 0; r < ours.items.size(); ++r)
                EXPECT_EQ(bytes_diff(kernel.items[r], ours.items[r]), "") << when << " record " << r;
            total += ours.items.size();
        }
        EXPECT_EQ(total, packets.size() + packets.size() - 2) << "one record and one summary a packet, ARP discarded";
        EXPECT_EQ(vmap.events_lost(), 0u);
        ring_buffer__free(krb);
    }
}

// Nobody reads: reservations fail and outputs return -EAGAIN at the same
// packet as in the kernel; once read, the ring takes records again.
TEST(Ringbuf, FullRingFailsAtTheSamePacketAsTheKernel) {
    SKIP_WITHOUT_KERNEL();
    const Bytes packet = build_packet(PacketSpec{});
    for (vm::EngineKind engine : kEngines) {
        SCOPED_TRACE(engine_name(engine));
        DualRuntime rt;
        ASSERT_EQ(open_both(rt, "events_ringbuf", "xdp_flow_log", engine), "");
        int first_failure = -1;
        for (int i = 0; i < 400; ++i) {
            ASSERT_EQ(rt.run_and_compare(packet, {}, 0), "") << i;
            for (uint32_t k = 0; k < R_MAX; ++k) ASSERT_EQ(vm_result(rt, k), kernel_result(rt, k)) << i << " result " << k;
            if (first_failure < 0 && vm_result(rt, R_OUTPUT) != 0) first_failure = i;
        }
        ASSERT_GT(first_failure, 0) << "the ring never filled";
        EXPECT_EQ(vm_result(rt, R_RESERVED), 0);
        EXPECT_EQ(vm_result(rt, R_OUTPUT), -EAGAIN);
        EXPECT_GT(rt.vm_obj->find_map("flows")->events_lost(), 0u);

        Records kernel;
        ring_buffer* krb = ring_buffer__new(bpf_map__fd(bpf_object__find_map_by_name(rt.kernel->raw(), "flows")),
                                            on_ringbuf_record, &kernel, nullptr);
        ASSERT_NE(krb, nullptr);
        ASSERT_GE(ring_buffer__consume(krb), 0);
        const Records ours = vm_records(*rt.vm_obj->find_map("flows"));
        ASSERT_EQ(ours.items.size(), kernel.items.size());
        for (size_t r = 0; r < ours.items.size(); ++r) EXPECT_EQ(bytes_diff(kernel.items[r], ours.items[r]), "") << r;
        ASSERT_EQ(rt.run_and_compare(packet, {}, 0), "");
        EXPECT_EQ(vm_result(rt, R_RESERVED), 1);
        EXPECT_EQ(vm_result(rt, R_OUTPUT), 0);
        for (uint32_t k = 0; k < R_MAX; ++k) EXPECT_EQ(vm_result(rt, k), kernel_result(rt, k)) << "after reading, " << k;
        ring_buffer__free(krb);
    }
}

TEST(Ringbuf, ReserveFlagsRefusedAsTheKernelRefusesThem) {
    SKIP_WITHOUT_KERNEL();
    const Bytes packet = build_packet(PacketSpec{});
    for (vm::EngineKind engine : kEngines) {
        SCOPED_TRACE(engine_name(engine));
        DualRuntime rt;
        ASSERT_EQ(open_both(rt, "events_ringbuf", "xdp_flow_log", engine,
                            {{"reserve_flags", bytes_of(uint64_t{BPF_RB_NO_WAKEUP})}}),
                  "");
        ASSERT_EQ(rt.run_and_compare(packet, {}, 0), "");
        EXPECT_EQ(vm_result(rt, R_RESERVED), 0);
        for (uint32_t k = 0; k < R_MAX; ++k) EXPECT_EQ(vm_result(rt, k), kernel_result(rt, k)) << k;
    }
}

// perf_buffer's sample: raw bytes padded so that the u32 size and the data
// end on 8 bytes (perf_prepare_sample); xdpdk hands over the bytes written.
struct PerfSamples {
    std::vector<Bytes> items;
    std::vector<int> cpus;
    uint64_t lost = 0;
};

void on_perf_sample(void* ctx, int cpu, void* data, __u32 size) {
    auto* s = static_cast<PerfSamples*>(ctx);
    const auto* p = static_cast<const uint8_t*>(data);
    s->items.emplace_back(p, p + size);
    s->cpus.push_back(cpu);
}

void on_perf_lost(void* ctx, int, __u64 n) { static_cast<PerfSamples*>(ctx)->lost += n; }

struct PerfCase {
    const char* what;
    std::vector<GlobalSetting> globals;
    int64_t expected;  // the helper's return value
};

TEST(PerfEventOutput, SameSamplesAndReturnsAsTheKernel) {
    SKIP_WITHOUT_KERNEL();
    CpuPin pin(0);
    ASSERT_TRUE(pin.pinned());
    const uint32_t ncpus = kernel_possible_cpus();
    std::vector<PerfCase> cases = {
        {"current CPU", {}, 0},
        {"this CPU's slot by number", {{"slot", bytes_of(uint64_t{0})}}, 0},
        {"a slot past max_entries", {{"slot", bytes_of(uint64_t{ncpus + 5})}}, -E2BIG},
        {"flags outside the index and ctxlen", {{"extra_flags", bytes_of(uint64_t{1} << 60)}}, -EINVAL},
        {"more packet bytes than the frame", {{"cap_extra", bytes_of(uint32_t{4000})}}, -EFAULT},
    };
    if (ncpus > 1) cases.push_back({"another CPU's slot", {{"slot", bytes_of(uint64_t{1})}}, -EOPNOTSUPP});
    std::vector<Bytes> packets;
    for (size_t len : {60, 64, 65, 200, 1500}) {
        PacketSpec spec;
        spec.frame_len = len;
        spec.payload_seed = static_cast<uint8_t>(len);
        packets.push_back(build_packet(spec));
    }
    for (vm::EngineKind engine : kEngines) {
        for (const PerfCase& c : cases) {
            SCOPED_TRACE(std::string(engine_name(engine)) + ", " + c.what);
            DualRuntime rt;
            ASSERT_EQ(open_both(rt, "events_perf", "xdp_sample", engine, c.globals), "");
            PerfSamples kernel;
            perf_buffer* pb = perf_buffer__new(bpf_map__fd(bpf_object__find_map_by_name(rt.kernel->raw(), "samples")), 8,
                                               on_perf_sample, on_perf_lost, &kernel, nullptr);
            ASSERT_NE(pb, nullptr) << "perf_buffer__new: " << std::strerror(errno);
            vm::Map& vmap = *rt.vm_obj->find_map("samples");
            for (size_t i = 0; i < packets.size(); ++i) {
                const std::string when = "packet " + std::to_string(i);
                ASSERT_EQ(rt.run_and_compare(packets[i], {}, pin.cpu()), "") << when;
                EXPECT_EQ(vm_result(rt, 0), c.expected) << when;
                EXPECT_EQ(kernel_result(rt, 0), c.expected) << when;
                kernel.items.clear();
                kernel.cpus.clear();
                ASSERT_GE(perf_buffer__consume(pb), 0);
                const Records ours = vm_records(vmap);
                ASSERT_EQ(ours.items.size(), kernel.items.size()) << when;
                for (size_t r = 0; r < ours.items.size(); ++r) {
                    const Bytes& k = kernel.items[r];
                    const Bytes& v = ours.items[r];
                    EXPECT_EQ(k.size(), ((v.size() + 4 + 7) & ~size_t{7}) - 4) << when << ": the kernel pads";
                    EXPECT_EQ(bytes_diff(Bytes(k.begin(), k.begin() + std::min(k.size(), v.size())), v), "") << when;
                    EXPECT_EQ(kernel.cpus[r], ours.cpus[r]) << when;
                    // 16 bytes of metadata, then up to 64 packet bytes.
                    const size_t cap = std::min<size_t>(packets[i].size(), 64);
                    ASSERT_EQ(v.size(), 16 + cap) << when;
                    EXPECT_EQ(bytes_diff(Bytes(packets[i].begin(), packets[i].begin() + cap), Bytes(v.begin() + 16, v.end())),
                              "")
                        << when;
                }
                EXPECT_EQ(ours.items.size(), c.expected == 0 ? 1u : 0u) << when;
            }
            EXPECT_EQ(kernel.lost, 0u);
            EXPECT_EQ(vmap.events_lost(), 0u);
            perf_buffer__free(pb);
        }
    }
}

// The perf ring of a CPU nobody reads fills: further samples fail with
// -ENOSPC and are counted as lost, the program goes on.
TEST(PerfEventOutput, FullRingDropsWithEnospcAndCountsLost) {
    vm::ObjectOptions opts;
    opts.ncpus = 2;
    auto obj = vm::Object::open(test_prog_path("events_perf"), opts);
    ASSERT_TRUE(obj.ok()) << obj.error().str();
    ASSERT_TRUE((*obj)->load().ok());
    auto prog = (*obj)->find_program("xdp_sample");
    ASSERT_TRUE(prog.ok());
    PacketSpec spec;
    spec.frame_len = 1500;
    const Bytes packet = build_packet(spec);
    vm::ExecContext ex;
    ex.cpu = 1;
    uint64_t failures = 0;
    // 80-byte samples take 88 bytes of a 256 KiB ring.
    for (int i = 0; i < 4000; ++i) {
        vm::PacketFrame frame(packet, 1, 0);
        EXPECT_EQ(vm::run_xdp(**prog, frame.xdp(), ex), uint64_t{XDP_PASS});
        int64_t ret = 0;
        const uint32_t key = 0;
        (*obj)->find_map("results")->user_lookup(&key, &ret);
        if (ret != 0) {
            EXPECT_EQ(ret, -ENOSPC);
            ++failures;
        }
    }
    vm::Map& samples = *(*obj)->find_map("samples");
    EXPECT_EQ(samples.events_lost(), failures);
    EXPECT_EQ(failures, 4000u - (256 * 1024 - 1) / 88);
    size_t n = samples.consume_events([](uint32_t cpu, std::span<const uint8_t>) { EXPECT_EQ(cpu, 1u); });
    EXPECT_EQ(n, (256 * 1024 - 1) / 88);
}

}  // namespace
}  // namespace xdpdk::test
