#include "dp_worker.h"

#include <rte_prefetch.h>

#include "dp_mbuf_xdp.h"
#include "vm/reclaim.h"

namespace xdpdk::dataplane {
namespace {

constexpr uint16_t kPrefetchAhead = 3;

}  // namespace

Worker::Worker(Runtime& rt, WorkerPlan plan, FILE* trace_out)
    : rt_(rt),
      plan_(std::move(plan)),
      trace_(trace_out, plan_.slot),
      counters_(new PortCounters[RTE_MAX_ETHPORTS]),
      tx_(new TxBuffer[RTE_MAX_ETHPORTS]) {
    ex_.cpu = plan_.slot;
    ex_.trace = &trace_;
    for (uint16_t port = 0; port < RTE_MAX_ETHPORTS; ++port) {
        const PortState& ps = rt_.ports[port];
        if (!ps.in_use) continue;
        const uint16_t queue = static_cast<uint16_t>(plan_.slot % ps.tx_queues);
        rte_spinlock_t* lock = ps.tx_locks ? &ps.tx_locks[queue] : nullptr;
        tx_[port].init(port, queue, lock, rt_.burst, &counters_[port]);
    }
}

int Worker::launch(void* worker) {
    static_cast<Worker*>(worker)->run();
    return 0;
}

void Worker::run() {
    // Online for map memory and attach points from here on; quiescent after
    // every round of bursts, when no program of this worker is running.
    vm::ReclaimThread reclaim;
    rte_mbuf* pkts[kMaxBurst];
    while (!rt_.stop.load(std::memory_order_relaxed)) {
        for (const RxSource& src : plan_.sources) poll(src, pkts);
        reclaim.quiescent();
    }
    flush_tx();
}

void Worker::poll(const RxSource& src, rte_mbuf** pkts) {
    if (src.host_of != kNoPort) {
        const uint16_t n = rte_eth_rx_burst(src.port, src.queue, pkts, rt_.burst);
        if (n != 0) forward_host(src, pkts, n);
        return;
    }
    const AttachedSet* set = rt_.ports[src.port].attach.load();
    if (set == nullptr) [[unlikely]]
        return;
    uint16_t want = rt_.burst;
    if (rt_.budget.limited()) [[unlikely]] {
        want = rt_.budget.claim(want);
        if (want == 0) return;
    }
    const uint16_t n = rte_eth_rx_burst(src.port, src.queue, pkts, want);
    if (rt_.budget.limited() && n < want) [[unlikely]]
        rt_.budget.give_back(static_cast<uint16_t>(want - n));
    if (n == 0) return;
    run_programs(src, *set, pkts, n);
    flush_tx();
}

void Worker::run_programs(const RxSource& src, const AttachedSet& set, rte_mbuf** pkts, uint16_t n) {
    const PortState& port = rt_.ports[src.port];
    PortCounters& c = counters_[src.port];
    uint64_t rx_bytes = 0;
    uint64_t packets[kXdpActions] = {}, bytes[kXdpActions] = {};
    uint64_t unknown = 0, redirect_errors = 0;
    rte_mbuf* drops[kMaxBurst];
    uint16_t ndrops = 0;

    for (uint16_t i = 0; i < n && i < kPrefetchAhead; ++i) rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void*));
    for (uint16_t i = 0; i < n; ++i) {
        if (i + kPrefetchAhead < n) rte_prefetch0(rte_pktmbuf_mtod(pkts[i + kPrefetchAhead], void*));
        rte_mbuf* m = pkts[i];
        rx_bytes += m->pkt_len;
        const uint16_t extra = m->pool == rt_.pool ? kExtraHeadroom : 0;
        vm::XdpBuff xdp = xdp_view(m, extra, port.ifindex, src.queue);
        const uint64_t retval = set.run(xdp, ex_);
        uint32_t action = static_cast<uint32_t>(retval);
        if (retval > vm::XDP_REDIRECT) [[unlikely]] {
            action = vm::XDP_ABORTED;
            ++unknown;
        }
        if (!apply_xdp_to_mbuf(m, xdp)) [[unlikely]]
            action = vm::XDP_ABORTED;
        ++packets[action];
        bytes[action] += m->pkt_len;
        switch (action) {
            case vm::XDP_TX:
                send(src.port, m);
                break;
            case vm::XDP_REDIRECT: {
                const uint16_t to = rt_.ports_by_ifindex.port_of(ex_.redirect.ifindex);
                if (to == kNoPort) [[unlikely]] {
                    ++redirect_errors;
                    drops[ndrops++] = m;
                } else {
                    send(to, m);
                }
                break;
            }
            case vm::XDP_PASS:
                if (port.pass_port != kNoPort) send(port.pass_port, m);
                else drops[ndrops++] = m;
                break;
            case vm::XDP_ABORTED:
                trace_.aborted(src.port, src.queue, retval, ex_.fault, m->pkt_len);
                drops[ndrops++] = m;
                break;
            default:
                drops[ndrops++] = m;
                break;
        }
    }
    if (ndrops != 0) rte_pktmbuf_free_bulk(drops, ndrops);

    c.rx_packets.add(n);
    c.rx_bytes.add(rx_bytes);
    for (uint32_t a = 0; a < kXdpActions; ++a) {
        if (packets[a] == 0) continue;
        c.action_packets[a].add(packets[a]);
        c.action_bytes[a].add(bytes[a]);
    }
    if (unknown != 0) [[unlikely]]
        c.unknown_actions.add(unknown);
    if (redirect_errors != 0) [[unlikely]]
        c.redirect_errors.add(redirect_errors);
}

void Worker::forward_host(const RxSource& src, rte_mbuf** pkts, uint16_t n) {
    for (uint16_t i = 0; i < n; ++i) send(src.host_of, pkts[i]);
    counters_[src.port].host_packets.add(n);
    flush_tx();
}

void Worker::flush_tx() {
    for (uint16_t i = 0; i < dirty_count_; ++i) {
        const uint16_t port = dirty_[i];
        tx_[port].flush();
        listed_[port] = false;
    }
    dirty_count_ = 0;
}

}  // namespace xdpdk::dataplane
