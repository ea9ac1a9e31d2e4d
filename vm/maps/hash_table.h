// The chained hash table under the hash, LRU hash and devmap_hash maps.
// Ours rather than rte_hash: vm/ runs without EAL (replay, exec, tests),
// and rte_hash has no per-CPU values, LRU or kernel update-flag semantics.
//
// Readers never lock or allocate: bucket chains are followed with acquire
// loads. Writers hold writer_lock(), publish nodes with release stores, and
// never modify a published key: an update links a new node in place of the old
// one and retires the old one to the ReclaimDomain, so a reader that still
// holds it (or a program holding its value) sees valid memory until it passes a
// quiescent state. A retired node keeps its `next`, so a reader standing on it
// walks on correctly.
#pragma once

#include <atomic>
#include <bit>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>

namespace xdpdk::vm::maps {

struct HashNode {
    std::atomic<HashNode*> next{nullptr};
    // Clock list of the LRU maps; touched only under the writer lock.
    HashNode* clock_prev = nullptr;
    HashNode* clock_next = nullptr;
    uint32_t hash = 0;
    std::atomic<uint8_t> referenced{0};  // LRU second chance, set by lookups
    // followed by the key, then the value at an 8-aligned offset
};

// Word-at-a-time multiply-rotate (murmur3-style) with a per-map seed: cheap for
// the 4..40-byte keys XDP programs use. Inline so that a reader specialised
// for one key size (the JIT's lookups) compiles it to straight-line code.
inline uint32_t hash_key(uint64_t seed, const void* key, uint32_t key_size) {
    const auto* p = static_cast<const uint8_t*>(key);
    uint64_t h = seed ^ (uint64_t{key_size} * 0x9e3779b97f4a7c15ull);
    uint32_t left = key_size;
    for (; left >= 8; left -= 8, p += 8) {
        uint64_t w;
        std::memcpy(&w, p, 8);
        h ^= std::rotl(w * 0x87c37b91114253d5ull, 31) * 0x4cf5ad432745937full;
        h = std::rotl(h, 27) * 5 + 0x52dce729;
    }
    if (left != 0) {
        uint64_t w = 0;
        std::memcpy(&w, p, left);
        h ^= std::rotl(w * 0x87c37b91114253d5ull, 31) * 0x4cf5ad432745937full;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return static_cast<uint32_t>(h);
}

class HashTable {
public:
    // `value_bytes`: storage per node (value_size, or ncpus values for per-CPU
    // maps). `zero_seed`: BPF_F_ZERO_SEED, a fixed hash seed for reproducible
    // iteration; otherwise the seed is random, as in the kernel.
    HashTable(uint32_t key_size, uint32_t value_bytes, uint32_t max_entries, bool zero_seed);
    ~HashTable();  // frees every linked node; no reader may be running
    HashTable(const HashTable&) = delete;
    HashTable& operator=(const HashTable&) = delete;

    uint32_t hash(const void* key) const;
    uint8_t* key_of(HashNode* node) const { return reinterpret_cast<uint8_t*>(node) + sizeof(HashNode); }
    uint8_t* value_of(HashNode* node) const { return reinterpret_cast<uint8_t*>(node) + value_offset_; }

    // Lock-free: the node holding `key`, or nullptr.
    HashNode* find(const void* key, uint32_t hash) const;

    // find(key, hash(key)) for tables whose key_size() is KeySize: the same
    // hash and walk with the key size a constant, for specialised readers.
    template <uint32_t KeySize>
    HashNode* find_sized(const void* key) const {
        const uint32_t h = hash_key(seed_, key, KeySize);
        HashNode* node = buckets_[h & mask_].load(std::memory_order_acquire);
        while (node != nullptr) {
            if (node->hash == h && std::memcmp(key_of(node), key, KeySize) == 0) return node;
            node = node->next.load(std::memory_order_acquire);
        }
        return nullptr;
    }
    uint32_t key_size() const { return key_size_; }

    // ---- writers: hold writer_lock() ----
    std::mutex& writer_lock() const { return writer_lock_; }
    struct Slot {
        std::atomic<HashNode*>* link;  // the pointer that points at `node`
        HashNode* node;                // nullptr when the key is absent
    };
    Slot find_slot(const void* key, uint32_t hash);
    // A node for `key` with a zeroed value, not yet linked; nullptr when out of
    // memory. Needs no lock.
    HashNode* new_node(const void* key, uint32_t hash) const;
    static void free_node(void* node);
    void link(HashNode* node);                    // at its bucket's head
    void replace(const Slot& slot, HashNode* fresh);  // fresh takes slot.node's place
    void unlink(const Slot& slot);
    // Hands an unlinked node to the reclamation domain.
    static void retire(HashNode* node);
    uint32_t count() const { return count_; }

    // get_next_key with the kernel's semantics (writer lock held): nullptr or
    // a missing key gives the first key, the last key gives -ENOENT.
    long next_key(const void* key, void* next_out) const;

private:
    HashNode* first_from(uint32_t bucket) const;

    std::unique_ptr<std::atomic<HashNode*>[]> buckets_;
    uint32_t mask_;
    uint32_t key_size_;
    uint32_t value_offset_;
    uint32_t node_size_;
    uint32_t count_ = 0;
    uint64_t seed_;
    mutable std::mutex writer_lock_;
};

}  // namespace xdpdk::vm::maps
