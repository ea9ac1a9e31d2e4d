// The 4-byte bpf_spin_lock word of a map value, taken and released the same
// way by programs (bpf_spin_lock, helpers_lock.cc) and by userspace updates
// with BPF_F_LOCK (maps/map_util.h): zero is unlocked, as the kernel and
// userspace see it.
#pragma once

#include <immintrin.h>

#include <cstdint>

namespace xdpdk::vm {

// Test-and-test-and-set with pause: holders keep it for a few instructions
// and never call out (the verifier's rules), so waiters spin, never sleep.
inline void lock_spin_word(uint32_t* word) {
    while (__atomic_exchange_n(word, 1u, __ATOMIC_ACQUIRE) != 0)
        while (__atomic_load_n(word, __ATOMIC_RELAXED) != 0) _mm_pause();
}

inline void unlock_spin_word(uint32_t* word) { __atomic_store_n(word, 0u, __ATOMIC_RELEASE); }

}  // namespace xdpdk::vm
