// create_map(): the checks every map type shares, then the type's own
// create(), which validates the rest of the spec the way the kernel's
// map_alloc_check does.
#include <string>

#include "array_map.h"
#include "devmap.h"
#include "devmap_hash.h"
#include "hash_table.h"
#include "hash_map.h"
#include "lpm_trie.h"
#include "lru_hash_map.h"
#include "map_util.h"
#include "prog_array.h"
#include "queue_stack.h"

namespace xdpdk::vm {

Result<std::unique_ptr<Map>> create_map(const MapSpec& spec, uint32_t ncpus) {
    using namespace maps;
    if (ncpus == 0) return map_error(spec, "needs at least one CPU slot");
    const std::string type = std::string(map_type_name(spec.type)) + " (" + std::to_string(spec.type) + ")";
    if (spec.max_entries == 0) return map_error(spec, "max_entries must be at least 1");
    const bool hashed = spec.type == static_cast<uint32_t>(MapType::Hash) ||
                        spec.type == static_cast<uint32_t>(MapType::PercpuHash) ||
                        spec.type == static_cast<uint32_t>(MapType::LruHash) ||
                        spec.type == static_cast<uint32_t>(MapType::LruPercpuHash) ||
                        spec.type == static_cast<uint32_t>(MapType::DevmapHash);
    if (hashed && !hash_cpu_supported())
        return map_error(spec, "hash maps need a CPU with SSE4.2 (the crc32 instruction of their hash); this one "
                               "has none");
    switch (static_cast<MapType>(spec.type)) {
        case MapType::Array:
        case MapType::PercpuArray: return ArrayMap::create(spec, ncpus);
        case MapType::Hash:
        case MapType::PercpuHash: return HashMap::create(spec, ncpus);
        case MapType::LruHash:
        case MapType::LruPercpuHash: return LruHashMap::create(spec, ncpus);
        case MapType::LpmTrie: return LpmTrie::create(spec, ncpus);
        case MapType::ProgArray: return ProgArray::create(spec, ncpus);
        case MapType::Devmap: return Devmap::create(spec, ncpus);
        case MapType::DevmapHash: return DevmapHash::create(spec, ncpus);
        case MapType::Queue:
        case MapType::Stack: return QueueStackMap::create(spec, ncpus);
        case MapType::PerfEventArray: break;
    }
    return map_error(spec, "map type " + type +
                               " is not supported by this runtime (supported: hash, array, prog_array, percpu_hash, "
                               "percpu_array, lru_hash, lru_percpu_hash, lpm_trie, devmap, queue, stack, devmap_hash)");
}

}  // namespace xdpdk::vm
