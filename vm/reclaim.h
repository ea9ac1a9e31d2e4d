// Deferred reclamation for lock-free readers (quiescent-state-based, like
// rte_rcu_qsbr or the kernel's RCU for BPF maps). A writer that unlinks a node
// readers may still hold `retire`s it instead of freeing it; it is freed once
// every thread that was online at the time has reported a quiescent state,
// i.e. a point where it holds no pointers into shared map memory.
//
// Threads that run programs concurrently with writers (dataplane workers,
// replay) hold a ReclaimThread: online while it exists, `quiescent()` between
// program runs (once per burst is enough), `offline()` around blocking waits.
// Threads that are not online must not keep map pointers across calls, which
// is how user-side map calls behave: they copy under the map's lock.
//
// Freeing happens in collect(), which quiescent(), offline() and user-side map
// writes call opportunistically; retire() itself never frees, so a pointer
// returned to a running program stays valid until that run ends even when the
// program deletes the entry itself.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>

namespace xdpdk::vm {

class ReclaimDomain {
public:
    ReclaimDomain() = default;
    ~ReclaimDomain();  // frees whatever is still retired; no thread may be online
    ReclaimDomain(const ReclaimDomain&) = delete;
    ReclaimDomain& operator=(const ReclaimDomain&) = delete;

    // The domain every map retires into. Never destroyed.
    static ReclaimDomain& global();

    // Calls `free_fn(ptr)` once every thread online now has passed a
    // quiescent state. Safe from any thread, including online ones.
    void retire(void* ptr, void (*free_fn)(void*));

    // Frees what is safe to free now; returns how many items it freed. When no
    // thread is online, everything retired so far is freed.
    size_t collect();

    // Like collect(), but returns 0 at once if another thread is collecting.
    size_t try_collect();

    // Blocks until every online thread has passed a quiescent state, then
    // collects; whatever was retired before the call is freed on return,
    // even when another thread's collect() took it. A free_fn must not call
    // it (it would wait for its own batch). For a control thread replacing something readers use (a
    // program in a prog array); never call it from an online thread.
    void synchronize();

    // Items retired and not yet freed.
    size_t pending() const { return pending_.load(std::memory_order_relaxed); }

    // Number of threads online now.
    size_t online_threads() const;

private:
    friend class ReclaimThread;

    // One per registered thread, cache-aligned so reports do not contend;
    // `seen` is the epoch of its last quiescent state, 0 when offline.
    // Records are reused, never freed before the domain.
    struct alignas(64) Record {
        std::atomic<uint64_t> seen{0};
        std::atomic<bool> claimed{false};
        Record* next = nullptr;
    };
    struct Retired {
        uint64_t epoch;
        void* ptr;
        void (*free_fn)(void*);
    };

    Record* claim_record();
    uint64_t oldest_seen() const;  // UINT64_MAX when no thread is online
    size_t collect_locked(std::unique_lock<std::mutex>& lock);

    std::atomic<uint64_t> epoch_{1};
    std::atomic<Record*> records_{nullptr};
    std::atomic<size_t> pending_{0};
    // Items taken off retired_ whose free_fn has not returned, counted in the
    // phase current when they were taken: synchronize() flips the phase and
    // waits for the old one only, so later batches cannot keep it waiting.
    std::atomic<size_t> freeing_[2] = {0, 0};
    unsigned phase_ = 0;     // under retired_mutex_
    std::mutex sync_mutex_;  // one synchronize() at a time, so phases alternate
    std::mutex retired_mutex_;
    std::deque<Retired> retired_;  // in epoch order
};

// A thread's registration with a domain. Online from construction.
class ReclaimThread {
public:
    explicit ReclaimThread(ReclaimDomain& domain = ReclaimDomain::global());
    ~ReclaimThread();  // goes offline and releases the registration
    ReclaimThread(const ReclaimThread&) = delete;
    ReclaimThread& operator=(const ReclaimThread&) = delete;

    // This thread holds no pointers into shared map memory right now. Cheap:
    // one store, plus a non-blocking collect when something is pending.
    void quiescent();
    // Stop / resume being waited for (around sleeps and blocking waits).
    void offline();
    void online();
    bool is_online() const;

private:
    ReclaimDomain& domain_;
    ReclaimDomain::Record* record_;
};

}  // namespace xdpdk::vm
