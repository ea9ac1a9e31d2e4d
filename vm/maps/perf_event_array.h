// BPF_MAP_TYPE_PERF_EVENT_ARRAY as bpf_perf_event_output uses it: slot i
// stands for a PERF_COUNT_SW_BPF_OUTPUT event opened on CPU i, whose ring the
// samples go to. Here the dataplane is that event's reader: every slot below
// the CPU count is open from creation, with a ring of kRingBytes
// (event_ring.h), and a program may write only to its own CPU's slot, as the
// kernel refuses an event that is not on the current CPU (-EOPNOTSUPP).
// Userspace sees what bpf() gives without perf events: lookups -ENOTSUPP (no
// map_fd_sys_lookup_elem), updates -EBADF (the value would be a perf event's
// file descriptor), deletes close a slot (further output gets -ENOENT).
#pragma once

#include <atomic>
#include <memory>
#include <vector>

#include "event_ring.h"
#include "vm/map.h"

namespace xdpdk::vm::maps {

class PerfEventArray final : public Map {
public:
    // Per CPU, as libbpf's perf_buffer__new callers commonly ask (64 pages).
    static constexpr uint64_t kRingBytes = 64 * 4096;
    static Result<std::unique_ptr<Map>> create(const MapSpec& spec, uint32_t ncpus);

    void* lookup(const void*, uint32_t) override { return nullptr; }
    long update(const void*, const void*, uint64_t, uint32_t) override { return -22; }
    long remove(const void*) override { return -22; }
    long user_lookup(const void*, void*) const override { return -524; }
    long user_update(const void*, const void*, uint64_t) override { return -9; }
    long user_delete(const void* key) override;
    long next_key(const void* key, void* next_out) const override;

    size_t consume_events(const EventFn& fn) override;
    uint64_t events_lost() const override;

    // The start of bpf_perf_event_output's sample of `len` bytes into slot
    // `index` (BPF_F_CURRENT_CPU: the running one) from CPU slot `cpu`;
    // EventRing::commit ends it. On failure, nullptr and the kernel's error
    // in *err: -E2BIG beyond max_entries, -ENOENT for a closed slot,
    // -EOPNOTSUPP for another CPU's, -ENOSPC when its ring is full (lost).
    void* begin_sample(uint32_t cpu, uint64_t index, uint32_t len, long* err);

private:
    using Map::Map;
    std::vector<std::unique_ptr<EventRing>> rings_;  // one per CPU slot below max_entries
    std::unique_ptr<std::atomic<bool>[]> open_;
};

}  // namespace xdpdk::vm::maps
