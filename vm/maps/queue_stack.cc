#include "queue_stack.h"

#include <cstring>
#include <new>

#include "map_util.h"

namespace xdpdk::vm::maps {
namespace {
// Larger maps are refused rather than half-allocated (as ArrayMap does).
constexpr uint64_t kMaxBytes = uint64_t{1} << 32;
}  // namespace

// The kernel's queue_stack_map_alloc_check: key_size 0, a value, at least one
// entry, the NUMA and access flags only.
Result<std::unique_ptr<Map>> QueueStackMap::create(const MapSpec& spec, uint32_t ncpus) {
    XDPDK_RETURN_IF_ERROR(check_flags(spec, kFlagNumaNode | kFlagAccessMask));
    XDPDK_RETURN_IF_ERROR(check_key_size(spec, 0));
    if (spec.value_size == 0) return map_error(spec, "value_size must be at least 1");
    if (spec.value_size > kKmallocMax)
        return map_error(spec, "value_size " + std::to_string(spec.value_size) + " exceeds the kernel's limit of " +
                                   std::to_string(kKmallocMax));
    const uint64_t bytes = (uint64_t{spec.max_entries} + 1) * spec.value_size;
    if (bytes > kMaxBytes)
        return map_error(spec, "needs " + std::to_string(bytes) + " bytes of values, more than this runtime allows (" +
                                   std::to_string(kMaxBytes) + ")");
    std::unique_ptr<QueueStackMap> map(new QueueStackMap(spec, ncpus));
    map->elements_.reset(new (std::nothrow) uint8_t[bytes]());
    if (!map->elements_) return map_error(spec, "cannot allocate " + std::to_string(bytes) + " bytes of values");
    return std::unique_ptr<Map>(std::move(map));
}

QueueStackMap::QueueStackMap(const MapSpec& spec, uint32_t ncpus)
    : Map(spec, ncpus), stack_(spec.type == static_cast<uint32_t>(MapType::Stack)), size_(spec.max_entries + 1) {}

QueueStackMap::Lock::Lock(std::atomic<bool>& flag) : flag_(flag) {
    while (flag_.exchange(true, std::memory_order_acquire))
        while (flag_.load(std::memory_order_relaxed)) __builtin_ia32_pause();
}

uint32_t QueueStackMap::get_slot() const {
    if (!stack_) return tail_;
    return head_ == 0 ? size_ - 1 : head_ - 1;
}

long QueueStackMap::get(void* value_out, bool remove) {
    Lock lock(locked_);
    if (empty()) {
        std::memset(value_out, 0, spec_.value_size);
        return -ENOENT;
    }
    const uint32_t at = get_slot();
    std::memcpy(value_out, slot(at), spec_.value_size);
    if (remove) {
        if (stack_) head_ = at;
        else tail_ = tail_ + 1 == size_ ? 0 : tail_ + 1;
    }
    return 0;
}

// The kernel's queue_stack_map_push_elem: BPF_ANY or BPF_EXIST; when full,
// BPF_EXIST drops the oldest element (a queue's head of line, a stack's
// bottom) to make room, BPF_ANY fails with -E2BIG.
long QueueStackMap::push(const void* value, uint64_t flags) {
    if ((flags & kNoExist) || flags > kExist) return -EINVAL;
    Lock lock(locked_);
    if (full()) {
        if (flags != kExist) return -E2BIG;
        tail_ = tail_ + 1 == size_ ? 0 : tail_ + 1;
    }
    std::memcpy(slot(head_), value, spec_.value_size);
    head_ = head_ + 1 == size_ ? 0 : head_ + 1;
    return 0;
}

long QueueStackMap::user_lookup(const void*, void* value_out) const {
    if (long rc = user_read_denied(*this)) return rc;
    Lock lock(locked_);
    if (empty()) return -ENOENT;  // bpf() copies nothing out then
    std::memcpy(value_out, slot(get_slot()), spec_.value_size);
    return 0;
}

long QueueStackMap::user_update(const void*, const void* value, uint64_t flags) {
    if (long rc = user_write_denied(*this)) return rc;
    return push(value, flags);
}

long QueueStackMap::user_lookup_and_delete(const void*, void* value_out) {
    if (long rc = user_read_denied(*this)) return rc;
    if (long rc = user_write_denied(*this)) return rc;
    std::vector<uint8_t> value(spec_.value_size);
    // bpf() copies nothing out when the map is empty.
    if (long rc = pop(value.data())) return rc;
    std::memcpy(value_out, value.data(), value.size());
    return 0;
}

long QueueStackMap::user_elements(std::vector<uint8_t>& out) const {
    if (long rc = user_read_denied(*this)) return rc;
    Lock lock(locked_);
    out.clear();
    for (uint32_t i = tail_; i != head_; i = i + 1 == size_ ? 0 : i + 1)
        out.insert(out.end(), slot(i), slot(i) + spec_.value_size);
    return 0;
}

}  // namespace xdpdk::vm::maps
