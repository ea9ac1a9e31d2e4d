// BPF_MAP_TYPE_ARRAY_OF_MAPS: max_entries slots, each empty or holding a map
// of the inner template's shape (Map::inner_template). Programs look a slot up
// and get the inner map itself (the kernel's array_of_map_lookup_elem), which
// they pass to further map helpers; only bpf_map_lookup_elem reaches the
// outer map (the verifier refuses the rest, as the kernel does).
//
// Userspace speaks in map ids where the kernel takes fds: an update's value
// is the u32 id of the map to insert (-EBADF when no map has it, -EINVAL
// when its shape differs from the template or the flags are not BPF_ANY), a
// lookup writes the inner map's id. The outer map holds a share of each
// inner map; a replaced or deleted one is released only after every running
// program has passed a quiescent state (ReclaimDomain).
#pragma once

#include <atomic>
#include <cerrno>
#include <memory>
#include <mutex>

#include "vm/map.h"

namespace xdpdk::vm::maps {

class ArrayOfMaps final : public Map {
public:
    // Without a template: refused (the map-type table's entry).
    static Result<std::unique_ptr<Map>> create(const MapSpec& spec, uint32_t ncpus);
    static Result<std::unique_ptr<Map>> create(const MapSpec& spec, uint32_t ncpus, std::shared_ptr<const Map> inner);
    const Map* inner_template() const override { return inner_.get(); }
    ~ArrayOfMaps() override;

    void* lookup(const void* key, uint32_t cpu) override;
    long update(const void*, const void*, uint64_t, uint32_t) override { return -EOPNOTSUPP; }
    long remove(const void*) override { return -EOPNOTSUPP; }

    long user_lookup(const void* key, void* value_out) const override;
    long user_update(const void* key, const void* value, uint64_t flags) override;
    long user_delete(const void* key) override;
    long next_key(const void* key, void* next_out) const override;

    // Inserts `inner` (checked against the template) at `index`; nullptr
    // empties the slot. Kernel errors: -E2BIG, -EINVAL.
    long set_inner(uint32_t index, std::shared_ptr<Map> inner);
    // The slots, for machine code that reads them inline as lookup() does.
    const std::atomic<Map*>* slots() const { return slots_.get(); }

private:
    ArrayOfMaps(const MapSpec& spec, uint32_t ncpus, std::shared_ptr<const Map> inner);

    std::shared_ptr<const Map> inner_;

    std::unique_ptr<std::atomic<Map*>[]> slots_;
    // The share of each slot's map; written under writer_, read by no program.
    std::unique_ptr<std::shared_ptr<Map>[]> owners_;
    mutable std::mutex writer_;
};

}  // namespace xdpdk::vm::maps
