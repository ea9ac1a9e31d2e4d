// create_map(): the checks every map type shares, then the type's own
// create(), which validates the rest of the spec the way the kernel's
// map_alloc_check does.
#include <string>
#include <utility>

#include "array_map.h"
#include "array_of_maps.h"
#include "cpumap.h"
#include "devmap.h"
#include "devmap_hash.h"
#include "hash_table.h"
#include "hash_map.h"
#include "hash_of_maps.h"
#include "lpm_trie.h"
#include "lru_hash_map.h"
#include "perf_event_array.h"
#include "map_util.h"
#include "prog_array.h"
#include "queue_stack.h"
#include "ringbuf_map.h"
#include "xskmap.h"

namespace xdpdk::vm {
namespace {

using Create = Result<std::unique_ptr<Map>> (*)(const MapSpec&, uint32_t);

// The map types this runtime creates, each with its implementation.
Create creator(uint32_t type) {
    using namespace maps;
    switch (static_cast<MapType>(type)) {
        case MapType::Array:
        case MapType::PercpuArray: return &ArrayMap::create;
        case MapType::Hash:
        case MapType::PercpuHash: return &HashMap::create;
        case MapType::LruHash:
        case MapType::LruPercpuHash: return &LruHashMap::create;
        case MapType::LpmTrie: return &LpmTrie::create;
        case MapType::ProgArray: return &ProgArray::create;
        case MapType::Devmap: return &Devmap::create;
        case MapType::DevmapHash: return &DevmapHash::create;
        case MapType::Cpumap: return &Cpumap::create;
        case MapType::Xskmap: return &Xskmap::create;
        case MapType::Queue:
        case MapType::Stack: return &QueueStackMap::create;
        case MapType::PerfEventArray: return &PerfEventArray::create;
        case MapType::Ringbuf: return &RingbufMap::create;
        case MapType::ArrayOfMaps: return &ArrayOfMaps::create;
        case MapType::HashOfMaps: return &HashOfMaps::create;
    }
    return nullptr;
}

// Types beyond the kernel's last (BPF_MAP_TYPE_ARENA is 33) are none.
constexpr uint32_t kMaxMapType = 64;

}  // namespace

bool map_type_supported(uint32_t type) { return creator(type) != nullptr; }

Result<std::unique_ptr<Map>> create_map(const MapSpec& spec, uint32_t ncpus, std::shared_ptr<const Map> inner) {
    using namespace maps;
    if (ncpus == 0) return map_error(spec, "needs at least one CPU slot");
    const std::string type = std::string(map_type_name(spec.type)) + " (" + std::to_string(spec.type) + ")";
    if (spec.max_entries == 0) return map_error(spec, "max_entries must be at least 1");
    const Create create = creator(spec.type);
    if (create == nullptr) {
        std::string supported;
        for (uint32_t t = 0; t < kMaxMapType; ++t)
            if (creator(t)) supported += (supported.empty() ? "" : ", ") + std::string(map_type_name(t));
        return map_error(spec, "map type " + type + " is not supported by this runtime (supported: " + supported + ")");
    }
    const bool hashed = spec.type == static_cast<uint32_t>(MapType::Hash) ||
                        spec.type == static_cast<uint32_t>(MapType::PercpuHash) ||
                        spec.type == static_cast<uint32_t>(MapType::LruHash) ||
                        spec.type == static_cast<uint32_t>(MapType::LruPercpuHash) ||
                        spec.type == static_cast<uint32_t>(MapType::DevmapHash) ||
                        spec.type == static_cast<uint32_t>(MapType::HashOfMaps);
    if (hashed && !hash_cpu_supported())
        return map_error(spec, "hash maps need a CPU with SSE4.2 (the crc32 instruction of their hash); this one "
                               "has none");
    if (spec.type == static_cast<uint32_t>(MapType::ArrayOfMaps)) return ArrayOfMaps::create(spec, ncpus, std::move(inner));
    if (spec.type == static_cast<uint32_t>(MapType::HashOfMaps)) return HashOfMaps::create(spec, ncpus, std::move(inner));
    return create(spec, ncpus);
}

}  // namespace xdpdk::vm
