#include "array_map.h"

#include <cstdlib>
#include <cstring>

#include "map_util.h"

namespace xdpdk::vm::maps {
namespace {
constexpr uint64_t kCacheLine = 64;
// Larger arrays are refused rather than half-allocated.
constexpr uint64_t kMaxArrayBytes = uint64_t{1} << 32;

}  // namespace

Result<std::unique_ptr<Map>> ArrayMap::create(const MapSpec& spec, uint32_t ncpus) {
    const bool percpu = spec.type == static_cast<uint32_t>(MapType::PercpuArray);
    XDPDK_RETURN_IF_ERROR(check_flags(spec, kFlagNumaNode | kFlagAccessMask |
                                                (percpu ? 0 : kFlagMmapable | kFlagInnerMap)));
    XDPDK_RETURN_IF_ERROR(check_key_size(spec, 4));
    if (spec.value_size == 0) return map_error(spec, "value_size must be at least 1");
    if (spec.value_size > INT32_MAX)
        return map_error(spec, "value_size " + std::to_string(spec.value_size) + " exceeds the kernel's limit of " +
                                   std::to_string(INT32_MAX));
    if (percpu && round_up8(spec.value_size) > kPercpuValueMax)
        return map_error(spec, "per-CPU value_size " + std::to_string(spec.value_size) +
                                   " exceeds the kernel's limit of " + std::to_string(kPercpuValueMax));

    const uint64_t block = (uint64_t{spec.max_entries} * round_up8(spec.value_size) + kCacheLine - 1) & ~(kCacheLine - 1);
    const uint64_t total = block * (percpu ? ncpus : 1);
    if (total > kMaxArrayBytes)
        return map_error(spec, "needs " + std::to_string(total) + " bytes of values, more than this runtime allows (" +
                                   std::to_string(kMaxArrayBytes) + ")");
    auto* values = static_cast<uint8_t*>(std::aligned_alloc(kCacheLine, total));
    if (values == nullptr) return map_error(spec, "cannot allocate " + std::to_string(total) + " bytes of values");
    std::memset(values, 0, total);
    return std::unique_ptr<Map>(new ArrayMap(spec, ncpus, values, percpu ? block : 0));
}

ArrayMap::ArrayMap(const MapSpec& spec, uint32_t ncpus, uint8_t* values, uint64_t cpu_stride)
    : Map(spec, ncpus),
      values_(values),
      cpu_stride_(cpu_stride),
      stride_(round_up8(spec.value_size)),
      cpu_limit_(cpu_stride != 0 ? ncpus : UINT32_MAX) {}

ArrayMap::~ArrayMap() { std::free(values_); }

uint8_t* ArrayMap::slot(const void* key, uint32_t cpu) const {
    const uint32_t index = array_index(key);
    // A CPU beyond the map's slots is a runtime misconfiguration; refuse it
    // rather than write into another map's memory.
    if (index >= spec_.max_entries || cpu >= cpu_limit_) [[unlikely]]
        return nullptr;
    return values_ + cpu * cpu_stride_ + uint64_t{index} * stride_;
}

void* ArrayMap::lookup(const void* key, uint32_t cpu) { return slot(key, cpu); }

// In the kernel's order (array_map_update_elem).
long ArrayMap::check_update(const void* key, uint64_t flags) const {
    if ((flags & ~kUpdateLock) > kExist) return -EINVAL;
    if (array_index(key) >= spec_.max_entries) return -E2BIG;
    // Every element of an array always exists.
    if ((flags & ~kUpdateLock) == kNoExist) return -EEXIST;
    if ((flags & kUpdateLock) && (spin_lock_off() < 0 || cpu_stride_ != 0)) return -EINVAL;
    return 0;
}

void ArrayMap::write(uint8_t* dst, const void* value, uint64_t flags) const {
    if (flags & kUpdateLock) copy_value_locked(*this, dst, value, spec_.value_size);
    else copy_value_keep_lock(*this, dst, value, spec_.value_size);
}

long ArrayMap::update(const void* key, const void* value, uint64_t flags, uint32_t cpu) {
    if (long rc = check_update(key, flags)) return rc;
    uint8_t* dst = slot(key, cpu);
    if (dst == nullptr) return -EINVAL;
    write(dst, value, flags);
    return 0;
}

long ArrayMap::remove(const void*) { return -EINVAL; }

long ArrayMap::for_each_elem(uint32_t cpu, ElemVisitor visit, void* arg) {
    if (cpu >= cpu_limit_) return -EINVAL;
    long visited = 0;
    for (uint32_t i = 0; i < spec_.max_entries; ++i) {
        ++visited;
        if (visit(&i, values_ + cpu * cpu_stride_ + uint64_t{i} * stride_, arg) != 0) break;
    }
    return visited;
}

long ArrayMap::user_lookup(const void* key, void* value_out) const {
    if (long rc = user_read_denied(*this)) return rc;
    if (array_index(key) >= spec_.max_entries) return -ENOENT;
    if (cpu_stride_ == 0) {
        std::memcpy(value_out, slot(key, 0), spec_.value_size);
        clear_lock_word(*this, value_out, spec_.value_size);
        return 0;
    }
    // Per-CPU values travel as ncpus values of round_up(value_size, 8) bytes.
    auto* out = static_cast<uint8_t*>(value_out);
    for (uint32_t cpu = 0; cpu < ncpus_; ++cpu) std::memcpy(out + cpu * stride_, slot(key, cpu), stride_);
    return 0;
}

long ArrayMap::user_update(const void* key, const void* value, uint64_t flags) {
    if (long rc = user_write_denied(*this)) return rc;
    // The bpf() syscall refuses BPF_F_LOCK first on values without a lock.
    if ((flags & kUpdateLock) && spin_lock_off() < 0) return -EINVAL;
    if (long rc = check_update(key, flags)) return rc;
    if (cpu_stride_ == 0) {
        write(slot(key, 0), value, flags);
        return 0;
    }
    const auto* in = static_cast<const uint8_t*>(value);
    for (uint32_t cpu = 0; cpu < ncpus_; ++cpu) std::memcpy(slot(key, cpu), in + cpu * stride_, stride_);
    return 0;
}

long ArrayMap::user_delete(const void*) {
    if (long rc = user_write_denied(*this)) return rc;
    return -EINVAL;
}

long ArrayMap::next_key(const void* key, void* next_out) const {
    if (long rc = user_read_denied(*this)) return rc;
    return array_next_key(spec_.max_entries, key, next_out);
}

}  // namespace xdpdk::vm::maps
