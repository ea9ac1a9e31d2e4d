// BPF_MAP_TYPE_RINGBUF: programs reserve records and submit or discard them
// (bpf_ringbuf_reserve/submit/discard), or copy one in (bpf_ringbuf_output);
// userspace consumes them. The kernel keeps one ring shared by every CPU;
// here each CPU slot has its own ring of max_entries bytes (event_ring.h), so
// that workers never take a lock; records of one CPU keep their order.
// Keyless and valueless: bpf() refuses lookups, updates, deletes and key
// walks with -ENOTSUPP, as the kernel's ringbuf_map_* do, or with -EINVAL
// when given a key at all (the syscall's check of a zero key size).
#pragma once

#include <memory>
#include <vector>

#include "event_ring.h"
#include "vm/map.h"

namespace xdpdk::vm::maps {

class RingbufMap final : public Map {
public:
    static constexpr long kNotSupported = -524;  // ENOTSUPP
    static Result<std::unique_ptr<Map>> create(const MapSpec& spec, uint32_t ncpus);

    void* lookup(const void*, uint32_t) override { return nullptr; }
    long update(const void*, const void*, uint64_t, uint32_t) override { return kNotSupported; }
    long remove(const void*) override { return kNotSupported; }
    long user_lookup(const void* key, void*) const override { return refusal(key); }
    long user_update(const void* key, const void*, uint64_t) override { return refusal(key); }
    long user_delete(const void* key) override { return refusal(key); }
    long user_lookup_and_delete(const void* key, void*) override { return refusal(key); }
    long next_key(const void* key, void*) const override { return refusal(key); }

    size_t consume_events(const EventFn& fn) override;
    uint64_t events_lost() const override;

    // The ring of the CPU slot a program runs on; nullptr for a slot the map
    // has none for (an embedder may run a program with any cpu).
    EventRing* ring(uint32_t cpu) { return cpu < rings_.size() ? rings_[cpu].get() : nullptr; }

private:
    using Map::Map;
    static long refusal(const void* key) { return key != nullptr ? -22 : kNotSupported; }
    std::vector<std::unique_ptr<EventRing>> rings_;
};

}  // namespace xdpdk::vm::maps
