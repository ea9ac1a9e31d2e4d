// Cpumap delivery through the dataplane (issue 15), on net_ring ports with
// per-packet accounting: port A's program redirects every frame into a
// cpumap entry for worker slot 1 (A is polled by slot 0); there the entry's
// xdp/cpumap program (tests/progs/cpumap_accounting.bpf.c) passes a quarter
// of the frames (to A's pass target, port B), drops a quarter, redirects a
// quarter through a devmap (to port C) and returns XDP_TX for the rest
// (dropped, as in the kernel). Each frame carries a sequence number: every
// one that should arrive arrives exactly once, and the counters add up.
#include <atomic>
#include <chrono>
#include <functional>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "ring_traffic.h"
#include "test_support.h"
#include "xdpdk/dataplane.h"

namespace {

using namespace xdpdk::test;
using nlohmann::json;
using xdpdk::Dataplane;

// Two workers on CPU 1 (lcores 1 and 2), the test on CPU 0.
const char* const kLcores = "0@0,1@1,2@1";
constexpr size_t kSeqOffset = 16, kCpuOffset = 15;

std::string hex_le32(uint32_t v) {
    char s[9];
    std::snprintf(s, sizeof s, "%02x%02x%02x%02x", v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >> 24);
    return s;
}

// Frames into A's rx ring; what B and C send collected, by sequence number.
class Traffic {
public:
    Traffic(const RingPort& in, rte_ring* to_b, rte_ring* to_c) : in_(in), b_(to_b), c_(to_c) {
        static int pools = 0;
        pool_ = rte_pktmbuf_pool_create(("cpumap_traffic_" + std::to_string(pools++)).c_str(), 8191, 256, 0,
                                        RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
    }
    bool ok() const { return pool_ != nullptr; }

    // Up to `n` frames, as many as the ring takes.
    void send(unsigned n) {
        while (n != 0) {
            rte_mbuf* burst[32];
            const unsigned want = std::min(n, 32u);
            unsigned made = 0;
            for (; made < want; ++made) {
                rte_mbuf* m = rte_pktmbuf_alloc(pool_);
                if (m == nullptr) break;
                auto* d = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, 64));
                std::memset(d, 0, 64);
                d[12] = 0x08;
                const uint64_t seq = sent_ + made;
                std::memcpy(d + kSeqOffset, &seq, sizeof seq);
                burst[made] = m;
            }
            const unsigned queued = rte_ring_enqueue_burst(in_.rx, reinterpret_cast<void**>(burst), made, nullptr);
            for (unsigned i = queued; i < made; ++i) rte_pktmbuf_free(burst[i]);
            sent_ += queued;
            n -= queued;
            collect();
            if (queued == 0) std::this_thread::yield();
        }
    }

    void collect() {
        take(b_, at_b_);
        take(c_, at_c_);
    }

    uint64_t sent() const { return sent_; }
    const std::vector<uint8_t>& at_b() const { return at_b_; }
    const std::vector<uint8_t>& at_c() const { return at_c_; }
    uint64_t wrong_cpu() const { return wrong_cpu_; }

private:
    void take(rte_ring* r, std::vector<uint8_t>& seen) {
        rte_mbuf* back[64];
        unsigned n;
        while ((n = rte_ring_dequeue_burst(r, reinterpret_cast<void**>(back), 64, nullptr)) != 0) {
            for (unsigned i = 0; i < n; ++i) {
                const auto* d = rte_pktmbuf_mtod(back[i], const uint8_t*);
                uint64_t seq;
                std::memcpy(&seq, d + kSeqOffset, sizeof seq);
                if (seq >= seen.size()) seen.resize(std::max<size_t>(seq + 1, seen.size() * 2 + 1024), 0);
                ++seen[seq];
                wrong_cpu_ += d[kCpuOffset] != 1;
                rte_pktmbuf_free(back[i]);
            }
        }
    }

    RingPort in_;
    rte_ring* b_;
    rte_ring* c_;
    rte_mempool* pool_ = nullptr;
    uint64_t sent_ = 0, wrong_cpu_ = 0;
    std::vector<uint8_t> at_b_, at_c_;
};

struct Ports {
    RingPort a, b, c;
};

Ports make_ports(const std::string& tag) {
    return {make_ring_port("cpm_" + tag + "_a"), make_ring_port("cpm_" + tag + "_b"),
            make_ring_port("cpm_" + tag + "_c")};
}

