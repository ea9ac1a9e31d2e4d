// BPF_MAP_TYPE_QUEUE and BPF_MAP_TYPE_STACK, as the kernel's
// queue_stack_maps.c keeps them: max_entries + 1 value slots used as a ring
// (one stays empty, so that head == tail means empty), a head where pushes
// go, a tail where a queue pops; a stack pops from the head. Every
// operation, program-side or user-side, takes the map's spinlock, as the
// kernel's raw spinlock; none allocates.
//
// Keyless (key_size 0): programs use bpf_map_push_elem (BPF_EXIST overwrites
// the oldest element when full), bpf_map_pop_elem and bpf_map_peek_elem;
// userspace reads as bpf() does (lookup peeks, update pushes,
// lookup-and-delete pops; delete and get_next_key refuse with -EINVAL).
#pragma once

#include <atomic>
#include <cerrno>
#include <memory>
#include <vector>

#include "vm/map.h"

namespace xdpdk::vm::maps {

class QueueStackMap final : public Map {
public:
    static Result<std::unique_ptr<Map>> create(const MapSpec& spec, uint32_t ncpus);

    // bpf_map_lookup_elem and friends: the verifier refuses them on these
    // maps; the kernel's lookup gives NULL, its update and delete -EINVAL.
    void* lookup(const void*, uint32_t) override { return nullptr; }
    long update(const void*, const void*, uint64_t, uint32_t) override { return -EINVAL; }
    long remove(const void*) override { return -EINVAL; }

    long push(const void* value, uint64_t flags) override;
    long pop(void* value_out) override { return get(value_out, true); }
    long peek(void* value_out) override { return get(value_out, false); }

    long user_lookup(const void* key, void* value_out) const override;
    long user_update(const void* key, const void* value, uint64_t flags) override;
    long user_delete(const void*) override { return -EINVAL; }
    long user_lookup_and_delete(const void* key, void* value_out) override;
    long next_key(const void*, void*) const override { return -EINVAL; }
    long user_elements(std::vector<uint8_t>& out) const override;

private:
    QueueStackMap(const MapSpec& spec, uint32_t ncpus);

    class Lock {
    public:
        explicit Lock(std::atomic<bool>& flag);
        ~Lock() { flag_.store(false, std::memory_order_release); }
        Lock(const Lock&) = delete;
        Lock& operator=(const Lock&) = delete;

    private:
        std::atomic<bool>& flag_;
    };

    // Pops (remove) or peeks into value_out; when empty, zeroes it and
    // returns -ENOENT, as the kernel does.
    long get(void* value_out, bool remove);
    // The slot a pop or peek reads; the map is not empty.
    uint32_t get_slot() const;
    bool empty() const { return head_ == tail_; }
    bool full() const { return (head_ + 1 == size_ ? 0 : head_ + 1) == tail_; }
    uint8_t* slot(uint32_t i) const { return elements_.get() + uint64_t{i} * spec_.value_size; }

    const bool stack_;
    const uint32_t size_;  // max_entries + 1
    uint32_t head_ = 0;    // next push
    uint32_t tail_ = 0;    // oldest element
    std::unique_ptr<uint8_t[]> elements_;
    mutable std::atomic<bool> locked_{false};
};

}  // namespace xdpdk::vm::maps
