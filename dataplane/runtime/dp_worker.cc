#include "dp_worker.h"

#include <rte_cycles.h>
#include <rte_lcore.h>
#include <rte_prefetch.h>

#include "dp_frags.h"
#include "dp_mbuf_xdp.h"
#include "vm/maps/devmap_broadcast.h"
#include "vm/reclaim.h"

namespace xdpdk::dataplane {
namespace {

constexpr uint16_t kPrefetchAhead = 3;

// Packet data of pkts[from, from + count), those of them below n.
inline void prefetch_data(rte_mbuf* const* pkts, uint32_t from, uint32_t n, uint32_t count) {
    for (uint32_t i = from; i < n && i < from + count; ++i) rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void*));
}

}  // namespace

Worker::Worker(Runtime& rt, WorkerPlan plan, FILE* trace_out, TraceBus* trace_bus)
    : rt_(rt),
      plan_(std::move(plan)),
      trace_(trace_out, trace_bus, plan_.slot),
      counters_(new PortCounters[RTE_MAX_ETHPORTS]),
      tx_(new TxBuffer[RTE_MAX_ETHPORTS]) {
    ex_.cpu = plan_.slot;
    ex_.trace = &trace_;
    ex_.fib = rt_.fib;
    for (uint16_t port = 0; port < RTE_MAX_ETHPORTS; ++port) {
        const PortState& ps = rt_.ports[port];
        if (!ps.in_use) continue;
        const uint16_t queue = static_cast<uint16_t>(plan_.slot % ps.tx_queues);
        rte_spinlock_t* lock = ps.tx_locks ? &ps.tx_locks[queue] : nullptr;
        tx_[port].init(port, queue, lock, rt_.burst, &counters_[port]);
    }
    if (rt_.cpumap_rings != nullptr && plan_.slot < rt_.cpumap_rings->slots()) {
        cpumap_stage_.init(rt_.cpumap_rings, counters_.get());
        cpumap_ring_ = rt_.cpumap_rings->ring(plan_.slot);
        cpumap_frames_.reset(new CpumapFrame[rt_.burst]);
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
    ex_.numa_node = rte_socket_id();  // bpf_get_numa_node_id: this lcore's node
    rte_mbuf* pkts[kMaxBurst];
    while (!rt_.stop.load(std::memory_order_relaxed)) {
        for (const RxSource& src : plan_.sources) poll(src, pkts);
        if (cpumap_ring_ != nullptr) poll_cpumap();
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
    burst_set_ = set;
    run_programs(src, *set, pkts, n);
    if (cpumap_stage_.enabled()) cpumap_stage_.flush();
    flush_tx();
}

// A burst runs through one of two loops that sort packets alike: by
// verdict into local arrays, XDP_TX and XDP_DROP (the verdicts a fast path
// lives on) leaving in one tx burst / one bulk free, the others taking an
// out-of-line path. Counters are summed locally and stored once per burst.
void Worker::run_programs(const RxSource& src, const AttachedSet& set, rte_mbuf** pkts, uint16_t n) {
    BurstVerdicts v;
    uint64_t rx_bytes;
    // Like the kernel with bpf_stats_enabled, but timed per burst: one TSC
    // read pair per burst instead of per packet.
    const uint64_t start = rt_.run_stats ? rte_rdtsc() : 0;
    if (set.direct != nullptr && !set.direct_leaves_run_state) [[likely]]
        rx_bytes = run_direct(src, set, pkts, n, v);
    else
        rx_bytes = run_general(src, set, pkts, n, v);
    if (rt_.run_stats) [[unlikely]]
        set.count_runs(plan_.slot, n, rte_rdtsc() - start);
    finish_burst(src, v, n, rx_bytes);
}

// The common case, one JIT-compiled program that leaves no run state after
// XDP_TX or XDP_DROP, gets a loop that does only what such a packet needs:
// four context fields (the rest are the same for the whole burst), the call
// into the machine code, a check for head/tail changes, the sort. In GCC
// 12's code that is about 64 instructions per XDP_TX packet against
// run_general's 94 (bench/README.md has what it bought). Packets that need
// more (another pool's mbuf, several segments, a tail that cannot grow to
// the frame's end) go through run_packet, in order.
uint64_t Worker::run_direct(const RxSource& src, const AttachedSet& set, rte_mbuf** pkts, uint16_t n,
                            BurstVerdicts& v) {
    const vm::JitCode::Entry direct = set.direct;
    const PortState& port = rt_.ports[src.port];
    const rte_mempool* rx_pool = port.rx_pool;
    reset_run_state_if_dirty();
    vm::XdpBuff xdp{};
    xdp.ingress_ifindex = port.ifindex;
    xdp.rx_queue_index = src.queue;
    uint64_t rx_bytes = 0, tx_bytes = 0, drop_bytes = 0;
    uint32_t ntx = 0, ndrop = 0;
    // The sort's state lives in registers; the out-of-line paths get it in v.
    auto spill = [&] {
        v.ntx = static_cast<uint16_t>(ntx), v.ndrop = static_cast<uint16_t>(ndrop);
        v.tx_bytes = tx_bytes, v.drop_bytes = drop_bytes;
    };
    auto reload = [&] { ntx = v.ntx, ndrop = v.ndrop, tx_bytes = v.tx_bytes, drop_bytes = v.drop_bytes; };

    prefetch_data(pkts, 0, n, kPrefetchAhead);
    for (uint16_t i = 0; i < n; ++i) {
        prefetch_data(pkts, i + kPrefetchAhead, n, 1);
        rte_mbuf* m = pkts[i];
        rx_bytes += m->pkt_len;
        const uint32_t off = m->data_off, len = m->data_len, buf_len = m->buf_len;
        if (m->nb_segs != 1 || m->pool != rx_pool || off + len + vm::kXdpTailReserve > buf_len) [[unlikely]] {
            spill();
            run_packet(src, set, m, v);
            reload();
            reset_run_state_if_dirty();
            continue;
        }
        auto* buf = static_cast<uint8_t*>(m->buf_addr);
        uint8_t* data = buf + off;
        uint8_t* end = data + len;
        xdp.data = data;
        xdp.data_end = end;
        xdp.data_meta = data;
        xdp.data_hard_start = buf - kExtraHeadroom;
        xdp.frame_size = kExtraHeadroom + buf_len;
        const uint64_t retval = direct(reinterpret_cast<uint64_t>(&xdp), 0, &ex_);
        uint32_t action = retval <= vm::XDP_REDIRECT ? static_cast<uint32_t>(retval) : vm::XDP_ABORTED;
        if (xdp.data != data || xdp.data_end != end) [[unlikely]] {
            if (!apply_xdp_to_mbuf(m, xdp)) action = vm::XDP_ABORTED;
        }
        if (action == vm::XDP_TX) [[likely]] {
            v.tx[ntx++] = m;
            tx_bytes += m->pkt_len;
        } else if (action == vm::XDP_DROP) {
            v.drop[ndrop++] = m;
            drop_bytes += m->pkt_len;
        } else {
            spill();
            other_verdict(src, v, m, action, retval);  // sets run_state_dirty_
            reload();
            reset_run_state_if_dirty();
        }
    }
    spill();
    return rx_bytes;
}

// Any attached set: chains, the interpreter, programs that leave run state.
uint64_t Worker::run_general(const RxSource& src, const AttachedSet& set, rte_mbuf** pkts, uint16_t n,
                             BurstVerdicts& v) {
    uint64_t rx_bytes = 0;
    prefetch_data(pkts, 0, n, kPrefetchAhead);
    for (uint16_t i = 0; i < n; ++i) {
        prefetch_data(pkts, i + kPrefetchAhead, n, 1);
        rx_bytes += pkts[i]->pkt_len;
        run_packet(src, set, pkts[i], v);
    }
    return rx_bytes;
}

// One packet, whatever it and the set are: builds the view (or the frags
// view), runs the set, carries back head/tail changes and sorts the packet.
void Worker::run_packet(const RxSource& src, const AttachedSet& set, rte_mbuf* m, BurstVerdicts& v) {
    const PortState& port = rt_.ports[src.port];
    const bool own = m->pool == port.rx_pool || rt_.is_own_pool(m->pool);
    uint64_t retval;
    bool applied;
    if (m->nb_segs > 1 && set.takes_frags) [[unlikely]] {
        // xdp.frags programs see the later segments as frags (dp_frags.h).
        const FragsRun fr = run_frags(set, m, own ? kExtraHeadroom : 0, port.ifindex, src.queue, ex_);
        retval = fr.retval;
        applied = fr.applied;
        run_state_dirty_ = true;
    } else {
        vm::XdpBuff xdp = xdp_view(m, own ? kExtraHeadroom : 0, port.ifindex, src.queue);
        if (set.direct != nullptr) {
            // Whether this run may leave state, for the next run (which
            // may be another port's program) to reset.
            if (run_state_dirty_) ex_.reset_run();
            run_state_dirty_ = set.direct_leaves_run_state;
            retval = set.direct(reinterpret_cast<uint64_t>(&xdp), 0, &ex_);
        } else {
            retval = set.run(xdp, ex_);
            run_state_dirty_ = true;
        }
        applied = apply_xdp_to_mbuf(m, xdp);
    }
    uint32_t action = retval <= vm::XDP_REDIRECT ? static_cast<uint32_t>(retval) : vm::XDP_ABORTED;
    if (!applied) [[unlikely]]
        action = vm::XDP_ABORTED;
    if (action == vm::XDP_TX) {
        v.tx[v.ntx++] = m;
        v.tx_bytes += m->pkt_len;
    } else if (action == vm::XDP_DROP) {
        v.drop[v.ndrop++] = m;
        v.drop_bytes += m->pkt_len;
    } else {
        other_verdict(src, v, m, action, retval);
    }
}

void Worker::finish_burst(const RxSource& src, BurstVerdicts& v, uint16_t n, uint64_t rx_bytes) {
    if (v.ntx != 0) {
        tx_[src.port].push_burst(v.tx, v.ntx, v.tx_bytes);
        mark_dirty(src.port);
    }
    if (v.ndrop != 0) rte_pktmbuf_free_bulk(v.drop, v.ndrop);

    PortCounters& c = counters_[src.port];
    c.rx_packets.add(n);
    c.rx_bytes.add(rx_bytes);
    if (v.ntx != 0) {
        c.action_packets[vm::XDP_TX].add(v.ntx);
        c.action_bytes[vm::XDP_TX].add(v.tx_bytes);
    }
    // drop also holds ABORTED and undeliverable packets (counted by other_verdict).
    const uint32_t dropped = v.ndrop - v.others_dropped;
    if (dropped != 0) {
        c.action_packets[vm::XDP_DROP].add(dropped);
        c.action_bytes[vm::XDP_DROP].add(v.drop_bytes);
    }
    if (v.others != 0) [[unlikely]]
        count_other_verdicts(c, v);
}

// XDP_PASS, XDP_REDIRECT and XDP_ABORTED (unknown return values included).
void Worker::other_verdict(const RxSource& src, BurstVerdicts& v, rte_mbuf* m, uint32_t action, uint64_t retval) {
    run_state_dirty_ = true;  // a redirect target or fault to reset before the next run
    ++v.others;
    ++v.packets[action];
    v.bytes[action] += m->pkt_len;
    uint16_t to = kNoPort;
    switch (action) {
        case vm::XDP_REDIRECT:
            if (ex_.redirect.kind == vm::RedirectTarget::Kind::Cpu) [[unlikely]]
                return stage_cpumap(src, v, m);
            if (ex_.redirect.kind == vm::RedirectTarget::Kind::Broadcast) [[unlikely]] {
                broadcast(src, v, m);
                return;
            }
            if (ex_.redirect.kind != vm::RedirectTarget::Kind::None)
                to = rt_.ports_by_ifindex.port_of(ex_.redirect.ifindex);
            if (to == kNoPort) ++v.redirect_errors;
            break;
        case vm::XDP_PASS:
            to = rt_.ports[src.port].pass_port;
            break;
        default:
            if (retval > vm::XDP_REDIRECT) ++v.unknown;
            trace_.aborted(src.port, src.queue, retval, ex_.fault, m->pkt_len);
            break;
    }
    if (to == kNoPort) {
        v.drop[v.ndrop++] = m;
        ++v.others_dropped;
        return;
    }
    send_after_burst_tx(src, v, to, m);
}

void Worker::send_after_burst_tx(const RxSource& src, BurstVerdicts& v, uint16_t to, rte_mbuf* m) {
    // Keep the port's order: XDP_TX packets collected so far in this burst
    // were received earlier, so they go into its tx buffer first.
    if (to == src.port && v.ntx != 0) {
        tx_[to].push_burst(v.tx, v.ntx, v.tx_bytes);
        mark_dirty(to);
        v.moved_tx += v.ntx;
        v.moved_tx_bytes += v.tx_bytes;
        v.ntx = 0;
        v.tx_bytes = 0;
    }
    send(to, m);
}

// BPF_F_BROADCAST: a copy of the frame to the port of every devmap entry,
// the ingress port left out with BPF_F_EXCLUDE_INGRESS, as the kernel's
// dev_map_enqueue_multi does (n - 1 copies; the last target takes the frame
// itself, and an empty map frees it). An entry no port has, or a copy the
// pool cannot give, counts as a redirect error.
void Worker::broadcast(const RxSource& src, BurstVerdicts& v, rte_mbuf* m) {
    const vm::RedirectTarget& r = ex_.redirect;
    uint16_t last = kNoPort;
    vm::maps::for_each_broadcast_target(*r.map, rt_.ports[src.port].ifindex, r.flags,
                                        [&](const vm::maps::BroadcastTarget& t) {
                                            const uint16_t to = rt_.ports_by_ifindex.port_of(t.ifindex);
                                            if (to == kNoPort) {
                                                ++v.redirect_errors;
                                                return;
                                            }
                                            if (last != kNoPort) {
                                                rte_mbuf* copy = rte_pktmbuf_copy(m, m->pool, 0, UINT32_MAX);
                                                if (copy == nullptr) ++v.redirect_errors;
                                                else send_after_burst_tx(src, v, last, copy);
                                            }
                                            last = to;
                                        });
    if (last == kNoPort) {
        v.drop[v.ndrop++] = m;
        ++v.others_dropped;
        return;
    }
    send_after_burst_tx(src, v, last, m);
}

void Worker::count_other_verdicts(PortCounters& c, const BurstVerdicts& v) {
    for (uint32_t a = 0; a < kXdpActions; ++a) {
        if (v.packets[a] == 0) continue;
        c.action_packets[a].add(v.packets[a]);
        c.action_bytes[a].add(v.bytes[a]);
    }
    if (v.moved_tx != 0) {
        c.action_packets[vm::XDP_TX].add(v.moved_tx);
        c.action_bytes[vm::XDP_TX].add(v.moved_tx_bytes);
    }
    if (v.unknown != 0) c.unknown_actions.add(v.unknown);
    if (v.redirect_errors != 0) c.redirect_errors.add(v.redirect_errors);
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