xdpdk::ProgramSpec accounting_spec(const Ports& p, uint32_t qsize, bool with_maps = true) {
    xdpdk::ProgramSpec s;
    s.object_path = test_prog_path("cpumap_accounting");
    s.program = "xdp_to_cpu";
    if (with_maps)
        s.maps_json = R"({"cpu_map": [{"key": "01000000", "value": ")" + hex_le32(qsize) +
                      R"(00000000", "prog": "xdp_cpumap_sort"}], "tx_port": [{"key": "00000000", "value": ")" +
                      hex_le32(p.c.port + 1u) + R"("}]})";
    return s;
}

std::unique_ptr<Dataplane> start_dataplane(const Ports& p, const xdpdk::ProgramSpec& spec) {
    auto created = Dataplane::create({});
    if (!created.ok()) {
        ADD_FAILURE() << created.error().str();
        return nullptr;
    }
    std::unique_ptr<Dataplane> dp = std::move(*created);
    xdpdk::PortOptions a;
    a.pass.kind = xdpdk::PassTarget::Kind::Port;
    a.pass.port = p.b.port;
    EXPECT_TRUE(dp->add_port(p.a.port, a).ok());
    EXPECT_TRUE(dp->add_port(p.b.port).ok());
    EXPECT_TRUE(dp->add_port(p.c.port).ok());
    auto attached = dp->attach(p.a.port, spec);
    if (!attached.ok()) {
        ADD_FAILURE() << attached.error().str();
        return nullptr;
    }
    auto started = dp->start();
    if (!started.ok()) {
        ADD_FAILURE() << started.error().str();
        return nullptr;
    }
    return dp;
}

json port_json(const Dataplane& dp, uint16_t port) {
    const json s = json::parse(dp.summary_json());
    for (const json& p : s.at("ports"))
        if (p.at("port") == port) return p;
    return json();
}

// What the cpumap accounted for so far: queued frames that the target has
// run, plus ring-full drops.
uint64_t cpumap_done(const json& c) {
    return c.at("passed").get<uint64_t>() + c.at("dropped").get<uint64_t>() + c.at("redirected").get<uint64_t>() +
           c.at("redirect_errors").get<uint64_t>() + c.at("drops").get<uint64_t>();
}

