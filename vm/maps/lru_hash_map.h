// BPF_MAP_TYPE_LRU_HASH and BPF_MAP_TYPE_LRU_PERCPU_HASH: a hash that makes
// room for a new key in a full map by evicting a least-recently-used one
// instead of failing with -E2BIG.
//
// Recency is approximated with CLOCK (second chance), as the kernel's LRU is
// approximate too: program-side lookups set a node's referenced bit (a relaxed
// store, only when clear, so readers stay lock-free and cache lines stay
// shared); eviction sweeps a hand over the clock list, clearing set bits and
// evicting the first node whose bit is clear. New and replaced keys enter just
// behind the hand with the bit clear. Unlike the kernel, which keeps per-CPU
// free lists and may evict before the map is full, eviction happens only when
// max_entries keys are present; BPF_F_NO_COMMON_LRU is accepted and changes
// nothing (there is one list).
#pragma once

#include "hash_map.h"

namespace xdpdk::vm::maps {

class LruHashMap final : public HashMap {
public:
    static Result<std::unique_ptr<Map>> create(const MapSpec& spec, uint32_t ncpus);

    void* lookup(const void* key, uint32_t cpu) override;

private:
    LruHashMap(const MapSpec& spec, uint32_t ncpus) : HashMap(spec, ncpus) {}

    bool evict_one() override;
    void track(HashNode* node) override;
    void untrack(HashNode* node) override;

    HashNode* hand_ = nullptr;  // next eviction candidate; nullptr when empty
};

}  // namespace xdpdk::vm::maps
