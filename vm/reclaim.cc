#include "reclaim.h"

#include <chrono>
#include <thread>

namespace xdpdk::vm {

// Ordering argument, in short: a writer unlinks a node, then retire() stamps
// it with the current epoch E and advances the epoch (seq_cst RMW). A thread
// coming online publishes its epoch and then fences before reading links, and
// collect() fences before reading the records, so either collect() sees that
// thread (seen <= E keeps the node) or the thread sees the unlink and can never
// reach the node. A node is freed once every online thread's `seen` is past E.

ReclaimDomain::~ReclaimDomain() {
    for (const Retired& r : retired_) r.free_fn(r.ptr);
    Record* rec = records_.load(std::memory_order_acquire);
    while (rec != nullptr) {
        Record* next = rec->next;
        delete rec;
        rec = next;
    }
}

ReclaimDomain& ReclaimDomain::global() {
    // Leaked on purpose: maps with static storage may retire during exit.
    static ReclaimDomain* domain = new ReclaimDomain;
    return *domain;
}

void ReclaimDomain::retire(void* ptr, void (*free_fn)(void*)) {
    std::lock_guard<std::mutex> lock(retired_mutex_);
    const uint64_t epoch = epoch_.fetch_add(1, std::memory_order_seq_cst);
    retired_.push_back(Retired{epoch, ptr, free_fn});
    pending_.fetch_add(1, std::memory_order_relaxed);
}

uint64_t ReclaimDomain::oldest_seen() const {
    std::atomic_thread_fence(std::memory_order_seq_cst);
    uint64_t oldest = UINT64_MAX;
    for (const Record* rec = records_.load(std::memory_order_acquire); rec != nullptr; rec = rec->next) {
        const uint64_t seen = rec->seen.load(std::memory_order_seq_cst);
        if (seen != 0 && seen < oldest) oldest = seen;
    }
    return oldest;
}

size_t ReclaimDomain::collect_locked(std::unique_lock<std::mutex>& lock) {
    // Frees in batches outside the lock, without allocating: workers collect
    // from their loop.
    constexpr size_t kBatch = 64;
    Retired batch[kBatch];
    size_t freed = 0;
    const uint64_t oldest = oldest_seen();
    for (;;) {
        size_t n = 0;
        while (n < kBatch && !retired_.empty() && retired_.front().epoch < oldest) {
            batch[n++] = retired_.front();
            retired_.pop_front();
        }
        pending_.fetch_sub(n, std::memory_order_relaxed);
        std::atomic<size_t>& freeing = freeing_[phase_];
        freeing.fetch_add(n, std::memory_order_relaxed);
        lock.unlock();
        for (size_t i = 0; i < n; ++i) batch[i].free_fn(batch[i].ptr);
        freeing.fetch_sub(n, std::memory_order_release);
        freed += n;
        if (n < kBatch) return freed;
        lock.lock();
    }
}

size_t ReclaimDomain::collect() {
    if (pending() == 0) return 0;
    std::unique_lock<std::mutex> lock(retired_mutex_);
    return collect_locked(lock);
}

size_t ReclaimDomain::try_collect() {
    if (pending() == 0) return 0;
    std::unique_lock<std::mutex> lock(retired_mutex_, std::try_to_lock);
    if (!lock.owns_lock()) return 0;
    return collect_locked(lock);
}

namespace {

void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

}  // namespace

void ReclaimDomain::synchronize() {
    std::lock_guard<std::mutex> one_at_a_time(sync_mutex_);
    const uint64_t target = epoch_.fetch_add(1, std::memory_order_seq_cst) + 1;
    for (const Record* rec = records_.load(std::memory_order_acquire); rec != nullptr; rec = rec->next) {
        // Workers pass a quiescent state every few microseconds: spin for a
        // while first (a hot swap then takes microseconds, not a timer
        // tick; yielding instead hands the CPU to whatever shares it for a
        // whole time slice), sleep only when a thread is slow to come round.
        const auto spin_until = std::chrono::steady_clock::now() + std::chrono::microseconds(200);
        for (;;) {
            const uint64_t seen = rec->seen.load(std::memory_order_acquire);
            if (seen == 0 || seen >= target) break;
            if (std::chrono::steady_clock::now() < spin_until) cpu_relax();
            else std::this_thread::sleep_for(std::chrono::microseconds(20));
        }
    }
    // Under the lock even when nothing looks pending: a worker's quiescent()
    // may have taken the items off the list (under this lock, counting them
    // in freeing_) and still be freeing them; the caller is promised they are
    // gone when this returns. Batches taken from now on count in the new phase.
    std::unique_lock<std::mutex> lock(retired_mutex_);
    const unsigned old_phase = phase_;
    phase_ ^= 1;
    collect_locked(lock);
    while (freeing_[old_phase].load(std::memory_order_acquire) != 0) std::this_thread::yield();
}

size_t ReclaimDomain::online_threads() const {
    size_t n = 0;
    for (const Record* rec = records_.load(std::memory_order_acquire); rec != nullptr; rec = rec->next)
        n += rec->seen.load(std::memory_order_relaxed) != 0;
    return n;
}

ReclaimDomain::Record* ReclaimDomain::claim_record() {
    for (Record* rec = records_.load(std::memory_order_acquire); rec != nullptr; rec = rec->next) {
        bool expected = false;
        if (rec->claimed.compare_exchange_strong(expected, true, std::memory_order_acq_rel)) return rec;
    }
    auto* rec = new Record;
    rec->claimed.store(true, std::memory_order_relaxed);
    Record* head = records_.load(std::memory_order_relaxed);
    do {
        rec->next = head;
    } while (!records_.compare_exchange_weak(head, rec, std::memory_order_release, std::memory_order_relaxed));
    return rec;
}

ReclaimThread::ReclaimThread(ReclaimDomain& domain) : domain_(domain), record_(domain.claim_record()) { online(); }

ReclaimThread::~ReclaimThread() {
    offline();
    record_->claimed.store(false, std::memory_order_release);
}

void ReclaimThread::quiescent() {
    record_->seen.store(domain_.epoch_.load(std::memory_order_acquire), std::memory_order_release);
    if (domain_.pending() != 0) [[unlikely]]
        domain_.try_collect();
}

void ReclaimThread::online() {
    record_->seen.store(domain_.epoch_.load(std::memory_order_seq_cst), std::memory_order_seq_cst);
    std::atomic_thread_fence(std::memory_order_seq_cst);
}

void ReclaimThread::offline() {
    record_->seen.store(0, std::memory_order_release);
    domain_.try_collect();
}

bool ReclaimThread::is_online() const { return record_->seen.load(std::memory_order_relaxed) != 0; }

}  // namespace xdpdk::vm
