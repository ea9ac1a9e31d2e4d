#include "map.h"

#include <bpf/btf.h>

#include <cstring>

namespace xdpdk::vm {

const char* map_type_name(uint32_t type) {
    switch (static_cast<MapType>(type)) {
        case MapType::Hash: return "hash";
        case MapType::Array: return "array";
        case MapType::ProgArray: return "prog_array";
        case MapType::PerfEventArray: return "perf_event_array";
        case MapType::PercpuHash: return "percpu_hash";
        case MapType::PercpuArray: return "percpu_array";
        case MapType::LruHash: return "lru_hash";
        case MapType::LruPercpuHash: return "lru_percpu_hash";
        case MapType::LpmTrie: return "lpm_trie";
        case MapType::Devmap: return "devmap";
        case MapType::Cpumap: return "cpumap";
        case MapType::Xskmap: return "xskmap";
        case MapType::Queue: return "queue";
        case MapType::Stack: return "stack";
        case MapType::DevmapHash: return "devmap_hash";
        case MapType::Ringbuf: return "ringbuf";
    }
    // Types this runtime cannot create yet, named so that a refusal says
    // which one (the kernel's enum bpf_map_type).
    switch (type) {
        case 7: return "stack_trace";
        case 8: return "cgroup_array";
        case 12: return "array_of_maps";
        case 13: return "hash_of_maps";
        case 15: return "sockmap";
        case 18: return "sockhash";
        case 19: return "cgroup_storage";
        case 20: return "reuseport_sockarray";
        case 21: return "percpu_cgroup_storage";
        case 24: return "sk_storage";
        case 26: return "struct_ops";
        case 28: return "inode_storage";
        case 29: return "task_storage";
        case 30: return "bloom_filter";
        case 31: return "user_ringbuf";
        case 32: return "cgrp_storage";
        case 33: return "arena";
    }
    return "unknown";
}

void Map::set_btf(MapBtf b) {
    btf_ = std::move(b);
    spin_lock_off_ = -1;
    spin_locks_ = 0;
    if (!btf_) return;
    const struct btf* btf = btf_.btf.get();
    const int32_t value_id = btf__resolve_type(btf, btf_.value_type_id);
    const btf_type* value = value_id > 0 ? btf__type_by_id(btf, static_cast<uint32_t>(value_id)) : nullptr;
    if (!value || !btf_is_struct(value)) return;
    const btf_member* m = btf_members(value);
    for (uint16_t i = 0; i < btf_vlen(value); ++i, ++m) {
        const int32_t id = btf__resolve_type(btf, m->type);
        const btf_type* t = id > 0 ? btf__type_by_id(btf, static_cast<uint32_t>(id)) : nullptr;
        if (!t || !btf_is_struct(t)) continue;
        const char* name = btf__name_by_offset(btf, t->name_off);
        if (!name || std::strcmp(name, "bpf_spin_lock") != 0) continue;
        if (spin_locks_++ == 0) spin_lock_off_ = static_cast<int32_t>(btf_member_bit_offset(value, i) / 8);
    }
}

bool Map::percpu() const {
    return type() == MapType::PercpuArray || type() == MapType::PercpuHash || type() == MapType::LruPercpuHash;
}

uint32_t Map::user_value_size() const {
    if (!percpu()) return spec_.value_size;
    return ncpus_ * ((spec_.value_size + 7) & ~7u);
}

}  // namespace xdpdk::vm
