// BPF_MAP_TYPE_DEVMAP_HASH: redirect targets keyed by any u32, in the shared
// HashTable. Kernel semantics (which differ from the other hashes): an ifindex
// of 0 is -EINVAL, BPF_NOEXIST on an existing key is -EEXIST, BPF_EXIST on a
// missing key inserts, a new key in a full map is -E2BIG, deleting a missing
// key is -ENOENT. Lookups return a pointer to the entry's bpf_devmap_val.
// create() adds BPF_F_RDONLY_PROG, as the kernel does.
#pragma once

#include <memory>

#include <cstring>

#include "devmap_value.h"
#include "hash_table.h"
#include "vm/map.h"

namespace xdpdk::vm::maps {

class DevmapHash final : public Map {
public:
    static Result<std::unique_ptr<Map>> create(const MapSpec& spec, uint32_t ncpus);

    void* lookup(const void* key, uint32_t cpu) override;
    long update(const void* key, const void* value, uint64_t flags, uint32_t cpu) override;
    long remove(const void* key) override;

    long user_lookup(const void* key, void* value_out) const override;
    long user_update(const void* key, const void* value, uint64_t flags) override;
    long user_delete(const void* key) override;
    long next_key(const void* key, void* next_out) const override;

    // Lock-free: fn(key, value) for every entry (bpf_redirect_map broadcasts).
    template <typename Fn>
    void for_each_entry(Fn&& fn) const {
        table_.for_each_node([&](HashNode* n) {
            uint32_t key;
            std::memcpy(&key, table_.key_of(n), sizeof key);
            fn(key, *reinterpret_cast<const DevmapValue*>(table_.value_of(n)));
            return 0;
        });
    }

private:
    DevmapHash(const MapSpec& spec, uint32_t ncpus);

    mutable HashTable table_;
};

}  // namespace xdpdk::vm::maps
