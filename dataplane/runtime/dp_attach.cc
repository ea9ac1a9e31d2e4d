#include "dp_attach.h"

namespace xdpdk::dataplane {

void AttachPoint::replace(std::unique_ptr<AttachedSet> next, vm::ReclaimDomain& domain) {
    AttachedSet* old = set_.exchange(next.release(), std::memory_order_acq_rel);
    if (old == nullptr) return;
    // Freed here, on the control thread, once every worker has passed a
    // quiescent state: retiring it instead would let a worker's
    // opportunistic collect run the destructor (unmapping JIT code, freeing
    // the object) on the hot path.
    domain.synchronize();
    delete old;
}

}  // namespace xdpdk::dataplane
