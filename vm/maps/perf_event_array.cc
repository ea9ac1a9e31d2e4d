#include "perf_event_array.h"

#include <algorithm>
#include <cerrno>

#include "map_util.h"

namespace xdpdk::vm::maps {
namespace {
constexpr uint64_t kCurrentCpu = 0xffffffffULL;  // BPF_F_CURRENT_CPU
constexpr uint32_t kFlagPreserveElems = 1u << 11;
}  // namespace

// The kernel's fd_array_map_alloc_check and array_map_alloc_check: u32 keys
// and values (perf event fds), the array flags bar BPF_F_MMAPABLE and the
// program access flags.
Result<std::unique_ptr<Map>> PerfEventArray::create(const MapSpec& spec, uint32_t ncpus) {
    XDPDK_RETURN_IF_ERROR(check_flags(spec, kFlagNumaNode | kFlagRdonly | kFlagWronly | kFlagPreserveElems));
    XDPDK_RETURN_IF_ERROR(check_key_size(spec, 4));
    if (spec.value_size != 4)
        return map_error(spec, "value_size must be 4 for perf_event_array maps, not " + std::to_string(spec.value_size));
    std::unique_ptr<PerfEventArray> map(new PerfEventArray(spec, ncpus));
    const uint32_t slots = std::min(spec.max_entries, ncpus);
    map->open_.reset(new std::atomic<bool>[slots]);
    for (uint32_t c = 0; c < slots; ++c) {
        auto ring = EventRing::create(kRingBytes);
        if (!ring) return map_error(spec, ring.error().reason);
        map->rings_.push_back(std::move(*ring));
        map->open_[c].store(true, std::memory_order_relaxed);
    }
    return std::unique_ptr<Map>(std::move(map));
}

long PerfEventArray::user_delete(const void* key) {
    if (long rc = user_write_denied(*this)) return rc;
    const uint32_t index = array_index(key);
    if (index >= spec_.max_entries) return -E2BIG;
    if (index >= rings_.size() || !open_[index].exchange(false)) return -ENOENT;
    return 0;
}

long PerfEventArray::next_key(const void* key, void* next_out) const {
    return array_next_key(spec_.max_entries, key, next_out);
}

void* PerfEventArray::begin_sample(uint32_t cpu, uint64_t index, uint32_t len, long* err) {
    if (index == kCurrentCpu) index = cpu;
    if (index >= spec_.max_entries) {
        *err = -E2BIG;
        return nullptr;
    }
    if (index >= rings_.size() || !open_[index].load(std::memory_order_relaxed)) {
        *err = -ENOENT;
        return nullptr;
    }
    if (index != cpu) {
        *err = -EOPNOTSUPP;
        return nullptr;
    }
    void* sample = rings_[index]->reserve(len);
    if (sample == nullptr) *err = -ENOSPC;
    return sample;
}

size_t PerfEventArray::consume_events(const EventFn& fn) {
    size_t n = 0;
    for (uint32_t c = 0; c < rings_.size(); ++c)
        n += rings_[c]->consume([&](std::span<const uint8_t> record) { fn(c, record); });
    return n;
}

uint64_t PerfEventArray::events_lost() const {
    uint64_t n = 0;
    for (const auto& r : rings_) n += r->lost();
    return n;
}

}  // namespace xdpdk::vm::maps
