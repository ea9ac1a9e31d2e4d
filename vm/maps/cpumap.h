// BPF_MAP_TYPE_CPUMAP: per CPU (here: per worker slot), a queue size and an
// optional xdp/cpumap program, for bpf_redirect_map to hand frames to
// another CPU. The value is struct bpf_cpumap_val: qsize (u32) and, with
// 8-byte values, a program fd. Kernel semantics of updates: qsize 0 empties
// the slot, qsize over 16384 is -EOVERFLOW, a CPU that does not exist (here:
// no worker slot) is -ENODEV, BPF_NOEXIST is -EEXIST, a key beyond
// max_entries -E2BIG; delete of a key beyond max_entries is -EINVAL.
//
// Where the kernel takes a program fd, this map takes a pointer: a value
// naming an fd is refused with -EINVAL, and set_program() (replay's
// --maps-in "prog") installs an xdp/cpumap program of the same object into
// an existing entry. Lookups report the program as id 1 (there are no
// program ids here), 0 when none. Programs cannot look the map up (the
// verifier allows it only to bpf_redirect_map, as the kernel does).
// Entries are replaced, never changed in place, and retired to the
// ReclaimDomain.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>

#include "vm/map.h"

namespace xdpdk::vm::maps {

struct CpumapEntry {
    uint32_t qsize = 0;
    const Program* prog = nullptr;  // an xdp/cpumap program, or none
};

class Cpumap final : public Map {
public:
    static constexpr uint32_t kMaxQsize = 16384;

    static Result<std::unique_ptr<Map>> create(const MapSpec& spec, uint32_t ncpus);
    ~Cpumap() override;

    void* lookup(const void*, uint32_t) override { return nullptr; }
    long update(const void* key, const void* value, uint64_t flags, uint32_t cpu) override;
    long remove(const void* key) override;

    long user_lookup(const void* key, void* value_out) const override;
    long user_update(const void* key, const void* value, uint64_t flags) override;
    long user_delete(const void* key) override;
    long next_key(const void* key, void* next_out) const override;

    const Program* program_at(uint32_t index) const override;
    // An entry must exist (a qsize set first); the program must be an
    // xdp/cpumap program, as the kernel checks the fd's expected attach type.
    long set_program(uint32_t index, const Program* prog) override;

    // For bpf_redirect_map and the workers: the entry of `cpu`, or nullptr.
    const CpumapEntry* entry(uint32_t cpu) const {
        return cpu < spec_.max_entries ? slots_[cpu].load(std::memory_order_acquire) : nullptr;
    }

private:
    Cpumap(const MapSpec& spec, uint32_t ncpus);
    long replace(uint32_t index, CpumapEntry* fresh);

    std::unique_ptr<std::atomic<CpumapEntry*>[]> slots_;
    mutable std::mutex writer_lock_;
};

}  // namespace xdpdk::vm::maps
