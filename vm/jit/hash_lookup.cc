#include "hash_lookup.h"

#include "../maps/hash_map.h"

namespace xdpdk::vm::jit {
namespace {

template <uint32_t KeySize, bool Lru, bool Percpu>
void* lookup(const maps::HashTable* table, const void* key, uint32_t cpu, uint32_t ncpus, uint64_t cpu_stride) {
    if constexpr (Percpu) {
        if (cpu >= ncpus) [[unlikely]]
            return nullptr;
    } else {
        (void)cpu, (void)ncpus, (void)cpu_stride;
    }
    maps::HashNode* node = table->find_sized<KeySize>(key);
    if (node == nullptr) return nullptr;
    if constexpr (Lru) {
        if (node->referenced.load(std::memory_order_relaxed) == 0) node->referenced.store(1, std::memory_order_relaxed);
    }
    uint8_t* value = table->value_of(node);
    if constexpr (Percpu) value += cpu * cpu_stride;
    return value;
}

template <uint32_t KeySize, bool Lru, bool Percpu>
void* lookup_dynamic(Map* map, const void* key, uint32_t cpu) {
    const uint32_t stride = Percpu ? (map->spec().value_size + 7) & ~7u : 0;
    return lookup<KeySize, Lru, Percpu>(&static_cast<const maps::HashMap*>(map)->table(), key, cpu, map->ncpus(), stride);
}

template <uint32_t KeySize>
DynamicHashLookupFn dynamic_for_size(bool lru, bool percpu) {
    if (lru) return percpu ? &lookup_dynamic<KeySize, true, true> : &lookup_dynamic<KeySize, true, false>;
    return percpu ? &lookup_dynamic<KeySize, false, true> : &lookup_dynamic<KeySize, false, false>;
}

template <uint32_t KeySize>
HashLookupFn for_size(bool lru, bool percpu) {
    if (lru) return percpu ? &lookup<KeySize, true, true> : &lookup<KeySize, true, false>;
    return percpu ? &lookup<KeySize, false, true> : &lookup<KeySize, false, false>;
}

}  // namespace

HashLookupFn specialised_hash_lookup(uint32_t key_size, bool lru, bool percpu) {
    switch (key_size) {
        case 4: return for_size<4>(lru, percpu);
        case 8: return for_size<8>(lru, percpu);
        case 12: return for_size<12>(lru, percpu);
        case 16: return for_size<16>(lru, percpu);
        case 20: return for_size<20>(lru, percpu);
        case 24: return for_size<24>(lru, percpu);
        case 32: return for_size<32>(lru, percpu);
        case 40: return for_size<40>(lru, percpu);
        default: return nullptr;
    }
}

DynamicHashLookupFn specialised_dynamic_hash_lookup(uint32_t key_size, bool lru, bool percpu) {
    switch (key_size) {
        case 4: return dynamic_for_size<4>(lru, percpu);
        case 8: return dynamic_for_size<8>(lru, percpu);
        case 12: return dynamic_for_size<12>(lru, percpu);
        case 16: return dynamic_for_size<16>(lru, percpu);
        case 20: return dynamic_for_size<20>(lru, percpu);
        case 24: return dynamic_for_size<24>(lru, percpu);
        case 32: return dynamic_for_size<32>(lru, percpu);
        case 40: return dynamic_for_size<40>(lru, percpu);
        default: return nullptr;
    }
}

}  // namespace xdpdk::vm::jit
