// Counters a worker keeps for each port. Only the owning worker writes them
// (a relaxed load and store, no atomic read-modify-write); the main lcore and
// the telemetry thread read them while traffic runs. Each port's block is
// cache-aligned so workers never share a line.
#pragma once

#include <atomic>
#include <cstdint>

#include "vm/xdp.h"

namespace xdpdk::dataplane {

constexpr uint32_t kXdpActions = 5;  // XDP_ABORTED .. XDP_REDIRECT

// Cpumap hops of frames received on a port, the figures of the kernel's
// xdp_cpumap_enqueue and xdp_cpumap_kthread tracepoints: queued on and
// refused by the target worker's ring (a full ring; counted by the sending
// worker), then what the entry's program did there (by the target worker):
// passed (to the port's pass target), dropped (DROP, ABORTED, and XDP_TX,
// which the kernel does not allow there), redirected, redirect errors.
// One list for the counters, the snapshot, the JSON and the text summary.
#define XDPDK_CPUMAP_COUNTERS(X)                                                                       \
    X(cpumap_queued) X(cpumap_drops) X(cpumap_passed) X(cpumap_dropped) X(cpumap_redirected)          \
        X(cpumap_redirect_errors)

class RelaxedCounter {
public:
    void add(uint64_t n) { value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
    uint64_t get() const { return value_.load(std::memory_order_relaxed); }

private:
    std::atomic<uint64_t> value_{0};
};

struct alignas(64) PortCounters {
    // Received on this port (before the program ran).
    RelaxedCounter rx_packets, rx_bytes;
    // Verdicts of this port's program; bytes as the program left the packet.
    RelaxedCounter action_packets[kXdpActions], action_bytes[kXdpActions];
    RelaxedCounter unknown_actions;   // return values that are no XDP action (counted as XDP_ABORTED too)
    RelaxedCounter redirect_errors;   // XDP_REDIRECT to an ifindex no port has (dropped)
    // Sent on this port, whatever the reason (TX, REDIRECT, PASS, host traffic),
    // and what its full tx ring refused (freed).
    RelaxedCounter tx_packets, tx_bytes, tx_drops;
    // This port is an exception tap: frames the host sent, forwarded to the
    // port it belongs to.
    RelaxedCounter host_packets;
#define XDPDK_COUNTER(name) RelaxedCounter name;
    XDPDK_CPUMAP_COUNTERS(XDPDK_COUNTER)
#undef XDPDK_COUNTER
};

// A snapshot, summed over workers or for one.
struct PortFigures {
    uint64_t rx_packets = 0, rx_bytes = 0;
    uint64_t action_packets[kXdpActions] = {}, action_bytes[kXdpActions] = {};
    uint64_t unknown_actions = 0, redirect_errors = 0;
    uint64_t tx_packets = 0, tx_bytes = 0, tx_drops = 0, host_packets = 0;
#define XDPDK_FIGURE(name) uint64_t name = 0;
    XDPDK_CPUMAP_COUNTERS(XDPDK_FIGURE)
#undef XDPDK_FIGURE

    void add(const PortCounters& c) {
        rx_packets += c.rx_packets.get();
        rx_bytes += c.rx_bytes.get();
        for (uint32_t a = 0; a < kXdpActions; ++a) {
            action_packets[a] += c.action_packets[a].get();
            action_bytes[a] += c.action_bytes[a].get();
        }
        unknown_actions += c.unknown_actions.get();
        redirect_errors += c.redirect_errors.get();
        tx_packets += c.tx_packets.get();
        tx_bytes += c.tx_bytes.get();
        tx_drops += c.tx_drops.get();
        host_packets += c.host_packets.get();
#define XDPDK_ADD(name) name += c.name.get();
        XDPDK_CPUMAP_COUNTERS(XDPDK_ADD)
#undef XDPDK_ADD
    }
};

}  // namespace xdpdk::dataplane
