// Hash-map lookups specialised for one key size, which the JIT calls
// directly (table pointer as an immediate) instead of the lookup helper and
// its virtual Map::lookup. Each does exactly what HashMap::lookup or
// LruHashMap::lookup does: the same hash and bucket walk (HashTable::find_sized),
// the calling CPU's slot for per-CPU maps, the referenced bit for LRU maps.
#pragma once

#include <cstdint>

#include "../maps/hash_table.h"

namespace xdpdk::vm {
class Map;
}

namespace xdpdk::vm::jit {

// cpu, ncpus and cpu_stride matter only to per-CPU maps.
using HashLookupFn = void* (*)(const maps::HashTable* table, const void* key, uint32_t cpu, uint32_t ncpus,
                               uint64_t cpu_stride);

// nullptr when there is no specialisation for key_size.
HashLookupFn specialised_hash_lookup(uint32_t key_size, bool lru, bool percpu);

// The same for a map known only at run time (r1: an inner map of a map of
// maps), whose type and key size the verifier proved: the table, the CPU
// count and the value stride are read from the map.
using DynamicHashLookupFn = void* (*)(Map* map, const void* key, uint32_t cpu);
DynamicHashLookupFn specialised_dynamic_hash_lookup(uint32_t key_size, bool lru, bool percpu);

}  // namespace xdpdk::vm::jit
