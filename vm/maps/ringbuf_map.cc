#include "ringbuf_map.h"

#include "map_util.h"

namespace xdpdk::vm::maps {
namespace {
constexpr uint64_t kPageSize = 4096;
// Larger maps are refused rather than half-allocated (as ArrayMap does).
constexpr uint64_t kMaxBytes = uint64_t{1} << 32;
}  // namespace

// The kernel's ringbuf_map_alloc: no key, no value, max_entries a power of
// two and a multiple of the page size, BPF_F_NUMA_NODE the only flag.
Result<std::unique_ptr<Map>> RingbufMap::create(const MapSpec& spec, uint32_t ncpus) {
    XDPDK_RETURN_IF_ERROR(check_flags(spec, kFlagNumaNode));
    XDPDK_RETURN_IF_ERROR(check_key_size(spec, 0));
    if (spec.value_size != 0)
        return map_error(spec, "value_size must be 0 for ringbuf maps, not " + std::to_string(spec.value_size));
    const uint32_t n = spec.max_entries;
    if ((n & (n - 1)) != 0 || n % kPageSize != 0)
        return map_error(spec, "max_entries " + std::to_string(n) +
                                   " must be a power of two and a multiple of the page size (4096) for ringbuf maps");
    if (uint64_t{n} * 2 * ncpus > kMaxBytes)
        return map_error(spec, "needs " + std::to_string(uint64_t{n} * ncpus) + " bytes of rings (" +
                                   std::to_string(ncpus) + " CPU slots), more than this runtime allows");
    std::unique_ptr<RingbufMap> map(new RingbufMap(spec, ncpus));
    for (uint32_t c = 0; c < ncpus; ++c) {
        auto ring = EventRing::create(n);
        if (!ring) return map_error(spec, ring.error().reason);
        map->rings_.push_back(std::move(*ring));
    }
    return std::unique_ptr<Map>(std::move(map));
}

size_t RingbufMap::consume_events(const EventFn& fn) {
    size_t n = 0;
    for (uint32_t c = 0; c < rings_.size(); ++c)
        n += rings_[c]->consume([&](std::span<const uint8_t> record) { fn(c, record); });
    return n;
}

uint64_t RingbufMap::events_lost() const {
    uint64_t n = 0;
    for (const auto& r : rings_) n += r->lost();
    return n;
}

}  // namespace xdpdk::vm::maps
