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
#include "dp_cpumap.h"
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

// What one burst's verdicts collect before they are acted on and counted.
struct BurstVerdicts {
    rte_mbuf* tx[kMaxBurst];    // XDP_TX, in order, for the receiving port
    rte_mbuf* drop[kMaxBurst];  // to free: XDP_DROP, XDP_ABORTED, undeliverable
    uint16_t ntx = 0, ndrop = 0;
    uint64_t tx_bytes = 0;
    uint64_t drop_bytes = 0;  // of the XDP_DROP verdicts among `drop`
    // The rarer verdicts (PASS, REDIRECT, ABORTED), counted by other_verdict.
    uint32_t others = 0;
    uint32_t others_dropped = 0;  // of them, the ones in `drop`
    uint32_t packets[kXdpActions] = {};
    uint64_t bytes[kXdpActions] = {};
    uint32_t unknown = 0, redirect_errors = 0;
    uint32_t moved_tx = 0;  // XDP_TX packets handed to the tx buffer early, to keep order
    uint64_t moved_tx_bytes = 0;
};

class Worker {
public:
    // Tx queue on each port: slot % the port's tx queues.
    Worker(Runtime& rt, WorkerPlan plan, FILE* trace_out, TraceBus* trace_bus);
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
    // Both return the burst's received bytes (before the programs ran).
    uint64_t run_direct(const RxSource& src, const AttachedSet& set, rte_mbuf** pkts, uint16_t n, BurstVerdicts& v);
    uint64_t run_general(const RxSource& src, const AttachedSet& set, rte_mbuf** pkts, uint16_t n, BurstVerdicts& v);
    void run_packet(const RxSource& src, const AttachedSet& set, rte_mbuf* m, BurstVerdicts& v);
    void finish_burst(const RxSource& src, BurstVerdicts& v, uint16_t n, uint64_t rx_bytes);
    void other_verdict(const RxSource& src, BurstVerdicts& v, rte_mbuf* m, uint32_t action, uint64_t retval);
    static void count_other_verdicts(PortCounters& c, const BurstVerdicts& v);
    void forward_host(const RxSource& src, rte_mbuf** pkts, uint16_t n);
    // Cpumap (dp_cpumap_worker.cc): a frame redirected into a cpumap is
    // staged for its target worker; this worker's own ring is run each loop.
    void stage_cpumap(const RxSource& src, BurstVerdicts& v, rte_mbuf* m);
    void poll_cpumap();
    void run_cpumap_frame(const CpumapFrame& f);
    // Sends m on port `to` after the burst's XDP_TX packets when `to` is the
    // receiving port, so the port's order is kept.
    void send_after_burst_tx(const RxSource& src, BurstVerdicts& v, uint16_t to, rte_mbuf* m);
    void broadcast(const RxSource& src, BurstVerdicts& v, rte_mbuf* m);
    void send(uint16_t port, rte_mbuf* m) {
        tx_[port].push(m);
        mark_dirty(port);
    }
    void mark_dirty(uint16_t port) {
        if (!listed_[port]) {
            listed_[port] = true;
            dirty_[dirty_count_++] = port;
        }
    }
    void flush_tx();
    void reset_run_state_if_dirty() {
        if (run_state_dirty_) {
            ex_.reset_run();
            run_state_dirty_ = false;
        }
    }

    Runtime& rt_;
    WorkerPlan plan_;
    WorkerTrace trace_;
    vm::ExecContext ex_;
    std::unique_ptr<PortCounters[]> counters_;  // by port id
    std::unique_ptr<TxBuffer[]> tx_;            // by port id
    std::array<uint16_t, RTE_MAX_ETHPORTS> dirty_{};  // ports sent to in this burst
    std::array<bool, RTE_MAX_ETHPORTS> listed_{};
    uint16_t dirty_count_ = 0;
    // ex_ may hold a previous run's redirect target, tail-call count or
    // fault: reset it before the next run (AttachedSet::direct_leaves_run_state).
    bool run_state_dirty_ = true;
    const AttachedSet* burst_set_ = nullptr;  // the set the current burst runs
    CpumapStage cpumap_stage_;
    rte_ring* cpumap_ring_ = nullptr;  // this worker's: frames other workers (or it) redirected to its slot
    std::unique_ptr<CpumapFrame[]> cpumap_frames_;  // one dequeued burst
};

}  // namespace xdpdk::dataplane
