// XSKMAP slots bound to ports (issue 15) on net_ring ports: port A's program
// (xsk_by_frame) sends each frame to the slot named by its sequence
// number's low bits; slots 1 and 2 are bound to ports B and C (as AF_XDP
// sockets' applications would be), 0 and 3 have no socket. Every frame for
// a bound slot arrives exactly once at its port; the others take the
// program's fallback verdict and are counted. And `xdpdk run --xsk` with a
// port that does not exist is one error line.
#include <unistd.h>

#include <chrono>
#include <sstream>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "dataplane/replay/pcap_io.h"
#include "ring_traffic.h"
#include "test_support.h"
#include "xdpdk/dataplane.h"

namespace {

using namespace xdpdk::test;
using nlohmann::json;
using xdpdk::Dataplane;

const char* const kLcores = "0@0,1@1,2@1";

// What arrived at a port's tx ring, by sequence number (bytes 16..23).
void take(rte_ring* r, std::vector<uint8_t>& seen) {
    rte_mbuf* back[64];
    unsigned n;
    while ((n = rte_ring_dequeue_burst(r, reinterpret_cast<void**>(back), 64, nullptr)) != 0)
        for (unsigned i = 0; i < n; ++i) {
            uint64_t seq;
            std::memcpy(&seq, rte_pktmbuf_mtod(back[i], const uint8_t*) + 16, sizeof seq);
            if (seq >= seen.size()) seen.resize(seq + 1024, 0);
            ++seen[seq];
            rte_pktmbuf_free(back[i]);
        }
}

TEST(XskDataplane, BoundSlotsDeliverOnceAndUnboundSlotsAreCounted) {
    if (!init_eal_once("cpumap_dp", kLcores)) GTEST_SKIP() << "EAL cannot initialise here";
    const RingPort a = make_ring_port("xsk_a"), b = make_ring_port("xsk_b"), c = make_ring_port("xsk_c");
    ASSERT_NE(c.port, UINT16_MAX);
    auto created = Dataplane::create({});
    ASSERT_TRUE(created.ok());
    std::unique_ptr<Dataplane> dp = std::move(*created);
    for (uint16_t port : {a.port, b.port, c.port}) ASSERT_TRUE(dp->add_port(port).ok());
    xdpdk::ProgramSpec spec;
    spec.object_path = test_prog_path("xsk_redirect");
    spec.program = "xsk_by_frame";
    spec.globals = {"no_socket_flags=1"};  // XDP_DROP for a slot without a socket
    auto attached = dp->attach(a.port, spec);
    ASSERT_TRUE(attached.ok()) << attached.error().str();
    ASSERT_TRUE(dp->bind_xsk("xsks_map", 1, b.port).ok());
    ASSERT_TRUE(dp->bind_xsk("xsks_map", 2, c.port).ok());
    // Bad bindings: a slot beyond max_entries, a port not in the dataplane, not an xskmap.
    auto beyond = dp->bind_xsk("xsks_map", 4, b.port);
    ASSERT_FALSE(beyond.ok());
    EXPECT_NE(beyond.error().str().find("beyond max_entries 4"), std::string::npos) << beyond.error().str();
    auto no_port = dp->bind_xsk("xsks_map", 0, 30);
    ASSERT_FALSE(no_port.ok());
    EXPECT_EQ(no_port.error().subject, "port 30");
    auto no_map = dp->bind_xsk("nothing", 0, b.port);
    ASSERT_FALSE(no_map.ok());
    ASSERT_TRUE(dp->start().ok());

    rte_mempool* pool = rte_pktmbuf_pool_create("xsk_traffic", 4095, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
    ASSERT_NE(pool, nullptr);
    constexpr uint64_t kFrames = 20000;
    std::vector<uint8_t> at_b, at_c;
    uint64_t sent = 0;
    while (sent < kFrames) {
        rte_mbuf* burst[32];
        unsigned made = 0;
        for (; made < 32 && sent + made < kFrames; ++made) {
            rte_mbuf* m = rte_pktmbuf_alloc(pool);
            if (m == nullptr) break;
            auto* d = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, 64));
            std::memset(d, 0, 64);
            d[12] = 0x08;
            const uint64_t seq = sent + made;
            std::memcpy(d + 16, &seq, sizeof seq);
            burst[made] = m;
        }
        const unsigned queued = rte_ring_enqueue_burst(a.rx, reinterpret_cast<void**>(burst), made, nullptr);
        for (unsigned i = queued; i < made; ++i) rte_pktmbuf_free(burst[i]);
        sent += queued;
        take(b.tx, at_b);
        take(c.tx, at_c);
    }
    for (int i = 0; i < 2000; ++i) {
        take(b.tx, at_b);
        take(c.tx, at_c);
        uint64_t delivered = 0;
        for (uint8_t n : at_b) delivered += n;
        for (uint8_t n : at_c) delivered += n;
        if (delivered == sent / 2) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    for (uint64_t seq = 0; seq < sent; ++seq) {
        const uint8_t nb = seq < at_b.size() ? at_b[seq] : 0, nc = seq < at_c.size() ? at_c[seq] : 0;
        ASSERT_EQ(nb, seq % 4 == 1 ? 1 : 0) << "frame " << seq << " at B";
        ASSERT_EQ(nc, seq % 4 == 2 ? 1 : 0) << "frame " << seq << " at C";
    }
    const auto stats = dp->port_stats();
    ASSERT_EQ(stats[0].port, a.port);
    EXPECT_EQ(stats[0].rx_packets, sent);
    EXPECT_EQ(stats[0].redirected, sent / 2);
    EXPECT_EQ(stats[0].dropped, sent / 2) << "slots 0 and 3 have no socket: the fallback verdict (DROP)";
    EXPECT_EQ(stats[0].redirect_errors, 0u);
    dp->stop();
    const json s = json::parse(dp->summary_json());
    for (const json& p : s.at("mempools")) EXPECT_EQ(p.at("in_use"), 0) << p.dump();
    rte_mempool_free(pool);
}

// `xdpdk run --xsk` naming a port DPDK does not have: one line, exit 1,
// before any traffic.
TEST(XskDataplane, RunRefusesABindingToAPortThatDoesNotExist) {
    const std::string dir = temp_dir();
    const CommandResult r = run_command(
        {xdpdk_binary(), "run", "--no-huge", "-m", "256", "--no-pci",
         "--file-prefix=xdpdk-xsk-" + std::to_string(getpid()), "-l", "0,1", "--log-level=error",
         "--vdev=net_null0", "--", "--attach", "0=" + test_prog_path("xsk_redirect"), "--xsk",
         "xsks_map[1]=port:9", "--duration", "0.1", "--no-ctl"});
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_EQ(r.out, "");
    int ours = 0;
    std::istringstream in(r.err);
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("xdpdk: ", 0) != 0) continue;
        ++ours;
        EXPECT_NE(line.find("--xsk 'xsks_map[1]=port:9'"), std::string::npos) << line;
    }
    EXPECT_EQ(ours, 1) << r.err;
}

