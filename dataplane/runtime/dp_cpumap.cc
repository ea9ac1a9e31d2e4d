#include "dp_cpumap.h"

#include <algorithm>
#include <atomic>
#include <string>

#include <rte_errno.h>

namespace xdpdk::dataplane {

CpumapRings::~CpumapRings() {
    for (rte_ring* r : rings_) rte_ring_free(r);
}

Status CpumapRings::create(uint32_t slots, int socket) {
    // Several dataplanes may live in one process, one after another: names
    // must not repeat while an earlier one's rings exist.
    static std::atomic<uint32_t> instances{0};
    const uint32_t instance = instances.fetch_add(1);
    for (uint32_t slot = 0; slot < slots; ++slot) {
        const std::string name = "xdpdk_cpumap" + std::to_string(instance) + "_" + std::to_string(slot);
        rte_ring* r = rte_ring_create_elem(name.c_str(), sizeof(CpumapFrame), vm::maps::Cpumap::kMaxQsize, socket,
                                           RING_F_SC_DEQ | RING_F_EXACT_SZ);
        if (r == nullptr)
            return make_error("cpumap ring " + name, std::string("cannot create: ") + rte_strerror(rte_errno));
        rings_.push_back(r);
    }
    return {};
}

uint64_t CpumapRings::drain() {
    uint64_t drained = 0;
    CpumapFrame frames[64];
    for (rte_ring* r : rings_) {
        unsigned n;
        while ((n = rte_ring_sc_dequeue_burst_elem(r, frames, sizeof(CpumapFrame), 64, nullptr)) != 0) {
            for (unsigned i = 0; i < n; ++i) {
                rte_pktmbuf_free(frames[i].m);
                release_frames(frames[i].set, 1);
            }
            drained += n;
        }
    }
    return drained;
}

void CpumapStage::init(const CpumapRings* rings, PortCounters* counters_by_port) {
    if (rings == nullptr || rings->slots() == 0) return;
    rings_ = rings;
    counters_ = counters_by_port;
    staged_.reset(new Staged[rings->slots()]);
    dirty_.reset(new uint32_t[rings->slots()]);
}

void CpumapStage::flush() {
    for (uint32_t i = 0; i < dirty_count_; ++i) {
        Staged& s = staged_[dirty_[i]];
        // Frames of one burst share a set; they may have gone through more
        // than one cpumap, each with its own qsize.
        uint16_t from = 0;
        while (from < s.count) {
            uint16_t to = from + 1;
            while (to < s.count && s.frames[to].map == s.frames[from].map && s.frames[to].set == s.frames[from].set) ++to;
            enqueue(dirty_[i], s.frames + from, static_cast<uint16_t>(to - from));
            from = to;
        }
        s.count = 0;
        s.listed = false;
    }
    dirty_count_ = 0;
}

// The kernel's cpu_map_enqueue drops what its ptr_ring of qsize does not
// take. The ring here is shared by every cpumap entry of the slot, so the
// entry's qsize caps how many frames may wait in it; with several producers
// the check and the enqueue are not one step, so the bound holds within a
// burst per producer.
void CpumapStage::enqueue(uint32_t slot, CpumapFrame* frames, uint16_t n) {
    const vm::maps::CpumapEntry* entry = frames[0].map->entry(slot);
    rte_ring* ring = rings_->ring(slot);
    uint32_t room = 0;
    if (entry != nullptr) {
        const uint32_t waiting = rte_ring_count(ring);
        room = entry->qsize > waiting ? entry->qsize - waiting : 0;
    }
    const auto wanted = static_cast<uint16_t>(std::min<uint32_t>(n, room));
    uint16_t queued = 0;
    if (wanted != 0) {
        // Counted before the frames become visible to the consumer, which
        // gives the count back once it has run them.
        const AttachedSet* set = frames[0].set;
        set->queued_frames.fetch_add(wanted, std::memory_order_relaxed);
        queued = static_cast<uint16_t>(
            rte_ring_mp_enqueue_burst_elem(ring, frames, sizeof(CpumapFrame), wanted, nullptr));
        if (queued != wanted) release_frames(set, wanted - queued);
    }
    for (uint16_t i = 0; i < n; ++i) {
        PortCounters& c = counters_[frames[i].port];
        if (i < queued) {
            c.cpumap_queued.add(1);
        } else {
            c.cpumap_drops.add(1);
            rte_pktmbuf_free(frames[i].m);
        }
    }
}

}  // namespace xdpdk::dataplane
