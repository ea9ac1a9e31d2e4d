// A poll-mode worker: one per worker lcore. It owns a list of (port, rx
// queue) sources and a tx queue on every port, runs each received packet
// through the port's attached programs and carries out the verdict. No locks
// (except on devices with fewer tx queues than workers) and no allocation
// in the loop; counters are per worker and per port.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include <rte_mbuf.h>

#include "dp_counters.h"
#include "dp_runtime.h"
#include "dp_trace.h"
#include "dp_tx.h"
#include "vm/exec_context.h"

namespace xdpdk::dataplane {

struct RxSource {
    uint16_t port = 0;
    uint16_t queue = 0;
    // An exception tap's queue: what the host sends goes out on this port,
    // without a program (the host stack transmitting on the interface).
    uint16_t host_of = kNoPort;
};

struct WorkerPlan {
    uint32_t slot = 0;  // per-CPU map slot and bpf_get_smp_processor_id()
    unsigned lcore = 0;
    std::vector<RxSource> sources;
};

class Worker {
public:
    // Tx queue on each port: slot % the port's tx queues.
    Worker(Runtime& rt, WorkerPlan plan, FILE* trace_out);
    Worker(const Worker&) = delete;
    Worker& operator=(const Worker&) = delete;

    // The lcore's loop, until rt.stop; flushes its tx buffers before it returns.
    void run();

    const WorkerPlan& plan() const { return plan_; }
    const PortCounters& counters(uint16_t port) const { return counters_[port]; }
    uint64_t trace_suppressed() const { return trace_.suppressed(); }

    // For rte_eal_remote_launch.
    static int launch(void* worker);

private:
    void poll(const RxSource& src, rte_mbuf** pkts);
    void run_programs(const RxSource& src, const AttachedSet& set, rte_mbuf** pkts, uint16_t n);
    void forward_host(const RxSource& src, rte_mbuf** pkts, uint16_t n);
    void send(uint16_t port, rte_mbuf* m) {
        tx_[port].push(m);
        if (!listed_[port]) {
            listed_[port] = true;
            dirty_[dirty_count_++] = port;
        }
    }
    void flush_tx();

    Runtime& rt_;
    WorkerPlan plan_;
    WorkerTrace trace_;
    vm::ExecContext ex_;
    std::unique_ptr<PortCounters[]> counters_;  // by port id
    std::unique_ptr<TxBuffer[]> tx_;            // by port id
    std::array<uint16_t, RTE_MAX_ETHPORTS> dirty_{};  // ports sent to in this burst
    std::array<bool, RTE_MAX_ETHPORTS> listed_{};
    uint16_t dirty_count_ = 0;
};

}  // namespace xdpdk::dataplane
