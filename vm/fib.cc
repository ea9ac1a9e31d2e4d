#include "fib.h"

#include "reclaim.h"

namespace xdpdk::vm {

Fib::Fib() : current_(new FibTable(FibEntries{})) {}

Fib::~Fib() {
    // Readers are gone by now (the owner outlives every run that uses it).
    delete current_.load(std::memory_order_relaxed);
}

void Fib::publish(std::unique_ptr<FibTable> next) {
    const FibTable* old = current_.exchange(next.release(), std::memory_order_acq_rel);
    ReclaimDomain::global().retire(const_cast<FibTable*>(old),
                                   [](void* p) { delete static_cast<FibTable*>(p); });
}

}  // namespace xdpdk::vm
