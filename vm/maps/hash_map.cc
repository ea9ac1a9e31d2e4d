#include "hash_map.h"

#include <cstring>

#include "map_util.h"
#include "vm/reclaim.h"

namespace xdpdk::vm::maps {
namespace {
// The kernel refuses keys and values that would not fit one kmalloc with its
// element header (48 bytes).
constexpr uint64_t kMaxKeyAndValue = kKmallocMax - 48;
}  // namespace

Status HashMap::check_spec(const MapSpec& spec, bool lru) {
    const bool percpu = spec.type == static_cast<uint32_t>(MapType::PercpuHash) ||
                        spec.type == static_cast<uint32_t>(MapType::LruPercpuHash);
    XDPDK_RETURN_IF_ERROR(check_flags(spec, kFlagNoPrealloc | kFlagNumaNode | kFlagAccessMask | kFlagZeroSeed |
                                                (lru ? kFlagNoCommonLru : 0)));
    if (lru && (spec.flags & kFlagNoPrealloc))
        return map_error(spec, "LRU maps are always preallocated: BPF_F_NO_PREALLOC is not supported");
    if (spec.key_size == 0) return map_error(spec, "key_size must be at least 1");
    if (spec.value_size == 0) return map_error(spec, "value_size must be at least 1");
    if (uint64_t{spec.key_size} + spec.value_size >= kMaxKeyAndValue)
        return map_error(spec, "key_size + value_size (" + std::to_string(uint64_t{spec.key_size} + spec.value_size) +
                                   ") must stay below the kernel's limit of " + std::to_string(kMaxKeyAndValue));
    if (percpu && round_up8(spec.value_size) > kPercpuValueMax)
        return map_error(spec, "per-CPU value_size " + std::to_string(spec.value_size) +
                                   " exceeds the kernel's limit of " + std::to_string(kPercpuValueMax));
    return {};
}

Result<std::unique_ptr<Map>> HashMap::create(const MapSpec& spec, uint32_t ncpus) {
    XDPDK_RETURN_IF_ERROR(check_spec(spec, false));
    return std::unique_ptr<Map>(new HashMap(spec, ncpus));
}

HashMap::HashMap(const MapSpec& spec, uint32_t ncpus)
    : Map(spec, ncpus),
      table_(spec.key_size,
             percpu() ? ncpus * round_up8(spec.value_size) : spec.value_size,
             spec.max_entries, (spec.flags & kFlagZeroSeed) != 0),
      percpu_(percpu()),
      cpu_stride_(percpu() ? round_up8(spec.value_size) : 0) {}

void* HashMap::lookup(const void* key, uint32_t cpu) {
    if (percpu_ && cpu >= ncpus_) [[unlikely]]
        return nullptr;
    HashNode* node = table_.find(key, table_.hash(key));
    return node != nullptr ? value_for(node, cpu) : nullptr;
}

void HashMap::write_value(HashNode* node, const void* value, uint32_t cpu) const {
    if (!percpu_) {
        // Only fresh nodes are written here, and a fresh element is unlocked.
        std::memcpy(table_.value_of(node), value, spec_.value_size);
        clear_lock_word(*this, table_.value_of(node), spec_.value_size);
    } else if (cpu == kAllCpus) {
        std::memcpy(table_.value_of(node), value, size_t{ncpus_} * cpu_stride_);
    } else {
        std::memcpy(value_for(node, cpu), value, spec_.value_size);
    }
}

long HashMap::update_impl(const void* key, const void* value, uint64_t flags, uint32_t cpu) {
    // BPF_F_LOCK: only a plain hash whose values hold a bpf_spin_lock (the
    // per-CPU and LRU kinds refuse the flag); an element that exists is
    // written in place under its lock (htab_map_update_elem).
    if (flags & kUpdateLock) {
        if ((flags & ~kUpdateLock) > kExist || type() != MapType::Hash || spin_lock_off() < 0) return -EINVAL;
        flags &= ~kUpdateLock;
        // Under the writer lock the node cannot be unlinked and retired
        // while it is written (userspace callers are not reclaim readers).
        std::lock_guard<std::mutex> lock(table_.writer_lock());
        if (HashNode* node = table_.find(key, table_.hash(key))) {
            if (flags == kNoExist) return -EEXIST;
            copy_value_locked(*this, table_.value_of(node), value, spec_.value_size);
            return 0;
        }
    }
    if (!valid_update_flags(flags)) return -EINVAL;
    if (percpu_ && cpu != kAllCpus && cpu >= ncpus_) return -EINVAL;
    const uint32_t hash = table_.hash(key);
    // A plain hash always needs a fresh node; allocate it before locking.
    HashNode* fresh = nullptr;
    if (!percpu_) {
        fresh = table_.new_node(key, hash);
        if (fresh == nullptr) return -ENOMEM;
        write_value(fresh, value, cpu);
    }
    HashNode* old = nullptr;
    long rc = 0;
    {
        std::lock_guard<std::mutex> lock(table_.writer_lock());
        const HashTable::Slot slot = table_.find_slot(key, hash);
        if (slot.node != nullptr && flags == kNoExist) {
            rc = -EEXIST;
        } else if (slot.node == nullptr && flags == kExist) {
            rc = -ENOENT;
        } else if (slot.node != nullptr && percpu_) {
            write_value(slot.node, value, cpu);
            // An update is a use (the LRU hashes read the bit; the kernel sets it too).
            slot.node->referenced.store(1, std::memory_order_relaxed);
        } else if (slot.node == nullptr && table_.count() >= spec_.max_entries && !evict_one()) {
            rc = -E2BIG;
        } else {
            if (fresh == nullptr) {
                // Per-CPU: the other CPUs' slots start zeroed, as in the kernel.
                fresh = table_.new_node(key, hash);
                if (fresh == nullptr) return -ENOMEM;
                write_value(fresh, value, cpu);
            }
            if (slot.node != nullptr) {
                table_.replace(slot, fresh);
                untrack(slot.node);
                old = slot.node;
            } else {
                table_.link(fresh);
            }
            track(fresh);
            fresh = nullptr;
        }
    }
    if (fresh != nullptr) HashTable::free_node(fresh);
    if (old != nullptr) HashTable::retire(old);
    return rc;
}

long HashMap::update(const void* key, const void* value, uint64_t flags, uint32_t cpu) {
    return update_impl(key, value, flags, cpu);
}

long HashMap::remove(const void* key) {
    return table_.erase(key, [this](HashNode* node) { untrack(node); });
}

long HashMap::user_lookup(const void* key, void* value_out) const {
    if (long rc = user_read_denied(*this)) return rc;
    const long rc = table_.copy_value(key, value_out, user_value_size());
    if (rc == 0 && !percpu_) clear_lock_word(*this, value_out, spec_.value_size);
    return rc;
}

long HashMap::user_update(const void* key, const void* value, uint64_t flags) {
    return user_write(*this, [&] {
        // After the permission check, the bpf() syscall refuses BPF_F_LOCK
        // on values without a lock before the map sees the update.
        if ((flags & kUpdateLock) && spin_lock_off() < 0) return long{-EINVAL};
        return update_impl(key, value, flags, kAllCpus);
    });
}

long HashMap::user_delete(const void* key) {
    return user_write(*this, [&] { return remove(key); });
}

long HashMap::for_each_elem(uint32_t cpu, ElemVisitor visit, void* arg) {
    if (percpu_ && cpu >= ncpus_) return -EINVAL;
    long visited = 0;
    table_.for_each_node([&](HashNode* node) {
        ++visited;
        return visit(table_.key_of(node), value_for(node, percpu_ ? cpu : 0), arg);
    });
    return visited;
}

long HashMap::next_key(const void* key, void* next_out) const {
    if (long rc = user_read_denied(*this)) return rc;
    return table_.next_key(key, next_out);
}

}  // namespace xdpdk::vm::maps
