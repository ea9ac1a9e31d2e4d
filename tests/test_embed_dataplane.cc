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
    if (!init_eal_once("embed")) GTEST_SKIP() << "EAL cannot initialise here";
    const RingPort ring = make_ring_port("embed_swap");
    ASSERT_NE(ring.port, UINT16_MAX);
    RingTraffic traffic(ring);
    ASSERT_TRUE(traffic.ok());

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
    while (swapping) traffic.pump(32);
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
    if (!init_eal_once("embed")) GTEST_SKIP() << "EAL cannot initialise here";
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
