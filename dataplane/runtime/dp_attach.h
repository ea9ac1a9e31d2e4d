// A port's attach point: an atomic pointer to an immutable set of attached
// programs. Workers load it once per burst; replacing it is one release
// store, and the old set is freed only after every worker has passed a
// quiescent state (vm::ReclaimDomain), so a burst in flight finishes on the
// programs it started with.
#pragma once

#include <atomic>
#include <memory>
#include <vector>

#include "vm/engine.h"
#include "vm/jit/jit.h"
#include "vm/object.h"
#include "vm/reclaim.h"

namespace xdpdk::dataplane {

struct AttachedProgram {
    std::shared_ptr<vm::Object> object;  // keeps the program and its maps alive
    const vm::Program* program;
};

// Programs run in order while they return XDP_PASS (the multi-program
// dispatcher convention of libxdp); the first other verdict is final.
// Runs and TSC cycles of one worker, written only by it.
struct alignas(64) SlotRunStats {
    std::atomic<uint64_t> runs{0};
    std::atomic<uint64_t> cycles{0};
};

struct AttachedSet {
    // `slots`: one SlotRunStats per worker (0 when run statistics are off).
    explicit AttachedSet(std::vector<AttachedProgram> programs, uint32_t slots = 0)
        : chain(std::move(programs)), run_stats(slots) {
        if (chain.size() == 1 && chain[0].program->jit) {
            direct = chain[0].program->jit->entry();
            direct_leaves_run_state = vm::leaves_run_state(*chain[0].program);
        }
        for (const AttachedProgram& p : chain) takes_frags = takes_frags && p.program->frags;
    }

    const std::vector<AttachedProgram> chain;  // never empty
    // The machine code to call directly when the chain is one JIT-compiled
    // program, the common case: no loop and no engine dispatch per packet.
    // Null otherwise (use run()).
    vm::JitCode::Entry direct = nullptr;
    // vm::leaves_run_state of that program. The worker resets its
    // ExecContext before a run only when the previous run (of this or another
    // port's program) may have left state: it had this flag set, or ended in
    // a verdict other than DROP, PASS or TX.
    bool direct_leaves_run_state = true;
    // Every program of the chain is an xdp.frags program: only then may the
    // frame have frags (libxdp's dispatcher, likewise, is frags-capable only
    // when all its programs are).
    bool takes_frags = true;
    // By worker slot; a new set (a swapped program) starts from zero, as a
    // newly loaded kernel program does.
    mutable std::vector<SlotRunStats> run_stats;
    // Frames its programs redirected into a cpumap that wait in a worker's
    // ring (dp_cpumap.h): the set, and with it the object, its maps and
    // their entry programs, is freed only once none is left. On its own
    // line: the workers change it, and they read the fields above per burst.
    alignas(64) mutable std::atomic<uint64_t> queued_frames{0};

    void count_runs(uint32_t slot, uint64_t runs, uint64_t cycles) const {
        SlotRunStats& s = run_stats[slot];
        s.runs.store(s.runs.load(std::memory_order_relaxed) + runs, std::memory_order_relaxed);
        s.cycles.store(s.cycles.load(std::memory_order_relaxed) + cycles, std::memory_order_relaxed);
    }

    uint64_t run(vm::XdpBuff& xdp, vm::ExecContext& ex) const {
        uint64_t verdict = vm::XDP_PASS;
        for (const AttachedProgram& p : chain) {
            ex.reset_run();
            verdict = vm::run_xdp(*p.program, xdp, ex);
            if (verdict != vm::XDP_PASS) break;
        }
        return verdict;
    }
};

class AttachPoint {
public:
    AttachPoint() = default;
    ~AttachPoint() { delete set_.load(std::memory_order_relaxed); }
    AttachPoint(const AttachPoint&) = delete;
    AttachPoint& operator=(const AttachPoint&) = delete;

    // Workers: once per burst. nullptr when nothing is attached.
    const AttachedSet* load() const { return set_.load(std::memory_order_acquire); }

    // Control thread (never a thread online in `domain`): publishes `next`
    // and returns once every worker online in `domain` has left the burst
    // that might still use the previous set, which it hands back for the
    // caller to free (on the control thread: a worker never runs the
    // destructors that unmap JIT code and free objects). Frames of the old
    // set still waiting in cpumap rings are run first.
    std::unique_ptr<AttachedSet> replace(std::unique_ptr<AttachedSet> next, vm::ReclaimDomain& domain);

private:
    std::atomic<AttachedSet*> set_{nullptr};
};

}  // namespace xdpdk::dataplane
