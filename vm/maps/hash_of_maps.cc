#include "hash_of_maps.h"

#include <cstddef>
#include <cstring>
#include <utility>
#include <vector>

#include "map_util.h"

namespace xdpdk::vm::maps {

Result<std::unique_ptr<Map>> HashOfMaps::create(const MapSpec& spec, uint32_t ncpus) {
    return create(spec, ncpus, nullptr);
}

Result<std::unique_ptr<Map>> HashOfMaps::create(const MapSpec& spec, uint32_t, std::shared_ptr<const Map> inner) {
    XDPDK_RETURN_IF_ERROR(check_flags(spec, kFlagNoPrealloc | kFlagNumaNode | kFlagAccessMask | kFlagZeroSeed));
    if (spec.key_size == 0) return map_error(spec, "key_size must be at least 1");
    XDPDK_RETURN_IF_ERROR(check_inner_template(spec, inner.get()));
    return std::unique_ptr<Map>(new HashOfMaps(spec, 1, std::move(inner)));
}

HashOfMaps::HashOfMaps(const MapSpec& spec, uint32_t ncpus, std::shared_ptr<const Map> inner)
    : Map(spec, ncpus), inner_(std::move(inner)), table_(spec.key_size, sizeof(Entry), spec.max_entries, (spec.flags & kFlagZeroSeed) != 0) {}

HashOfMaps::~HashOfMaps() {
    // The table frees its nodes; the shares in them go here.
    std::vector<uint8_t> key(spec_.key_size), next(spec_.key_size);
    for (long rc = table_.next_key(nullptr, next.data()); rc == 0; rc = table_.next_key(key.data(), next.data())) {
        key = next;
        HashNode* node = table_.find(key.data(), table_.hash(key.data()));
        Entry e;
        std::memcpy(&e, table_.value_of(node), sizeof e);
        delete e.owner;
    }
}

void* HashOfMaps::lookup(const void* key, uint32_t) {
    HashNode* node = table_.find(key, table_.hash(key));
    if (node == nullptr) return nullptr;
    Map* map;
    std::memcpy(&map, table_.value_of(node) + offsetof(Entry, map), sizeof map);
    return map;
}

long HashOfMaps::set_inner(const void* key, std::shared_ptr<Map> inner, uint64_t flags) {
    if (!valid_update_flags(flags)) return -EINVAL;
    if (!inner || !inner_map_fits(*inner_, *inner)) return -EINVAL;
    const uint32_t hash = table_.hash(key);
    HashNode* fresh = table_.new_node(key, hash);
    if (fresh == nullptr) return -ENOMEM;
    const Entry entry{inner->id(), 0, inner.get(), new std::shared_ptr<Map>(std::move(inner))};
    std::memcpy(table_.value_of(fresh), &entry, sizeof entry);
    HashNode* old = nullptr;
    long rc = 0;
    {
        std::lock_guard<std::mutex> lock(table_.writer_lock());
        const HashTable::Slot slot = table_.find_slot(key, hash);
        if (slot.node != nullptr && flags == kNoExist) {
            rc = -EEXIST;
        } else if (slot.node == nullptr && flags == kExist) {
            rc = -ENOENT;
        } else if (slot.node != nullptr) {
            table_.replace(slot, fresh);
            old = slot.node;
        } else if (table_.count() >= spec_.max_entries) {
            rc = -E2BIG;
        } else {
            table_.link(fresh);
        }
    }
    if (rc != 0) {
        delete entry.owner;
        HashTable::free_node(fresh);
    }
    if (old != nullptr) {
        Entry gone;
        std::memcpy(&gone, table_.value_of(old), sizeof gone);
        HashTable::retire(old);
        release_inner_share(gone.owner);
    }
    return rc;
}

long HashOfMaps::user_lookup(const void* key, void* value_out) const {
    if (long rc = user_read_denied(*this)) return rc;
    return table_.copy_value(key, value_out, sizeof(uint32_t));
}

long HashOfMaps::user_update(const void* key, const void* value, uint64_t flags) {
    return user_write(*this, [&]() -> long {
        if (!valid_update_flags(flags)) return -EINVAL;
        std::shared_ptr<Map> inner;
        if (long rc = resolve_inner_map(*this, value, inner)) return rc;
        return set_inner(key, std::move(inner), flags);
    });
}

long HashOfMaps::user_delete(const void* key) {
    return user_write(*this, [&]() -> long {
        std::shared_ptr<Map>* owner = nullptr;
        const long rc = table_.erase(key, [&](HashNode* node) {
            std::memcpy(&owner, table_.value_of(node) + offsetof(Entry, owner), sizeof owner);
        });
        release_inner_share(owner);
        return rc;
    });
}

long HashOfMaps::next_key(const void* key, void* next_out) const {
    if (long rc = user_read_denied(*this)) return rc;
    return table_.next_key(key, next_out);
}

}  // namespace xdpdk::vm::maps
