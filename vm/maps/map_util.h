// Constants and small checks shared by the map implementations: the kernel's
// map_flags bits, its size limits, and the user-side permission checks of the
// bpf() syscall (frozen and BPF_F_RDONLY maps refuse writes with -EPERM,
// BPF_F_WRONLY maps refuse reads).
#pragma once

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>

#include "vm/error.h"
#include "vm/map.h"
#include "vm/reclaim.h"
#include "vm/spin_lock_word.h"

namespace xdpdk::vm::maps {

// map_flags (BPF_F_*), as in <linux/bpf.h>.
constexpr uint32_t kFlagNoPrealloc = 1u << 0;
constexpr uint32_t kFlagNoCommonLru = 1u << 1;
constexpr uint32_t kFlagNumaNode = 1u << 2;
constexpr uint32_t kFlagRdonly = 1u << 3;
constexpr uint32_t kFlagWronly = 1u << 4;
constexpr uint32_t kFlagZeroSeed = 1u << 6;
constexpr uint32_t kFlagRdonlyProg = 1u << 7;
constexpr uint32_t kFlagWronlyProg = 1u << 8;
constexpr uint32_t kFlagMmapable = 1u << 10;
constexpr uint32_t kFlagInnerMap = 1u << 12;
constexpr uint32_t kFlagAccessMask = kFlagRdonly | kFlagWronly | kFlagRdonlyProg | kFlagWronlyProg;

// BPF_F_LOCK, an update flag: the value is copied under its own
// bpf_spin_lock; refused (-EINVAL) on a map whose values hold none.
constexpr uint64_t kUpdateLock = 4;

// A value's bytes, except its bpf_spin_lock word, which keeps what `dst`
// holds (the kernel's copy_map_value): an update must not release or take
// a lock another worker holds.
inline void copy_value_keep_lock(const Map& map, void* dst, const void* src, size_t size) {
    const int32_t lock = map.spin_lock_off();
    if (lock < 0 || size_t(lock) + 4 > size) {
        std::memcpy(dst, src, size);
        return;
    }
    auto* d = static_cast<uint8_t*>(dst);
    const auto* s = static_cast<const uint8_t*>(src);
    std::memcpy(d, s, size_t(lock));
    std::memcpy(d + lock + 4, s + lock + 4, size - size_t(lock) - 4);
}

// copy_value_keep_lock under the value's own lock (BPF_F_LOCK: the
// kernel's copy_map_value_locked).
inline void copy_value_locked(const Map& map, void* dst, const void* src, size_t size) {
    auto* word = reinterpret_cast<uint32_t*>(static_cast<uint8_t*>(dst) + map.spin_lock_off());
    lock_spin_word(word);
    copy_value_keep_lock(map, dst, src, size);
    unlock_spin_word(word);
}

// The update flags a map of plain values takes: BPF_ANY, BPF_NOEXIST or
// BPF_EXIST, with BPF_F_LOCK where its values hold a bpf_spin_lock.
inline bool valid_locked_update_flags(const Map& map, uint64_t flags) {
    if ((flags & ~kUpdateLock) > kExist) return false;
    return !(flags & kUpdateLock) || map.spin_lock_off() >= 0;
}

// Zeroes a value's bpf_spin_lock word: what userspace reads, and a new
// element's unlocked state (the kernel's check_and_init_map_value).
inline void clear_lock_word(const Map& map, void* value, size_t size) {
    const int32_t lock = map.spin_lock_off();
    if (lock >= 0 && size_t(lock) + 4 <= size) std::memset(static_cast<uint8_t*>(value) + lock, 0, 4);
}

// Kernel limits: KMALLOC_MAX_SIZE on x86-64, PCPU_MIN_UNIT_SIZE.
constexpr uint64_t kKmallocMax = 4u << 20;
constexpr uint32_t kPercpuValueMax = 32u << 10;

constexpr uint32_t round_up8(uint32_t n) { return (n + 7) & ~7u; }

inline Error map_error(const MapSpec& spec, std::string reason) {
    return make_error("map '" + spec.name + "'", std::move(reason));
}

// Map flags outside `allowed`, named for an error; empty when none.
std::string unsupported_flags(uint32_t flags, uint32_t allowed);

// The update-flag check common to every map type: BPF_ANY, BPF_NOEXIST or
// BPF_EXIST; BPF_F_LOCK is refused as no value has a spin lock.
inline bool valid_update_flags(uint64_t flags) { return flags <= kExist; }

inline long user_write_denied(const Map& map) {
    return (map.frozen() || (map.spec().flags & kFlagRdonly)) ? -EPERM : 0;
}
inline long user_read_denied(const Map& map) { return (map.spec().flags & kFlagWronly) ? -EPERM : 0; }

// A user-side update or delete of a map whose writes retire memory: the
// permission check, the write, then a collection. User threads are never
// online, so without it nodes retired from here would wait for the next
// worker to collect them.
template <typename Write>
long user_write(const Map& map, Write&& write) {
    if (long rc = user_write_denied(map)) return rc;
    const long rc = write();
    ReclaimDomain::global().try_collect();
    return rc;
}

// The u32 index an array-like map's key holds.
inline uint32_t array_index(const void* key) {
    uint32_t index;
    __builtin_memcpy(&index, key, sizeof index);
    return index;
}

// get_next_key of every array-like map: a missing or out-of-range key restarts
// at 0, the last index ends the walk.
inline long array_next_key(uint32_t max_entries, const void* key, void* next_out) {
    uint32_t index = UINT32_MAX;
    if (key != nullptr) __builtin_memcpy(&index, key, sizeof index);
    uint32_t next = 0;
    if (index < max_entries) {
        if (index == max_entries - 1) return -ENOENT;
        next = index + 1;
    }
    __builtin_memcpy(next_out, &next, sizeof next);
    return 0;
}

// The common create-time checks: access flags that contradict each other.
// `allowed` lists the flags the map type accepts.
Status check_flags(const MapSpec& spec, uint32_t allowed);
Status check_key_size(const MapSpec& spec, uint32_t size);

// Maps of maps: the template checks of the kernel's bpf_map_meta_alloc and
// the value size of an fd (4).
Status check_inner_template(const MapSpec& spec, const Map* inner);
// The map a user-side update's value (a u32 map id) names, checked against
// `outer`'s template: -EBADF when no map has that id, -EINVAL when it does
// not fit.
long resolve_inner_map(const Map& outer, const void* id_value, std::shared_ptr<Map>& out);
// Releases an outer map's share of an inner map once running programs can
// no longer hold it (after a grace period).
void release_inner_share(std::shared_ptr<Map>* share);

}  // namespace xdpdk::vm::maps