// Sends `rounds` rounds of `per_round` frames, each round only once the
// previous one is accounted for (so nothing waits in a ring unless it is
// meant to be dropped); `between` runs between rounds.
void run_rounds(Dataplane& dp, Traffic& t, const Ports& p, int rounds, unsigned per_round,
                const std::function<void()>& between = {}) {
    for (int r = 0; r < rounds; ++r) {
        t.send(per_round);
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (std::chrono::steady_clock::now() < deadline) {
            t.collect();
            if (cpumap_done(port_json(dp, p.a.port).at("cpumap")) == t.sent()) break;
            std::this_thread::sleep_for(std::chrono::microseconds(200));
        }
        if (between) between();
    }
    // What B and C were sent reaches their rings within the workers' flush.
    for (int i = 0; i < 50; ++i) {
        t.collect();
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
}

void expect_mbufs_back(const Dataplane& dp) {
    const json s = json::parse(dp.summary_json());
    ASSERT_FALSE(s.at("mempools").empty());
    for (const json& pool : s.at("mempools")) EXPECT_EQ(pool.at("in_use"), 0) << pool.dump();
}

TEST(CpumapDataplane, EachFrameIsDeliveredOnceByTheEntrysVerdict) {
    if (!init_eal_once("cpumap_dp", kLcores)) GTEST_SKIP() << "EAL cannot initialise here";
    const Ports p = make_ports("once");
    ASSERT_NE(p.c.port, UINT16_MAX);
    Traffic t(p.a, p.b.tx, p.c.tx);
    ASSERT_TRUE(t.ok());
    auto dp = start_dataplane(p, accounting_spec(p, 2048));
    ASSERT_NE(dp, nullptr);
    run_rounds(*dp, t, p, 40, 1000);
    const uint64_t sent = t.sent();
    ASSERT_EQ(sent, 40000u);
    // Seq & 3: 0 passes (to B), 1 is dropped, 2 goes through the devmap
    // (to C), 3 returns XDP_TX (dropped).
    for (uint64_t seq = 0; seq < sent; ++seq) {
        const uint8_t b = seq < t.at_b().size() ? t.at_b()[seq] : 0;
        const uint8_t c = seq < t.at_c().size() ? t.at_c()[seq] : 0;
        ASSERT_EQ(b, seq % 4 == 0 ? 1 : 0) << "frame " << seq << " at B";
        ASSERT_EQ(c, seq % 4 == 2 ? 1 : 0) << "frame " << seq << " at C";
    }
    EXPECT_EQ(t.wrong_cpu(), 0u) << "the cpumap program ran on another CPU slot than the entry's";
    const json a = port_json(*dp, p.a.port);
    EXPECT_EQ(a.at("rx").at("packets"), sent);
    EXPECT_EQ(a.at("actions").at("XDP_REDIRECT").at("packets"), sent);
    const json& c = a.at("cpumap");
    EXPECT_EQ(c.at("queued"), sent);
    EXPECT_EQ(c.at("drops"), 0);
    EXPECT_EQ(c.at("passed"), sent / 4);
    EXPECT_EQ(c.at("dropped"), sent / 2);
    EXPECT_EQ(c.at("redirected"), sent / 4);
    EXPECT_EQ(c.at("redirect_errors"), 0);
    // The program ran on worker slot 1: the hop's figures are that worker's.
    EXPECT_EQ(a.at("workers").at(1).at("cpumap").at("passed"), sent / 4);
    EXPECT_EQ(a.at("workers").at(0).at("cpumap").at("queued"), sent);
    dp->stop();
    expect_mbufs_back(*dp);
}

TEST(CpumapDataplane, AFullRingDropsAndCountsEveryFrameItRefuses) {
    if (!init_eal_once("cpumap_dp", kLcores)) GTEST_SKIP() << "EAL cannot initialise here";
    const Ports p = make_ports("full");
    ASSERT_NE(p.c.port, UINT16_MAX);
    Traffic t(p.a, p.b.tx, p.c.tx);
    ASSERT_TRUE(t.ok());
    // qsize 4: a 32-frame burst can queue at most 4.
    auto dp = start_dataplane(p, accounting_spec(p, 4));
    ASSERT_NE(dp, nullptr);
    run_rounds(*dp, t, p, 20, 1024);
    const uint64_t sent = t.sent();
    const json a = port_json(*dp, p.a.port);
    const json& c = a.at("cpumap");
    const uint64_t queued = c.at("queued"), drops = c.at("drops");
    EXPECT_GT(drops, 0u) << "a 4-frame ring took every frame of 32-frame bursts";
    EXPECT_EQ(queued + drops, sent);
    EXPECT_EQ(c.at("passed").get<uint64_t>() + c.at("dropped").get<uint64_t>() + c.at("redirected").get<uint64_t>(),
              queued);
    // Delivered exactly what the counters say, none twice, only the right ones.
    uint64_t at_b = 0, at_c = 0;
    for (uint64_t seq = 0; seq < t.at_b().size(); ++seq) {
        ASSERT_LE(t.at_b()[seq], 1) << "frame " << seq << " twice at B";
        if (t.at_b()[seq]) {
            ASSERT_EQ(seq % 4, 0u);
        }
        at_b += t.at_b()[seq];
    }
    for (uint64_t seq = 0; seq < t.at_c().size(); ++seq) {
        ASSERT_LE(t.at_c()[seq], 1) << "frame " << seq << " twice at C";
        if (t.at_c()[seq]) {
            ASSERT_EQ(seq % 4, 2u);
        }
        at_c += t.at_c()[seq];
    }
    EXPECT_EQ(at_b, c.at("passed"));
    EXPECT_EQ(at_c, c.at("redirected"));
    dp->stop();
    expect_mbufs_back(*dp);
}

// Swaps of A's program while frames wait in the target's ring: each swap
// carries the cpumap over and points its entry at the new object's cpumap
// program, and the old object is freed only once its queued frames ran.
TEST(CpumapDataplane, HotSwapsUnderCpumapTrafficLoseNothing) {
    if (!init_eal_once("cpumap_dp", kLcores)) GTEST_SKIP() << "EAL cannot initialise here";
    const Ports p = make_ports("swap");
    ASSERT_NE(p.c.port, UINT16_MAX);
    Traffic t(p.a, p.b.tx, p.c.tx);
    ASSERT_TRUE(t.ok());
    auto dp = start_dataplane(p, accounting_spec(p, 16384));
    ASSERT_NE(dp, nullptr);
    std::atomic<bool> swapping{true};
    std::atomic<int> swaps{0}, failed{0};
    std::string failure;
    std::thread swapper([&] {
        while (swapping) {
            auto r = dp->swap(p.a.port, accounting_spec(p, 0, false));
            if (!r.ok()) {
                if (failed++ == 0) failure = r.error().str();
            } else {
                ++swaps;
            }
        }
    });
    // Rounds fill the ring faster than one slot drains it, so swaps find frames queued.
    run_rounds(*dp, t, p, 60, 2048);
    swapping = false;
    swapper.join();
    EXPECT_EQ(failed.load(), 0) << failure;
    EXPECT_GT(swaps.load(), 5) << "too few swaps ran during the traffic to prove anything";
    const uint64_t sent = t.sent();
    for (uint64_t seq = 0; seq < sent; ++seq) {
        const uint8_t b = seq < t.at_b().size() ? t.at_b()[seq] : 0;
        const uint8_t c = seq < t.at_c().size() ? t.at_c()[seq] : 0;
        ASSERT_EQ(b, seq % 4 == 0 ? 1 : 0) << "frame " << seq << " at B";
        ASSERT_EQ(c, seq % 4 == 2 ? 1 : 0) << "frame " << seq << " at C";
    }
    const json c = port_json(*dp, p.a.port).at("cpumap");
    EXPECT_EQ(c.at("queued"), sent);
    EXPECT_EQ(c.at("drops"), 0);
    // The entry still runs a cpumap program after the swaps.
    auto entry = dp->map_lookup("cpu_map", {1, 0, 0, 0});
    ASSERT_TRUE(entry.ok()) << entry.error().str();
    ASSERT_EQ(entry->size(), 8u);
    EXPECT_EQ((*entry)[4], 1) << "the entry lost its program";
    dp->stop();
    expect_mbufs_back(*dp);
}

// Stop right after a burst of traffic: frames still in a cpumap ring are
// freed (counted as drained), and no mbuf stays in use.
TEST(CpumapDataplane, StopFreesWhatWaitsInTheRings) {
    if (!init_eal_once("cpumap_dp", kLcores)) GTEST_SKIP() << "EAL cannot initialise here";
    const Ports p = make_ports("stop");
    ASSERT_NE(p.c.port, UINT16_MAX);
    Traffic t(p.a, p.b.tx, p.c.tx);
    ASSERT_TRUE(t.ok());
    auto dp = start_dataplane(p, accounting_spec(p, 16384));
    ASSERT_NE(dp, nullptr);
    t.send(4000);
    dp->stop();
    t.collect();
    const json s = json::parse(dp->summary_json());
    expect_mbufs_back(*dp);
    json a;
    for (const json& port : s.at("ports"))
        if (port.at("port") == p.a.port) a = port;
    const json& c = a.at("cpumap");
    // Whatever was queued either ran or was drained at stop.
    EXPECT_LE(cpumap_done(c) - c.at("drops").get<uint64_t>(), c.at("queued").get<uint64_t>());
    EXPECT_EQ(c.at("queued").get<uint64_t>() + c.at("drops").get<uint64_t>(),
              a.at("actions").at("XDP_REDIRECT").at("packets").get<uint64_t>());
}

// A pinned cpumap outlives the object that filled its entry: detaching that
// object leaves the entry with no program rather than one about to be
// freed, and another port's program redirecting into the map still works
// (frames then go where XDP_PASS goes).
TEST(CpumapDataplane, DetachingTheObjectThatFilledAPinnedCpumapLeavesNoDanglingProgram) {
    if (!init_eal_once("cpumap_dp", kLcores)) GTEST_SKIP() << "EAL cannot initialise here";
    const Ports p = make_ports("pin");
    ASSERT_NE(p.c.port, UINT16_MAX);
    xdpdk::DataplaneOptions o;
    o.pin_dir = "/sys/fs/bpf/xdpdk-cpumap-test";
    auto created = Dataplane::create(o);
    ASSERT_TRUE(created.ok()) << created.error().str();
    std::unique_ptr<Dataplane> dp = std::move(*created);
    xdpdk::PortOptions pass_to_b;
    pass_to_b.pass.kind = xdpdk::PassTarget::Kind::Port;
    pass_to_b.pass.port = p.b.port;
    ASSERT_TRUE(dp->add_port(p.a.port, pass_to_b).ok());
    ASSERT_TRUE(dp->add_port(p.b.port).ok());
    ASSERT_TRUE(dp->add_port(p.c.port, pass_to_b).ok());
    ASSERT_TRUE(dp->attach(p.a.port, accounting_spec(p, 64)).ok());
    // A second object of the same file on C: it shares the pinned maps.
    auto second = dp->attach(p.c.port, accounting_spec(p, 64, false));
    ASSERT_TRUE(second.ok()) << second.error().str();
    auto entry_prog = [&]() -> json {
        json maps = json::parse(dp->maps_snapshot_json());
        // Several objects: keyed by object path (both are the same file here).
        if (!maps.contains("cpu_map")) maps = maps.begin().value();
        for (const json& e : maps.at("cpu_map"))
            if (e.at("key") == "01000000") return e.contains("prog") ? e.at("prog") : json();
        return json("no entry");
    };
    EXPECT_EQ(entry_prog(), "xdp_cpumap_sort");
    ASSERT_TRUE(dp->detach(p.a.port).ok());
    EXPECT_EQ(entry_prog(), json()) << "the entry still names the detached object's program";
    ASSERT_TRUE(dp->start().ok());
    dp->stop();
    expect_mbufs_back(*dp);
}

}  // namespace
