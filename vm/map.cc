#include "map.h"

#include <bpf/btf.h>

#include <cstring>
#include <atomic>
#include <mutex>
#include <unordered_map>

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
        case MapType::ArrayOfMaps: return "array_of_maps";
        case MapType::HashOfMaps: return "hash_of_maps";
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

namespace {

// id -> live map. Ids count up from 1 and are never reused, so a stale id
// names nothing rather than another map.
struct MapRegistry {
    std::mutex mu;
    std::unordered_map<uint32_t, Map*> maps;
    uint32_t next = 1;
};

MapRegistry& registry() {
    static MapRegistry* r = new MapRegistry;  // never destroyed: maps may outlive static destructors
    return *r;
}

}  // namespace

Map::Map(MapSpec spec, uint32_t ncpus) : spec_(std::move(spec)), ncpus_(ncpus) {
    MapRegistry& r = registry();
    std::lock_guard<std::mutex> lock(r.mu);
    id_ = r.next++;
    r.maps.emplace(id_, this);
}

Map::~Map() {
    MapRegistry& r = registry();
    std::lock_guard<std::mutex> lock(r.mu);
    r.maps.erase(id_);
}

std::shared_ptr<Map> find_map_by_id(uint32_t id) {
    MapRegistry& r = registry();
    std::lock_guard<std::mutex> lock(r.mu);
    const auto it = r.maps.find(id);
    // A map whose last owner is gone but whose destructor has not yet
    // unregistered it gives an empty pointer here.
    return it == r.maps.end() ? nullptr : it->second->weak_from_this().lock();
}

bool is_map_of_maps(uint32_t type) {
    return type == static_cast<uint32_t>(MapType::ArrayOfMaps) || type == static_cast<uint32_t>(MapType::HashOfMaps);
}

bool inner_map_fits(const Map& tmpl, const Map& inner, std::string* why) {
    const MapSpec& t = tmpl.spec();
    const MapSpec& m = inner.spec();
    auto differ = [&](const char* what, uint64_t want, uint64_t got) {
        if (why) *why = std::string(what) + " " + std::to_string(got) + " differs from the inner map template's " +
                        std::to_string(want);
        return false;
    };
    if (t.type != m.type) {
        if (why) *why = std::string("type ") + map_type_name(m.type) + " differs from the inner map template's " +
                        map_type_name(t.type);
        return false;
    }
    if (t.key_size != m.key_size) return differ("key_size", t.key_size, m.key_size);
    if (t.value_size != m.value_size) return differ("value_size", t.value_size, m.value_size);
    // BPF_F_RDONLY and BPF_F_WRONLY are the fd's permissions: the kernel
    // does not keep them as map flags (bpf_map_flags_retain_permanent).
    constexpr uint32_t kFdAccess = (1u << 3) | (1u << 4);
    if ((t.flags & ~kFdAccess) != (m.flags & ~kFdAccess))
        return differ("map_flags", t.flags & ~kFdAccess, m.flags & ~kFdAccess);
    // Array maps compare sizes too (array_map_meta_equal): the verifier may
    // have bounded indexes by the template's. BPF_F_INNER_MAP opts out.
    const bool array = t.type == static_cast<uint32_t>(MapType::Array) ||
                       t.type == static_cast<uint32_t>(MapType::PercpuArray);
    constexpr uint32_t kInnerMapFlag = 1u << 12;
    if (array && !(t.flags & kInnerMapFlag) && t.max_entries != m.max_entries)
        return differ("max_entries", t.max_entries, m.max_entries);
    return true;
}

bool Map::percpu() const {
    return type() == MapType::PercpuArray || type() == MapType::PercpuHash || type() == MapType::LruPercpuHash;
}

uint32_t Map::user_value_size() const {
    if (!percpu()) return spec_.value_size;
    return ncpus_ * ((spec_.value_size + 7) & ~7u);
}

}  // namespace xdpdk::vm
