#include "devmap_hash.h"

#include <cstring>

#include "devmap.h"
#include "devmap_value.h"
#include "map_util.h"
#include "vm/reclaim.h"

namespace xdpdk::vm::maps {

Result<std::unique_ptr<Map>> DevmapHash::create(const MapSpec& spec, uint32_t ncpus) {
    XDPDK_RETURN_IF_ERROR(check_devmap_spec(spec));
    return std::unique_ptr<Map>(new DevmapHash(spec, ncpus));
}

DevmapHash::DevmapHash(const MapSpec& spec, uint32_t ncpus)
    : Map(spec, ncpus), table_(sizeof(uint32_t), sizeof(DevmapValue), spec.max_entries, false) {
    spec_.flags |= kFlagRdonlyProg;
}

void* DevmapHash::lookup(const void* key, uint32_t) {
    HashNode* node = table_.find(key, table_.hash(key));
    return node != nullptr ? table_.value_of(node) : nullptr;
}

long DevmapHash::update(const void* key, const void* value, uint64_t flags, uint32_t) {
    DevmapValue parsed;
    if (long rc = parse_devmap_value(value, spec_.value_size, &parsed)) return rc;
    if (!valid_update_flags(flags) || parsed.ifindex == 0) return -EINVAL;
    const uint32_t hash = table_.hash(key);
    HashNode* fresh = table_.new_node(key, hash);
    if (fresh == nullptr) return -ENOMEM;
    std::memcpy(table_.value_of(fresh), &parsed, sizeof parsed);
    HashNode* old = nullptr;
    long rc = 0;
    {
        std::lock_guard<std::mutex> lock(table_.writer_lock());
        const HashTable::Slot slot = table_.find_slot(key, hash);
        if (slot.node != nullptr && flags == kNoExist) {
            rc = -EEXIST;
        } else if (slot.node != nullptr) {
            table_.replace(slot, fresh);
            old = slot.node;
        } else if (table_.count() >= spec_.max_entries) {
            rc = -E2BIG;
        } else {
            table_.link(fresh);
        }
    }
    if (rc != 0) HashTable::free_node(fresh);
    if (old != nullptr) HashTable::retire(old);
    return rc;
}

long DevmapHash::remove(const void* key) {
    return table_.erase(key, [](HashNode*) {});
}

long DevmapHash::user_lookup(const void* key, void* value_out) const {
    if (long rc = user_read_denied(*this)) return rc;
    return table_.copy_value(key, value_out, spec_.value_size);
}

long DevmapHash::user_update(const void* key, const void* value, uint64_t flags) {
    return user_write(*this, [&] { return update(key, value, flags, 0); });
}

long DevmapHash::user_delete(const void* key) {
    return user_write(*this, [&] { return remove(key); });
}

long DevmapHash::next_key(const void* key, void* next_out) const {
    if (long rc = user_read_denied(*this)) return rc;
    return table_.next_key(key, next_out);
}

}  // namespace xdpdk::vm::maps
