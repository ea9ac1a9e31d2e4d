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
#include <cstdint>
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
