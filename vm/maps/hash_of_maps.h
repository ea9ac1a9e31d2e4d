// BPF_MAP_TYPE_HASH_OF_MAPS: keys of any size, each holding a map of the
// inner template's shape, in the shared HashTable. Same program and
// userspace rules as ArrayOfMaps (array_of_maps.h): lookups give programs
// the inner map, userspace reads and writes map ids, inner maps are shared
// and released after a grace period. Updates follow the hash maps' flags
// (BPF_NOEXIST -EEXIST, BPF_EXIST -ENOENT, a new key in a full map -E2BIG).
#pragma once

#include <cerrno>
#include <memory>

#include "hash_table.h"
#include "vm/map.h"

namespace xdpdk::vm::maps {

class HashOfMaps final : public Map {
public:
    // Without a template: refused (the map-type table's entry).
    static Result<std::unique_ptr<Map>> create(const MapSpec& spec, uint32_t ncpus);
    static Result<std::unique_ptr<Map>> create(const MapSpec& spec, uint32_t ncpus, std::shared_ptr<const Map> inner);
    const Map* inner_template() const override { return inner_.get(); }
    ~HashOfMaps() override;

    void* lookup(const void* key, uint32_t cpu) override;
    long update(const void*, const void*, uint64_t, uint32_t) override { return -EOPNOTSUPP; }
    long remove(const void*) override { return -EOPNOTSUPP; }

    long user_lookup(const void* key, void* value_out) const override;
    long user_update(const void* key, const void* value, uint64_t flags) override;
    long user_delete(const void* key) override;
    long next_key(const void* key, void* next_out) const override;

    long set_inner(const void* key, std::shared_ptr<Map> inner, uint64_t flags);

    // What a node's value holds: the id userspace reads (first, so that
    // copying value_size bytes gives it), the map programs get, and the
    // share that keeps it alive.
    struct Entry {
        uint32_t id;
        uint32_t pad;
        Map* map;
        std::shared_ptr<Map>* owner;
    };
    const HashTable& table() const { return table_; }

private:
    HashOfMaps(const MapSpec& spec, uint32_t ncpus, std::shared_ptr<const Map> inner);

    std::shared_ptr<const Map> inner_;

    mutable HashTable table_;
};

}  // namespace xdpdk::vm::maps
