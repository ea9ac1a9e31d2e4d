// The worker's side of cpumap redirects (dp_cpumap.h): staging a frame for
// its target worker, and running the frames in its own ring the way the
// kernel's cpumap kthread does (kernel/bpf/cpumap.c): the entry's program
// with this worker's CPU slot, then PASS to where XDP_PASS goes on the
// frame's ingress port, REDIRECT carried out, everything else dropped
// (XDP_TX included, which the kernel treats as an invalid action there).
#include <rte_prefetch.h>

#include "dp_mbuf_xdp.h"
#include "dp_worker.h"
#include "vm/engine.h"

namespace xdpdk::dataplane {

void Worker::stage_cpumap(const RxSource& src, BurstVerdicts& v, rte_mbuf* m) {
    const uint32_t slot = ex_.redirect.key;
    if (!cpumap_stage_.enabled() || slot >= rt_.cpumap_rings->slots()) [[unlikely]] {
        // No worker has the slot (the cpumap refuses such entries, so only
        // a dataplane without rings gets here).
        ++v.redirect_errors;
        v.drop[v.ndrop++] = m;
        ++v.others_dropped;
        return;
    }
    cpumap_stage_.add(slot, CpumapFrame{m, burst_set_, static_cast<const vm::maps::Cpumap*>(ex_.redirect.map), src.port});
}

void Worker::poll_cpumap() {
    const unsigned n =
        rte_ring_sc_dequeue_burst_elem(cpumap_ring_, cpumap_frames_.get(), sizeof(CpumapFrame), rt_.burst, nullptr);
    if (n == 0) return;
    for (unsigned i = 0; i < n; ++i) {
        if (i + 1 < n) rte_prefetch0(rte_pktmbuf_mtod(cpumap_frames_[i + 1].m, void*));
        run_cpumap_frame(cpumap_frames_[i]);
    }
    // The sets may be freed once their count is back: after the runs.
    const CpumapFrame* frames = cpumap_frames_.get();
    for (unsigned from = 0; from < n;) {
        unsigned to = from + 1;
        while (to < n && frames[to].set == frames[from].set) ++to;
        release_frames(frames[from].set, to - from);
        from = to;
    }
    flush_tx();
}

void Worker::run_cpumap_frame(const CpumapFrame& f) {
    rte_mbuf* m = f.m;
    PortCounters& c = counters_[f.port];
    const PortState& port = rt_.ports[f.port];
    // The live entry: a program set or changed after the frame was queued
    // is the one that runs, as the kernel's kthread runs its rcpu->prog.
    const vm::maps::CpumapEntry* entry = f.map->entry(plan_.slot);
    const vm::Program* prog = entry != nullptr ? entry->prog : nullptr;
    uint32_t action = vm::XDP_PASS;
    if (prog != nullptr) {
        const bool own = rt_.is_own_pool(m->pool);
        // The kernel gives cpumap programs the ingress device and rx queue 0.
        vm::XdpBuff xdp = xdp_view(m, own ? kExtraHeadroom : 0, port.ifindex, 0);
        ex_.reset_run();
        run_state_dirty_ = true;
        const uint64_t retval = vm::run_xdp(*prog, xdp, ex_);
        action = retval <= vm::XDP_REDIRECT ? static_cast<uint32_t>(retval) : vm::XDP_ABORTED;
        if (!apply_xdp_to_mbuf(m, xdp)) [[unlikely]]
            action = vm::XDP_ABORTED;
        if (action == vm::XDP_ABORTED) trace_.aborted(f.port, 0, retval, ex_.fault, m->pkt_len);
    }
    uint16_t to = kNoPort;
    if (action == vm::XDP_PASS) {
        c.cpumap_passed.add(1);
        to = port.pass_port;
    } else if (action == vm::XDP_REDIRECT) {
        const vm::RedirectTarget::Kind kind = ex_.redirect.kind;
        // Into another cpumap from here: not carried out (counted as an error).
        if (kind == vm::RedirectTarget::Kind::Ifindex || kind == vm::RedirectTarget::Kind::Map)
            to = rt_.ports_by_ifindex.port_of(ex_.redirect.ifindex);
        if (to == kNoPort) c.cpumap_redirect_errors.add(1);
        else c.cpumap_redirected.add(1);
    } else {
        c.cpumap_dropped.add(1);
    }
    if (to == kNoPort) rte_pktmbuf_free(m);
    else send(to, m);
}

}  // namespace xdpdk::dataplane
