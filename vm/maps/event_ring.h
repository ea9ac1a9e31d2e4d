// One CPU slot's ring of event records, laid out as the kernel's BPF ring
// buffer (kernel/bpf/ringbuf.c): each record is an 8-byte header (u32 length
// with a BUSY bit while the program still writes it and a DISCARD bit; u32
// unused here, where the kernel keeps the way back to its ring for wakeups)
// and its data, taking round_up(len + 8, 8) bytes. The data pages are mapped twice, back to back,
// as the kernel maps them, so that a record crossing the end is still one
// contiguous block for the program writing into it.
//
// One producer (the worker of the slot) and no lock on its side: the kernel
// takes a spinlock because all CPUs share one ring, here each CPU slot has its
// own. Consumers take a mutex among themselves that producers never touch, so
// a consumer that stops reading only fills the ring: a full ring refuses
// records and counts them as lost, and the worker goes on.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>

#include "vm/error.h"

namespace xdpdk::vm::maps {

class EventRing {
public:
    static constexpr uint32_t kHeaderSize = 8;                // BPF_RINGBUF_HDR_SZ
    static constexpr uint32_t kBusyBit = 1u << 31;            // BPF_RINGBUF_BUSY_BIT
    static constexpr uint32_t kDiscardBit = 1u << 30;         // BPF_RINGBUF_DISCARD_BIT
    static constexpr uint32_t kMaxRecord = UINT32_MAX / 4;    // RINGBUF_MAX_RECORD_SZ

    // `data_size`: a power of two, a multiple of the page size.
    static Result<std::unique_ptr<EventRing>> create(uint64_t data_size);
    ~EventRing();
    EventRing(const EventRing&) = delete;
    EventRing& operator=(const EventRing&) = delete;

    // ---- producer (the slot's worker only) ----
    // Room for a record of `len` bytes, marked busy until commit(); nullptr
    // (and one more lost record) when the ring lacks the room, as the
    // kernel's __bpf_ringbuf_reserve refuses once the record would reach the
    // consumer's position.
    void* reserve(uint32_t len);
    // Ends a reservation: submit (the consumer gets it) or discard (skipped).
    static void commit(void* sample, bool discard);
    uint64_t producer_pos() const { return producer_pos_.load(std::memory_order_relaxed); }
    uint64_t consumer_pos() const { return consumer_pos_.load(std::memory_order_acquire); }
    uint64_t size() const { return size_; }
    uint64_t lost() const { return lost_.load(std::memory_order_relaxed); }

    // ---- consumers ----
    // Hands each submitted record, oldest first, to `fn` and frees its room;
    // stops at a record still being written. Returns the number handed over.
    size_t consume(const std::function<void(std::span<const uint8_t>)>& fn);

private:
    EventRing() = default;
    uint8_t* data_ = nullptr;  // size_ bytes, then the same pages again
    uint64_t size_ = 0;
    uint64_t mapped_ = 0;
    alignas(64) std::atomic<uint64_t> producer_pos_{0};
    std::atomic<uint64_t> lost_{0};
    alignas(64) std::atomic<uint64_t> consumer_pos_{0};
    std::mutex consumers_;
};

}  // namespace xdpdk::vm::maps
