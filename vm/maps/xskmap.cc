#include "xskmap.h"

#include <cerrno>

#include "map_util.h"

namespace xdpdk::vm::maps {

Result<std::unique_ptr<Map>> Xskmap::create(const MapSpec& spec, uint32_t ncpus) {
    XDPDK_RETURN_IF_ERROR(check_flags(spec, kFlagNumaNode | kFlagRdonly | kFlagWronly));
    XDPDK_RETURN_IF_ERROR(check_key_size(spec, 4));
    if (spec.value_size != 4)
        return map_error(spec, "value_size must be 4 (a socket) for xskmap maps, not " + std::to_string(spec.value_size));
    return std::unique_ptr<Map>(new Xskmap(spec, ncpus));
}

Xskmap::Xskmap(const MapSpec& spec, uint32_t ncpus)
    : Map(spec, ncpus), slots_(new std::atomic<uint32_t>[spec.max_entries]()) {}

// The slot's storage when bound: programs only test it against null (the
// kernel hands them the socket, whose fields xdpdk does not have).
void* Xskmap::lookup(const void* key, uint32_t) {
    const uint32_t index = array_index(key);
    if (index >= spec_.max_entries || slots_[index].load(std::memory_order_acquire) == 0) return nullptr;
    return &slots_[index];
}

long Xskmap::remove(const void* key) {
    const uint32_t index = array_index(key);
    if (index >= spec_.max_entries) return -EINVAL;
    slots_[index].store(0, std::memory_order_release);
    return 0;
}

long Xskmap::user_update(const void* key, const void*, uint64_t flags) {
    if (long rc = user_write_denied(*this)) return rc;
    if (flags > kExist) return -EINVAL;
    if (array_index(key) >= spec_.max_entries) return -E2BIG;
    return -EBADF;
}

long Xskmap::user_delete(const void* key) {
    return user_write(*this, [&] { return remove(key); });
}

long Xskmap::next_key(const void* key, void* next_out) const {
    if (long rc = user_read_denied(*this)) return rc;
    return array_next_key(spec_.max_entries, key, next_out);
}

long Xskmap::bind_port(uint32_t slot, uint32_t ifindex) {
    if (slot >= spec_.max_entries) return -E2BIG;
    slots_[slot].store(ifindex, std::memory_order_release);
    return 0;
}

}  // namespace xdpdk::vm::maps
