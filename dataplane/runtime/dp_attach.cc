#include "dp_attach.h"

namespace xdpdk::dataplane {

std::unique_ptr<AttachedSet> AttachPoint::replace(std::unique_ptr<AttachedSet> next, vm::ReclaimDomain& domain) {
    std::unique_ptr<AttachedSet> old(set_.exchange(next.release(), std::memory_order_acq_rel));
    // Not retired into the domain: a worker's opportunistic collect would
    // then run the destructor on the hot path.
    if (old) domain.synchronize();
    return old;
}

}  // namespace xdpdk::dataplane
