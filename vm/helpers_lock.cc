// bpf_spin_lock and bpf_spin_unlock: the 4-byte struct bpf_spin_lock in a
// map value, shared by every worker that runs programs on the map. A
// test-and-test-and-set spin lock with pause, not a mutex: the kernel's is
// a qspinlock held for a few instructions with no calls inside (the
// verifier's rules), so waiters spin briefly and never sleep, and the lock
// must fit the value's 4 bytes, zero meaning unlocked, as userspace and
// the kernel see it.
#include <cstdint>

#include "helper_impl.h"
#include "spin_lock_word.h"

namespace xdpdk::vm {

XDPDK_HELPER(helper_spin_lock) {
    (void)r2, (void)r3, (void)r4, (void)r5, (void)ex;
    lock_spin_word(reinterpret_cast<uint32_t*>(r1));
    return 0;
}

XDPDK_HELPER(helper_spin_unlock) {
    (void)r2, (void)r3, (void)r4, (void)r5, (void)ex;
    unlock_spin_word(reinterpret_cast<uint32_t*>(r1));
    return 0;
}

}  // namespace xdpdk::vm
