#include "lru_hash_map.h"

namespace xdpdk::vm::maps {

Result<std::unique_ptr<Map>> LruHashMap::create(const MapSpec& spec, uint32_t ncpus) {
    XDPDK_RETURN_IF_ERROR(check_spec(spec, true));
    return std::unique_ptr<Map>(new LruHashMap(spec, ncpus));
}

void* LruHashMap::lookup(const void* key, uint32_t cpu) {
    if (percpu_ && cpu >= ncpus_) [[unlikely]]
        return nullptr;
    HashNode* node = table_.find(key, table_.hash(key));
    if (node == nullptr) return nullptr;
    if (node->referenced.load(std::memory_order_relaxed) == 0) node->referenced.store(1, std::memory_order_relaxed);
    return value_for(node, cpu);
}

void LruHashMap::track(HashNode* node) {
    node->referenced.store(0, std::memory_order_relaxed);
    if (hand_ == nullptr) {
        node->clock_prev = node->clock_next = node;
        hand_ = node;
        return;
    }
    node->clock_next = hand_;
    node->clock_prev = hand_->clock_prev;
    hand_->clock_prev->clock_next = node;
    hand_->clock_prev = node;
}

void LruHashMap::untrack(HashNode* node) {
    if (node->clock_next == node) {
        hand_ = nullptr;
    } else {
        node->clock_prev->clock_next = node->clock_next;
        node->clock_next->clock_prev = node->clock_prev;
        if (hand_ == node) hand_ = node->clock_next;
    }
    node->clock_prev = node->clock_next = nullptr;
}

bool LruHashMap::evict_one() {
    if (hand_ == nullptr) return false;
    // Lookups keep setting bits while we sweep; after two full turns take the
    // node under the hand regardless.
    for (uint64_t steps = 2 * uint64_t{table_.count()}; steps > 0; --steps) {
        if (hand_->referenced.load(std::memory_order_relaxed) == 0) break;
        hand_->referenced.store(0, std::memory_order_relaxed);
        hand_ = hand_->clock_next;
    }
    HashNode* victim = hand_;
    const HashTable::Slot slot = table_.find_slot(table_.key_of(victim), victim->hash);
    table_.unlink(slot);
    untrack(victim);
    HashTable::retire(victim);
    return true;
}

}  // namespace xdpdk::vm::maps
