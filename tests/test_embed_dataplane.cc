// An application embedding the dataplane (include/xdpdk/dataplane.h) on an
// EAL it initialised itself, with net_ring ports made from its own rings: it
// puts packets on a port's rx ring and takes what the program sends back
// (XDP_TX) off its tx ring. This is the example of the handle's use, and the
// hot-swap test: 1,000 swaps between two releases of a program under
// continuous traffic lose no packet, run none twice, keep the program's
// per-CPU counters (carried over), and free what they replace.
#include <algorithm>
#include <atomic>
#include <cstring>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "ring_traffic.h"
#include "test_support.h"
#include "xdpdk/dataplane.h"

namespace {

using namespace xdpdk::test;
using xdpdk::Dataplane;
using xdpdk::ProgramSpec;

// Two workers (lcores 1 and 2 share CPU 1): a swap waits for both to pass a
// quiescent state, though only one polls the ring port.
const char* const kLcores = "0@0,1@1,2@1";

ProgramSpec spec(const std::string& path, std::vector<std::string> map_sizes = {}, bool fresh_maps = false) {
    ProgramSpec s;
    s.object_path = path;
    s.map_sizes = std::move(map_sizes);
    s.fresh_maps = fresh_maps;
    return s;
}

// xdp_stats_map[XDP_TX].rx_packets summed over the workers' slots.
uint64_t tx_count(Dataplane& dp) {
    const std::vector<uint8_t> key = {3, 0, 0, 0};  // XDP_TX
    auto value = dp.map_lookup("xdp_stats_map", key);
    if (!value) return 0;
    uint64_t total = 0;
    for (size_t off = 0; off + 16 <= value->size(); off += 16) {
        uint64_t packets;
        std::memcpy(&packets, value->data() + off, sizeof packets);
        total += packets;
    }
    return total;
}

TEST(EmbedDataplane, SwapsThousandTimesUnderTrafficWithoutLoss) {
    if (!init_eal_once("embed", kLcores)) GTEST_SKIP() << "EAL cannot initialise here";
    const RingPort ring = make_ring_port("embed_swap");
    ASSERT_NE(ring.port, UINT16_MAX);
    RingTraffic traffic(ring);
    ASSERT_TRUE(traffic.ok());
    constexpr uint64_t kMaxPackets = 48u << 20;
    traffic.reserve_numbers(kMaxPackets + 64);

    auto created = Dataplane::create({});
    ASSERT_TRUE(created.ok()) << created.error().str();
    std::unique_ptr<Dataplane> dp = std::move(*created);
    ASSERT_TRUE(dp->add_port(ring.port).ok());
    const ProgramSpec v1 = spec(xdpdk::test::test_prog_path("swap_v1"));
    const ProgramSpec v2 = spec(xdpdk::test::test_prog_path("swap_v2"));
    auto first = dp->attach(ring.port, v1);
    ASSERT_TRUE(first.ok()) << first.error().str();
    ASSERT_TRUE(dp->start().ok());

    constexpr int kSwaps = 1000;
    std::atomic<bool> swapping{true};
    std::atomic<int> failed{0};
    std::vector<uint64_t> switch_ns;
    uint64_t rss_after_warmup = 0, rss_at_end = 0;
    std::thread swapper([&] {
        for (int i = 0; i < kSwaps; ++i) {
            auto r = dp->swap(ring.port, i % 2 == 0 ? v2 : v1);
            if (!r || r->carried_maps != std::vector<std::string>{"xdp_stats_map"}) ++failed;
            else switch_ns.push_back(r->switch_ns);
            if (i == 99) rss_after_warmup = resident_bytes();
        }
        rss_at_end = resident_bytes();
        swapping = false;
    });
    while (swapping) {
        if (traffic.sent() < kMaxPackets) traffic.pump(32);
        else traffic.collect();
    }
    swapper.join();
    // Drain: everything sent comes back as XDP_TX.
    for (int i = 0; i < 2000 && traffic.received() < traffic.sent(); ++i) {
        traffic.collect();
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    EXPECT_EQ(failed.load(), 0);
    EXPECT_GT(traffic.sent(), 10000u) << "too little traffic ran during the swaps to prove anything";
    EXPECT_EQ(traffic.received(), traffic.sent());
    uint64_t once = 0, twice = 0;
    for (uint8_t count : traffic.seen()) {
        once += count == 1;
        twice += count > 1;
    }
    EXPECT_EQ(once, traffic.sent()) << "every packet comes back exactly once";
    EXPECT_EQ(twice, 0u);
    // Counters carried over every swap: the last program counted them all.
    EXPECT_EQ(tx_count(*dp), traffic.sent());
    const auto stats = dp->port_stats();
    ASSERT_FALSE(stats.empty());
    EXPECT_EQ(stats[0].rx_packets, traffic.sent());
    EXPECT_EQ(stats[0].tx_errors, 0u) << "the tx ring overflowed: packets sent back were dropped";
    EXPECT_EQ(stats[0].rx_packets, stats[0].transmitted + stats[0].dropped + stats[0].passed + stats[0].aborted +
                                       stats[0].redirected);
    // The stamp changes only where a swap happened, never back and forth
    // inside the bursts between two swaps.
    EXPECT_LE(traffic.stamp_changes(), static_cast<uint64_t>(kSwaps) + 1);
    // Old programs, their objects and code are freed: 900 swaps add no
    // more than 8 MiB (one leaked object and its JIT code each would be far more).
    EXPECT_LT(rss_at_end, rss_after_warmup + (8u << 20))
        << "RSS grew from " << rss_after_warmup << " to " << rss_at_end << " bytes over 900 swaps";
    std::sort(switch_ns.begin(), switch_ns.end());
    if (!switch_ns.empty())
        std::printf("swap: median switch %.1f us, max %.1f us over %zu swaps; %llu packets\n",
                    switch_ns[switch_ns.size() / 2] / 1e3, switch_ns.back() / 1e3, switch_ns.size(),
                    static_cast<unsigned long long>(traffic.sent()));
    dp->stop();
    const std::string summary = dp->summary_json();
    EXPECT_NE(summary.find("\"in_use\": 0"), std::string::npos) << summary;
}

TEST(EmbedDataplane, FailedSwapLeavesTheRunningProgram) {
    if (!init_eal_once("embed", kLcores)) GTEST_SKIP() << "EAL cannot initialise here";
    const RingPort ring = make_ring_port("embed_fail");
    ASSERT_NE(ring.port, UINT16_MAX);
    auto created = Dataplane::create({});
    ASSERT_TRUE(created.ok());
    std::unique_ptr<Dataplane> dp = std::move(*created);
    ASSERT_TRUE(dp->add_port(ring.port).ok());
    auto first = dp->attach(ring.port, spec(xdpdk::test::test_prog_path("swap_v1")));
    ASSERT_TRUE(first.ok());
    ASSERT_TRUE(dp->start().ok());

    // Not an object; a program the verifier refuses; a port we do not have;
    // a map of the same name but another shape.
    auto bad_elf = dp->swap(ring.port, spec(xdpdk::test::source_path("README.md")));
    ASSERT_FALSE(bad_elf.ok());
    EXPECT_NE(bad_elf.error().str().find("README.md"), std::string::npos) << bad_elf.error().str();
    auto refused = dp->swap(ring.port, spec(xdpdk::test::test_prog_path("refused_global_short_pkt")));
    ASSERT_FALSE(refused.ok());
    auto no_port = dp->swap(77, spec(xdpdk::test::test_prog_path("swap_v2")));
    ASSERT_FALSE(no_port.ok());
    EXPECT_EQ(no_port.error().subject, "port 77");
    auto reshaped = dp->swap(ring.port, spec(xdpdk::test::test_prog_path("swap_v2"), {"xdp_stats_map=8"}));
    ASSERT_FALSE(reshaped.ok());
    EXPECT_NE(reshaped.error().reason.find("cannot carry over"), std::string::npos) << reshaped.error().str();
    auto unchanged = dp->program(ring.port);
    ASSERT_TRUE(unchanged.ok());
    EXPECT_EQ(unchanged->id, first->id) << "a failed swap changed the running program";
    // ... and with fresh maps the same swap is fine.
    auto fresh = dp->swap(ring.port, spec(xdpdk::test::test_prog_path("swap_v2"), {"xdp_stats_map=8"}, true));
    ASSERT_TRUE(fresh.ok()) << fresh.error().str();
    EXPECT_TRUE(fresh->carried_maps.empty());

    auto now = dp->program(ring.port);
    ASSERT_TRUE(now.ok());
    EXPECT_EQ(now->id, fresh->program.id);
    EXPECT_NE(now->id, first->id);
    dp->stop();
}

}  // namespace

namespace {

// --pin DIR: two programs on two ports share the map of one name, as two
// programs reusing a map pinned under /sys/fs/bpf do; without it each has
// its own and a name alone is ambiguous.
TEST(EmbedDataplane, PinnedMapsAreSharedAcrossPorts) {
    if (!init_eal_once("embed", kLcores)) GTEST_SKIP() << "EAL cannot initialise here";
    for (const bool pin : {true, false}) {
        SCOPED_TRACE(pin ? "pinned" : "not pinned");
        const std::string tag = pin ? "pin" : "nopin";
        const RingPort a = make_ring_port("embed_" + tag + "_a");
        const RingPort b = make_ring_port("embed_" + tag + "_b");
        ASSERT_NE(a.port, UINT16_MAX);
        ASSERT_NE(b.port, UINT16_MAX);
        xdpdk::DataplaneOptions options;
        if (pin) options.pin_dir = "/run/xdpdk/test-pins";
        auto created = Dataplane::create(options);
        ASSERT_TRUE(created.ok());
        std::unique_ptr<Dataplane> dp = std::move(*created);
        ASSERT_TRUE(dp->add_port(a.port).ok());
        ASSERT_TRUE(dp->add_port(b.port).ok());
        auto pa = dp->attach(a.port, spec(xdpdk::test::test_prog_path("swap_v1")));
        auto pb = dp->attach(b.port, spec(xdpdk::test::test_prog_path("swap_v2")));
        ASSERT_TRUE(pa.ok() && pb.ok());
        ASSERT_TRUE(dp->start().ok());
        RingTraffic traffic(a);
        ASSERT_TRUE(traffic.ok());
        for (int i = 0; i < 100; ++i) traffic.pump(10);
        for (int i = 0; i < 1000 && traffic.received() < traffic.sent(); ++i) {
            traffic.collect();
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        ASSERT_EQ(traffic.received(), traffic.sent());
        std::vector<xdpdk::MapInfo> stats_maps;
        for (const xdpdk::MapInfo& m : dp->maps())
            if (m.name == "xdp_stats_map") stats_maps.push_back(m);
        if (pin) {
            ASSERT_EQ(stats_maps.size(), 1u);
            EXPECT_EQ(stats_maps[0].pinned, "/run/xdpdk/test-pins/xdp_stats_map");
            EXPECT_EQ(stats_maps[0].program_ids, (std::vector<uint32_t>{pa->id, pb->id}));
            // Port b's program sees what port a's counted.
            EXPECT_EQ(tx_count(*dp), traffic.sent());
        } else {
            ASSERT_EQ(stats_maps.size(), 2u);
            auto ambiguous = dp->map_lookup("xdp_stats_map", {3, 0, 0, 0});
            ASSERT_FALSE(ambiguous.ok());
            EXPECT_NE(ambiguous.error().reason.find("id N"), std::string::npos) << ambiguous.error().str();
            auto by_id = dp->map_lookup("id " + std::to_string(stats_maps[0].id), {3, 0, 0, 0});
            EXPECT_TRUE(by_id.ok());
        }
        dp->stop();
    }
}

}  // namespace
