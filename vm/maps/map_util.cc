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

}  // namespace xdpdk::vm::maps
