#include "dp_attach.h"

#include <chrono>
#include <thread>

namespace xdpdk::dataplane {

std::unique_ptr<AttachedSet> AttachPoint::replace(std::unique_ptr<AttachedSet> next, vm::ReclaimDomain& domain) {
    std::unique_ptr<AttachedSet> old(set_.exchange(next.release(), std::memory_order_acq_rel));
    // Not retired into the domain: a worker's opportunistic collect would
    // then run the destructor on the hot path.
    if (old) domain.synchronize();
    // No burst can queue frames of the old set any more: the workers take
    // the ones in their rings off within a loop iteration each.
    while (old && old->queued_frames.load(std::memory_order_acquire) != 0)
        std::this_thread::sleep_for(std::chrono::microseconds(20));
    return old;
}

}  // namespace xdpdk::dataplane
