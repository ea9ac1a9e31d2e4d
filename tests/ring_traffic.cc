#include "ring_traffic.h"

#include <algorithm>
#include <cstring>
#include <fstream>

#include <malloc.h>

#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <unistd.h>

namespace xdpdk::test {

bool init_eal_once(const std::string& name, const std::string& lcores) {
    static const bool ready = [&] {
        const std::string prefix = "--file-prefix=xdpdk-" + name + "-" + std::to_string(getpid());
        std::vector<std::string> args = {name, "--lcores", lcores, "--no-huge", "-m", "1024", "--no-pci",
                                         prefix, "--log-level=lib.eal:error"};
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        return rte_eal_init(static_cast<int>(argv.size()), argv.data()) >= 0;
    }();
    return ready;
}

RingPort make_ring_port(const std::string& name) {
    RingPort p;
    p.rx = rte_ring_create((name + "_rx").c_str(), 4096, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
    p.tx = rte_ring_create((name + "_tx").c_str(), 4096, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
    if (p.rx == nullptr || p.tx == nullptr) return p;
    const int port = rte_eth_from_rings(name.c_str(), &p.rx, 1, &p.tx, 1, SOCKET_ID_ANY);
    if (port >= 0) p.port = static_cast<uint16_t>(port);
    return p;
}

RingTraffic::RingTraffic(RingPort port) : port_(port) {
    // Port ids come back when a port closes: the pool's name must not repeat.
    static int pools = 0;
    pool_ = rte_pktmbuf_pool_create(("traffic_" + std::to_string(pools++)).c_str(), 8191, 256, 0,
                                    RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
}

void RingTraffic::pump(unsigned n) {
    // At most half a ring in flight, so the port's tx ring (4096) never
    // overflows while this thread is not scheduled to empty it: a drop
    // there would be the test's own, not the dataplane's.
    constexpr uint64_t kMaxInFlight = 2048;
    if (sent_ - received_ >= kMaxInFlight) return collect();
    rte_mbuf* burst[32];
    n = std::min(n, 32u);
    unsigned made = 0;
    for (; made < n; ++made) {
        rte_mbuf* m = rte_pktmbuf_alloc(pool_);
        if (m == nullptr) break;
        auto* d = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, kFrame));
        std::memset(d, 0, kFrame);
        d[12] = 0x08;  // IPv4 ethertype, as any frame would have
        const uint64_t seq = next_seq_ + made;
        std::memcpy(d + kSeqOffset, &seq, sizeof seq);
        burst[made] = m;
    }
    const unsigned queued = rte_ring_enqueue_burst(port_.rx, reinterpret_cast<void**>(burst), made, nullptr);
    for (unsigned i = queued; i < made; ++i) rte_pktmbuf_free(burst[i]);
    next_seq_ += queued;
    sent_ += queued;
    collect();
}

void RingTraffic::collect() {
    rte_mbuf* back[64];
    unsigned n;
    while ((n = rte_ring_dequeue_burst(port_.tx, reinterpret_cast<void**>(back), 64, nullptr)) != 0) {
        for (unsigned i = 0; i < n; ++i) {
            const auto* d = rte_pktmbuf_mtod(back[i], const uint8_t*);
            uint64_t seq;
            std::memcpy(&seq, d + kSeqOffset, sizeof seq);
            if (seq >= seen_.size()) seen_.resize(std::max<size_t>(seq + 1, seen_.size() * 2), 0);
            ++seen_[seq];
            if (d[kStampOffset] != last_stamp_) ++stamp_changes_;
            last_stamp_ = d[kStampOffset];
            rte_pktmbuf_free(back[i]);
        }
        received_ += n;
    }
}

uint64_t resident_bytes() {
    // Free heap the allocator still holds (arenas of the threads that loaded
    // programs) is given back first: what remains is memory in use.
    malloc_trim(0);
    std::ifstream statm("/proc/self/statm");
    uint64_t size = 0, resident = 0;
    statm >> size >> resident;
    return resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

}  // namespace xdpdk::test
