#include "array_of_maps.h"

#include <utility>

#include "map_util.h"

namespace xdpdk::vm::maps {

Result<std::unique_ptr<Map>> ArrayOfMaps::create(const MapSpec& spec, uint32_t ncpus) {
    return create(spec, ncpus, nullptr);
}

Result<std::unique_ptr<Map>> ArrayOfMaps::create(const MapSpec& spec, uint32_t, std::shared_ptr<const Map> inner) {
    // fd_array_map_alloc_check: program-side access flags make no sense on
    // a map programs cannot write.
    XDPDK_RETURN_IF_ERROR(check_flags(spec, kFlagNumaNode | kFlagRdonly | kFlagWronly | kFlagInnerMap));
    XDPDK_RETURN_IF_ERROR(check_key_size(spec, 4));
    XDPDK_RETURN_IF_ERROR(check_inner_template(spec, inner.get()));
    // One slot set for all CPUs: the outer map is not per-CPU.
    return std::unique_ptr<Map>(new ArrayOfMaps(spec, 1, std::move(inner)));
}

ArrayOfMaps::ArrayOfMaps(const MapSpec& spec, uint32_t ncpus, std::shared_ptr<const Map> inner)
    : Map(spec, ncpus),
      inner_(std::move(inner)),
      slots_(new std::atomic<Map*>[spec.max_entries]()),
      owners_(new std::shared_ptr<Map>[spec.max_entries]) {}

ArrayOfMaps::~ArrayOfMaps() = default;

void* ArrayOfMaps::lookup(const void* key, uint32_t) {
    const uint32_t index = array_index(key);
    if (index >= spec_.max_entries) return nullptr;
    return slots_[index].load(std::memory_order_acquire);
}

long ArrayOfMaps::set_inner(uint32_t index, std::shared_ptr<Map> inner) {
    if (index >= spec_.max_entries) return -E2BIG;
    if (inner && !inner_map_fits(*inner_, *inner)) return -EINVAL;
    std::shared_ptr<Map> old;
    {
        std::lock_guard<std::mutex> lock(writer_);
        slots_[index].store(inner.get(), std::memory_order_release);
        old = std::exchange(owners_[index], std::move(inner));
    }
    if (old) release_inner_share(new std::shared_ptr<Map>(std::move(old)));
    ReclaimDomain::global().try_collect();
    return 0;
}

long ArrayOfMaps::user_lookup(const void* key, void* value_out) const {
    if (long rc = user_read_denied(*this)) return rc;
    const uint32_t index = array_index(key);
    if (index >= spec_.max_entries) return -ENOENT;
    std::lock_guard<std::mutex> lock(writer_);
    if (!owners_[index]) return -ENOENT;
    const uint32_t id = owners_[index]->id();
    __builtin_memcpy(value_out, &id, sizeof id);
    return 0;
}

long ArrayOfMaps::user_update(const void* key, const void* value, uint64_t flags) {
    if (long rc = user_write_denied(*this)) return rc;
    // bpf_fd_array_map_update_elem: only BPF_ANY.
    if (flags != kAny) return -EINVAL;
    const uint32_t index = array_index(key);
    if (index >= spec_.max_entries) return -E2BIG;
    std::shared_ptr<Map> inner;
    if (long rc = resolve_inner_map(*this, value, inner)) return rc;
    return set_inner(index, std::move(inner));
}

long ArrayOfMaps::user_delete(const void* key) {
    if (long rc = user_write_denied(*this)) return rc;
    const uint32_t index = array_index(key);
    if (index >= spec_.max_entries) return -E2BIG;
    {
        std::lock_guard<std::mutex> lock(writer_);
        if (!owners_[index]) return -ENOENT;
    }
    return set_inner(index, nullptr);
}

long ArrayOfMaps::next_key(const void* key, void* next_out) const {
    if (long rc = user_read_denied(*this)) return rc;
    return array_next_key(spec_.max_entries, key, next_out);
}

}  // namespace xdpdk::vm::maps
