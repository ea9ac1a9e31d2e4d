// BPF_MAP_TYPE_ARRAY and BPF_MAP_TYPE_PERCPU_ARRAY, also the global-data maps
// (.data/.bss/.rodata: arrays of one value). Values are preallocated, zeroed,
// never freed while the map lives, and updated in place, so a lookup is an
// index computation and needs no reclamation. Layout: see Map::value_base().
#pragma once

#include <memory>

#include "vm/map.h"

namespace xdpdk::vm::maps {

class ArrayMap final : public Map {
public:
    static Result<std::unique_ptr<Map>> create(const MapSpec& spec, uint32_t ncpus);
    ~ArrayMap() override;

    void* lookup(const void* key, uint32_t cpu) override;
    long update(const void* key, const void* value, uint64_t flags, uint32_t cpu) override;
    long remove(const void* key) override;

    long user_lookup(const void* key, void* value_out) const override;
    long user_update(const void* key, const void* value, uint64_t flags) override;
    long user_delete(const void* key) override;
    long next_key(const void* key, void* next_out) const override;
    long for_each_elem(uint32_t cpu, ElemVisitor visit, void* arg) override;

    uint8_t* value_base() override { return values_; }
    uint64_t value_cpu_stride() const override { return cpu_stride_; }

private:
    ArrayMap(const MapSpec& spec, uint32_t ncpus, uint8_t* values, uint64_t cpu_stride);
    // The slot of `key` on `cpu`, or nullptr when the index is out of range.
    uint8_t* slot(const void* key, uint32_t cpu) const;
    // A value, around its bpf_spin_lock word; under that lock with BPF_F_LOCK.
    void write(uint8_t* dst, const void* value, uint64_t flags) const;
    long check_update(const void* key, uint64_t flags) const;

    uint8_t* values_;
    uint64_t cpu_stride_;  // 0 unless per-CPU
    uint32_t stride_;      // round_up(value_size, 8)
    uint32_t cpu_limit_;   // ncpus for a per-CPU array, otherwise no limit
};

}  // namespace xdpdk::vm::maps
