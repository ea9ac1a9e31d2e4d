// BPF_MAP_TYPE_DEVMAP: an array of redirect targets (struct bpf_devmap_val,
// value_size 4 or 8) for bpf_redirect_map. A program-side lookup returns a
// pointer to the entry's value (ifindex first) or nullptr for an empty slot.
// Kernel semantics: an update with ifindex 0 empties the slot, BPF_NOEXIST is
// -EEXIST (every slot exists), an index beyond max_entries is -E2BIG on update
// and -EINVAL on delete; deleting an empty slot succeeds. Like the kernel,
// create() adds BPF_F_RDONLY_PROG to the map flags: programs must not write
// through the returned pointer. Entries are replaced, never changed in place,
// and retired to the ReclaimDomain.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>

#include "devmap_value.h"
#include "vm/map.h"

namespace xdpdk::vm::maps {

class Devmap final : public Map {
public:
    static Result<std::unique_ptr<Map>> create(const MapSpec& spec, uint32_t ncpus);
    ~Devmap() override;

    void* lookup(const void* key, uint32_t cpu) override;
    long update(const void* key, const void* value, uint64_t flags, uint32_t cpu) override;
    long remove(const void* key) override;

    long user_lookup(const void* key, void* value_out) const override;
    long user_update(const void* key, const void* value, uint64_t flags) override;
    long user_delete(const void* key) override;
    long next_key(const void* key, void* next_out) const override;

    // Lock-free: fn(index, value) for every filled slot, in index order
    // (bpf_redirect_map broadcasts).
    template <typename Fn>
    void for_each_entry(Fn&& fn) const {
        for (uint32_t i = 0; i < spec_.max_entries; ++i)
            if (const DevmapValue* v = slots_[i].load(std::memory_order_acquire)) fn(i, *v);
    }

private:
    Devmap(const MapSpec& spec, uint32_t ncpus);

    std::unique_ptr<std::atomic<DevmapValue*>[]> slots_;
    mutable std::mutex writer_lock_;  // writers, and user-side readers
};

// The create-time checks both devmap types share.
Status check_devmap_spec(const MapSpec& spec);

}  // namespace xdpdk::vm::maps