// Frames in a pcap, each with byte 16 = its slot.
void write_slots_pcap(const std::string& path, const std::vector<uint8_t>& slots) {
    auto w = xdpdk::cli::PcapWriter::open(path, 1);
    ASSERT_TRUE(w.ok());
    for (size_t i = 0; i < slots.size(); ++i) {
        std::vector<uint8_t> f(64, 0);
        f[12] = 0x08;
        f[16] = slots[i];
        f[20] = static_cast<uint8_t>(i);
        (*w)->write({0, 0}, 64, f);
    }
    ASSERT_TRUE((*w)->close().ok());
}

size_t pcap_count(const std::string& path) {
    auto r = xdpdk::cli::PcapReader::open(path);
    if (!r.ok()) return 0;
    size_t n = 0;
    while (true) {
        auto next = (*r)->next();
        if (!next.ok() || !*next) break;
        ++n;
    }
    return n;
}

// `xdpdk run --xsk` on net_pcap ports: port 0 reads the capture, slot 1 is
// bound to port 1 (its tx pcap plays the application), slot 2 to port 2;
// slots 0 and 3 have no socket (XDP_PASS fallback, to port 3).
TEST(XskDataplane, RunDeliversBoundSlotsToTheirPorts) {
    const std::string dir = temp_dir();
    const std::vector<uint8_t> slots = {1, 2, 0, 1, 3, 2, 1, 0};
    write_slots_pcap(dir + "/in.pcap", slots);
    const CommandResult r = run_command(
        {xdpdk_binary(), "run", "--no-huge", "-m", "512", "--no-pci",
         "--file-prefix=xdpdk-xsk3-" + std::to_string(getpid()), "-l", "0,1", "--log-level=error",
         "--vdev=net_pcap0,rx_pcap=" + dir + "/in.pcap", "--vdev=net_pcap1,tx_pcap=" + dir + "/tx1.pcap",
         "--vdev=net_pcap2,tx_pcap=" + dir + "/tx2.pcap", "--vdev=net_pcap3,tx_pcap=" + dir + "/tx3.pcap", "--",
         "--attach", "0=" + test_prog_path("xsk_redirect") + "@xsk_by_frame", "--set", "no_socket_flags=2",
         "--pass", "0=port:3", "--xsk", "xsks_map[1]=port:1", "--xsk", "xsks_map[2]=port:2", "--packets",
         std::to_string(slots.size()), "--json", "--no-ctl", "--stats-interval", "0"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const json s = json::parse(r.out);
    const json& p0 = s.at("ports").at(0);
    EXPECT_EQ(p0.at("actions").at("XDP_REDIRECT").at("packets"), 5);
    EXPECT_EQ(p0.at("actions").at("XDP_PASS").at("packets"), 3);
    EXPECT_EQ(p0.at("redirect_errors"), 0);
    EXPECT_EQ(pcap_count(dir + "/tx1.pcap"), 3u);
    EXPECT_EQ(pcap_count(dir + "/tx2.pcap"), 2u);
    EXPECT_EQ(pcap_count(dir + "/tx3.pcap"), 3u);
    for (const json& pool : s.at("mempools")) EXPECT_EQ(pool.at("in_use"), 0);
}

// A binding to a map the program does not have: one line as well.
TEST(XskDataplane, RunRefusesABindingToAMissingMap) {
    const CommandResult r = run_command(
        {xdpdk_binary(), "run", "--no-huge", "-m", "256", "--no-pci",
         "--file-prefix=xdpdk-xsk2-" + std::to_string(getpid()), "-l", "0,1", "--log-level=error",
         "--vdev=net_null0", "--", "--attach", "0=" + test_prog_path("xsk_redirect"), "--xsk", "socks[1]=port:0",
         "--duration", "0.1", "--no-ctl"});
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find("xdpdk: --xsk 'socks[1]=port:0': map 'socks': no attached program has it"),
              std::string::npos)
        << r.err;
}

}  // namespace
