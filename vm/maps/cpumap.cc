#include "cpumap.h"

#include <cstdio>
#include <cstring>

#include "map_util.h"
#include "vm/program.h"
#include "vm/reclaim.h"

namespace xdpdk::vm::maps {
namespace {

void free_entry(void* entry) { delete static_cast<CpumapEntry*>(entry); }

// The kernel's NR_CPUS, its limit on max_entries: the running kernel's
// (kernel_max + 1 in sysfs), else Debian's x86-64 CONFIG_NR_CPUS.
uint32_t kernel_nr_cpus() {
    static const uint32_t n = [] {
        unsigned max = 0;
        if (FILE* f = std::fopen("/sys/devices/system/cpu/kernel_max", "r")) {
            const bool read = std::fscanf(f, "%u", &max) == 1;
            std::fclose(f);
            if (read) return max + 1;
        }
        return 8192u;
    }();
    return n;
}

}  // namespace

Result<std::unique_ptr<Map>> Cpumap::create(const MapSpec& spec, uint32_t ncpus) {
    XDPDK_RETURN_IF_ERROR(check_flags(spec, kFlagNumaNode));
    XDPDK_RETURN_IF_ERROR(check_key_size(spec, 4));
    if (spec.value_size != 4 && spec.value_size != 8)
        return map_error(spec, "value_size must be 4 (qsize) or 8 (qsize, program fd) for cpumap maps, not " +
                                   std::to_string(spec.value_size));
    if (spec.max_entries > kernel_nr_cpus())
        return map_error(spec, "max_entries " + std::to_string(spec.max_entries) + " is more than the kernel's " +
                                   std::to_string(kernel_nr_cpus()) + " CPUs (NR_CPUS)");
    return std::unique_ptr<Map>(new Cpumap(spec, ncpus));
}

Cpumap::Cpumap(const MapSpec& spec, uint32_t ncpus)
    : Map(spec, ncpus), slots_(new std::atomic<CpumapEntry*>[spec.max_entries]()) {}

Cpumap::~Cpumap() {
    for (uint32_t i = 0; i < spec_.max_entries; ++i) delete slots_[i].load(std::memory_order_relaxed);
}

long Cpumap::replace(uint32_t index, CpumapEntry* fresh) {
    std::lock_guard<std::mutex> lock(writer_lock_);
    if (CpumapEntry* old = slots_[index].exchange(fresh, std::memory_order_acq_rel))
        ReclaimDomain::global().retire(old, &free_entry);
    return 0;
}

long Cpumap::update(const void* key, const void* value, uint64_t flags, uint32_t) {
    if (!valid_update_flags(flags)) return -EINVAL;
    const uint32_t index = array_index(key);
    if (index >= spec_.max_entries) return -E2BIG;
    if (flags == kNoExist) return -EEXIST;
    uint32_t raw[2] = {0, 0};
    std::memcpy(raw, value, spec_.value_size);
    if (raw[0] > kMaxQsize) return -EOVERFLOW;
    if (index >= ncpus_) return -ENODEV;  // no worker has this slot
    if (spec_.value_size == 8 && static_cast<int32_t>(raw[1]) > 0) return -EINVAL;  // no fds here
    if (raw[0] == 0) return replace(index, nullptr);
    auto* fresh = new (std::nothrow) CpumapEntry{raw[0], nullptr};
    if (fresh == nullptr) return -ENOMEM;
    return replace(index, fresh);
}

long Cpumap::remove(const void* key) {
    const uint32_t index = array_index(key);
    if (index >= spec_.max_entries) return -EINVAL;
    return replace(index, nullptr);
}

long Cpumap::user_lookup(const void* key, void* value_out) const {
    if (long rc = user_read_denied(*this)) return rc;
    const uint32_t index = array_index(key);
    if (index >= spec_.max_entries) return -ENOENT;
    std::lock_guard<std::mutex> lock(writer_lock_);
    const CpumapEntry* e = slots_[index].load(std::memory_order_acquire);
    if (e == nullptr) return -ENOENT;
    const uint32_t raw[2] = {e->qsize, e->prog != nullptr ? 1u : 0u};
    std::memcpy(value_out, raw, spec_.value_size);
    return 0;
}

long Cpumap::user_update(const void* key, const void* value, uint64_t flags) {
    return user_write(*this, [&] { return update(key, value, flags, 0); });
}

long Cpumap::user_delete(const void* key) {
    return user_write(*this, [&] { return remove(key); });
}

long Cpumap::next_key(const void* key, void* next_out) const {
    if (long rc = user_read_denied(*this)) return rc;
    return array_next_key(spec_.max_entries, key, next_out);
}

const Program* Cpumap::program_at(uint32_t index) const {
    const CpumapEntry* e = entry(index);
    return e != nullptr ? e->prog : nullptr;
}

long Cpumap::set_program(uint32_t index, const Program* prog) {
    if (index >= spec_.max_entries) return -E2BIG;
    if (prog != nullptr && prog->attach != XdpAttach::Cpumap) return -EINVAL;
    std::lock_guard<std::mutex> lock(writer_lock_);
    const CpumapEntry* old = slots_[index].load(std::memory_order_acquire);
    if (old == nullptr) return -ENOENT;
    auto* fresh = new (std::nothrow) CpumapEntry{old->qsize, prog};
    if (fresh == nullptr) return -ENOMEM;
    slots_[index].store(fresh, std::memory_order_release);
    ReclaimDomain::global().retire(const_cast<CpumapEntry*>(old), &free_entry);
    return 0;
}

}  // namespace xdpdk::vm::maps
