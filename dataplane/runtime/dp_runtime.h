// State the workers share, set up by the main lcore before they start and
// read-only afterwards (except the attach points, the budget and the stop
// flag, which are atomics).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include <rte_ethdev.h>
#include <rte_spinlock.h>

#include "dp_attach.h"

namespace xdpdk::dataplane {

class CpumapRings;

constexpr uint16_t kNoPort = UINT16_MAX;
constexpr uint16_t kMaxBurst = 512;

struct PortState {
    bool in_use = false;  // configured and started by us
    uint32_t ifindex = 0;
    AttachPoint attach;   // empty: the port is not polled
    // Where XDP_PASS goes: kNoPort = counted and dropped; else the port to
    // send on (another port, or the exception tap).
    uint16_t pass_port = kNoPort;
    uint16_t tx_queues = 0;
    const rte_mempool* rx_pool = nullptr;  // the pool its rx queues fill from
    // One lock per tx queue when the device has fewer tx queues than there
    // are workers (net_pcap has one per tx_pcap file); null otherwise.
    std::unique_ptr<rte_spinlock_t[]> tx_locks;
};

// ifindex -> port id, for XDP_REDIRECT. Small ifindexes (the defaults are
// port + 1) are one array load.
class IfindexTable {
public:
    void add(uint32_t ifindex, uint16_t port) {
        if (ifindex < small_.size()) small_[ifindex] = port;
        else large_.emplace_back(ifindex, port);
    }
    uint16_t port_of(uint32_t ifindex) const {
        if (ifindex < small_.size()) [[likely]]
            return small_[ifindex];
        for (const auto& [index, port] : large_)
            if (index == ifindex) return port;
        return kNoPort;
    }

private:
    std::array<uint16_t, 256> small_ = filled();
    std::vector<std::pair<uint32_t, uint16_t>> large_;
    static std::array<uint16_t, 256> filled() {
        std::array<uint16_t, 256> a;
        a.fill(kNoPort);
        return a;
    }
};

// --packets N: workers claim rx budget before each burst and give back what
// the burst did not use, so exactly N packets are received in total.
class PacketBudget {
public:
    void limit(uint64_t packets) {
        limited_ = packets != 0;
        remaining_.store(static_cast<int64_t>(packets), std::memory_order_relaxed);
    }
    bool limited() const { return limited_; }
    uint16_t claim(uint16_t want) {
        int64_t left = remaining_.load(std::memory_order_relaxed);
        while (left > 0) {
            const int64_t take = left < want ? left : want;
            if (remaining_.compare_exchange_weak(left, left - take, std::memory_order_relaxed))
                return static_cast<uint16_t>(take);
        }
        return 0;
    }
    void give_back(uint16_t unused) { remaining_.fetch_add(unused, std::memory_order_relaxed); }

private:
    bool limited_ = false;
    std::atomic<int64_t> remaining_{0};
};

struct Runtime {
    std::array<PortState, RTE_MAX_ETHPORTS> ports;
    IfindexTable ports_by_ifindex;
    PacketBudget budget;
    std::atomic<bool> stop{false};
    uint16_t burst = 32;
    // Programs' run count and run time (DataplaneOptions::stats), like the
    // kernel's bpf_stats_enabled.
    bool run_stats = false;
    const vm::Fib* fib = nullptr;  // what bpf_fib_lookup reads (DataplaneOptions::fib)
    // Our mbuf pools, one per NUMA node with ports; their mbufs carry
    // kExtraHeadroom of private area. Mbufs of other pools (a PMD's own)
    // have only the headroom their buffer has.
    std::vector<rte_mempool*> pools;
    // The workers' cpumap rings, by slot (dp_cpumap.h).
    const CpumapRings* cpumap_rings = nullptr;
    bool is_own_pool(const rte_mempool* pool) const {
        for (const rte_mempool* p : pools)
            if (p == pool) return true;
        return false;
    }
};

}  // namespace xdpdk::dataplane
