#include "map_util.h"

#include <cstdio>
#include <iterator>

namespace xdpdk::vm::maps {

std::string unsupported_flags(uint32_t flags, uint32_t allowed) {
    static constexpr const char* kNames[] = {
        "BPF_F_NO_PREALLOC", "BPF_F_NO_COMMON_LRU", "BPF_F_NUMA_NODE", "BPF_F_RDONLY",
        "BPF_F_WRONLY",      "BPF_F_STACK_BUILD_ID", "BPF_F_ZERO_SEED", "BPF_F_RDONLY_PROG",
        "BPF_F_WRONLY_PROG", "BPF_F_CLONE",          "BPF_F_MMAPABLE", "BPF_F_PRESERVE_ELEMS",
        "BPF_F_INNER_MAP",
    };
    std::string names;
    const uint32_t bad = flags & ~allowed;
    for (uint32_t bit = 0; bit < 32; ++bit) {
        if (!(bad & (1u << bit))) continue;
        if (!names.empty()) names += "|";
        if (bit < std::size(kNames)) {
            names += kNames[bit];
        } else {
            char hex[16];
            std::snprintf(hex, sizeof hex, "0x%x", 1u << bit);
            names += hex;
        }
    }
    return names;
}

Status check_flags(const MapSpec& spec, uint32_t allowed) {
    const std::string bad = unsupported_flags(spec.flags, allowed);
    if (!bad.empty()) {
        return map_error(spec, std::string("map_flags ") + bad + " not supported for " + map_type_name(spec.type) +
                                   " maps");
    }
    if ((spec.flags & kFlagRdonly) && (spec.flags & kFlagWronly))
        return map_error(spec, "map_flags BPF_F_RDONLY and BPF_F_WRONLY exclude each other");
    if ((spec.flags & kFlagRdonlyProg) && (spec.flags & kFlagWronlyProg))
        return map_error(spec, "map_flags BPF_F_RDONLY_PROG and BPF_F_WRONLY_PROG exclude each other");
    return {};
}

Status check_key_size(const MapSpec& spec, uint32_t size) {
    if (spec.key_size == size) return {};
    return map_error(spec, "key_size must be " + std::to_string(size) + " for " + map_type_name(spec.type) +
                               " maps, not " + std::to_string(spec.key_size));
}

Status check_inner_template(const MapSpec& spec, const Map* inner) {
    if (spec.value_size != 4)
        return map_error(spec, "value_size must be 4 (a map id or fd) for " + std::string(map_type_name(spec.type)) +
                                   " maps, not " + std::to_string(spec.value_size));
    if (!inner) return map_error(spec, "a map of maps needs an inner map template (inner_map_fd)");
    const MapSpec& t = inner->spec();
    if (is_map_of_maps(t.type))
        return map_error(spec, "inner map template '" + t.name + "' is itself a map of maps: maps of maps do not nest");
    if (t.type == static_cast<uint32_t>(MapType::ProgArray))
        return map_error(spec, "inner map template '" + t.name + "' is a prog_array, which cannot be an inner map");
    return {};
}

long resolve_inner_map(const Map& outer, const void* id_value, std::shared_ptr<Map>& out) {
    uint32_t id;
    __builtin_memcpy(&id, id_value, sizeof id);
    out = find_map_by_id(id);
    if (!out) return -EBADF;
    if (!inner_map_fits(*outer.inner_template(), *out)) {
        out.reset();
        return -EINVAL;
    }
    return 0;
}

void release_inner_share(std::shared_ptr<Map>* share) {
    if (share == nullptr) return;
    ReclaimDomain::global().retire(share, [](void* p) { delete static_cast<std::shared_ptr<Map>*>(p); });
}

}  // namespace xdpdk::vm::maps
