#include "dp_attach.h"

namespace xdpdk::dataplane {

void AttachPoint::replace(std::unique_ptr<AttachedSet> next, vm::ReclaimDomain& domain) {
    AttachedSet* old = set_.exchange(next.release(), std::memory_order_acq_rel);
    if (old == nullptr) return;
    domain.retire(old, [](void* p) { delete static_cast<AttachedSet*>(p); });
    domain.synchronize();
}

}  // namespace xdpdk::dataplane
