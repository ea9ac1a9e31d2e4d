// BPF_MAP_TYPE_PROG_ARRAY: the tail-call table. Slots hold Program pointers
// installed by the loader or the control side with set_program() and read by
// bpf_tail_call with an acquire load. The programs themselves are owned
// elsewhere; whoever replaces one waits for readers (ReclaimDomain::synchronize)
// before destroying it.
//
// Writers are serialised by their callers, not here: the loader, on a new map
// no program runs with yet, then Dataplane's calls under its mutex (attach,
// swap, map delete). So the two arrays are stored without a lock, and
// user_delete's check-then-empty is not atomic against a second writer;
// readers only ever see whole pointers.
//
// Where the kernel takes program fds, this map takes pointers:
//  - user_update() is refused with -EINVAL (use set_program());
//  - user_lookup() writes a u32 id for an occupied slot: index + 1 (the
//    kernel writes the program's id; there are no program ids here), or
//    returns -ENOENT for an empty or out-of-range slot;
//  - user_delete() empties a slot: -E2BIG out of range, -ENOENT if empty;
//  - program-side lookups give nullptr and updates -EOPNOTSUPP (the verifier
//    refuses both, as in the kernel).
#pragma once

#include <atomic>
#include <memory>

#include "vm/map.h"
#include "vm/program.h"

namespace xdpdk::vm::maps {

class ProgArray final : public Map {
public:
    static Result<std::unique_ptr<Map>> create(const MapSpec& spec, uint32_t ncpus);

    void* lookup(const void*, uint32_t) override { return nullptr; }
    long update(const void* key, const void* value, uint64_t flags, uint32_t cpu) override;
    long remove(const void* key) override;

    long user_lookup(const void* key, void* value_out) const override;
    long user_update(const void* key, const void* value, uint64_t flags) override;
    long user_delete(const void* key) override;
    long next_key(const void* key, void* next_out) const override;

    const Program* program_at(uint32_t index) const override;
    // -E2BIG when index >= max_entries; nullptr empties the slot.
    long set_program(uint32_t index, const Program* prog) override;
    // The tail entry of slot `index` (< max_entries): the address of its
    // Program's jit_tail, or nullptr while empty. Machine code reads it inline
    // as program_at() is read (the JIT's tail calls), through a layout the
    // language guarantees rather than an offset into Program.
    const std::atomic<const JitTailEntry*>* tail_slot(uint32_t index) const { return &tail_slots_[index]; }

private:
    ProgArray(const MapSpec& spec, uint32_t ncpus);
    // Both arrays change together; each reader reads one of them.
    void store(uint32_t index, const Program* prog);

    std::unique_ptr<std::atomic<const Program*>[]> slots_;
    std::unique_ptr<std::atomic<const JitTailEntry*>[]> tail_slots_;
};

}  // namespace xdpdk::vm::maps
