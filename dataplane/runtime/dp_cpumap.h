// bpf_redirect_map into a cpumap: the frame goes to the worker whose CPU slot
// is the key, through that worker's ring (many producers, one consumer),
// as the kernel queues it on the target CPU's ptr_ring. There the entry's
// xdp/cpumap program runs, and the frame goes where XDP_PASS goes on the
// port it came in on (dp_cpumap_worker.cc).
//
// Lifetime: a queued frame names the attached set whose program redirected
// it and the cpumap it went through. The set counts its frames in rings
// (AttachedSet::queued_frames); a swap or detach frees the set only once
// that is back to zero (AttachPoint::replace), which keeps the object, its
// maps and the cpumap's entry programs alive. The entry's program is read
// from the live map entry when the frame is taken off the ring.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include <rte_mbuf.h>
#include <rte_ring.h>

#include "dp_attach.h"
#include "dp_counters.h"
#include "dp_runtime.h"
#include "vm/maps/cpumap.h"
#include "xdpdk/error.h"

namespace xdpdk::dataplane {

struct CpumapFrame {
    rte_mbuf* m;
    const AttachedSet* set;         // the set whose program redirected it
    const vm::maps::Cpumap* map;    // the cpumap it went through
    uint16_t port;                  // where it was received: ifindex, pass target, counters
};

// One ring per worker slot, each able to hold the kernel's largest qsize;
// the entry's qsize is enforced at enqueue.
class CpumapRings {
public:
    CpumapRings() = default;
    ~CpumapRings();
    CpumapRings(const CpumapRings&) = delete;
    CpumapRings& operator=(const CpumapRings&) = delete;

    Status create(uint32_t slots, int socket);
    uint32_t slots() const { return static_cast<uint32_t>(rings_.size()); }
    rte_ring* ring(uint32_t slot) const { return rings_[slot]; }
    // After the workers stopped: frees the frames still queued and releases
    // their sets; returns how many.
    uint64_t drain();

private:
    std::vector<rte_ring*> rings_;
};

// Gives the in-flight count of `n` frames of `set` back.
inline void release_frames(const AttachedSet* set, uint64_t n) {
    set->queued_frames.fetch_sub(n, std::memory_order_release);
}

// A worker's frames for the workers' rings, collected while a burst runs and
// queued once after it (one ring operation per target per burst).
class CpumapStage {
public:
    void init(const CpumapRings* rings, PortCounters* counters_by_port);
    bool enabled() const { return rings_ != nullptr; }
    void add(uint32_t slot, const CpumapFrame& f) {
        Staged& s = staged_[slot];
        s.frames[s.count++] = f;
        if (!s.listed) {
            s.listed = true;
            dirty_[dirty_count_++] = slot;
        }
    }
    void flush();

private:
    struct Staged {
        CpumapFrame frames[kMaxBurst];
        uint16_t count = 0;
        bool listed = false;
    };
    void enqueue(uint32_t slot, CpumapFrame* frames, uint16_t n);

    const CpumapRings* rings_ = nullptr;
    PortCounters* counters_ = nullptr;
    std::unique_ptr<Staged[]> staged_;
    std::unique_ptr<uint32_t[]> dirty_;
    uint32_t dirty_count_ = 0;
};

}  // namespace xdpdk::dataplane
