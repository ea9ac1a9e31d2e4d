// BPF_MAP_TYPE_HASH and BPF_MAP_TYPE_PERCPU_HASH, and the base of the LRU
// hashes. Kernel semantics: BPF_ANY / BPF_NOEXIST (-EEXIST) / BPF_EXIST
// (-ENOENT), -E2BIG when a new key finds the map full, -ENOENT when deleting or
// (user side) looking up a missing key.
//
// An update of an existing key in a plain hash links a new node in place of
// the old one (as the kernel's htab does), so a program holding the old value
// never sees it change under it. Per-CPU values are updated in place: each CPU
// writes only its own slot (program side) and user-side updates write all of
// them, as in the kernel. Per-CPU values sit in the node at a stride of
// round_up(value_size, 8), the syscall layout: compact, but CPUs updating the
// same key share its cache lines (per-CPU arrays keep CPUs apart).
#pragma once

#include <memory>

#include "hash_table.h"
#include "vm/map.h"

namespace xdpdk::vm::maps {

class HashMap : public Map {
public:
    static Result<std::unique_ptr<Map>> create(const MapSpec& spec, uint32_t ncpus);

    void* lookup(const void* key, uint32_t cpu) override;
    long update(const void* key, const void* value, uint64_t flags, uint32_t cpu) override;
    long remove(const void* key) override;

    long user_lookup(const void* key, void* value_out) const override;
    long user_update(const void* key, const void* value, uint64_t flags) override;
    long user_delete(const void* key) override;
    long next_key(const void* key, void* next_out) const override;
    long for_each_elem(uint32_t cpu, ElemVisitor visit, void* arg) override;

    // The table, for readers that look keys up without the virtual call (the
    // JIT's specialised lookups); lookup() adds only the per-CPU slot and, in
    // the LRU hashes, the referenced bit.
    const HashTable& table() const { return table_; }

protected:
    HashMap(const MapSpec& spec, uint32_t ncpus);
    // Create-time checks shared with the LRU hashes.
    static Status check_spec(const MapSpec& spec, bool lru);

    // Hooks for the LRU hashes, called with the writer lock held.
    // Makes room for one new key in a full map; false: -E2BIG.
    virtual bool evict_one() { return false; }
    virtual void track(HashNode*) {}    // a node was linked
    virtual void untrack(HashNode*) {}  // a node was unlinked

    // The value of `node` for `cpu` (per-CPU) or the value.
    uint8_t* value_for(HashNode* node, uint32_t cpu) const { return table_.value_of(node) + cpu * cpu_stride_; }

    mutable HashTable table_;
    const bool percpu_;

private:
    static constexpr uint32_t kAllCpus = UINT32_MAX;
    // `cpu` == kAllCpus: a user-side update carrying every CPU's value.
    long update_impl(const void* key, const void* value, uint64_t flags, uint32_t cpu);
    void write_value(HashNode* node, const void* value, uint32_t cpu) const;

    const uint32_t cpu_stride_;  // round_up(value_size, 8) per CPU; 0 when not per-CPU
};

}  // namespace xdpdk::vm::maps
