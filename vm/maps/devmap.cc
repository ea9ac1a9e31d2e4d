#include "devmap.h"

#include <cstring>

#include "map_util.h"
#include "vm/reclaim.h"

namespace xdpdk::vm::maps {
namespace {
void free_value(void* value) { delete static_cast<DevmapValue*>(value); }
}  // namespace

Status check_devmap_spec(const MapSpec& spec) {
    XDPDK_RETURN_IF_ERROR(check_flags(spec, kFlagNumaNode | kFlagRdonly | kFlagWronly));
    XDPDK_RETURN_IF_ERROR(check_key_size(spec, 4));
    if (spec.value_size != 4 && spec.value_size != 8) {
        return map_error(spec, std::string("value_size must be 4 (ifindex) or 8 (ifindex, program fd) for ") +
                                   map_type_name(spec.type) + " maps, not " + std::to_string(spec.value_size));
    }
    return {};
}

Result<std::unique_ptr<Map>> Devmap::create(const MapSpec& spec, uint32_t ncpus) {
    XDPDK_RETURN_IF_ERROR(check_devmap_spec(spec));
    return std::unique_ptr<Map>(new Devmap(spec, ncpus));
}

Devmap::Devmap(const MapSpec& spec, uint32_t ncpus)
    : Map(spec, ncpus), slots_(new std::atomic<DevmapValue*>[spec.max_entries]()) {
    spec_.flags |= kFlagRdonlyProg;
}

Devmap::~Devmap() {
    for (uint32_t i = 0; i < spec_.max_entries; ++i) delete slots_[i].load(std::memory_order_relaxed);
}

void* Devmap::lookup(const void* key, uint32_t) {
    const uint32_t index = array_index(key);
    if (index >= spec_.max_entries) return nullptr;
    return slots_[index].load(std::memory_order_acquire);
}

long Devmap::update(const void* key, const void* value, uint64_t flags, uint32_t) {
    if (!valid_update_flags(flags)) return -EINVAL;
    const uint32_t index = array_index(key);
    if (index >= spec_.max_entries) return -E2BIG;
    if (flags == kNoExist) return -EEXIST;
    DevmapValue parsed;
    if (long rc = parse_devmap_value(value, spec_.value_size, &parsed)) return rc;
    DevmapValue* fresh = nullptr;
    if (parsed.ifindex != 0) {
        fresh = new (std::nothrow) DevmapValue(parsed);
        if (fresh == nullptr) return -ENOMEM;
    }
    std::lock_guard<std::mutex> lock(writer_lock_);
    if (DevmapValue* old = slots_[index].exchange(fresh, std::memory_order_acq_rel))
        ReclaimDomain::global().retire(old, &free_value);
    return 0;
}

long Devmap::remove(const void* key) {
    const uint32_t index = array_index(key);
    if (index >= spec_.max_entries) return -EINVAL;
    std::lock_guard<std::mutex> lock(writer_lock_);
    if (DevmapValue* old = slots_[index].exchange(nullptr, std::memory_order_acq_rel))
        ReclaimDomain::global().retire(old, &free_value);
    return 0;
}

long Devmap::user_lookup(const void* key, void* value_out) const {
    if (long rc = user_read_denied(*this)) return rc;
    const uint32_t index = array_index(key);
    if (index >= spec_.max_entries) return -ENOENT;
    // The lock keeps the entry from being retired (and freed by a collector)
    // while it is copied: this thread is not online.
    std::lock_guard<std::mutex> lock(writer_lock_);
    const DevmapValue* entry = slots_[index].load(std::memory_order_acquire);
    if (entry == nullptr) return -ENOENT;
    std::memcpy(value_out, entry, spec_.value_size);
    return 0;
}

long Devmap::user_update(const void* key, const void* value, uint64_t flags) {
    return user_write(*this, [&] { return update(key, value, flags, 0); });
}

long Devmap::user_delete(const void* key) {
    return user_write(*this, [&] { return remove(key); });
}

long Devmap::next_key(const void* key, void* next_out) const {
    if (long rc = user_read_denied(*this)) return rc;
    return array_next_key(spec_.max_entries, key, next_out);
}

}  // namespace xdpdk::vm::maps
