// The FIB a run looks routes up in (ExecContext::fib): the current FibTable
// snapshot behind an atomic pointer. Programs read it without locks; an
// update publishes a whole new snapshot and retires the old one through the
// reclaim domain, so a worker mid-burst keeps a consistent table until its
// next quiescent state.
#pragma once

#include <atomic>
#include <memory>

#include "fib_table.h"

namespace xdpdk::vm {

class Fib {
public:
    Fib();  // an empty table: no devices, no routes
    ~Fib();
    Fib(const Fib&) = delete;
    Fib& operator=(const Fib&) = delete;

    // The snapshot to use for one lookup; valid until the caller's next
    // quiescent state (ReclaimThread::quiescent).
    const FibTable& current() const { return *current_.load(std::memory_order_acquire); }

    // Swaps in `next`; the old snapshot is freed once every online reader
    // has moved on. From one control thread at a time.
    void publish(std::unique_ptr<FibTable> next);

private:
    std::atomic<const FibTable*> current_;
};

}  // namespace xdpdk::vm
