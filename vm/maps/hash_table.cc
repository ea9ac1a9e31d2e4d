#include "hash_table.h"

#include <sys/random.h>

#include <bit>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>

#include "map_util.h"
#include "vm/reclaim.h"

namespace xdpdk::vm::maps {
namespace {
// Buckets are sized like the kernel's (max_entries rounded up to a power of
// two) up to this cap, which keeps a huge sparse map from costing gigabytes of
// empty buckets up front; beyond it chains just get longer.
constexpr uint32_t kMaxBuckets = 1u << 22;

uint64_t random_seed() {
    uint64_t seed = 0;
    if (getrandom(&seed, sizeof seed, GRND_NONBLOCK) != sizeof seed)
        seed = static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    return seed;
}

}  // namespace

bool hash_cpu_supported() {
#if defined(__SSE4_2__)
    static const bool supported = __builtin_cpu_supports("sse4.2");
    return supported;
#else
    return true;
#endif
}

HashTable::HashTable(uint32_t key_size, uint32_t value_bytes, uint32_t max_entries, bool zero_seed)
    : key_size_(key_size), seed_(zero_seed ? 0 : random_seed()) {
    const uint32_t n = max_entries >= kMaxBuckets ? kMaxBuckets : std::bit_ceil(max_entries);
    buckets_.reset(new std::atomic<HashNode*>[n]());
    mask_ = n - 1;
    value_offset_ = round_up8(sizeof(HashNode) + key_size);
    node_size_ = value_offset_ + round_up8(value_bytes);
}

HashTable::~HashTable() {
    for (uint32_t b = 0; b <= mask_; ++b) {
        HashNode* node = buckets_[b].load(std::memory_order_relaxed);
        while (node != nullptr) {
            HashNode* next = node->next.load(std::memory_order_relaxed);
            free_node(node);
            node = next;
        }
    }
}

uint32_t HashTable::hash(const void* key) const { return hash_key(seed_, key, key_size_); }

HashNode* HashTable::find(const void* key, uint32_t hash) const {
    HashNode* node = buckets_[hash & mask_].load(std::memory_order_acquire);
    while (node != nullptr) {
        if (node->hash == hash && std::memcmp(key_of(node), key, key_size_) == 0) return node;
        node = node->next.load(std::memory_order_acquire);
    }
    return nullptr;
}

HashTable::Slot HashTable::find_slot(const void* key, uint32_t hash) {
    std::atomic<HashNode*>* link = &buckets_[hash & mask_];
    HashNode* node = link->load(std::memory_order_relaxed);
    while (node != nullptr) {
        if (node->hash == hash && std::memcmp(key_of(node), key, key_size_) == 0) break;
        link = &node->next;
        node = link->load(std::memory_order_relaxed);
    }
    return Slot{link, node};
}

HashNode* HashTable::new_node(const void* key, uint32_t hash) const {
    void* mem = std::calloc(1, node_size_);
    if (mem == nullptr) return nullptr;
    auto* node = new (mem) HashNode;
    node->hash = hash;
    std::memcpy(key_of(node), key, key_size_);
    return node;
}

void HashTable::free_node(void* node) {
    static_cast<HashNode*>(node)->~HashNode();
    std::free(node);
}

void HashTable::link(HashNode* node) {
    std::atomic<HashNode*>& head = buckets_[node->hash & mask_];
    node->next.store(head.load(std::memory_order_relaxed), std::memory_order_relaxed);
    head.store(node, std::memory_order_release);
    ++count_;
}

void HashTable::replace(const Slot& slot, HashNode* fresh) {
    fresh->next.store(slot.node->next.load(std::memory_order_relaxed), std::memory_order_relaxed);
    slot.link->store(fresh, std::memory_order_release);
}

void HashTable::unlink(const Slot& slot) {
    slot.link->store(slot.node->next.load(std::memory_order_relaxed), std::memory_order_release);
    --count_;
}

void HashTable::retire(HashNode* node) { ReclaimDomain::global().retire(node, &HashTable::free_node); }

HashNode* HashTable::first_from(uint32_t bucket) const {
    for (uint64_t b = bucket; b <= mask_; ++b) {
        if (HashNode* node = buckets_[b].load(std::memory_order_relaxed)) return node;
    }
    return nullptr;
}

long HashTable::copy_value(const void* key, void* value_out, uint32_t size) const {
    std::lock_guard<std::mutex> lock(writer_lock_);
    HashNode* node = find(key, hash(key));
    if (node == nullptr) return -ENOENT;
    std::memcpy(value_out, value_of(node), size);
    return 0;
}

long HashTable::next_key(const void* key, void* next_out) const {
    std::lock_guard<std::mutex> lock(writer_lock_);
    HashNode* next = nullptr;
    if (key == nullptr) {
        next = first_from(0);
    } else {
        const uint32_t h = hash(key);
        HashNode* node = find(key, h);
        if (node == nullptr) {
            next = first_from(0);
        } else {
            next = node->next.load(std::memory_order_relaxed);
            if (next == nullptr) next = first_from((h & mask_) + 1);
        }
    }
    if (next == nullptr) return -ENOENT;
    std::memcpy(next_out, key_of(next), key_size_);
    return 0;
}

}  // namespace xdpdk::vm::maps
