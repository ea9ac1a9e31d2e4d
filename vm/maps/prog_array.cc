#include "prog_array.h"

#include <cstring>

#include "map_util.h"

namespace xdpdk::vm::maps {
Result<std::unique_ptr<Map>> ProgArray::create(const MapSpec& spec, uint32_t ncpus) {
    XDPDK_RETURN_IF_ERROR(check_flags(spec, kFlagNumaNode | kFlagAccessMask));
    XDPDK_RETURN_IF_ERROR(check_key_size(spec, 4));
    if (spec.value_size != 4)
        return map_error(spec, "value_size must be 4 (a program fd) for prog_array maps, not " +
                                   std::to_string(spec.value_size));
    return std::unique_ptr<Map>(new ProgArray(spec, ncpus));
}

ProgArray::ProgArray(const MapSpec& spec, uint32_t ncpus)
    : Map(spec, ncpus),
      slots_(new std::atomic<const Program*>[spec.max_entries]()),
      tail_slots_(new std::atomic<const JitTailEntry*>[spec.max_entries]()) {}

void ProgArray::store(uint32_t index, const Program* prog) {
    tail_slots_[index].store(prog != nullptr ? &prog->jit_tail : nullptr, std::memory_order_release);
    slots_[index].store(prog, std::memory_order_release);
}

const Program* ProgArray::program_at(uint32_t index) const {
    if (index >= spec_.max_entries) return nullptr;
    return slots_[index].load(std::memory_order_acquire);
}

long ProgArray::set_program(uint32_t index, const Program* prog) {
    if (index >= spec_.max_entries) return -E2BIG;
    store(index, prog);
    return 0;
}

long ProgArray::update(const void*, const void*, uint64_t, uint32_t) { return -EOPNOTSUPP; }

long ProgArray::remove(const void* key) {
    const uint32_t index = array_index(key);
    if (index >= spec_.max_entries) return -E2BIG;
    if (program_at(index) == nullptr) return -ENOENT;
    store(index, nullptr);
    return 0;
}

long ProgArray::user_lookup(const void* key, void* value_out) const {
    if (long rc = user_read_denied(*this)) return rc;
    const uint32_t index = array_index(key);
    if (program_at(index) == nullptr) return -ENOENT;
    const uint32_t id = index + 1;
    std::memcpy(value_out, &id, sizeof id);
    return 0;
}

long ProgArray::user_update(const void*, const void*, uint64_t) { return -EINVAL; }

long ProgArray::user_delete(const void* key) {
    if (long rc = user_write_denied(*this)) return rc;
    return remove(key);
}

long ProgArray::next_key(const void* key, void* next_out) const {
    if (long rc = user_read_denied(*this)) return rc;
    return array_next_key(spec_.max_entries, key, next_out);
}

}  // namespace xdpdk::vm::maps
