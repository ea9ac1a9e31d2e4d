// BPF_F_BROADCAST on the dataplane: net_ring ports made from our own rings,
// a program on one of them flooding every frame to a devmap of all four
// (tests/progs/redirect_broadcast, BPF_F_EXCLUDE_INGRESS). Per-packet
// accounting: each numbered frame comes out exactly once on each of the
// three other ports, never on the port it came in on; an entry naming a
// device no port has is a redirect error per frame; nothing is left in the
// pools.
#include <algorithm>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "ring_traffic.h"
#include "test_support.h"
#include "xdpdk/dataplane.h"

namespace {

using namespace xdpdk::test;

std::vector<uint8_t> u32(uint32_t v) {
    std::vector<uint8_t> b(4);
    std::memcpy(b.data(), &v, 4);
    return b;
}

constexpr size_t kSeqOffset = 16;

// Takes what `ring` holds, counting each frame's number in `seen`.
uint64_t drain(rte_ring* ring, std::vector<uint8_t>& seen) {
    rte_mbuf* back[64];
    uint64_t total = 0;
    unsigned n;
    while ((n = rte_ring_dequeue_burst(ring, reinterpret_cast<void**>(back), 64, nullptr)) != 0) {
        for (unsigned i = 0; i < n; ++i) {
            uint64_t seq;
            std::memcpy(&seq, rte_pktmbuf_mtod(back[i], const uint8_t*) + kSeqOffset, sizeof seq);
            if (seq < seen.size()) ++seen[seq];
            rte_pktmbuf_free(back[i]);
        }
        total += n;
    }
    return total;
}

TEST(BroadcastDataplane, EachOtherPortGetsEveryFrameOnceAndTheIngressNone) {
    if (!init_eal_once("broadcast")) GTEST_SKIP() << "EAL cannot initialise here";
    const RingPort in = make_ring_port("bc_in");
    const RingPort out[3] = {make_ring_port("bc_a"), make_ring_port("bc_b"), make_ring_port("bc_c")};
    ASSERT_NE(in.port, UINT16_MAX);
    for (const RingPort& p : out) ASSERT_NE(p.port, UINT16_MAX);
    rte_mempool* pool = rte_pktmbuf_pool_create("bc_pool", 16383, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
    ASSERT_NE(pool, nullptr);

    auto created = xdpdk::Dataplane::create({});
    ASSERT_TRUE(created.ok()) << created.error().str();
    std::unique_ptr<xdpdk::Dataplane> dp = std::move(*created);
    // Ifindexes 10 (ingress), 11, 12, 13.
    xdpdk::PortOptions options;
    options.ifindex = 10;
    ASSERT_TRUE(dp->add_port(in.port, options).ok());
    for (int i = 0; i < 3; ++i) {
        options.ifindex = 11 + uint32_t(i);
        ASSERT_TRUE(dp->add_port(out[i].port, options).ok());
    }
    xdpdk::ProgramSpec spec;
    spec.object_path = test_prog_path("redirect_broadcast");
    auto attached = dp->attach(in.port, spec);
    ASSERT_TRUE(attached.ok()) << attached.error().str();
    // flags BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS, key 0, the devmap.
    std::vector<uint8_t> config(16, 0);
    config[0] = 0x18;
    ASSERT_TRUE(dp->map_update("flood_config", u32(0), config).ok());
    // Every port, and one device (99) that no port is.
    const uint32_t entries[][2] = {{0, 10}, {1, 11}, {3, 12}, {4, 99}, {6, 13}};
    for (const auto& e : entries) ASSERT_TRUE(dp->map_update("flood_ports", u32(e[0]), u32(e[1])).ok());
    ASSERT_TRUE(dp->start().ok());

    constexpr uint64_t kFrames = 20000;
    std::vector<uint8_t> seen[3], seen_in;
    for (auto& s : seen) s.assign(kFrames, 0);
    seen_in.assign(kFrames, 0);
    uint64_t sent = 0, received[3] = {0, 0, 0}, back_in = 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    auto least = [&] { return std::min({received[0], received[1], received[2]}); };
    while ((sent < kFrames || least() < kFrames) && std::chrono::steady_clock::now() < deadline) {
        if (sent < kFrames && sent - least() < 1024) {
            rte_mbuf* burst[32];
            unsigned made = 0;
            for (; made < 32 && sent + made < kFrames; ++made) {
                rte_mbuf* m = rte_pktmbuf_alloc(pool);
                if (m == nullptr) break;
                auto* d = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, 64));
                std::memset(d, 0, 64);
                d[12] = 0x08;
                const uint64_t seq = sent + made;
                std::memcpy(d + kSeqOffset, &seq, sizeof seq);
                burst[made] = m;
            }
            const unsigned queued = rte_ring_enqueue_burst(in.rx, reinterpret_cast<void**>(burst), made, nullptr);
            for (unsigned i = queued; i < made; ++i) rte_pktmbuf_free(burst[i]);
            sent += queued;
        }
        for (int i = 0; i < 3; ++i) received[i] += drain(out[i].tx, seen[i]);
        back_in += drain(in.tx, seen_in);
        if (sent == kFrames) std::this_thread::yield();
    }
    dp->stop();
    for (int i = 0; i < 3; ++i) received[i] += drain(out[i].tx, seen[i]);
    back_in += drain(in.tx, seen_in);

    EXPECT_EQ(sent, kFrames);
    EXPECT_EQ(back_in, 0u) << "BPF_F_EXCLUDE_INGRESS: nothing back on the ingress port";
    for (int i = 0; i < 3; ++i) {
        SCOPED_TRACE("port with ifindex " + std::to_string(11 + i));
        EXPECT_EQ(received[i], kFrames);
        uint64_t once = 0;
        for (uint8_t times : seen[i]) once += times == 1;
        EXPECT_EQ(once, kFrames) << "each frame exactly once";
    }
    for (const xdpdk::PortStats& s : dp->port_stats()) {
        if (s.port != in.port) continue;
        EXPECT_EQ(s.rx_packets, kFrames);
        EXPECT_EQ(s.redirected, kFrames);
        EXPECT_EQ(s.redirect_errors, kFrames) << "ifindex 99 is no port's";
    }
    dp.reset();
    EXPECT_EQ(rte_mempool_in_use_count(pool), 0u) << "every copy and original freed";
}

}  // namespace
