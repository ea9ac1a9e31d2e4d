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
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>

#if defined(__SSE4_2__)
#include <nmmintrin.h>
#elif defined(__ARM_FEATURE_CRC32)
#include <arm_acle.h>
#endif

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

// CRC32C of one 8-byte word, as the SSE4.2 crc32 instruction computes it.
// The portable form exists for other architectures and so that tests can
// check the instruction against it.
inline uint32_t crc32c_word_portable(uint32_t crc, uint64_t word) {
    uint64_t c = crc ^ word;  // reflected: the word's bits enter lowest first
    for (int i = 0; i < 64; ++i) c = (c >> 1) ^ (0x82f63b78u & (0 - (c & 1)));
    return static_cast<uint32_t>(c);
}

// Takes and returns 64 bits (the upper half zero) so that a chain of them needs
// no zero-extending moves in between.
inline uint64_t crc32c_word(uint64_t crc, uint64_t word) {
#if defined(__SSE4_2__)
    return _mm_crc32_u64(crc, word);
#elif defined(__ARM_FEATURE_CRC32)
    return __crc32cd(static_cast<uint32_t>(crc), word);
#else
    return crc32c_word_portable(static_cast<uint32_t>(crc), word);
#endif
}

// Whether this CPU runs crc32c_word as compiled: x86-64 builds use the SSE4.2
// instruction (meson adds -msse4.2; DPDK requires SSE4.2 on x86 anyway).
// Hash map creation refuses to run without it rather than die of SIGILL.
bool hash_cpu_supported();

// The one hash of every hash-table path (helpers, user-side map operations,
// the JIT's specialised lookups), with a per-map seed. A chain of one CRC32C
// per 8-byte word (3 cycles of latency each on current x86 cores), where
// murmur-style mixing cost a dependent multiply-rotate per word and three
// multiplies at the end. Each word is first multiplied by an odd number
// derived from the seed (a bijection, off the dependent chain): CRC alone is
// linear, so keys whose XOR is a multiple of the polynomial would collide
// under every seed, and keys varying in a few bits only could crowd a few
// buckets; the multiply makes both depend on the seed and breaks the
// linearity (also for seed 0, BPF_F_ZERO_SEED, which stays a fixed
// function). The final xor-shift folds the high bits into the low ones that
// pick the bucket (h & mask). Inline so a reader specialised for one key size
// compiles it to straight-line code.
inline uint32_t hash_key(uint64_t seed, const void* key, uint32_t key_size) {
    const auto* p = static_cast<const uint8_t*>(key);
    const uint64_t mult = (seed ^ 0x9e3779b97f4a7c15ull) | 1;
    uint64_t h = static_cast<uint32_t>(seed >> 32) ^ key_size;
    uint32_t left = key_size;
    for (; left >= 8; left -= 8, p += 8) {
        uint64_t w;
        std::memcpy(&w, p, 8);
        h = crc32c_word(h, w * mult);
    }
    if (left != 0) {
        uint64_t w = 0;
        std::memcpy(&w, p, left);
        h = crc32c_word(h, w * mult);
    }
    return static_cast<uint32_t>(h ^ (h >> 16));
}

// Equality of two keys of KeySize bytes, one 8-byte (or smaller tail) load per
// word of each: the JIT stores the words of a stack key as 8-byte words
// before its lookups (vm/jit/narrow_stores.cc), and loads no wider than those
// stores are forwarded from them (a 16-byte vector compare would not be).
template <uint32_t KeySize>
inline bool keys_equal(const void* a, const void* b) {
    const auto* pa = static_cast<const uint8_t*>(a);
    const auto* pb = static_cast<const uint8_t*>(b);
    uint64_t diff = 0;
    uint32_t i = 0;
    for (; i + 8 <= KeySize; i += 8) {
        uint64_t x, y;
        std::memcpy(&x, pa + i, 8);
        std::memcpy(&y, pb + i, 8);
        diff |= x ^ y;
    }
    if constexpr (KeySize % 8 != 0) {
        uint64_t x = 0, y = 0;
        std::memcpy(&x, pa + i, KeySize % 8);
        std::memcpy(&y, pb + i, KeySize % 8);
        diff |= x ^ y;
    }
    return diff == 0;
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
            if (node->hash == h && keys_equal<KeySize>(key_of(node), key)) return node;
            node = node->next.load(std::memory_order_acquire);
        }
        return nullptr;
    }
    uint32_t key_size() const { return key_size_; }

    // Lock-free walk over every linked node, bucket by bucket, until
    // fn(node) returns non-zero. The next node is read after fn returns: a
    // node fn deletes is retired, not freed, and keeps its `next` (see
    // above), so the walk goes on from it.
    template <typename Fn>
    void for_each_node(Fn&& fn) const {
        for (uint64_t b = 0; b <= mask_; ++b) {
            for (HashNode* node = buckets_[b].load(std::memory_order_acquire); node != nullptr;
                 node = node->next.load(std::memory_order_acquire))
                if (fn(node) != 0) return;
        }
    }

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

    // Unlinks and retires the node of `key` (-ENOENT when absent), calling
    // on_unlink(node) under the writer lock once it is unlinked.
    template <typename OnUnlink>
    long erase(const void* key, OnUnlink&& on_unlink) {
        const uint32_t h = hash(key);
        HashNode* node;
        {
            std::lock_guard<std::mutex> lock(writer_lock_);
            const Slot slot = find_slot(key, h);
            if (slot.node == nullptr) return -ENOENT;
            unlink(slot);
            on_unlink(slot.node);
            node = slot.node;
        }
        retire(node);
        return 0;
    }

    // ---- user side: these take the writer lock themselves ----
    // Copies the first `size` value bytes of `key`'s node; -ENOENT when absent.
    // The lock keeps the node from being retired (and freed by a collector)
    // during the copy: user threads are not online.
    long copy_value(const void* key, void* value_out, uint32_t size) const;
    // get_next_key with the kernel's semantics: nullptr or a missing key gives
    // the first key, the last key gives -ENOENT.
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
