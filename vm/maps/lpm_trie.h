// BPF_MAP_TYPE_LPM_TRIE: longest-prefix match over keys
// struct { u32 prefixlen; u8 data[key_size - 4]; } (data in network order,
// 1..256 bytes), with the kernel's structure and semantics: a path-compressed
// binary trie whose intermediate nodes carry no value, lookups (program and
// user side alike) returning the longest stored prefix that covers the key's
// first `prefixlen` bits, updates and deletes on exact prefixes (a prefixlen
// beyond 8 * data bytes is -EINVAL), -ENOSPC when full, and get_next_key in
// post-order (more specific prefixes before the ones covering them).
// Ours rather than rte_lpm/rte_lpm6: vm/ runs without EAL, and those take only
// IPv4/IPv6 keys, a 24-bit next hop instead of a value, and no iteration.
//
// Readers never lock: child links are followed with acquire loads. Writers
// hold a mutex, publish with release stores, and retire replaced or removed
// nodes to the ReclaimDomain.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>

#include "vm/map.h"

namespace xdpdk::vm::maps {

class LpmTrie final : public Map {
public:
    static Result<std::unique_ptr<Map>> create(const MapSpec& spec, uint32_t ncpus);
    ~LpmTrie() override;

    void* lookup(const void* key, uint32_t cpu) override;
    long update(const void* key, const void* value, uint64_t flags, uint32_t cpu) override;
    long remove(const void* key) override;

    long user_lookup(const void* key, void* value_out) const override;
    long user_update(const void* key, const void* value, uint64_t flags) override;
    long user_delete(const void* key) override;
    long next_key(const void* key, void* next_out) const override;

    struct Node;

private:
    LpmTrie(const MapSpec& spec, uint32_t ncpus);

    Node* new_node(uint32_t prefixlen, const uint8_t* data, const void* value) const;
    Node* longest_match(const void* key) const;
    uint32_t match_len(const Node* node, const uint8_t* data, uint32_t prefixlen) const;
    uint8_t* value_of(Node* node) const;

    std::atomic<Node*> root_{nullptr};
    uint32_t data_size_;
    uint32_t max_prefixlen_;
    uint32_t value_offset_;
    uint32_t entries_ = 0;  // under the lock
    mutable std::mutex writer_lock_;
};

}  // namespace xdpdk::vm::maps
